"""The embedded store: Oxigraph (RocksDB) in a folder on disk, with versioned graphs and one writer.

Replacing a graph: allocate version `G/v<n>` in the registry, bulk-load the triples into it (no transaction:
a kill leaves a partial, non-current version), switch the registry in one SPARQL update (one transaction; the
old version becomes a kept one), then delete the kept versions beyond the retention count (agrs.store.retention).
Whatever a kill leaves behind is collected by the next write-open. Queries build
their dataset from the registry, so they never see a version that is not current.

Memory, measured on pyoxigraph 0.5: one `bulk_extend` call grows with its input (0.8 GB peak for 1M quads,
1.5 GB for 3M), so triples go in batches of LOAD_BATCH (0.2 GB peak whatever the size); deletions fill
RocksDB's memtables (one per index), so old versions are deleted in batches with a flush after each.

Read-only opens see the store as it was when they opened, so a read-only store reads the registry (current versions,
plain graphs, the union's freshness) once and keeps it until it reopens: a query then costs what pyoxigraph's does.
pyoxigraph calls a read-only open during writes "undefined behaviour": the server never does that, it opens
read-only a checkpoint (`snapshot`: RocksDB hard links, never written) taken after each write
(agrs.server.snapshots). Other read-only readers of a store another process writes should do the same.

The default graph is a set. Oxigraph matches a triple once per graph of a query's default graph that holds it, so
the store keeps the merge of the current graphs materialised: UNION_GRAPH holds the distinct triples of the
current asserted graphs, UNION_INFERRED_GRAPH those of the inferred graphs that UNION_GRAPH lacks (so the two
never share one). Each switch brings them up to date with set-at-a-time work inside Oxigraph: the new version's
triples are bulk-copied in; the old version's triples that no other current graph holds are deleted (a scan of
the old version, one index probe per triple). The switch writes a stale mark in its own transaction and the
update removes it: a query needing the union never reads it while it is stale (it waits; a read-only open
reopens to see the writer's progress), and a killed write leaves the mark, so the next write-open rebuilds the
union from the current versions. `FROM g1 FROM g2` (and default-graph-uri lists) are read as stored when the
registry says their versions share no triple (recorded at each switch), else merged into a temporary in-memory
store (up to MERGE_LIMIT triples).
"""

import gc
import itertools
import re
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from agrs.graphs import REGISTRY_GRAPH, UNION_GRAPH, UNION_GRAPHS, UNION_INFERRED_GRAPH, is_inferred
from agrs.store import guard, registry, retention
from agrs.store.base import VIEW_PREFIX, Dataset, GraphInfo, Store
from agrs.store.errors import QueryError, StoreBusy, StoreError, StoreIOError, VersionConflict
from agrs.store.lock import LOCK_NAME, WriteLock, busy_message

LOAD_BATCH = 100_000  # quads per bulk_extend call: ≈170 MB peak, as fast as larger batches
DROP_BATCH = 50_000  # quads deleted per transaction when a version is dropped
DELETE_BATCH = 20_000  # union triples deleted per DELETE DATA transaction
KEEP_LIMIT = 1_000_000  # triples of a first version kept in memory (≈0.3 GB) to fill the union without a scan
QUERY_ATTEMPTS = 5  # a query is retried when a graph it reads was switched while it started
ROCKSDB_MARKER = "CURRENT"  # every RocksDB folder has this file
UNION_WAIT = 120.0  # seconds a query needing the union waits for a write to bring it up to date
UNION_POLL = 0.05
MERGE_LIMIT = 2_000_000  # triples a query's overlapping FROM graphs may hold, merged in memory (≈1 GB)
_GRAPH_WORD = re.compile(r"graph", re.IGNORECASE)  # anywhere, even in an IRI or a comment: only a shortcut is lost
MERGED_GRAPH = "urn:x-agrs:merged-default-graph"  # the in-memory merge's graph: never a stored graph's name


