"""The store interface every wing uses, and its implementations (embedded Oxigraph; remote SPARQL later)."""

from os import PathLike

from agrs.store.base import (
    Dataset,
    GraphInfo,
    QueryError,
    Store,
    StoreBusy,
    StoreError,
    StoreIOError,
    VersionConflict,
    VisibleGraph,
)

__all__ = [
    "Dataset", "GraphInfo", "QueryError", "Store", "StoreBusy", "StoreError", "StoreIOError", "VersionConflict",
    "VisibleGraph", "open_store",
]  # fmt: skip


def open_store(location: str | PathLike, *, read_only: bool = False) -> Store:
    """Open the store at `location`: a folder path gives the embedded Oxigraph store."""
    from agrs.store.embedded import EmbeddedStore

    return EmbeddedStore(location, read_only=read_only)
