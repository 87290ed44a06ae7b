"""What a store is for AGRS: SPARQL in, SPARQL out, atomic replacement of a source's graph, and query datasets.

Graphs have two names. A *graph* (logical) names one source: `https://w3id.org/agrs/graph/<kind>/<key>`.
Each committed load of it is stored in a *version* graph (`<graph>/v<n>`), and a small registry records which
version is current. Replacing a graph = loading a new version, then switching the registry in one
transaction: readers never see a half-written graph, and a killed load leaves the previous version current.
Queries see the current versions only.

Besides versioned graphs a store holds *plain* graphs, written by SPARQL Update: the registry, the provenance,
and what HTTP clients write outside the project's graphs. They are named by their own IRI.

Which graphs a query reads (its dataset) is the store's business, not its callers': `resolve` turns a
`Dataset` (the SPARQL 1.1 Protocol's default-graph-uri / named-graph-uri, the query's FROM clauses, the union
of the current graphs with or without the inferred ones) into the names of stored graphs, for any kind of store.

A default graph made of several graphs is their RDF merge, a set: a triple two of them hold matches once, as
SPARQL 1.1 defines it (Oxigraph, given a list of graphs, matches it once per graph). The union of the current
graphs is kept materialised by the store (agrs.graphs.UNION_GRAPHS, brought up to date by each replacement);
`FROM g1 FROM g2` and default-graph-uri lists are read as stored when their graphs share no triple, else merged
(embedded.py says how). Internal callers that collect rows into sets may pass `Dataset(merge=False)` (what
`query(graphs=…)` does) and skip that work.
"""

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from agrs.graphs import UNION_GRAPH, UNION_INFERRED_GRAPH, is_inferred
from agrs.store import guard, registry
from agrs.store.errors import (
    QueryError,
    QueryTimeout,
    StoreBusy,
    StoreError,
    StoreIOError,
    TruncatedResults,
    VersionConflict,
)


@dataclass(frozen=True)
class GraphInfo:
    """A current graph: its logical IRI, the version graph holding it, and its size."""

    graph: str
    version: str
    triples: int


@dataclass(frozen=True)
class VisibleGraph:
    """One named graph a query can see: the IRI `GRAPH <…>` matches, the logical graph, its size."""

    name: str  # the version IRI of a versioned graph, else the graph's own IRI
    graph: str  # the logical graph IRI (equal to `name` for a plain graph)
    triples: int
    versioned: bool


@dataclass(frozen=True)
class Dataset:
    """What a query reads, named by logical graph IRIs (a data graph's IRI stands for its current version).

    `default` and `named` are the SPARQL 1.1 Protocol's default-graph-uri and named-graph-uri: when either is
    given they are the whole dataset and override the query's FROM / FROM NAMED (`named=None` then means every
    visible graph, which is what internal callers restricting the default graph want; the protocol passes `()`).
    When neither is given, the query's FROM clauses decide, else the default graph is the union of every current
    graph — the inferred graphs (`…/graph/inferred` and below) included unless `infer` is false — and every
    visible graph is a named graph. An IRI the store does not hold is an empty graph.

    `merge`: the default graph is the merge of its graphs, a set (SPARQL's semantics). False lets a triple that
    k of the graphs hold match k times: cheaper, for callers that collect the rows into sets.

    `hidden`: graphs (logical IRIs of data graphs, or plain graphs' IRIs) the query must not read at all, whatever
    it names: left out of the default graph (which is then the merge of the other graphs, still a set), of the
    named graphs, of FROM / FROM NAMED and default-graph-uri / named-graph-uri (a hidden graph named there is an
    empty graph). The server's per-graph read access (agrs.server.access) is made of it; see `without_hidden`.
    """

    default: tuple[str, ...] | None = None
    named: tuple[str, ...] | None = None
    infer: bool = True
    merge: bool = True
    hidden: frozenset[str] = frozenset()

    @classmethod
    def protocol(cls, default: Sequence[str] = (), named: Sequence[str] = (), *, infer: bool = True) -> "Dataset":
        """Return the dataset of a protocol request: its default-graph-uri and named-graph-uri, when any is given."""
        if not default and not named:
            return cls(infer=infer)
        return cls(tuple(default), tuple(named), infer)

    @property
    def explicit(self) -> bool:
        """Whether the dataset names its graphs (then the query's FROM clauses are not read)."""
        return self.default is not None or self.named is not None


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
]


