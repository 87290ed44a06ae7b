"""What one app instance holds while it runs: the store, its checkpoints, the write lock, the query workers.

`store` is the store open for writing (this process is its one writer): writes go there. Reads go to `reader`, a
read-only store on the newest checkpoint (agrs.server.snapshots), and /sparql queries to the workers, which read
the same checkpoints. `version` names the store's state for HTTP caches (ETag): it changes with every write.
"""

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
    snapshots: object | None = None  # agrs.server.snapshots.Snapshots: checkpoints of `store`, for the readers
    #: what identifies the store's content when the server started (registry digest); `version` adds the writes since
    origin: str = ""
    writes: int = 0  # writes through this server since it started
    write_lock: threading.Lock = field(default_factory=threading.Lock)  # one write at a time
    #: VoID statistics per version graph (a version never changes), counted after each write in the background
    void_statistics: dict = field(default_factory=dict)
    _resources: object | None = None  # agrs.resources.Resources, parsed on the first gated write
    _resources_lock: threading.Lock = field(default_factory=threading.Lock)

    def resources(self):
        """Return the shapes and the merged ontology writes are validated against, parsing them once."""
        with self._resources_lock:
            if self._resources is None:
                from agrs.resources import Resources

                self._resources = Resources.load()
            return self._resources

    @property
    def reader(self):
        """The store to read from: a read-only open of the newest checkpoint (the store itself without checkpoints)."""
        snapshots = self.snapshots
        return self.store if snapshots is None else snapshots.reader

    @property
    def version(self) -> str:
        """A token that changes whenever the store's content may have changed (the basis of every ETag).

        It moves only once every reader (pages, workers) reads the new state: an answer made from the old one
        is never tagged, nor kept, with the new version."""
        return f"{self.origin}.{self.writes}"

    def after_write(self) -> None:
        """Checkpoint the store for the readers; the query workers open the new checkpoint before their next query."""
        if self.snapshots is None:
            self.store.settle()
            if self.queries is not None:
                self.queries.store_changed()
        else:
            path = self.snapshots.take()
            if self.queries is not None:
                self.queries.store_changed(path)
                self.snapshots.collect(self.queries.in_use())
            self.count_statistics()
        self.writes += 1  # last: see `version`

    def count_statistics(self) -> None:
        """Count the VoID statistics of the new graph versions in a background thread (VoID then answers at once)."""

        def count(reader=self.reader):
            from agrs.server.discovery.void import void_graph

            try:
                void_graph(reader, "http://localhost", self.void_statistics)
            except Exception:  # a later request counts them, and reports what failed
                pass

        threading.Thread(target=count, daemon=True, name="agrs-void-statistics").start()


def runtime() -> Runtime:
    """Return the Runtime of the app handling the current request."""
    return current_app.extensions["agrs"]
