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

from agrs.graphs import PROVENANCE_GRAPH, REGISTRY_GRAPH, UNION_GRAPH, UNION_INFERRED_GRAPH, is_inferred
from agrs.ns import PROV
from agrs.store import guard, registry, retention
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
class VersionRecord:
    """One version of a graph that holds data: the current one, or a kept previous one (never queried)."""

    version: str
    #: when it first became current (xsd:dateTime lexical form), None when the registry predates the record
    created: str | None
    triples: int
    current: bool
    #: the provenance activity that generated it (a load, a purge…), None when the provenance has none
    activity: str | None = None


@dataclass(frozen=True)
class Erased:
    """What a purge erased from one stored graph: the logical graph, the stored graph, the triples removed."""

    graph: str  # the logical graph (a plain graph's own IRI)
    stored: str  # the version graph (or plain graph) the triples were removed from
    triples: int
    #: for a current version: the version now current in its place (the purge writes a new one)
    replaced_by: str | None = None


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
    "Erased",
    "GraphInfo",
    "QueryError",
    "QueryTimeout",
    "Store",
    "StoreBusy",
    "StoreError",
    "StoreIOError",
    "TruncatedResults",
    "VersionConflict",
    "VersionRecord",
    "VisibleGraph",
]


# --- history helpers --------------------------------------------------------------------------------------------


def registry_check(graph: str) -> None:
    """Refuse, with StoreError, a logical graph IRI the registry cannot manage."""
    try:
        registry.check_graph_iri(graph)
    except ValueError as error:
        raise StoreError(str(error)) from error


def _number(literal) -> int:
    return 0 if literal is None else int(literal.value)


def _rollback_target(graph: str, version: str | None, current, kept: list) -> "VersionRecord":
    """Return the kept version a rollback makes current (see Store.rollback)."""
    if version is not None:
        if version.isdigit() or (version[:1] in "vV" and version[1:].isdigit()):
            version = registry.version_iri(graph, int(version.lstrip("vV")))  # `3` or `v3` for `<graph>/v3`
        for record in kept:
            if record.version == version:
                return record
        if current is not None and current.version == version:
            raise StoreError(f"{version} is already the current version of {graph}")
        names = ", ".join(record.version.rsplit("/", 1)[-1] for record in kept) or "none"
        raise StoreError(f"{version} is not a kept version of {graph} (kept: {names})")
    if current is None:
        if not kept:
            raise StoreError(f"{graph} has no current version and no kept version to roll back to")
        return kept[0]
    number = registry.version_number(current.version)
    older = [record for record in kept if registry.version_number(record.version) < number]
    if not older:
        raise StoreError(f"{graph} has no kept version older than its current one ({current.version})")
    return older[0]


