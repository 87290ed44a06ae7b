"""The remote store: any SPARQL 1.1 server (Oxigraph server, Virtuoso, Fuseki…) behind the Store interface.

The same layout as the embedded store (agrs.store.embedded), kept by plain SPARQL over HTTP:

- versioned graphs `G/vN` and the registry (agrs.store.registry): replacing a graph allocates a version,
  uploads the triples in chunks (Graph Store POSTs of N-Triples when the server has a Graph Store endpoint,
  else INSERT DATA of at most UPLOAD_CHUNK triples: Virtuoso fails past ~5k), counts them, switches the registry
  in one update (the old version becomes a kept one), brings the union graphs up to date and drops the kept
  versions beyond the retention count (agrs.store.retention). A killed load leaves the previous version current;
  the next write-open collects what it left (partial versions, a version no longer kept but not yet dropped).
- blank nodes skolemised on upload, turned back in results (agrs.store.remote.skolem).
- the union graphs UNION_GRAPH / UNION_INFERRED_GRAPH maintained *inside the server* by SPARQL updates (INSERT …
  WHERE copies the new version, DELETE … WHERE FILTER NOT EXISTS removes the old version's triples no other
  current graph holds), with the registry's stale mark: the default graph of a query is a set on every server
  (Oxigraph server, given several default graphs, matches a triple once per graph holding it).
- queries always name their dataset (default-graph-uri and named-graph-uri, a placeholder when empty): a
  server's own default graph (Virtuoso: every graph, its ~2,500 system triples included) is never read.
  Graphs that share triples, named together as the default graph, are merged in memory as the embedded store
  does. Internal queries (the registry) name their graphs with GRAPH <…> and send no dataset.
- plain graphs (written by `update` and `write_plain_graph`) are recorded in the registry (`a agrs:PlainGraph`):
  a server's own graphs are never shown, nor what other programs wrote into it.
- one writer at a time: a lock in the store itself (agrs.store.remote.lock). Read-only opens take none.
"""

import itertools
import re
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pyoxigraph as ox

from agrs.graphs import REGISTRY_GRAPH, UNION_GRAPH, UNION_GRAPHS, UNION_INFERRED_GRAPH, is_inferred
from agrs.ns import BASE
from agrs.store import guard, registry, retention
from agrs.store.base import Dataset, GraphInfo, Store
from agrs.store.embedded import _check_plain, _quad  # the same checks and conversions as the embedded store
from agrs.store.errors import QueryError, StoreBusy, StoreError, TruncatedResults, VersionConflict
from agrs.store.location import RemoteLocation
from agrs.store.remote import quirks, skolem
from agrs.store.remote.client import GRAPH_TYPES, RESULTS_JSON, SparqlClient
from agrs.store.remote.lock import RemoteLock
from agrs.store.results import TripleResults

WRITE_TIMEOUT = 3_600.0  # seconds one of the store's own updates may take (a union step over a large graph)
UPLOAD_CHUNK = 2_000  # triples per INSERT DATA request (Virtuoso 7.2 fails past about 5,000)
GSP_CHUNK = 50_000  # triples per Graph Store POST
QUERY_ATTEMPTS = 5
UNION_WAIT = 120.0
UNION_POLL = 0.2
MERGE_LIMIT = 2_000_000
MERGED_GRAPH = "urn:x-agrs:merged-default-graph"
PLAIN_GRAPH = BASE + "PlainGraph"
REGISTRY = f"<{REGISTRY_GRAPH}>"

# The registry's state in one request: current versions and sizes, plain graphs holding triples, the union
# graphs' mark, and the pairs of versions sharing triples.
STATE = (
    registry.PROLOGUE
    + f"""SELECT ?kind ?a ?b ?n WHERE {{ GRAPH {REGISTRY} {{
  {{ ?a agrs:currentVersion ?b OPTIONAL {{ ?b void:triples ?n }} BIND("current" AS ?kind) }}
  UNION {{ ?a a <{PLAIN_GRAPH}> BIND("plain" AS ?kind) }}
  UNION {{ ?a a <{PLAIN_GRAPH}> FILTER EXISTS {{ GRAPH ?a {{ ?s ?p ?o }} }} BIND("holding" AS ?kind) }}
  UNION {{ <{UNION_GRAPH}> a agrs:UnionGraph BIND("union" AS ?kind) }}
  UNION {{ <{UNION_GRAPH}> agrs:stale ?any BIND("stale" AS ?kind) }}
  UNION {{ ?a agrs:sharesTriplesWith ?b BIND("share" AS ?kind) }}
}} }}"""
)


@dataclass(frozen=True)
class State:
    """What the registry said at one moment."""

    current: dict[str, str]
    sizes: dict[str, int]  # version -> triples
    plain: tuple[str, ...]  # registered plain graphs (holding triples or not)
    holding: tuple[str, ...]  # the registry, and the registered plain graphs holding triples
    fresh: bool
    sharing: frozenset


