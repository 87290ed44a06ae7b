"""The remote store: a SPARQL 1.1 server behind the Store interface (see agrs.store.remote.store)."""

from agrs.store.remote.store import RemoteStore

__all__ = ["RemoteStore"]
