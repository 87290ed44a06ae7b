"""Checkpoints of the store for its readers: what makes reading while `agrs serve` writes safe, and fast.

pyoxigraph documents a read-only open of a store that another process writes as undefined behaviour, and the
query workers (executor.py) used to do exactly that. Now the serving process, the store's one writer, takes a
checkpoint after each write (`EmbeddedStore.snapshot`: RocksDB hard-links its immutable files, a few to a few
hundred milliseconds) into `<store>/serve-snapshots/<n>/`, a folder nobody ever writes. Every reader opens a
checkpoint read-only: the query workers (they reopen the newest one before their next query) and the pages of this
process (`Snapshots.reader`, one read-only store shared by the request threads). A read-only open of a folder
nobody writes is defined behaviour; a checkpoint is also one consistent state of the store, so a page's dozen
queries all see the same version, and its registry is read once per checkpoint (agrs.store.embedded).

A checkpoint is deleted once it is neither the newest, nor open in a worker, nor replaced less than GRACE seconds
ago (a page request still running on the previous reader keeps its files). Whatever a killed server left behind is
deleted when the next one starts.
"""

import shutil
import threading
import time
from pathlib import Path

FOLDER = "serve-snapshots"
GRACE = 60.0  # seconds a replaced checkpoint stays, for the page requests still reading it


class Snapshots:
    """The checkpoints of one writable store: the newest one's path and number, a read-only store on it."""

    def __init__(self, store, prepare=None):
        self.store = store
        #: called with the store before each checkpoint (agrs.server.access keeps the merge of the public graphs)
        self.prepare = prepare
        self.root = Path(store.location) / FOLDER
        shutil.rmtree(self.root, ignore_errors=True)  # a previous server's leftovers: nobody reads them now
        self.root.mkdir(parents=True)
        self._lock = threading.Lock()
        self._number = 0
        self._replaced: dict[Path, float] = {}  # checkpoint → when a newer one replaced it
        self.path: Path | None = None
        self.reader = None
        self.take()

    @property
    def number(self) -> int:
        """How many checkpoints were taken (the newest one's number): a store version, for caches."""
        return self._number

    def take(self) -> Path:
        """Checkpoint the store as it is now, open it read-only as the pages' reader, and return its folder."""
        from agrs.store.embedded import EmbeddedStore

        with self._lock:
            self._number += 1
            target = self.root / str(self._number)
            if self.prepare is not None:
                self.prepare(self.store)
            self.store.snapshot(target)
            reader = EmbeddedStore(target, read_only=True)
            if self.path is not None:
                self._replaced[self.path] = time.monotonic()
            self.path, self.reader = target, reader
            return target

    def collect(self, in_use) -> None:
        """Delete the replaced checkpoints that no worker holds (`in_use`: their folders) and that are past GRACE."""
        now = time.monotonic()
        keep = {Path(path) for path in in_use if path is not None}
        with self._lock:
            for path, since in list(self._replaced.items()):
                if path not in keep and now - since > GRACE:
                    shutil.rmtree(path, ignore_errors=True)
                    del self._replaced[path]

    def close(self) -> None:
        """Drop the reader and delete every checkpoint."""
        with self._lock:
            if self.reader is not None:
                self.reader.close()
            self.reader = None
            shutil.rmtree(self.root, ignore_errors=True)