class RemoteStore(Store):
    """A store on a SPARQL 1.1 server; writable by one process at a time (the lock lives in the store)."""

    union_wait = UNION_WAIT

    def __init__(
        self, location: RemoteLocation | str, *, read_only: bool = False, chunk: int = UPLOAD_CHUNK,
        keep_versions: int | None = None,
    ):  # fmt: skip
        if isinstance(location, str):
            location = RemoteLocation.from_environment(location)
        self.location = location
        self.read_only = read_only
        self.keep_versions = retention.keep_versions() if keep_versions is None else keep_versions
        self._chunk = chunk
        self._client = SparqlClient(location)
        self._registry_lock = threading.Lock()
        self._lock: RemoteLock | None = None
        self._closed = False
        if read_only:
            self._state()  # fail now, with the URL, when the server cannot be reached
            return
        self._lock = RemoteLock.acquire(self)
        try:
            self._collect_garbage()
            if not self._state().fresh:
                self._rebuild_union()
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        return f"RemoteStore({self.location.query_url!r}, read_only={self.read_only})"

    @property
    def quirks(self) -> quirks.Quirks:
        """What the server is (from the Server header of its first answer)."""
        return quirks.Quirks(self._client.server or "")

    # --- HTTP ----------------------------------------------------------------------------------------------

    def _select(self, sparql: str) -> list[dict]:
        """Run an internal SELECT (GRAPH <…> patterns only, no dataset sent); return its rows as dicts of terms."""
        solutions = self._parse_solutions(self._client.query(sparql, None, None), sparql)
        names = [variable.value for variable in solutions.variables]
        return [{name: solution[name] for name in names} for solution in solutions]

    def _ask(self, sparql: str) -> bool:
        return bool(self._parse_solutions(self._client.query(sparql, None, None), sparql))

    def _raw_update(self, sparql: str) -> None:
        self._write(sparql)

    def _internal_update(self, sparql: str) -> None:
        """Run one of the store's own updates (never a caller's: `update` guards those)."""
        self._write(sparql)

    def _copy_without(self, source: str, target: str, iri: str) -> None:
        """Copy, inside the server, the triples of stored graph `source` into `target`, except those naming `iri`."""
        self._write(
            f"INSERT {{ GRAPH <{target}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{source}> {{ ?s ?p ?o }} "
            f"FILTER(!sameTerm(?s, <{iri}>) && !sameTerm(?o, <{iri}>)) }}",
            bulk=True,
        )

    @property
    def _write_timeout(self) -> float:
        # The store's own writes (uploads, union steps, drops) run over whole graphs: a query's timeout is too short.
        return max(self.location.timeout, WRITE_TIMEOUT)

    def _write(self, sparql: str, *, bulk: bool = False) -> None:
        """Send one of the store's own updates (never a caller's: `update` sends those, with the location's timeout).

        `bulk`: a write over a whole graph whose result the store can always redo (union steps, the fresh mark
        that follows them, dropping a version). On Virtuoso it runs row by row without the transaction log: in one
        transaction, a 1.38M-triple union copy failed ("SR325 … log after image size went above the limit"), and
        a crash before Virtuoso's next checkpoint loses the union rows and the fresh mark together (the logged
        stale mark then makes the next write-open rebuild the union), or a dropped version (collected again).
        """
        if bulk and self.quirks.virtuoso:
            sparql = quirks.VIRTUOSO_BULK + sparql
        self._client.update(sparql, timeout=self._write_timeout)

    def _parse_solutions(self, answer, sparql: str):
        body = answer.body
        fmt = _results_format(answer.content_type)
        if fmt is None or quirks.looks_like_error(body):
            raise _bad_answer(answer, self.location.query_url)
        if fmt == ox.QueryResultsFormat.JSON:
            body = skolem.unskolemise_json_results(body)
        try:
            return ox.parse_query_results(body, format=fmt)
        except (SyntaxError, ValueError) as error:
            raise _bad_answer(answer, self.location.query_url, error) from None

    # --- reading -------------------------------------------------------------------------------------------

    def _state(self) -> State:
        current, sizes, plain, holding, sharing = {}, {}, [], [REGISTRY_GRAPH], set()
        marked = stale = False
        for row in self._select(STATE):
            kind = row["kind"].value
            if kind == "current":
                current[row["a"].value] = row["b"].value
                sizes[row["b"].value] = _integer(row["n"])
            elif kind == "plain":
                plain.append(row["a"].value)
            elif kind == "holding":
                holding.append(row["a"].value)
            elif kind == "union":
                marked = True
            elif kind == "stale":
                stale = True
            elif kind == "share":
                sharing.add((row["a"].value, row["b"].value))
        # A store nothing was written to has no union graphs to wait for.
        fresh = (marked and not stale) or (not marked and not current)
        plain, holding = tuple(dict.fromkeys(plain)), tuple(dict.fromkeys(holding))
        return State(current, sizes, plain, holding, fresh, frozenset(sharing))

    def _query(self, sparql: str, dataset: Dataset, base_iri: str | None):
        """Resolve `dataset` on the registry, send the query with it, retry when a graph it read was switched."""
        if base_iri is not None:
            if not registry.ABSOLUTE_IRI.match(base_iri):
                raise QueryError(f"not an absolute base IRI: {base_iri!r}")
            sparql = f"BASE <{base_iri}>\n{sparql}"
        form = _query_form(sparql)
        deadline = time.monotonic() + self.union_wait
        attempts = 0
        while attempts < QUERY_ATTEMPTS:
            state = self._state()
            plain = list(state.holding)
            default, named = self.resolve(dataset, sparql, state.current, plain=plain)
            union = UNION_GRAPH in default
            if union and not state.fresh:
                if guard.reads_default_graph(sparql):
                    self._wait_for_union(deadline)
                    continue
                default, union = [], False
            if dataset.merge and len(default) > 1 and not union and not self._disjoint(default, state):
                return self._query_merged(sparql, form, default, named, state)
            if self.quirks.virtuoso:
                sparql = _virtuoso_hide(sparql, set(state.current.values()))
                named = _virtuoso_named(sparql, named)
            answer = self._client.query(sparql, default, named, accept=_accept(form), form=form)
            after = self._state()
            if after.current == state.current and (not union or after.fresh):
                return self._result(answer, form)
            attempts += 1
        raise StoreError("the store's graphs kept changing while the query ran; try again")

    def _wait_for_union(self, deadline: float) -> None:
        if time.monotonic() > deadline:
            raise StoreBusy(
                f"the union of the graphs of {self.location.describe()} is being brought up to date by a write, or "
                "a write was interrupted: try again when the write ends (the next write-open, any agrs load, "
                "reason or rollup, rebuilds it after an interrupted write)"
            )
        time.sleep(UNION_POLL)

    def _disjoint(self, names: list[str], state: State) -> bool:
        versions = set(state.current.values())
        sharing = {frozenset(pair) for pair in state.sharing}
        for first, second in itertools.combinations(names, 2):
            if first in versions and second in versions:
                if frozenset((first, second)) in sharing:
                    return False
            elif self._ask(f"ASK {{ GRAPH <{first}> {{ ?s ?p ?o }} GRAPH <{second}> {{ ?s ?p ?o }} }}"):
                return False
        return True

    def _query_merged(self, sparql: str, form: str, default: list[str], named: list[str], state: State):
        """Run the query in memory over the merge of `default` (a set) and the `named` graphs, copied here."""
        total = 0
        counts = dict(state.sizes)
        for name in dict.fromkeys([*default, *named]):
            if name not in counts:
                counts[name] = self._count(name)
            total += counts[name]
        if total > MERGE_LIMIT:
            raise QueryError(
                f"the query's default graph merges graphs that share triples, and they hold {total:,} triples (more "
                f"than {MERGE_LIMIT:,} to merge for one query): query the union of all graphs (no FROM), or fewer"
            )
        memory, merged = ox.Store(), ox.NamedNode(MERGED_GRAPH)
        for name in default:
            memory.extend(ox.Quad(t.subject, t.predicate, t.object, merged) for t in self._graph_triples(name))
        for name in named:
            node = ox.NamedNode(name)
            memory.extend(ox.Quad(t.subject, t.predicate, t.object, node) for t in self._graph_triples(name))
        try:
            return memory.query(sparql, default_graph=[merged], named_graphs=[ox.NamedNode(n) for n in named])
        except SyntaxError as error:
            raise QueryError(f"the query is not valid SPARQL: {error}") from error

    def _result(self, answer, form: str):
        if form in ("CONSTRUCT", "DESCRIBE"):
            return TripleResults(self._parse_triples(answer))
        return self._parse_solutions(answer, "")

    def _parse_triples(self, answer) -> list[ox.Triple]:
        fmt = _graph_format(answer.content_type)
        if fmt is None or quirks.looks_like_error(answer.body):
            raise _bad_answer(answer, self.location.query_url)
        try:
            triples = [skolem.unskolemise_triple(triple) for triple in ox.parse(answer.body, format=fmt)]
        except (SyntaxError, ValueError) as error:
            raise _bad_answer(answer, self.location.query_url, error) from None
        cap = self._row_cap()
        if cap is not None and len(triples) >= cap:
            # Virtuoso cuts a CONSTRUCT at ResultSetMaxRows without saying so (no X-SPARQL-MaxRows): an answer
            # that reaches the cap may be cut, and is never returned as if whole.
            raise TruncatedResults(
                f"the SPARQL store at {self.location.query_url} answered {len(triples):,} triples, its result cap "
                f"(Virtuoso's ResultSetMaxRows = {cap:,}): the answer may be cut, and AGRS never uses a truncated "
                "answer. Raise ResultSetMaxRows in the [SPARQL] section of virtuoso.ini (config/virtuoso/virtuoso.ini "
                "does)"
            )
        return triples

    def _row_cap(self) -> int | None:
        """Virtuoso's ResultSetMaxRows, read once (None on other servers, or when it cannot be read)."""
        if not hasattr(self, "_cap"):
            self._cap = None
            if self.quirks.virtuoso:
                try:
                    rows = self._select(quirks.VIRTUOSO_ROW_CAP)
                    self._cap = int(rows[0]["cap"].value) if rows and rows[0]["cap"] is not None else None
                except (StoreError, ValueError):
                    self._cap = None
        return self._cap

    def _graph_triples(self, name: str) -> list[ox.Triple]:
        """Return the triples of stored graph `name` (blank nodes as such)."""
        answer = self._client.query(
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}",
            None,
            None,
            accept=GRAPH_TYPES,
            form="CONSTRUCT",
        )
        return self._parse_triples(answer)

    def _count(self, name: str) -> int:
        rows = self._select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}")
        return _integer(rows[0]["n"]) if rows else 0

    def graphs(self) -> list[GraphInfo]:
        """List the current graphs, with the triple counts the registry recorded."""
        rows = self._select(registry.CURRENT_VERSIONS)
        return [GraphInfo(row["graph"].value, row["version"].value, _integer(row["triples"])) for row in rows]

    def current_versions(self) -> dict[str, str]:
        """Return every current logical graph mapped to the version graph holding it."""
        return {info.graph: info.version for info in self.graphs()}

    def plain_graphs(self) -> list[str]:
        """Return the plain graphs holding triples: the registry, and those written by `update`/`write_plain_graph`."""
        return list(self._state().holding)

    def triples(self, graph: str) -> Iterator[tuple]:
        """Return the (s, p, o) of the current version of `graph` (nothing if it has none)."""
        for _ in range(QUERY_ATTEMPTS):
            version = self.current_versions().get(graph)
            if version is None:
                return iter(())
            found = self._graph_triples(version)
            if self.current_versions().get(graph) == version:
                return ((t.subject, t.predicate, t.object) for t in found)
        raise StoreError(f"{graph} kept changing while it was read; try again")

    # --- writing -------------------------------------------------------------------------------------------

    def _writable(self) -> None:
        if self._closed:
            raise StoreError(f"the store {self.location.describe()} is closed")
        if self.read_only:
            raise StoreError(f"the store {self.location.describe()} is open read-only: open it without read_only")

    def _data_graphs(self) -> set[str]:
        return {row["graph"].value for row in self._select(registry.DATA_GRAPHS)}

    def update(self, sparql: str) -> None:
        """Run a SPARQL update on the server; refuse one that writes a version graph, the registry or a data graph.

        Its WHERE clause sees the stored graphs as they are (version graphs by their `…/v<n>` names): name the
        graphs it reads. The graphs it writes are recorded as plain graphs.
        """
        self._writable()
        with self._registry_lock:
            guard.check_update(sparql, self._data_graphs().__contains__)
            self._register_plain([t for t in guard.update_targets(sparql) if isinstance(t, str) and t != guard.DEFAULT])
            # Blank nodes of INSERT DATA as skolem IRIs (Virtuoso refuses them there), turned back in results.
            sparql = skolem.skolemise_update(sparql, uuid.uuid4().hex[:16])
            dropped = [name for name in guard.dropped_graphs(sparql) if isinstance(name, str)]
            if self.quirks.virtuoso:
                sparql = _virtuoso_drop(sparql)
            self._client.update(sparql)
            self._unregister_plain(dropped)

    def _register_plain(self, names: list[str]) -> None:
        known = set(self._state().plain)
        new = [name for name in dict.fromkeys(names) if name not in known and registry.ABSOLUTE_IRI.match(name)]
        if new:
            lines = "".join(f"  <{name}> a <{PLAIN_GRAPH}> .\n" for name in new)
            self._write(f"INSERT DATA {{ GRAPH {REGISTRY} {{\n{lines}}} }}")

    def _unregister_plain(self, names: list[str]) -> None:
        # A dropped graph no longer exists: on servers without empty graphs (Virtuoso) only the registry says so.
        gone = [name for name in names if name in set(self._state().plain)]
        if gone:
            lines = "".join(f"  <{name}> a <{PLAIN_GRAPH}> .\n" for name in gone)
            self._write(f"DELETE DATA {{ GRAPH {REGISTRY} {{\n{lines}}} }}")

    def plain_graph_exists(self, name: str) -> bool:
        """Return whether plain graph `name` exists: registered by a write through AGRS, or holding triples."""
        if name in self._state().plain:
            return True
        return self._ask(f"ASK {{ GRAPH <{name}> {{ ?s ?p ?o }} }}")

    def write_plain_graph(self, name: str, triples: Iterable) -> int:
        """Make `triples` the content of plain graph `name` (not versioned); return the triples stored."""
        self._writable()
        _check_plain(name)
        with self._registry_lock:
            if name in self._data_graphs():
                raise StoreError(f"{name} is a versioned data graph: replace it with replace_graph")
            self._register_plain([name])
            self._write(f"DROP SILENT GRAPH <{name}>")
            return self._upload(name, triples)

    def replace_graph(self, graph: str, triples: Iterable[tuple], *, expected_version: str | None = None) -> GraphInfo:
        """Atomically make `triples` the content of logical graph `graph`; return the new current version.

        The triples are streamed to the server in chunks; duplicates are stored once (the count is of distinct
        triples). Raises VersionConflict if `expected_version` is not current.
        """
        self._writable()
        _check_graph(graph)
        if graph in self._state().plain and self._count(graph):
            raise StoreError(f"{graph} is a plain graph written by updates: drop it (DROP GRAPH) before replacing it")
        if expected_version is not None:
            self._expect(graph, expected_version)
        version = self._allocate(graph)
        try:
            count = self._upload(version, triples)
            old = self._switch(graph, version, count, expected_version)
        except BaseException as error:
            self._discard_after_failure(version, error)
            raise
        self._update_union(graph, old, version)
        self._after_switch()
        self._trim(graph)  # the old version is kept; those beyond the retention count go
        return GraphInfo(graph, version, count)

    def drop_graph(self, graph: str) -> bool:
        """Make `graph` disappear (one update on the registry), delete its data; return whether it existed."""
        self._writable()
        _check_graph(graph)
        with self._registry_lock:
            old = self.current_versions().get(graph)
            if old is None:
                return False
            self._write(registry.stale_after(registry.retire(graph)))
        self._update_union(graph, old, None)
        self._trim(graph)  # the dropped version is kept (a rollback restores it) within the retention count
        return True

    def close(self) -> None:
        """Release the write lock (idempotent); the store cannot be used afterwards."""
        if self._closed:
            return
        self._closed = True
        if self._lock is not None:
            lock, self._lock = self._lock, None
            try:
                lock.release()
            except StoreError:
                pass  # the server is gone: the next writer on this host takes the lock over

    # --- the registry --------------------------------------------------------------------------------------

    def _expect(self, graph: str, expected_version: str) -> None:
        current = self.current_versions().get(graph)
        if current != expected_version:
            raise VersionConflict(f"{graph}: expected current version {expected_version}, found {current}")

    def _allocate(self, graph: str) -> str:
        with self._registry_lock:
            rows = self._select(registry.versions_of(graph))
            number = max((registry.version_number(row["version"].value) for row in rows), default=0) + 1
            version = registry.version_iri(graph, number)
            self._write(registry.allocate(graph, version))
        if self._ask(f"ASK {{ GRAPH <{version}> {{ ?s ?p ?o }} }}"):
            self._drop_data(version)  # data under a name the registry did not know: never reuse it
        return version

    def _switch(self, graph: str, version: str, count: int, expected_version: str | None) -> str | None:
        with self._registry_lock:
            old = self.current_versions().get(graph)
            if expected_version is not None and old != expected_version:
                raise VersionConflict(f"{graph}: expected current version {expected_version}, found {old}")
            created = datetime.now(UTC).isoformat()
            self._write(registry.stale_after(registry.switch(graph, version, count, created)))
        return old

    def _after_switch(self) -> None:
        """Do nothing: the seam where tests kill the process between the switch and the drop of the old version."""

    # --- data ----------------------------------------------------------------------------------------------

    def _upload(self, target: str, triples: Iterable) -> int:
        """Send `triples` into stored graph `target` in chunks (blank nodes skolemised); return the distinct count."""
        scope = skolem.digest(target)
        node = ox.NamedNode(target)
        quads = (_skolem_quad(_quad(triple, node), scope) for triple in triples)
        size = GSP_CHUNK if self.location.graph_store_url else self._chunk
        while batch := list(itertools.islice(quads, size)):
            body = ox.serialize(
                [ox.Triple(q.subject, q.predicate, q.object) for q in batch], format=ox.RdfFormat.N_TRIPLES
            )
            if self.location.graph_store_url:
                self._client.graph_store_post(target, body, timeout=self._write_timeout)
            else:
                self._write(f"INSERT DATA {{ GRAPH <{target}> {{\n{body.decode()}}} }}")
        return self._count(target)

    def _drop_data(self, version: str) -> None:
        self._write(f"DROP SILENT GRAPH <{version}>", bulk=True)

    def _discard_after_failure(self, version: str, error: BaseException) -> None:
        try:
            self._drop_data(version)
            self._write(registry.forget(version))
        except Exception as cleanup:  # the original error matters more; the next write-open collects the rest
            error.add_note(f"the partial version {version} stays until the store is next opened for writing: {cleanup}")

    def _collect_garbage(self) -> None:
        """Drop the versions that are not current and still hold data; forget those that never were current."""
        leftovers = (
            registry.PROLOGUE
            + f"""SELECT DISTINCT ?version WHERE {{
  GRAPH {REGISTRY} {{
    ?version agrs:versionOf ?graph
    FILTER NOT EXISTS {{ ?graph agrs:currentVersion ?version }}
    FILTER NOT EXISTS {{ ?version agrs:kept ?kept }}
  }}
  GRAPH ?version {{ ?s ?p ?o }}
}}"""
        )
        for row in self._select(leftovers):
            self._drop_data(row["version"].value)
        self._write(
            registry.PROLOGUE
            + f"""DELETE {{ GRAPH {REGISTRY} {{ ?version ?p ?o }} }} WHERE {{ GRAPH {REGISTRY} {{
  ?version agrs:versionOf ?graph ; ?p ?o
  FILTER NOT EXISTS {{ ?version void:triples ?n }}
  FILTER NOT EXISTS {{ ?graph agrs:currentVersion ?version }}
}} }}"""
        )
        self._trim_all()

    # --- the union graphs ----------------------------------------------------------------------------------

    def _update_union(
        self, graph: str, old: str | None, new: str | None, *, current: dict[str, str] | None = None,
        finish: bool = True,
    ) -> list[tuple[str, str]]:  # fmt: skip
        """Bring the union graphs from the versions before a switch (`old` current) to those after (`new`).

        A triple is in UNION_GRAPH iff a current asserted graph holds it; in UNION_INFERRED_GRAPH iff a current
        inferred graph holds it and UNION_GRAPH does not. Each step is one SPARQL update run by the server over
        the whole difference.
        """
        state = self._state()
        current = state.current if current is None else current
        asserted = sorted(version for name, version in current.items() if not is_inferred(name))
        inferred = sorted(version for name, version in current.items() if is_inferred(name))
        union, union_inferred = f"<{UNION_GRAPH}>", f"<{UNION_INFERRED_GRAPH}>"
        triple = "{ ?s ?p ?o }"
        steps = []
        if new is not None:
            if is_inferred(graph):
                steps.append(
                    f"INSERT {{ GRAPH {union_inferred} {triple} }} WHERE {{ GRAPH <{new}> {triple} "
                    f"FILTER NOT EXISTS {{ GRAPH {union} {triple} }} }}"
                )
            else:
                steps.append(f"INSERT {{ GRAPH {union} {triple} }} WHERE {{ GRAPH <{new}> {triple} }}")
                steps.append(
                    f"DELETE {{ GRAPH {union_inferred} {triple} }} WHERE {{ GRAPH <{new}> {triple} "
                    f"GRAPH {union_inferred} {triple} }}"
                )
        if old is not None:
            if not is_inferred(graph):
                unasserted = f"GRAPH <{old}> {triple} FILTER NOT EXISTS {{ {_held_by(asserted)} }}"
                if inferred:  # no longer asserted, still inferred: into the inferred union
                    steps.append(
                        f"INSERT {{ GRAPH {union_inferred} {triple} }} WHERE {{ {unasserted} "
                        f"FILTER EXISTS {{ {_held_by(inferred)} }} }}"
                    )
                steps.append(f"DELETE {{ GRAPH {union} {triple} }} WHERE {{ {unasserted} }}")
            else:
                steps.append(
                    f"DELETE {{ GRAPH {union_inferred} {triple} }} WHERE {{ GRAPH <{old}> {triple} "
                    f"GRAPH {union_inferred} {triple} FILTER NOT EXISTS {{ {_held_by(inferred)} }} }}"
                )
        for step in steps:
            self._write(step, bulk=True)
        pairs: list[tuple[str, str]] = []
        if new is not None:
            others = set(current.values()) - {new}
            sizes = dict(state.sizes)
            pairs = sorted((new, other) for other in self._holders_of(new, others, sizes))
        if finish:
            self._write(registry.mark_fresh(pairs), bulk=True)
        return pairs

    def _holders_of(self, version: str, candidates: set[str], sizes: dict[str, int]) -> set[str]:
        """Return the `candidates` holding a triple of `version`: ASKs beside small graphs, else one scan."""
        if not candidates:
            return set()
        size = sizes.get(version, 0)
        if sum(min(size, sizes.get(other, size)) for other in candidates) < size or len(candidates) <= 4:
            found = set()
            for other in sorted(candidates):
                first, second = sorted((version, other), key=lambda name: sizes.get(name, size))
                if self._ask(f"ASK {{ GRAPH <{first}> {{ ?s ?p ?o }} GRAPH <{second}> {{ ?s ?p ?o }} }}"):
                    found.add(other)
            return found
        values = " ".join(f"<{name}>" for name in sorted(candidates))
        query = (
            f"SELECT DISTINCT ?g WHERE {{ GRAPH <{version}> {{ ?s ?p ?o }} VALUES ?g {{ {values} }} "
            "GRAPH ?g { ?s ?p ?o } }"
        )
        return {row["g"].value for row in self._select(query)} & candidates

    def _rebuild_union(self) -> None:
        """Rebuild the union graphs from the current versions (a new store, or after an interrupted write)."""
        self._write(registry.MARK_STALE)
        for name in UNION_GRAPHS:
            self._write(f"DROP SILENT GRAPH <{name}>", bulk=True)
        current = self.current_versions()
        order = sorted(current.items(), key=lambda item: (is_inferred(item[0]), item[0]))
        seen: dict[str, str] = {}
        pairs: list[tuple[str, str]] = []
        for graph, version in order:
            seen[graph] = version
            pairs += self._update_union(graph, None, version, current=dict(seen), finish=False)
        self._write(registry.mark_fresh(sorted(set(pairs))), bulk=True)


