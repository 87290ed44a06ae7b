"""What one app instance holds while it runs: the store, the write lock, the query workers. Made by create_app."""

import threading
from dataclasses import dataclass, field

from flask import current_app

from agrs.server.config import ServerConfig


@dataclass
class Runtime:
    """The app's live parts, kept in `app.extensions["agrs"]` (never in module globals)."""

    config: ServerConfig
    store: object  # agrs.store.Store, open for writing (this process is the store's one writer)
    queries: object | None = None  # agrs.server.protocol.executor.QueryExecutor: killable read-only query workers
    write_lock: threading.Lock = field(default_factory=threading.Lock)  # one write at a time
    _resources: object | None = None  # agrs.resources.Resources, parsed on the first gated write
    _resources_lock: threading.Lock = field(default_factory=threading.Lock)

    def resources(self):
        """Return the shapes and the merged ontology writes are validated against, parsing them once."""
        with self._resources_lock:
            if self._resources is None:
                from agrs.resources import Resources

                self._resources = Resources.load()
            return self._resources

    def after_write(self) -> None:
        """Tell the query workers that the store changed (they reopen their read-only view before the next query)."""
        self.store.settle()
        if self.queries is not None:
            self.queries.store_changed()


def runtime() -> Runtime:
    """Return the Runtime of the app handling the current request."""
    return current_app.extensions["agrs"]
