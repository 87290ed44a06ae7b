"""What one app instance holds while it runs: the store, its checkpoints, the write lock, the query workers.

`store` is the store open for writing (this process is its one writer): writes go there. Reads go to `reader`, a
read-only store on the newest checkpoint (agrs.server.snapshots), and /sparql queries to the workers, which read
the same checkpoints. `version` names the store's state for HTTP caches (ETag): it changes with every write.

On a remote store (`remote`) there are no checkpoints: the server it names isolates its readers from its writers,
so the pages read `store` itself, and other processes may write it too (`agrs load --store URL`, another
`agrs serve`). `version` then also follows the remote registry: a digest of its current versions and plain
graphs, read again at most every REGISTRY_TTL seconds (so an answer cached here, or by a client holding its ETag,
is at most that old after another writer's commit; writes through this server change the version at once).
A write another process makes to a plain graph (by SPARQL Update) is not in the registry: such answers stay
cached until the next change of the registry or a write through this server.
"""

import hashlib
import threading
import time
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
    #: the store is a remote SPARQL server (no checkpoints; other processes may write it)
    remote: bool = False
    _registry: tuple[float, str] | None = None  # (when read, digest) of the remote registry
    _registry_lock: threading.Lock = field(default_factory=threading.Lock)

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
        is never tagged, nor kept, with the new version. On a remote store it also moves when another process
        changes the remote registry, seen within REGISTRY_TTL seconds (see the module's docstring)."""
        if self.remote:
            return f"{self.registry_digest()}.{self.writes}"
        return f"{self.origin}.{self.writes}"

    def registry_digest(self, *, fresh: bool = False) -> str:
        """Return a digest of the remote store's current versions and plain graphs, read at most every REGISTRY_TTL
        seconds (`fresh`: now). One request thread reads it; the others meanwhile use the previous digest."""
        known = self._registry
        if not fresh and known is not None and time.monotonic() - known[0] < REGISTRY_TTL:
            return known[1]
        if not self._registry_lock.acquire(blocking=known is None or fresh):
            return known[1]  # another thread is reading it
        try:
            known = self._registry
            if fresh or known is None or time.monotonic() - known[0] >= REGISTRY_TTL:
                try:
                    known = self._registry = (time.monotonic(), registry_digest(self.store))
                except Exception:  # the server is unreachable: a version nobody can match, so nothing is cached
                    self._registry = None
                    return f"unread-{time.monotonic_ns()}"
            return known[1]
        finally:
            self._registry_lock.release()

    def after_write(self) -> None:
        """Checkpoint the store for the readers; the query workers open the new checkpoint before their next query."""
        if self.remote:
            # The remote server's readers see the write already; the registry's digest is read again now.
            if self.queries is not None:
                self.queries.store_changed(reopen=False)
            self.registry_digest(fresh=True)
            self.count_statistics()
        elif self.snapshots is None:
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


#: seconds the remote registry's digest (part of the ETag version) is kept before it is read again
REGISTRY_TTL = 2.0


def registry_digest(store) -> str:
    """A digest of `store`'s current versions and plain graphs: what changes when anyone commits a write to it
    through the store interface (a version never changes once written)."""
    state = (sorted(store.current_versions().items()), sorted(store.plain_graphs()))
    return hashlib.sha256(repr(state).encode()).hexdigest()[:16]


def runtime() -> Runtime:
    """Return the Runtime of the app handling the current request."""
    return current_app.extensions["agrs"]