# --- helpers ---------------------------------------------------------------------------------------------------


    # --- backup ---

    def stored_dataset(self) -> tuple[list[str], Iterator]:
        """Return the graphs AGRS keeps on the server and their quads (see Store.stored_dataset): the registry, every
        registered version still holding data (current or kept), the registered plain graphs and the union graphs —
        never the server's own graphs nor the write lock. Read graph by graph over HTTP: the registry is read again
        after, and everything again (up to QUERY_ATTEMPTS times) when a commit happened in between."""
        listing = (
            registry.PROLOGUE
            + f"""SELECT DISTINCT ?g WHERE {{ GRAPH {REGISTRY} {{
  {{ ?g agrs:versionOf ?graph }} UNION {{ ?g a <{PLAIN_GRAPH}> }}
}} }}"""
        )
        for _ in range(QUERY_ATTEMPTS):
            before = self._registry_text()
            plain = set(self._state().plain)
            candidates = sorted({row["g"].value for row in self._select(listing)} | {REGISTRY_GRAPH, *UNION_GRAPHS})
            names, quads = [], []
            for name in candidates:
                found = self._graph_triples(name)
                if found or name in plain:
                    names.append(name)
                    node = ox.NamedNode(name)
                    quads.extend(ox.Quad(t.subject, t.predicate, t.object, node) for t in found)
            if self._registry_text() == before:
                return names, iter(quads)
        raise StoreError(f"the store {self.location.describe()} kept changing while it was read; try again")

    def _registry_text(self) -> list[str]:
        """The registry's triples as sorted text: equal before and after a read when no commit happened between."""
        return sorted(str(t) for t in self._graph_triples(REGISTRY_GRAPH))