class EmbeddedStore(Store):
    """An Oxigraph store in a folder: one writing process (locked), any number of read-only ones."""

    #: seconds a query needing the union graphs waits while they are stale (a write is bringing them up to date)
    union_wait = UNION_WAIT

    def __init__(
        self, location: str | Path, *, read_only: bool = False, load_batch: int = LOAD_BATCH,
        keep_versions: int | None = None,
    ):  # fmt: skip
        self.location = Path(location).expanduser()
        self.read_only = read_only
        self.keep_versions = retention.keep_versions() if keep_versions is None else keep_versions
        self._load_batch = load_batch
        self._write_lock: WriteLock | None = None
        # Serialises registry changes between threads of this process (other processes are kept out by the lock).
        self._registry_lock = threading.Lock()
        self._oxigraph: ox.Store | None = None
        # What a read-only open read from the registry (it never changes under it): name -> value
        self._frozen: dict[str, object] = {}
        if read_only:
            self._oxigraph = _open_read_only(self.location)
            return
        _prepare_folder(self.location)
        self._write_lock = WriteLock.acquire(self.location)
        try:
            self._oxigraph = _open_writable(self.location)
            self._collect_garbage()
            if not self._union_fresh():  # a new store, one an older AGRS wrote, or a write killed midway
                self._rebuild_union()
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        return f"EmbeddedStore({str(self.location)!r}, read_only={self.read_only})"

    # --- reading -------------------------------------------------------------------------------------------

    def _query(self, sparql: str, dataset: Dataset, base_iri: str | None):
        """Resolve `dataset` on the current registry and run the query; retry when a graph it reads was switched."""
        if self.read_only and not guard.mentions_from(sparql):
            prepared = self._prepared(dataset)
            if prepared is not None:  # resolved once per read-only open: a small query costs what pyoxigraph's does
                default, named = prepared
                # No GRAPH keyword, no named graph read: the list (every current version) is not worth passing.
                return _run_query(self._store, sparql, default, named if _GRAPH_WORD.search(sparql) else [], base_iri)
        deadline = time.monotonic() + self.union_wait
        attempts = 0
        while attempts < QUERY_ATTEMPTS:
            current = self.current_versions()
            default, named = self.resolve(dataset, sparql, current)
            union = UNION_GRAPH in default
            if union and not self._union_fresh():
                if guard.reads_default_graph(sparql):
                    self._wait_for_union(deadline)
                    continue
                # It reads named graphs only (GRAPH <…> { … }): the stale union is not in its way.
                default, union = [], False
            target, default = self._set_semantics(dataset, default, named, current)
            result = _run_query(target, sparql, default, named, base_iri)
            # The query took its snapshot when it started. Old versions are deleted only after a switch (and the
            # union graphs are changed only after one), so if no switch happened since `current` was read, the
            # snapshot holds every version the query reads, and union graphs that match them.
            if self.read_only or (self.current_versions() == current and (not union or self._union_fresh())):
                return result
            attempts += 1
        raise StoreError("the store's graphs kept changing while the query started; try again")

    def _prepared(self, dataset: Dataset) -> tuple[list, list] | None:
        """The default and named graphs (pyoxigraph nodes) of `dataset` for a query with no FROM, on a read-only
        open; None when the query must take the general path (a stale union, a merge in memory)."""
        key = ("prepared", dataset)
        if key not in self._frozen:
            current = self.current_versions()
            default, named = self.resolve(dataset, "", current)
            prepared = None
            if UNION_GRAPH not in default or self._union_fresh():
                target, default = self._set_semantics(dataset, default, named, current)
                if target is self._store:
                    prepared = [ox.NamedNode(name) for name in default], [ox.NamedNode(name) for name in named]
            self._frozen[key] = prepared
        return self._frozen[key]

    def _wait_for_union(self, deadline: float) -> None:
        if time.monotonic() > deadline:
            raise StoreBusy(
                f"the union of the graphs of {self.location} is being brought up to date by a write, or a write was "
                "interrupted: try again when the write ends (the next write-open, any agrs load, reason or serve, "
                "rebuilds it after an interrupted write)"
            )
        time.sleep(UNION_POLL)
        if self.read_only:  # a read-only open sees the store as it was when opened: look again
            self._oxigraph = None
            self._frozen = {}
            self._oxigraph = _open_read_only(self.location)

    def _set_semantics(self, dataset: Dataset, default: list[str], named: list[str], current: dict[str, str]):
        """Return the pyoxigraph store and default graph names that read `default` as a merge (a set of triples)."""
        if not dataset.merge or len(default) < 2 or UNION_GRAPH in default or self._disjoint(default, current):
            return self._store, default
        return self._merge_in_memory(default, named, current), [MERGED_GRAPH]

    def _disjoint(self, names: list[str], current: dict[str, str]) -> bool:
        """Return whether no two of the graphs `names` share a triple (the registry knows it for versions)."""
        versions = set(current.values())
        sharing = {frozenset(pair) for pair in self._sharing()}
        for first, second in itertools.combinations(names, 2):
            if first.startswith(VIEW_PREFIX) and second.startswith(VIEW_PREFIX):
                continue  # made disjoint (agrs.store.base.view_names)
            if first in versions and second in versions:
                if frozenset((first, second)) in sharing:
                    return False
            elif bool(self._store.query(f"ASK {{ GRAPH <{first}> {{ ?s ?p ?o }} GRAPH <{second}> {{ ?s ?p ?o }} }}")):
                return False
        return True

    def _merge_in_memory(self, default: list[str], named: list[str], current: dict[str, str]) -> ox.Store:
        """Copy the default graphs, merged into one, and the named graphs into an in-memory store."""
        counts = {info.version: info.triples for info in self.graphs()}
        total = 0
        for name in dict.fromkeys([*default, *named]):
            if name not in counts:
                query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}"
                counts[name] = _integer(next(iter(self._store.query(query)))["n"])
            total += counts[name]
        if total > MERGE_LIMIT:
            raise QueryError(
                f"the query's default graph merges graphs that share triples, and they hold {total:,} triples (more "
                f"than {MERGE_LIMIT:,} to merge for one query): query the union of all graphs (no FROM), or fewer"
            )
        memory, merged = ox.Store(), ox.NamedNode(MERGED_GRAPH)
        for name in default:
            quads = self._store.quads_for_pattern(None, None, None, ox.NamedNode(name))
            memory.extend(ox.Quad(quad.subject, quad.predicate, quad.object, merged) for quad in quads)
        for name in named:
            memory.extend(self._store.quads_for_pattern(None, None, None, ox.NamedNode(name)))
        return memory

    def graphs(self) -> list[GraphInfo]:
        """List the current graphs, with the triple counts the registry recorded (no scan of the data)."""
        return list(self._registry_rows())

    def _registry_rows(self) -> tuple[GraphInfo, ...]:
        def read() -> tuple[GraphInfo, ...]:
            rows = self._store.query(registry.CURRENT_VERSIONS)
            return tuple(GraphInfo(row["graph"].value, row["version"].value, _integer(row["triples"])) for row in rows)

        return self._read("registry", read)

    def current_versions(self) -> dict[str, str]:
        """Return every current logical graph mapped to the version graph holding it (read from the registry)."""
        return {info.graph: info.version for info in self._registry_rows()}

    def plain_graphs(self) -> list[str]:
        """Return the graphs stored under a name that cannot be a version: the system graphs, what updates wrote."""

        def read() -> tuple[str, ...]:
            names = [name.value for name in self._store.named_graphs() if isinstance(name, ox.NamedNode)]
            return tuple(name for name in names if not registry.is_version_iri(name) and name not in UNION_GRAPHS
                         and not name.startswith(VIEW_PREFIX))  # fmt: skip

        return list(self._read("plain", read))

    def _read(self, key: str, read):
        """Return `read()`; a read-only open computes it once (its view never changes until it reopens)."""
        if not self.read_only:
            return read()
        frozen = self._frozen
        if key not in frozen:
            frozen[key] = read()
        return frozen[key]

    def triples(self, graph: str) -> Iterator[tuple]:
        """Stream the (s, p, o) of the current version of `graph` (nothing if it has none), from a snapshot."""
        store = self._store
        for _ in range(QUERY_ATTEMPTS):
            version = self.current_versions().get(graph)
            if version is None:
                return iter(())
            quads = store.quads_for_pattern(None, None, None, ox.NamedNode(version))
            if self.read_only or self.current_versions().get(graph) == version:  # same reasoning as in query()
                return ((quad.subject, quad.predicate, quad.object) for quad in quads)
        raise StoreError(f"{graph} kept changing while it was read; try again")

    # --- writing -------------------------------------------------------------------------------------------

    def update(self, sparql: str) -> None:
        """Run a SPARQL update in one transaction; refuse one that writes a version graph, the registry or a data graph.

        Its WHERE clause sees the stored graphs as they are (version graphs by their `…/v<n>` names), not the
        union that queries see: name the graphs it reads.
        """
        store = self._writable()
        with self._registry_lock:
            managed = self._data_graphs()
            guard.check_update(sparql, managed.__contains__)
            try:
                store.update(sparql)
            except SyntaxError as error:
                raise QueryError(f"invalid SPARQL update: {error}") from error
            except OSError as error:
                raise StoreIOError(f"the update failed: {error}") from error

    def replace_graph(self, graph: str, triples: Iterable[tuple], *, expected_version: str | None = None) -> GraphInfo:
        """Atomically make `triples` the content of logical graph `graph`; return the new current version.

        `triples`: pyoxigraph Triples or Quads (their graph is ignored) or (s, p, o) tuples of pyoxigraph terms,
        possibly a generator of millions: they are streamed in batches. Duplicates are stored once; the
        returned count is of distinct triples. Raises VersionConflict if `expected_version` is not current.
        """
        store = self._writable()
        _check_graph(graph)
        if store.contains_named_graph(ox.NamedNode(graph)):
            raise StoreError(f"{graph} is a plain graph written by updates: drop it (DROP GRAPH) before replacing it")
        if expected_version is not None:
            self._expect(graph, expected_version)  # fail before a long load, and again at the switch
        version = self._allocate(graph)
        try:
            count, loaded = self._load(version, triples, keep=True)
            old = self._switch(graph, version, count, expected_version)
        except Exception as error:
            self._discard_after_failure(version, error)
            raise
        self._update_union(graph, old, version, loaded=loaded if old is None else None)
        self._after_switch()
        self._trim(graph)  # the old version is kept; those beyond the retention count go
        return GraphInfo(graph, version, count)

    def write_plain_graph(self, name: str, triples: Iterable) -> int:
        """Make `triples` the content of plain graph `name` (not versioned); return the distinct triples stored.

        Not one transaction: the graph is emptied, then bulk-loaded (a reader may see it partly written).
        """
        store = self._writable()
        _check_plain(name)
        with self._registry_lock:
            if name in self._data_graphs():
                raise StoreError(f"{name} is a versioned data graph: replace it with replace_graph")
            store.remove_graph(ox.NamedNode(name))
            self._frozen = {}
            count, _ = self._load(name, triples)
        return count

    def drop_graph(self, graph: str) -> bool:
        """Make `graph` disappear (one transaction on the registry), delete its data; return whether it existed."""
        store = self._writable()
        _check_graph(graph)
        with self._registry_lock:
            old = self.current_versions().get(graph)
            if old is None:
                return False
            store.update(registry.stale_after(registry.retire(graph)))
        self._update_union(graph, old, None)
        self._trim(graph)  # the dropped version is kept (a rollback restores it) within the retention count
        return True

    def settle(self) -> None:
        """Run the compactions RocksDB has pending, now (1–2 s after a large load, nothing when there are none).

        The server's query workers open the store read-only while this process writes; RocksDB does not support
        that while a compaction is rewriting files (a read-only view then failed its first query with an I/O
        error, or spun). Settling before the workers open their view leaves no compaction running under them.
        """
        if not self.read_only:
            self._writable().optimize()

    def snapshot(self, target: str | Path) -> Path:
        """Write a checkpoint of the store into the new folder `target` (hard links to RocksDB's immutable files,
        so it takes milliseconds and little space) and return it: a store nobody writes, safe to open read-only."""
        target = Path(target)
        try:
            self._store.backup(str(target))
        except OSError as error:
            raise StoreIOError(f"cannot write a checkpoint of {self.location} into {target}: {error}") from error
        return target

    def close(self) -> None:
        """Release the store and its write lock (idempotent)."""
        # pyoxigraph closes RocksDB when its last reference goes: this one, or a query result still alive.
        self._oxigraph = None
        self._frozen = {}
        if not self.read_only:
            # A result caught in a reference cycle keeps RocksDB open, and its lock taken, until collected: a
            # server started right after a load in the same test process would find the store locked.
            gc.collect()
        if self._write_lock is not None:
            self._write_lock.release()
            self._write_lock = None

    # --- the registry --------------------------------------------------------------------------------------

    @property
    def _store(self) -> ox.Store:
        if self._oxigraph is None:
            raise StoreError(f"the store {self.location} is closed")
        return self._oxigraph

    def _writable(self) -> ox.Store:
        if self.read_only:
            raise StoreError(f"the store {self.location} is open read-only: open it without read_only to write")
        return self._store

    def _data_graphs(self) -> set[str]:
        return {row["graph"].value for row in self._store.query(registry.DATA_GRAPHS)}

    def _select(self, sparql: str) -> list[dict]:
        """Run an internal SELECT (its graphs named by GRAPH <…>) on the stored graphs; rows as dicts of terms."""
        solutions = self._store.query(sparql)
        names = [variable.value for variable in solutions.variables]
        return [{name: solution[name] for name in names} for solution in solutions]

    def _internal_update(self, sparql: str) -> None:
        """Run one of the store's own updates (never a caller's: `update` guards those)."""
        self._writable().update(sparql)
        self._frozen = {}

    def _count(self, name: str) -> int:
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}"
        return _integer(next(iter(self._store.query(query)))["n"])

    def _copy_without(self, source: str, target: str, iri: str) -> None:
        """Bulk-copy the triples of stored graph `source` into `target`, except those naming `iri`."""
        self._add_rows(
            ox.NamedNode(target),
            f"SELECT ?s ?p ?o WHERE {{ GRAPH <{source}> {{ ?s ?p ?o }} "
            f"FILTER(!sameTerm(?s, <{iri}>) && !sameTerm(?o, <{iri}>)) }}",
        )

    def _expect(self, graph: str, expected_version: str) -> None:
        current = self.current_versions().get(graph)
        if current != expected_version:
            raise VersionConflict(f"{graph}: expected current version {expected_version}, found {current}")

    def _allocate(self, graph: str) -> str:
        store = self._store
        with self._registry_lock:
            rows = store.query(registry.versions_of(graph))
            number = max((registry.version_number(row["version"].value) for row in rows), default=0) + 1
            version = registry.version_iri(graph, number)
            store.update(registry.allocate(graph, version))
        if store.contains_named_graph(ox.NamedNode(version)):
            # Data under a name the registry did not know: a load whose allocation was lost. Never reuse it.
            self._drop_data(version)
        return version

    def _switch(self, graph: str, version: str, count: int, expected_version: str | None) -> str | None:
        with self._registry_lock:
            old = self.current_versions().get(graph)
            if expected_version is not None and old != expected_version:
                raise VersionConflict(f"{graph}: expected current version {expected_version}, found {old}")
            # The union graphs are stale from the switch on (same transaction) until _update_union has run.
            created = datetime.now(UTC).isoformat()
            self._store.update(registry.stale_after(registry.switch(graph, version, count, created)))
        return old

    def _after_switch(self) -> None:
        """Do nothing: the seam where tests kill the process between the switch and the drop of the old version."""

    def _during_union_update(self) -> None:
        """Do nothing: the seam where tests kill the process while the union graphs are being brought up to date."""

    # --- the union graphs ----------------------------------------------------------------------------------

    def _union_fresh(self) -> bool:
        return self._read("fresh", lambda: bool(self._store.query(registry.UNION_FRESH)))

    def _update_union(
        self,
        graph: str,
        old: str | None,
        new: str | None,
        *,
        current: dict[str, str] | None = None,
        finish: bool = True,
        loaded: list[tuple] | None = None,
    ) -> list[tuple[str, str]]:
        """Bring the union graphs from the versions before a switch (`old` current) to those after (`new`).

        A triple is in UNION_GRAPH iff a current asserted graph holds it; in UNION_INFERRED_GRAPH iff a current
        inferred graph holds it and UNION_GRAPH does not. Only the triples in one of `old` and `new` but not the
        other can change that. Each case is one SPARQL query run by Oxigraph over the whole difference (set at a
        time: the index probes happen inside Oxigraph, not one Python call per triple), the smaller graph scanned
        first; its answer is bulk-added (adding a triple already there is harmless) or deleted in batches.
        `loaded`: the triples of `new` when `old` is None, still in memory: added to the union without a scan.
        """
        store = self._store
        current = self.current_versions() if current is None else current
        sizes = {info.version: info.triples for info in self.graphs()}
        asserted = sorted(version for name, version in current.items() if not is_inferred(name))
        inferred = sorted(version for name, version in current.items() if is_inferred(name))
        others = set(current.values()) - {new}
        union, union_inferred = ox.NamedNode(UNION_GRAPH), ox.NamedNode(UNION_INFERRED_GRAPH)
        shares: set[str] = set()
        if new is not None:
            added = _pattern(new, old)  # the triples of the new version the old one lacks
            if old is not None:  # what the old version shared, the new one may share too (never less than true)
                sharing = self._sharing()
                shares = {b for a, b in sharing if a == old} | {a for a, b in sharing if b == old}
            # Into its union whatever that holds already (adding is idempotent); then out of the inferred union
            # what is now asserted, or out of it what the union holds: only when a scan found such triples.
            target, rival = (union_inferred, UNION_GRAPH) if is_inferred(graph) else (union, UNION_INFERRED_GRAPH)
            if loaded is not None and old is None:
                self._add_triples(target, loaded)
            elif is_inferred(graph):
                rival_lacks = f"FILTER NOT EXISTS {{ GRAPH <{UNION_GRAPH}> {{ ?s ?p ?o }} }}"
                self._add_rows(target, f"SELECT ?s ?p ?o WHERE {{ {added} {rival_lacks} }}")
            else:
                self._add_rows(target, f"SELECT ?s ?p ?o WHERE {{ {added} }}")
            if not (is_inferred(graph) and (loaded is None or old is not None)) and self._holds_triples(rival):
                candidates = (others - shares) | {rival}
            else:
                candidates = others - shares
            holders = self._holders_of(new, candidates, sizes)
            shares |= holders & others
            if rival in holders:
                in_rival = f"GRAPH <{rival}> {{ ?s ?p ?o }}"
                self._remove_rows(union_inferred, f"SELECT ?s ?p ?o WHERE {{ {added} {in_rival} }}")
        self._during_union_update()
        if old is not None:
            removed = _pattern(old, new)  # the triples of the old version the new one lacks
            if not is_inferred(graph):
                unasserted = f"{removed} FILTER NOT EXISTS {{ {_held_by(asserted)} }}"
                self._remove_rows(union, f"SELECT ?s ?p ?o WHERE {{ {unasserted} }}")
                if inferred:  # no longer asserted, still inferred
                    still_inferred = f"FILTER EXISTS {{ {_held_by(inferred)} }}"
                    self._add_rows(union_inferred, f"SELECT ?s ?p ?o WHERE {{ {unasserted} {still_inferred} }}")
            else:
                in_union = f"GRAPH <{UNION_INFERRED_GRAPH}> {{ ?s ?p ?o }}"
                uninferred = f"FILTER NOT EXISTS {{ {_held_by(inferred)} }}"
                self._remove_rows(union_inferred, f"SELECT ?s ?p ?o WHERE {{ {removed} {in_union} {uninferred} }}")
        pairs = sorted((new, other) for other in shares & others) if new is not None else []
        if finish:
            store.update(registry.mark_fresh(pairs))
        return pairs

    def _add_rows(self, target: ox.NamedNode, select: str) -> None:
        """Bulk-add the (?s ?p ?o) rows of `select` to graph `target`, in batches (the rows are streamed)."""
        rows = ((row[0], row[1], row[2]) for row in self._store.query(select))
        while batch := [ox.Quad(s, p, o, target) for s, p, o in itertools.islice(rows, self._load_batch)]:
            self._store.bulk_extend(batch)

    def _remove_rows(self, target: ox.NamedNode, select: str) -> None:
        """Delete the (?s ?p ?o) rows of `select` from graph `target`, in bounded transactions.

        The query reads the snapshot taken when it started, so deleting while its rows stream is safe. Each batch
        of DELETE_BATCH rows is one SPARQL DELETE DATA (one transaction, not one per triple); triples with a
        blank node cannot go in DELETE DATA and are removed one by one.
        """
        rows = ((row[0], row[1], row[2]) for row in self._store.query(select))
        while batch := list(itertools.islice(rows, DELETE_BATCH)):
            lines = [f"{s} {p} {o} ." for s, p, o in batch if not _has_blank(s, o)]
            if lines:
                self._store.update(f"DELETE DATA {{ GRAPH {target} {{\n" + "\n".join(lines) + "\n} }")
            for s, p, o in batch:
                if _has_blank(s, o):
                    self._store.remove(ox.Quad(s, p, o, target))

    def _add_triples(self, target: ox.NamedNode, triples: list[tuple]) -> None:
        """Bulk-add (s, p, o) triples to graph `target`, in batches."""
        for start in range(0, len(triples), self._load_batch):
            batch = triples[start : start + self._load_batch]
            self._store.bulk_extend([ox.Quad(s, p, o, target) for s, p, o in batch])

    def _holds_triples(self, graph: str) -> bool:
        return bool(self._store.query(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"))

    def _holders_of(self, version: str, candidates: set[str], sizes: dict[str, int]) -> set[str]:
        """Return the `candidates` (graphs) that hold a triple of `version`.

        Either one ASK per candidate, scanning the smaller of the two graphs (cheap beside small graphs), or one
        scan of `version` finding every graph that holds each triple (one index probe per triple): whichever
        scans fewer triples. A graph of unknown size (the union graphs) counts as larger than `version`.
        """
        size = sizes.get(version, 0)
        if not candidates:
            return set()
        if sum(min(size, sizes.get(other, size)) for other in candidates) < size:
            found = set()
            for other in sorted(candidates):
                first, second = sorted((version, other), key=lambda name: sizes.get(name, size))
                if bool(self._store.query(f"ASK {{ GRAPH <{first}> {{ ?s ?p ?o }} GRAPH <{second}> {{ ?s ?p ?o }} }}")):
                    found.add(other)
            return found
        query = f"SELECT DISTINCT ?g WHERE {{ GRAPH <{version}> {{ ?s ?p ?o }} GRAPH ?g {{ ?s ?p ?o }} }}"
        return {row[0].value for row in self._store.query(query)} & candidates

    def _sharing(self) -> set[tuple[str, str]]:
        return set(self._read("sharing", lambda: frozenset(
            (row["a"].value, row["b"].value) for row in self._store.query(registry.SHARING))))  # fmt: skip

    def _rebuild_union(self) -> None:
        """Rebuild the union graphs from the current versions (after an interrupted write, or on a new store).

        As if the current versions were loaded one after the other (asserted first), the mark staying on until
        the end: a rebuild killed midway is done again by the next write-open.
        """
        store = self._store
        store.update(registry.MARK_STALE)
        for name in UNION_GRAPHS:
            self._drop_data(name)
        current = self.current_versions()
        order = sorted(current.items(), key=lambda item: (is_inferred(item[0]), item[0]))
        seen: dict[str, str] = {}
        pairs: list[tuple[str, str]] = []
        for graph, version in order:
            seen[graph] = version
            pairs += self._update_union(graph, None, version, current=dict(seen), finish=False)
        store.update(registry.mark_fresh(sorted(set(pairs))))

    # --- data ----------------------------------------------------------------------------------------------

    def _load(self, version: str, triples: Iterable[tuple], *, keep: bool = False) -> tuple[int, list | None]:
        """Bulk-load `triples` into graph `version`; return the distinct triples stored, and those loaded if kept.

        `keep`: return the (s, p, o) loaded, so that the union graphs need not read them back from the store (a
        scan costs as much as the load); None when they outnumber KEEP_LIMIT (memory) or were not kept.
        """
        store = self._store
        name = ox.NamedNode(version)
        quads = (_quad(triple, name) for triple in triples)
        kept: list | None = [] if keep else None
        while batch := list(itertools.islice(quads, self._load_batch)):
            store.bulk_extend(batch)
            if kept is not None:
                kept.extend((quad.subject, quad.predicate, quad.object) for quad in batch)
                if len(kept) > KEEP_LIMIT:
                    kept = None
        # Count what was stored, not what was given: the input may repeat triples.
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{version}> {{ ?s ?p ?o }} }}"
        return _integer(next(iter(store.query(query)))["n"]), kept

    def _drop_data(self, version: str) -> None:
        """Delete a version graph's triples in bounded transactions, then its name."""
        store = self._store
        delete = (
            f"DELETE {{ GRAPH <{version}> {{ ?s ?p ?o }} }} "
            f"WHERE {{ SELECT ?s ?p ?o WHERE {{ GRAPH <{version}> {{ ?s ?p ?o }} }} LIMIT {DROP_BATCH} }}"
        )
        ask = f"ASK {{ GRAPH <{version}> {{ ?s ?p ?o }} }}"
        # One DROP GRAPH would be one transaction holding every deletion in memory (≈0.7 GB per million triples).
        while bool(store.query(ask)):
            store.update(delete)
            store.flush()  # keeps the memtables, hence memory, small
        store.remove_graph(ox.NamedNode(version))

    def _discard_after_failure(self, version: str, error: Exception) -> None:
        try:
            self._drop_data(version)
            self._store.update(registry.forget(version))
        except Exception as cleanup:  # the original error matters more; the next write-open collects the rest
            error.add_note(f"the partial version {version} stays until the store is next opened for writing: {cleanup}")

    def _collect_garbage(self) -> None:
        """Delete the versions that are not current: partial loads, old versions whose drop was interrupted."""
        store = self._store
        stored = {name.value for name in store.named_graphs() if isinstance(name, ox.NamedNode)}
        registered = set()
        for row in list(store.query(registry.ALL_VERSIONS)):
            version = row["version"].value
            registered.add(version)
            if row["current"] is not None and row["current"].value == version:
                continue
            if row["kept"] is not None:
                continue  # a previous version kept as history (within the retention count when it was written)
            if version in stored:
                self._drop_data(version)
            if row["triples"] is None:  # never current: a killed load, not history
                store.update(registry.forget(version))
        # A version name the registry never recorded (its allocation lost with the last writes before a crash).
        data_graphs = self._data_graphs()
        for name in stored - registered:
            match = registry.VERSION_IRI.match(name)
            if match is not None and match["graph"] in data_graphs:
                self._drop_data(name)
        self._trim_all()


    # --- backup ---

    def stored_dataset(self) -> tuple[list[str], Iterator]:
        """Return every named graph stored (empty ones too: N-Quads cannot carry them) and an iterator over every
        quad, versions kept and system graphs included (see Store.stored_dataset). The quads are read from one
        RocksDB snapshot; call it on a checkpoint, or holding the write lock, so that the names match them."""
        store = self._store
        names = sorted(name.value for name in store.named_graphs() if isinstance(name, ox.NamedNode))
        return names, store.quads_for_pattern(None, None, None, None)

    # --- read access: materialised views (agrs.store.base.materialise_view) ---------------------------------

    def holds_view(self, name: str) -> bool:
        """Whether the view graph `name` is stored (read once per read-only open)."""
        return self._read(f"view {name}", lambda: self._store.contains_named_graph(ox.NamedNode(name)))

    def write_view(self, name: str, graphs, *, minus: str | None = None) -> None:
        """Bulk-copy the triples of the stored graphs `graphs` into the graph `name` (a set: duplicates go once),
        then delete from it those the graph `minus` holds."""
        store, target = self._writable(), ox.NamedNode(name)
        for graph in graphs:
            quads = store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
            while batch := [ox.Quad(q.subject, q.predicate, q.object, target)
                            for q in itertools.islice(quads, self._load_batch)]:  # fmt: skip
                store.bulk_extend(batch)
        if minus is not None and graphs:
            self._remove_rows(target, f"SELECT ?s ?p ?o WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} "
                                      f"GRAPH <{minus}> {{ ?s ?p ?o }} }}")  # fmt: skip
        if not store.contains_named_graph(target):
            store.add_graph(target)  # an empty view is still a view: holds_view must say so
        self._frozen = {}

    def drop_views(self, keep=()) -> None:
        """Drop every stored view graph but those of `keep`."""
        store = self._writable()
        for name in [node.value for node in store.named_graphs() if isinstance(node, ox.NamedNode)]:
            if name.startswith(VIEW_PREFIX) and name not in keep:
                self._drop_data(name)
        self._frozen = {}


