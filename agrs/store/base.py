"""What a store is for AGRS: SPARQL in, SPARQL out, and atomic replacement of a source's graph.

Graphs have two names. A *graph* (logical) names one source: `https://w3id.org/agrs/graph/<kind>/<key>`.
Each committed load of it is stored in a *version* graph (`<graph>/v<n>`), and a small registry records which
version is current. Replacing a graph = loading a new version, then switching the registry in one
transaction: readers never see a half-written graph, and a killed load leaves the previous version current.
Queries see the current versions only.
"""

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

REGISTRY_GRAPH = "https://w3id.org/agrs/graph/registry"
PROVENANCE_GRAPH = "https://w3id.org/agrs/graph/provenance"


class StoreError(RuntimeError):
    """The store cannot do what was asked (bad query, unreadable folder…)."""


class StoreBusy(StoreError):
    """Another process holds the store for writing; the message says how to proceed."""


class QueryError(StoreError):
    """The SPARQL text is invalid, or is an update the store refuses (it would write a managed graph)."""


class VersionConflict(StoreError):
    """`replace_graph(expected_version=…)` found another current version: someone else replaced the graph."""


@dataclass(frozen=True)
class GraphInfo:
    """A current graph: its logical IRI, the version graph holding it, and its size."""

    graph: str
    version: str
    triples: int


class Store(ABC):
    """The store interface: everything above this line knows nothing of Oxigraph or HTTP."""

    @abstractmethod
    def query(self, sparql: str, *, union: bool = True, graphs: Iterable[str] | None = None):
        """Run a SPARQL query on the current graphs.

        With `union`, the default graph is the union of the current graphs (or of `graphs`, logical IRIs);
        named graphs are the current versions. Returns pyoxigraph-like results: an iterator of solutions
        (`.variables`), a boolean, or an iterator of triples.
        """

    @abstractmethod
    def update(self, sparql: str) -> None:
        """Run a SPARQL update in one transaction (system graphs only: never a versioned data graph)."""

    @abstractmethod
    def replace_graph(self, graph: str, triples: Iterable[tuple], *, expected_version: str | None = None) -> GraphInfo:
        """Atomically make `triples` the content of logical graph `graph`; return the new current version.

        `triples` are pyoxigraph Triples or (s, p, o) of pyoxigraph terms; they may be a generator (never held
        in memory at once). `expected_version`, when given, must be the current version (optimistic check).
        """

    @abstractmethod
    def drop_graph(self, graph: str) -> bool:
        """Make logical graph `graph` disappear (atomically); return whether it existed."""

    @abstractmethod
    def graphs(self) -> list[GraphInfo]:
        """List the current graphs with their statistics."""

    @abstractmethod
    def current_version(self, graph: str) -> str | None:
        """Return the version graph currently holding `graph`, or None."""

    @abstractmethod
    def triples(self, graph: str) -> Iterator[tuple]:
        """Yield the (s, p, o) of the current version of `graph` (pyoxigraph terms)."""

    @abstractmethod
    def close(self) -> None:
        """Release the store (and its write lock)."""

    def settle(self) -> None:
        """Finish the storage's background work (compactions), so that readers opened next see stable files.

        A no-op for stores that have none; the server calls it before (re)opening its read-only query workers.
        """
        return

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
