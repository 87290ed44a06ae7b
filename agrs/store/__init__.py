"""The store interface every wing uses, and its implementations (embedded Oxigraph; remote SPARQL later)."""

from agrs.store.base import GraphInfo, Store, StoreBusy, StoreError

__all__ = ["GraphInfo", "Store", "StoreBusy", "StoreError", "open_store"]


def open_store(location: str, *, read_only: bool = False) -> Store:
    """Open the store at `location`: a folder path gives the embedded Oxigraph store."""
    from agrs.store.embedded import EmbeddedStore

    return EmbeddedStore(location, read_only=read_only)