def _check_graph(graph: str) -> None:
    try:
        registry.check_graph_iri(graph)
    except ValueError as error:
        raise StoreError(str(error)) from error


def _skolem_quad(quad: ox.Quad, scope: str) -> ox.Quad:
    subject, object_ = quad.subject, quad.object
    if isinstance(subject, ox.BlankNode | ox.Triple) or isinstance(object_, ox.BlankNode | ox.Triple):
        return ox.Quad(
            skolem.skolemise(subject, scope), quad.predicate, skolem.skolemise(object_, scope), quad.graph_name
        )
    return quad


def _held_by(versions: list[str]) -> str:
    """Return the graph pattern true when one of `versions` holds (?s ?p ?o); never true for none.

    A UNION of GRAPH <…> patterns (one index probe each), not VALUES ?holder + GRAPH ?holder: Virtuoso 7.2 plans
    the latter as a scan (22 s instead of 0.1 s to update the union after a 10k-triple replacement).
    """
    if not versions:
        return "FILTER(false)"
    return " UNION ".join(f"{{ GRAPH <{version}> {{ ?s ?p ?o }} }}" for version in versions)


def _integer(literal) -> int:
    return 0 if literal is None else int(literal.value)


_FORM = re.compile(r"(?<![\w:?$])(SELECT|ASK|CONSTRUCT|DESCRIBE)(?![\w:])", re.IGNORECASE)