class Store(ABC):
    """The store interface: everything above this line knows nothing of Oxigraph or HTTP."""

    def query(
        self,
        sparql: str,
        *,
        dataset: Dataset | None = None,
        graphs: Iterable[str] | None = None,
        union: bool = True,
        base_iri: str | None = None,
    ):
        """Run a SPARQL query; return pyoxigraph results: solutions (`.variables`), a boolean, or triples.

        The dataset is `dataset`, else `graphs` (the default graph is their union, every visible graph is a named
        graph; a triple held by two of them matches twice: for internal callers that collect rows into sets, see
        Dataset.merge), else the union of the current graphs (`union`; with `union=False` the default graph is
        empty), a set.
        `base_iri` resolves the query's relative IRIs. Raises QueryError for an invalid query, StoreIOError when
        the storage fails.
        """
        if dataset is None:
            if graphs is not None:
                dataset = Dataset(default=tuple(graphs), merge=False)
            elif not union:
                dataset = Dataset(default=())
            else:
                dataset = Dataset()
        return self._query(sparql, dataset, base_iri)

    @abstractmethod
    def _query(self, sparql: str, dataset: Dataset, base_iri: str | None):
        """Resolve `dataset` (see `resolve`) and run the query on it."""

    def resolve(
        self, dataset: Dataset, sparql: str, current: dict[str, str] | None = None, *, plain: list[str] | None = None
    ) -> tuple[list, list]:
        """Return the stored graph names of `dataset` for `sparql`: (default graph names, named graph names).

        `current` (logical graph → current version) may be given when the caller read it already. The union of
        the current graphs is named by the store's union graphs (UNION_GRAPH, and UNION_INFERRED_GRAPH unless
        `infer` is false), which the store keeps equal to the merge of the current versioned graphs; the plain
        graphs (`plain`, when the caller read them already) follow them. Raises QueryError when the query's FROM
        clauses cannot be read.
        """
        current = self.current_versions() if current is None else current
        plain = self.plain_graphs() if plain is None else plain
        if dataset.hidden:
            return without_hidden(self, dataset, sparql, current, plain)
        visible = [*current.values(), *plain]
        known = set(visible)

        def names(iris: Iterable[str]) -> list[str]:
            # Once each: `FROM <g> FROM <g>` is one graph, not two copies of it.
            return list(dict.fromkeys(name for name in (current.get(iri, iri) for iri in iris) if name in known))

        if dataset.explicit:
            named = visible if dataset.named is None else names(dataset.named)
            return names(dataset.default or ()), named
        clauses = guard.dataset_clauses(sparql)
        if clauses is not None:
            return names(clauses[0]), names(clauses[1])
        union = [UNION_GRAPH, UNION_INFERRED_GRAPH] if dataset.infer else [UNION_GRAPH]
        return union + plain, visible

    @abstractmethod
    def update(self, sparql: str) -> None:
        """Run a SPARQL update in one transaction (plain graphs only: never a versioned data graph)."""

    @abstractmethod
    def replace_graph(self, graph: str, triples: Iterable[tuple], *, expected_version: str | None = None) -> GraphInfo:
        """Atomically make `triples` the content of logical graph `graph`; return the new current version.

        `triples` are pyoxigraph Triples or (s, p, o) of pyoxigraph terms; they may be a generator (never held
        in memory at once). `expected_version`, when given, must be the current version (optimistic check).
        """

    @abstractmethod
    def write_plain_graph(self, name: str, triples: Iterable) -> int:
        """Make `triples` the content of plain graph `name` (not versioned: no history, no atomic switch).

        Refuses (StoreError) the registry, the union graphs, version IRIs and versioned data graphs. `triples` as
        for `replace_graph`. Returns the distinct triples stored. Used by `agrs push` for the provenance.
        """

    @abstractmethod
    def drop_graph(self, graph: str) -> bool:
        """Make logical graph `graph` disappear (atomically); return whether it existed."""

    @abstractmethod
    def graphs(self) -> list[GraphInfo]:
        """List the current graphs with their statistics."""

    @abstractmethod
    def current_versions(self) -> dict[str, str]:
        """Return every current logical graph mapped to the version graph holding it."""

    @abstractmethod
    def plain_graphs(self) -> list[str]:
        """Return the plain graphs (the registry, the provenance, what updates wrote), by IRI; never the unions."""

    def plain_graph_exists(self, name: str) -> bool:
        """Return whether plain graph `name` exists (an empty graph made by CREATE or an empty PUT counts)."""
        # graphs=(): no FROM clause, so rdflib (not thread-safe) never parses the query
        return bool(self.query(f"ASK {{ GRAPH <{name}> {{}} }}", graphs=()))

    def current_version(self, graph: str) -> str | None:
        """Return the version graph currently holding `graph`, or None."""
        return self.current_versions().get(graph)

    def visible_graphs(self) -> list[VisibleGraph]:
        """Return the named graphs a query sees (current versions and plain graphs), sorted by logical IRI."""
        found = [VisibleGraph(info.version, info.graph, info.triples, True) for info in self.graphs()]
        for name in self.plain_graphs():
            if not registry.ABSOLUTE_IRI.match(name):
                continue  # never spliced into SPARQL; the store only names graphs by absolute IRIs
            count = self.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}", union=False)
            found.append(VisibleGraph(name, name, int(next(iter(count))["n"].value), False))
        return sorted(found, key=lambda entry: entry.graph)

    @abstractmethod
    def triples(self, graph: str) -> Iterator[tuple]:
        """Yield the (s, p, o) of the current version of `graph` (pyoxigraph terms)."""

    @abstractmethod
    def close(self) -> None:
        """Release the store (and its write lock)."""

    def holds_view(self, name: str) -> bool:
        """Whether the store holds the materialised view `name` (agrs.store.base.materialise_view); none by default."""
        return False

    def write_view(self, name: str, graphs: Sequence[str], *, minus: str | None = None) -> None:
        """Store the merge of the stored graphs `graphs` as the view `name`, less the triples of the graph `minus`
        (see materialise_view)."""
        raise StoreError(f"{type(self).__name__} keeps no materialised views")

    def drop_views(self, keep: Sequence[str] = ()) -> None:
        """Drop every materialised view but those of `keep` (see materialise_view); nothing to do by default."""
        return

    def settle(self) -> None:
        """Finish the storage's background work (compactions), so that readers opened next see stable files.

        A no-op for stores that have none; the server calls it before (re)opening its read-only query workers.
        """
        return

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- backup ---

    def stored_dataset(self) -> tuple[list[str], Iterator]:
        """Return every named graph the store holds (empty ones included) and an iterator over every quad it holds.

        All of it, as stored: every version graph (current or kept), the registry, the union graphs, the plain
        graphs and the default graph — what a dump (agrs.backup) must carry to rebuild the store. Consistent only
        while nobody writes: the caller holds the write lock, or reads a checkpoint.
        """
        raise StoreError(f"{type(self).__name__} cannot list the quads it stores")