# --- opening ---------------------------------------------------------------------------------------------------


def _prepare_folder(folder: Path) -> None:
    """Create the store folder, refusing a folder that holds something else (RocksDB would write into it)."""
    if folder.exists() and not folder.is_dir():
        raise StoreError(f"{folder} is a file, not a store folder")
    if folder.is_dir() and any(folder.iterdir()):
        if not (folder / ROCKSDB_MARKER).exists() and not (folder / LOCK_NAME).exists():
            raise StoreError(f"{folder} is not empty and holds no store: give an empty or new folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(f"cannot create the store folder {folder}: {error.strerror}") from error


def _open_writable(folder: Path) -> ox.Store:
    try:
        return ox.Store(str(folder))
    except OSError as error:
        if "LOCK" in str(error):
            # RocksDB's own lock: a program that does not use AGRS's lock (oxigraph serve…) has the folder open.
            who = "another program (Oxigraph's own lock is taken)"
            raise StoreBusy(busy_message(folder, who)) from error
        raise StoreError(f"cannot open the store {folder}: {error}") from error


def _open_read_only(folder: Path) -> ox.Store:
    if not (folder / ROCKSDB_MARKER).is_file():
        raise StoreError(f"there is no store in {folder}: load data first, or give --store PATH")
    try:
        return ox.Store.read_only(str(folder))
    except OSError as error:
        raise StoreError(f"cannot open the store {folder} read-only: {error}") from error


# --- terms -----------------------------------------------------------------------------------------------------


def _check_graph(graph: str) -> None:
    try:
        registry.check_graph_iri(graph)
    except ValueError as error:
        raise StoreError(str(error)) from error


def _check_plain(name: str) -> None:
    """Refuse, with StoreError, a plain graph name that is the registry, a union graph or a version."""
    if name == REGISTRY_GRAPH:
        raise StoreError(f"{name} is the registry of graph versions: only the store writes it")
    if name in UNION_GRAPHS:
        raise StoreError(f"{name} is the store's union of the current graphs: only the store writes it")
    if not registry.ABSOLUTE_IRI.match(name):
        raise StoreError(f"not an absolute IRI: {name!r}")
    if registry.is_version_iri(name):
        raise StoreError(f"{name} is a version graph (…/v<n>): versions are written only by replace_graph")


def _quad(triple, graph: ox.NamedNode) -> ox.Quad:
    try:
        if isinstance(triple, ox.Triple | ox.Quad):
            return ox.Quad(triple.subject, triple.predicate, triple.object, graph)
        subject, predicate, object_ = triple
        return ox.Quad(subject, predicate, object_, graph)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"replace_graph takes pyoxigraph Triples or (s, p, o) of pyoxigraph terms, not {triple!r} ({error}); "
            "convert rdflib triples with agrs.store.terms.to_oxigraph"
        ) from error