def _query_form(sparql: str) -> str:
    """Return SELECT, ASK, CONSTRUCT or DESCRIBE: the first form keyword outside comments, IRIs and strings."""
    index = 0
    while index < len(sparql):
        char = sparql[index]
        if char in "\"'#<":
            index = skolem._token_end(sparql, index)
            continue
        match = _FORM.match(sparql, index)
        if match is not None and (index == 0 or not (sparql[index - 1].isalnum() or sparql[index - 1] in "_:?$")):
            return match.group(1).upper()
        index += 1
    raise QueryError(f"not a SPARQL query (SELECT, ASK, CONSTRUCT or DESCRIBE): {sparql[:80]!r}")


_GRAPH_IRI = re.compile(r"\bGRAPH\s*<([^<>\"{}|^`\\\s]*)>", re.IGNORECASE)


def _virtuoso_named(sparql: str, named: list[str]) -> list[str]:
    """Add to `named` the IRIs of the query's `GRAPH <…>` that it lacks (Virtuoso 7.2 only).

    Virtuoso does not restrict `GRAPH <iri>` to the named-graph-uri list: for an IRI outside it, `ASK` answers
    true and COUNT 1 even when no such graph exists (a dropped plain graph "still there"). Listed, an absent
    graph is empty, as it should be; a present one outside the list is read either way (a Virtuoso bug the
    store cannot fix without rewriting the query).
    """
    extra = [iri for iri in dict.fromkeys(_GRAPH_IRI.findall(sparql)) if iri not in named]
    return [*named, *extra] if extra else named