# --- read access: datasets that hide graphs (agrs.server.access) ----------------------------------------------------


def without_hidden(store: Store, dataset: Dataset, sparql: str, current: dict[str, str], plain: list[str]):
    """Resolve `dataset` (see `Store.resolve`) as if the store held none of the graphs in `dataset.hidden`.

    The hidden graphs go out of `current` and `plain` first, so no name given by the dataset or the query's FROM
    clauses can reach them (a hidden graph's own IRI or its version's is then an unknown graph: empty). When that
    hid a held graph, the union graphs (which hold its triples) cannot be the default graph: it is the merge of
    the other current versions (asserted, and inferred unless `infer` is false) — one graph when the store holds it
    materialised (`materialise_view`), else their list, which the store reads as their merge (a set) as it does for
    several FROM: as stored when they share no triple, else merged in memory (slow on large stores) — followed by
    the plain graphs, as the union graphs are.
    """
    hidden = dataset.hidden
    if getattr(getattr(store, "quirks", None), "virtuoso", False) and _may_name_hidden(sparql, hidden):
        # Virtuoso 7.2 reads `GRAPH <iri>` and FROM <iri> of a stored graph whatever the protocol's dataset says
        # (agrs.store.remote.store._virtuoso_named): a hidden graph named in the text would be read.
        raise QueryError(
            "on this server (Virtuoso) a query that may not read every graph cannot name a restricted graph in its "
            "text, nor name graphs by prefixed names, relative IRIs or escapes: use full IRIs, or GRAPH ?g "
            "with named-graph-uri / default-graph-uri"
        )
    kept = {graph: version for graph, version in current.items() if graph not in hidden}
    shown = [name for name in plain if name not in hidden]
    open_dataset = Dataset(dataset.default, dataset.named, dataset.infer, dataset.merge)
    default, named = Store.resolve(store, open_dataset, sparql, kept, plain=shown)
    if UNION_GRAPH in default and len(kept) < len(current):  # else the union graphs hold no hidden triple
        asserted, inferred = visible_versions(kept)
        views = view_names(asserted, inferred)
        if store.holds_view(views[0]) and store.holds_view(views[1]):
            held = [views[0], views[1]] if dataset.infer else [views[0]]
        else:
            held = [*asserted, *inferred] if dataset.infer else asserted
        default = [*held, *(name for name in default if name not in (UNION_GRAPH, UNION_INFERRED_GRAPH))]
    return default, named


