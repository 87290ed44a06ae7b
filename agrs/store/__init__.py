"""The store interface every wing uses, and its implementations (embedded Oxigraph; a remote SPARQL 1.1 server)."""

from agrs.store.base import (
    Dataset,
    GraphInfo,
    QueryError,
    QueryTimeout,
    Store,
    StoreBusy,
    StoreError,
    StoreIOError,
    TruncatedResults,
    VersionConflict,
    VisibleGraph,
)

__all__ = [
    "Dataset",
    "GraphInfo",
    "QueryError",
    "QueryTimeout",
    "Store",
    "StoreBusy",
    "StoreError",
    "StoreIOError",
    "TruncatedResults",
    "VersionConflict",
    "VisibleGraph",
    "open_store",
]  # fmt: skip


def open_store(location, *, read_only: bool = False) -> Store:
    """Open the store at `location`: a folder path gives the embedded Oxigraph store, an http(s) URL or a
    RemoteLocation (agrs.store.location) the remote store on that SPARQL 1.1 server."""
    from agrs.store.location import RemoteLocation, is_url

    if isinstance(location, RemoteLocation) or is_url(location):
        from agrs.store.remote import RemoteStore

        return RemoteStore(location, read_only=read_only)
    from agrs.store.embedded import EmbeddedStore

    return EmbeddedStore(location, read_only=read_only)