def _provenance_erasure(graph: str, versions: list[str]) -> list[str]:
    """Return the updates that erase what the provenance graph says of `graph` and its `versions` (see purge_graph).

    In order: the source files only its loads read, then those loads, then every triple naming one of its versions
    or the graph itself. Each update reads the provenance as the previous ones left it.
    """
    prov, provenance = str(PROV), f"<{PROVENANCE_GRAPH}>"
    values = " ".join(f"<{version}>" for version in versions)
    if not values:
        return [f"DELETE WHERE {{ GRAPH {provenance} {{ <{graph}> ?p ?o }} }}"]
    generated = f"VALUES ?v {{ {values} }} ?a <{prov}generated> ?v ."
    listed = ", ".join(f"<{version}>" for version in versions)
    others = f"FILTER NOT EXISTS {{ ?b <{prov}used> ?f ; <{prov}generated> ?w FILTER(?w NOT IN ({listed})) }}"
    return [
        f"DELETE {{ GRAPH {provenance} {{ ?f ?p ?o }} }} WHERE {{ GRAPH {provenance} {{ {generated} "
        f"?a <{prov}used> ?f . ?f a <{registry.BASE}SourceFile> ; ?p ?o {others} }} }}",
        f"DELETE {{ GRAPH {provenance} {{ ?a ?p ?o }} }} WHERE {{ GRAPH {provenance} {{ {generated} ?a ?p ?o }} }}",
        *(f"DELETE WHERE {{ GRAPH {provenance} {{ <{version}> ?p ?o }} }} ; "
          f"DELETE WHERE {{ GRAPH {provenance} {{ ?s ?p <{version}> }} }}" for version in versions),
        f"DELETE WHERE {{ GRAPH {provenance} {{ <{graph}> ?p ?o }} }} ; "
        f"DELETE WHERE {{ GRAPH {provenance} {{ ?s ?p <{graph}> }} }}",
    ]  # fmt: skip


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

    # --- history: kept versions, rollback, purge ----------------------------------------------------------------
    # Written once for every kind of store over a few primitives each kind has: `_select` (an internal SELECT
    # naming its graphs, rows as dicts of terms), `_internal_update` (one of the store's own updates, not guarded),
    # `_allocate`, `_switch`, `_update_union`, `_drop_data`, `_discard_after_failure`, `_copy_without`, `_count`,
    # `_registry_lock` and `_writable`.

    #: how many previous versions of each graph the store keeps (agrs.store.retention); set when it opens
    keep_versions: int = retention.DEFAULT_KEEP

    def history(self, graph: str) -> list["VersionRecord"]:
        """Return the versions of `graph` that hold data, newest first: the current one and the kept ones."""
        rows = self._select(registry.history_of(graph))
        activities = self._activities(graph)
        found = []
        for row in rows:
            version = row["version"].value
            current = row["current"] is not None and row["current"].value == version
            if not current and row["kept"] is None:
                continue  # a version whose data are gone (beyond the retention count) or never were complete
            created = row["created"].value if row["created"] is not None else None
            activity, ended = activities.get(version, (None, None))
            found.append(VersionRecord(version, created or ended, _number(row["triples"]), current, activity))
        return sorted(found, key=lambda record: registry.version_number(record.version), reverse=True)

    def _activities(self, graph: str) -> dict[str, tuple[str, str | None]]:
        """Return version -> (the provenance activity that generated it, its end time) for the versions of `graph`."""
        query = (
            f"SELECT ?version ?activity ?ended WHERE {{ GRAPH <{PROVENANCE_GRAPH}> {{ "
            f"?activity <{PROV}generated> ?version . ?version <{registry.VERSION_OF}> <{graph}> "
            f"OPTIONAL {{ ?activity <{PROV}endedAtTime> ?ended }} }} }}"
        )
        found = {}
        for row in self._select(query):
            ended = row["ended"].value if row["ended"] is not None else None
            found.setdefault(row["version"].value, (row["activity"].value, ended))
        return found

    def rollback(self, graph: str, version: str | None = None) -> tuple[GraphInfo, str | None]:
        """Make the kept `version` of `graph` current again, atomically (one registry switch); return it and the
        version current until then (None when the graph had been dropped).

        `version` None: the newest kept version older than the current one (the previous version). The version
        current until then becomes a kept version itself (a rollback can be undone). Raises StoreError when there
        is no such kept version.
        """
        self._writable()
        registry_check(graph)
        with self._registry_lock:
            versions = self.history(graph)
            current = next((record for record in versions if record.current), None)
            kept = [record for record in versions if not record.current]
            target = _rollback_target(graph, version, current, kept)
            self._internal_update(registry.stale_after(registry.rollback_switch(graph, target.version)))
        old = current.version if current is not None else None
        self._update_union(graph, old, target.version)
        self._after_switch()
        self._trim(graph)
        return GraphInfo(graph, target.version, target.triples), old

    def _kept_versions(self, graph: str) -> list[str]:
        """Return the kept versions of `graph`, newest first."""
        rows = self._select(registry.KEPT_VERSIONS)
        kept = {row["version"].value for row in rows if row["graph"].value == graph}
        return sorted(kept, key=registry.version_number, reverse=True)

    def _trim(self, graph: str) -> None:
        """Drop the data of the kept versions of `graph` beyond the retention count (the oldest first go).

        The mark goes first, then the data: a kill in between leaves unmarked data, collected at the next
        write-open.
        """
        extra = self._kept_versions(graph)[retention.keep_for(graph, self.keep_versions) :]
        if not extra:
            return
        self._internal_update(registry.unkeep(extra))
        for version in extra:
            self._drop_data(version)

    def _trim_all(self) -> None:
        """Apply the retention count to every graph (at a write-open: a kill may have left one kept too many)."""
        for graph in sorted({row["graph"].value for row in self._select(registry.KEPT_VERSIONS)}):
            self._trim(graph)

    def purge_record(self, iri: str) -> list["Erased"]:
        """Erase every triple that has `iri` as subject or object, from every version of every graph (current and
        kept) and every plain graph (the provenance included, never the registry); return what was erased.

        A current version is never changed in place (a version's content is fixed: its IRI is its ETag): its
        graph gets a new current version without those triples, and the version it replaces is then erased as a
        kept one. Personal data: see the README on what backups keep.
        """
        self._writable()
        if not registry.ABSOLUTE_IRI.match(iri):
            raise StoreError(f"not an absolute IRI: {iri!r}")
        if iri in (REGISTRY_GRAPH, UNION_GRAPH, UNION_INFERRED_GRAPH) or registry.is_version_iri(iri):
            raise StoreError(f"{iri} names a graph the store manages, not a record: purge a source with its graph")
        current = self.current_versions()
        if iri in current or iri in self._data_graphs():
            raise StoreError(f"{iri} is a data graph, not a record: purge it with purge_graph")
        mention = f"{{ GRAPH ?g {{ <{iri}> ?p ?o }} }} UNION {{ GRAPH ?g {{ ?s ?p <{iri}> }} }}"
        counts = {row["g"].value: _number(row["n"]) for row in self._select(
            f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ {mention} }} GROUP BY ?g")}  # fmt: skip
        by_version = {version: graph for graph, version in current.items()}
        kept = {row["version"].value: row["graph"].value for row in self._select(registry.KEPT_VERSIONS)}
        erased: list[Erased] = []
        for version, graph in sorted(by_version.items()):
            if counts.get(version):
                new = self._replace_without(graph, version, iri)
                erased.append(Erased(graph, version, counts[version], new))
                kept[version] = graph  # now a kept version: erased in place below
        for version, graph in sorted(kept.items()):
            if counts.get(version):
                self._erase_in(version, iri)
                self._internal_update(registry.set_triples(version, self._count(version)))
                if not any(entry.stored == version for entry in erased):
                    erased.append(Erased(graph, version, counts[version]))
        for name in self.plain_graphs():
            if name != REGISTRY_GRAPH and counts.get(name):
                self._erase_in(name, iri)
                erased.append(Erased(name, name, counts[name]))
        for version, graph in sorted(by_version.items()):
            if counts.get(version):
                self._trim(graph)
        return erased

    def purge_graph(self, graph: str) -> list["Erased"]:
        """Erase a whole source: its current version and every kept version, and what the provenance says of it
        (the loads that generated its versions, their source files when no other graph's load read them, every
        triple naming the graph or one of its versions). The registry keeps only the version numbers (never
        reused). Returns what was erased (the provenance last, as one entry)."""
        self._writable()
        registry_check(graph)
        erased: list[Erased] = []
        with self._registry_lock:
            current = self.current_versions().get(graph)
            if current is not None:
                self._internal_update(registry.stale_after(registry.retire(graph)))
        if current is not None:
            self._update_union(graph, current, None)
        kept = self._kept_versions(graph)
        sizes = {record.version: record.triples for record in self.history(graph)}
        if kept:
            self._internal_update(registry.unkeep(kept))
        for version in kept:
            self._drop_data(version)
            erased.append(Erased(graph, version, sizes.get(version, 0)))
        versions = [row["version"].value for row in self._select(registry.versions_of(graph))]
        before = self._count(PROVENANCE_GRAPH)
        for update in _provenance_erasure(graph, versions):
            self._internal_update(update)
        removed = before - self._count(PROVENANCE_GRAPH)
        if removed:
            erased.append(Erased(PROVENANCE_GRAPH, PROVENANCE_GRAPH, removed))
        return erased

    def _replace_without(self, graph: str, old: str, iri: str) -> str:
        """Write a new version of `graph`: `old` without the triples naming `iri`; switch to it; return it."""
        version = self._allocate(graph)
        try:
            self._copy_without(old, version, iri)
            switched_from = self._switch(graph, version, self._count(version), old)
        except BaseException as error:
            self._discard_after_failure(version, error)
            raise
        self._update_union(graph, switched_from, version)
        self._after_switch()
        return version

    def _erase_in(self, name: str, iri: str) -> None:
        """Delete the triples naming `iri` (subject or object) from stored graph `name`, in place."""
        self._internal_update(
            f"DELETE WHERE {{ GRAPH <{name}> {{ <{iri}> ?p ?o }} }} ; "
            f"DELETE WHERE {{ GRAPH <{name}> {{ ?s ?p <{iri}> }} }}"
        )

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