def visible_versions(kept: dict[str, str]) -> tuple[list[str], list[str]]:
    """The current versions of the graphs of `kept`: (asserted ones, inferred ones)."""
    ordered = sorted(kept.items())
    return [v for g, v in ordered if not is_inferred(g)], [v for g, v in ordered if is_inferred(g)]


def view_names(asserted: Sequence[str], inferred: Sequence[str]) -> tuple[str, str]:
    """The views of a set of visible versions: the merge of the asserted ones, and that of the inferred ones less
    the first (so the two share no triple, as the union graphs; infer=false reads the first only)."""
    first = view_name(asserted)
    return first, view_name([*inferred, "minus " + first])


#: GRAPH or FROM [NAMED] followed by a prefixed name or a relative IRI (which may name any graph)
_INDIRECT_GRAPH = re.compile(
    r"(?<![\w?$/:#.-])(?:GRAPH|FROM(?:\s+NAMED)?)\s*(?:[A-Za-z][\w.-]*:|:|<(?![a-zA-Z][a-zA-Z0-9+.-]*:))",
    re.IGNORECASE,
)
_IRI_REF = re.compile(r"<([^<>\s]*)>")


def _may_name_hidden(sparql: str, hidden: frozenset[str]) -> bool:
    """Whether the text of `sparql` names, or may name, a hidden graph or a version of one (conservative)."""
    # A BASE alone is harmless (the remote store adds one): a relative IRI after GRAPH or FROM is caught here.
    if _INDIRECT_GRAPH.search(sparql):
        return True
    for iri in _IRI_REF.findall(sparql):
        if "\\" in iri or iri in hidden:
            return True
        match = registry.VERSION_IRI.match(iri)
        if match is not None and match["graph"] in hidden:
            return True
    return False

#: the graphs holding a materialised merge of other graphs (materialise_view): never a plain graph, never listed
VIEW_PREFIX = "urn:x-agrs:merged-view/"


def view_name(graphs: Sequence[str]) -> str:
    """Return the name of the graph holding the merge of the stored graphs `graphs` (whatever their order)."""
    import hashlib

    return VIEW_PREFIX + hashlib.sha256("\n".join(sorted(set(graphs))).encode()).hexdigest()[:32]


def materialise_view(store: Store, hidden: frozenset[str]) -> tuple[str, str] | None:
    """Keep in `store` the merge (a set) of the current versions a query reads when `hidden` graphs are hidden, as two
    graphs (`view_names`: the asserted versions' merge, the inferred ones' less it), so that such queries read them
    (`holds_view`) as others read the union graphs, instead of merging graphs in memory; drop the other views;
    return their names (None: nothing is hidden, no view is needed, and none is kept). Views are named after the
    versions they merge, which never change: they stay right until one of those stops being current (a write
    through `replace_graph`), then new ones are needed. The server's writer calls it before each checkpoint
    (agrs.server.access).
    """
    current = store.current_versions()
    kept = {graph: version for graph, version in current.items() if graph not in hidden}
    if len(kept) == len(current):
        store.drop_views()
        return None
    asserted, inferred = visible_versions(kept)
    names = view_names(asserted, inferred)
    store.drop_views(keep=names)
    if not store.holds_view(names[0]):
        store.write_view(names[0], asserted)
    if not store.holds_view(names[1]):
        store.write_view(names[1], inferred, minus=names[0])
    return names