def _pattern(version: str, minus: str | None) -> str:
    """Return the graph pattern binding (?s ?p ?o) to the triples of `version` that `minus` lacks (all when None)."""
    if minus is None:
        return f"GRAPH <{version}> {{ ?s ?p ?o }}"
    return f"GRAPH <{version}> {{ ?s ?p ?o }} MINUS {{ GRAPH <{minus}> {{ ?s ?p ?o }} }}"


def _has_blank(subject, object_) -> bool:
    return isinstance(subject, ox.BlankNode) or isinstance(object_, ox.BlankNode)


def _held_by(versions: list[str]) -> str:
    """Return the graph pattern true when one of `versions` holds the triple (?s ?p ?o); never true for none."""
    if not versions:
        return "FILTER(false)"
    values = " ".join(f"<{version}>" for version in versions)
    return f"VALUES ?holder {{ {values} }} GRAPH ?holder {{ ?s ?p ?o }}"


def _integer(literal: ox.Literal | None) -> int:
    return 0 if literal is None else int(literal.value)


def _run_query(store: ox.Store, sparql: str, default: list, named: list, base_iri: str | None):
    """Run `sparql` on `store` over the `default` and `named` graphs (names, or pyoxigraph nodes)."""
    try:
        return store.query(
            sparql, base_iri=base_iri, default_graph=[_node(name) for name in default],
            named_graphs=[_node(name) for name in named],
        )  # fmt: skip
    except SyntaxError as error:
        raise QueryError(f"the query is not valid SPARQL: {error}") from error
    except ValueError as error:  # e.g. a base IRI pyoxigraph cannot parse
        raise QueryError(str(error)) from error
    except OSError as error:
        raise StoreIOError(f"the query failed: {error}") from error


def _node(name) -> ox.NamedNode:
    return name if isinstance(name, ox.NamedNode) else ox.NamedNode(name)
