"""What a store raises: one base class, and the cases callers answer differently (busy, bad query, I/O, conflict)."""


class StoreError(RuntimeError):
    """The store cannot do what was asked (bad query, unreadable folder…)."""


class StoreBusy(StoreError):
    """Another process holds the store for writing; the message says how to proceed."""


class QueryError(StoreError):
    """The SPARQL text is invalid, or is an update the store refuses (it would write a managed graph)."""


class StoreIOError(StoreError):
    """The storage failed while reading or writing (an I/O error): the request itself may well be fine."""


class VersionConflict(StoreError):
    """`replace_graph(expected_version=…)` found another current version: someone else replaced the graph."""


class TruncatedResults(StoreError):
    """The server cut the results short (Virtuoso's X-SPARQL-MaxRows): never returned as if complete."""


class QueryTimeout(StoreIOError):
    """A remote store did not answer within the timeout (never retried: the request may still be running)."""