#: what `GRAPH <version>` becomes on Virtuoso when the version is not current: a graph that never exists
HIDDEN_GRAPH = "urn:x-agrs:hidden-version"
_GRAPH_BEFORE = re.compile(r"\b(GRAPH|FROM|NAMED)\s*$", re.IGNORECASE)


def _virtuoso_hide(sparql: str, current: set[str]) -> str:
    """Write `GRAPH <G/vN>`, `FROM <G/vN>` and `FROM NAMED <G/vN>` with HIDDEN_GRAPH when G/vN is not a current
    version (Virtuoso 7.2 only).

    Virtuoso reads a stored graph named by `GRAPH <iri>` even outside the named-graph-uri list (see
    `_virtuoso_named`), and adds the query's FROM graphs to the protocol's default-graph-uri: a kept previous
    version would answer. Only IRIs written in full are rewritten (outside
    strings and comments); a prefixed name of a kept version is still read there (a known gap).
    """
    out, index = [], 0
    while index < len(sparql):
        char = sparql[index]
        if char in "\"'#<":
            end = skolem._token_end(sparql, index)
            token = sparql[index:end]
            if char == "<" and _GRAPH_BEFORE.search("".join(out[-40:])):
                iri = token[1:-1]
                if registry.is_version_iri(iri) and iri not in current:
                    token = f"<{HIDDEN_GRAPH}>"
            out.append(token)
            index = end
            continue
        out.append(char)
        index += 1
    return "".join(out)


_DROP = re.compile(r"DROP(\s+(?:SILENT\s+)?GRAPH\b)", re.IGNORECASE)


def _virtuoso_drop(sparql: str) -> str:
    """Write `DROP GRAPH` as `CLEAR GRAPH` (outside strings, IRIs and comments), for Virtuoso 7.2.

    Virtuoso refuses to DROP a graph that was not "explicitly created" (22023 SPARUL_DROP() failed) — every graph
    INSERT DATA made; CLEAR empties it, which is all a graph store without empty graphs can do.
    """
    out, index = [], 0
    while index < len(sparql):
        char = sparql[index]
        if char in "\"'#<":
            end = skolem._token_end(sparql, index)
            out.append(sparql[index:end])
            index = end
            continue
        match = _DROP.match(sparql, index)
        if match is not None and (index == 0 or not (sparql[index - 1].isalnum() or sparql[index - 1] in "_:?$")):
            out.append("CLEAR" + match.group(1))
            index = match.end()
            continue
        out.append(char)
        index += 1
    return "".join(out)


def _accept(form: str) -> str:
    return GRAPH_TYPES if form in ("CONSTRUCT", "DESCRIBE") else RESULTS_JSON


_RESULT_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    "text/csv": ox.QueryResultsFormat.CSV,
}
_GRAPH_FORMATS = {
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/n-quads": ox.RdfFormat.N_QUADS,
}


def _results_format(content_type: str):
    return _RESULT_FORMATS.get(content_type)


def _graph_format(content_type: str):
    return _GRAPH_FORMATS.get(content_type)


def _bad_answer(answer, url: str, error: Exception | None = None) -> StoreError:
    text = " ".join(answer.body[:600].decode("utf-8", errors="replace").split())
    if quirks.looks_like_error(answer.body):
        return QueryError(f"the SPARQL store at {url} refused the query: {text}")
    why = f": {error}" if error else ""
    return StoreError(f"the SPARQL store at {url} sent an answer AGRS cannot read ({answer.content_type}{why}): {text}")
