"""Push: copy a store's graphs into another store in AGRS's own layout, sending only the graphs that changed.

Each current data graph goes through the target's `replace_graph` (so the target allocates its own versions and
keeps its own registry and union graphs: `agrs serve --store TARGET` works on the result), each plain graph worth
copying (the provenance, what HTTP clients wrote; agrs.export.exported_graphs) through `write_plain_graph`.

Idempotence: after sending a graph, the push records on the target, in the plain graph PUSH_GRAPH, the graph's
content digest, its triple count and the target version that holds it:

    <G> agrs:pushedVersion <G/vN> ; agrs:contentDigest "set-sha256:…" ; void:triples 1234 ;
        agrs:pushedFrom <source's G/vK> ; dcterms:modified "…"^^xsd:dateTime .

A later push computes the source graph's digest (one scan of it) and sends the graph again only if the digest or
the count differ, or the target's current version is no longer the one recorded (someone else replaced it).
`force` sends everything.

The digest is a set digest: the sum, modulo 2^256, of the SHA-256 of each triple's N-Triples line, so that it
needs no sort (constant memory) and the order a store yields its triples in does not matter. Blank node labels are
the store's own and change from store to store, so every blank node is written `_:` in the line: the digest is
the same for two graphs equal up to blank node relabelling. The price: two graphs that differ only in how their
blank nodes are wired (the same triples around `_:a` and `_:b` exchanged) have the same digest; AGRS's loaders
mint IRIs for what they describe, so such graphs are rare, and `--force` sends them anyway.

`import_dump` reads a dump (agrs export's, or any N-Quads/TriG) into a scratch store on disk, then pushes from it:
loading an export into an empty store gives back the same graphs.
"""

import gzip
import hashlib
import itertools
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from agrs.export import NOT_EXPORTED, PUSH_GRAPH, VOID_GRAPH, exported_graphs, graph_triples
from agrs.graphs import DEFAULT_WRITE_GRAPH, SYSTEM_GRAPHS
from agrs.ns import BASE, VOID
from agrs.store import StoreError

PUSHED_VERSION = BASE + "pushedVersion"
CONTENT_DIGEST = BASE + "contentDigest"
PUSHED_FROM = BASE + "pushedFrom"
MODIFIED = "http://purl.org/dc/terms/modified"
XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"
VOID_TRIPLES = str(VOID.triples)
DIGEST_PREFIX = "set-sha256:"
MODULUS = 1 << 256
PROGRESS_STEP = 10_000
SCRATCH_BATCH = 100_000  # quads of a dump added to the scratch store at once (≈0.2 GB)

RECORDS = f"""SELECT ?graph ?version ?digest ?triples WHERE {{ GRAPH <{PUSH_GRAPH}> {{
  ?graph <{PUSHED_VERSION}> ?version ; <{CONTENT_DIGEST}> ?digest ; <{VOID_TRIPLES}> ?triples }} }}"""

Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class Record:
    """What a push sent of one graph: the target version holding it, the content's digest and size."""

    version: str
    digest: str
    triples: int
    origin: str = ""
    when: str = ""


@dataclass(frozen=True)
class SourceGraph:
    """One graph to copy: its logical IRI, whether it is versioned, its size, where it comes from, its triples."""

    graph: str
    versioned: bool
    triples: int
    origin: str  # the source's version IRI (or the plain graph's IRI, or the dump file)
    read: Callable[[], Iterator[tuple]]


@dataclass
class PushReport:
    """What a push did: the graphs sent (with the triples the target stored) and those left as they were."""

    sent: list[tuple[str, int]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def triples_sent(self) -> int:
        """The triples of the graphs sent."""
        return sum(count for _graph, count in self.sent)


# --- digests ---------------------------------------------------------------------------------------------------


def _line(subject, predicate, object_) -> bytes:
    # Blank nodes as `_:`: their labels are the store's own (see the module's docstring).
    s = "_:" if isinstance(subject, ox.BlankNode) else str(subject)
    o = "_:" if isinstance(object_, ox.BlankNode) else str(object_)
    return f"{s} {predicate} {o}".encode()


def graph_digest(triples: Iterable[tuple], progress: Progress | None = None, total: int | None = None):
    """Return (the set digest of `triples`, their number); `triples` are distinct (a graph is a set)."""
    digest, count = 0, 0
    sha256 = hashlib.sha256
    for subject, predicate, object_ in triples:
        digest += int.from_bytes(sha256(_line(subject, predicate, object_)).digest(), "big")
        count += 1
        if progress is not None and count % PROGRESS_STEP == 0:
            progress("compare", PROGRESS_STEP, total)
    if progress is not None:
        progress("compare", count % PROGRESS_STEP, total)
    return f"{DIGEST_PREFIX}{digest % MODULUS:064x}", count


# --- the target's records -------------------------------------------------------------------------------------


def read_records(target) -> dict[str, Record]:
    """Return what earlier pushes recorded on `target`, by logical graph IRI."""
    rows = target.query(RECORDS, union=False)
    return {
        row["graph"].value: Record(row["version"].value, row["digest"].value, int(row["triples"].value)) for row in rows
    }


def _record_triples(records: dict[str, Record]) -> Iterator[tuple]:
    for graph, record in sorted(records.items()):
        subject = ox.NamedNode(graph)
        yield subject, ox.NamedNode(PUSHED_VERSION), ox.NamedNode(record.version)
        yield subject, ox.NamedNode(CONTENT_DIGEST), ox.Literal(record.digest)
        yield subject, ox.NamedNode(VOID_TRIPLES), ox.Literal(str(record.triples), datatype=ox.NamedNode(
            "http://www.w3.org/2001/XMLSchema#integer"))  # fmt: skip
        if record.origin:
            yield subject, ox.NamedNode(PUSHED_FROM), ox.NamedNode(record.origin)
        if record.when:
            yield subject, ox.NamedNode(MODIFIED), ox.Literal(record.when, datatype=ox.NamedNode(XSD_DATETIME))


# --- pushing ---------------------------------------------------------------------------------------------------


def store_sources(store, graphs: Sequence[str] | None = None) -> list[SourceGraph]:
    """Return the graphs of `store` a push copies (those an export writes; `graphs` restricts them)."""
    return [
        SourceGraph(entry.graph, entry.versioned, entry.triples, entry.name,
                    lambda entry=entry: graph_triples(store, entry))
        for entry in exported_graphs(store, graphs)
    ]  # fmt: skip


def push(source, target, *, graphs: Sequence[str] | None = None, force: bool = False, progress=None) -> PushReport:
    """Copy the graphs of store `source` into store `target` (see the module's docstring); return what was done."""
    return transfer(store_sources(source, graphs), target, force=force, progress=progress)


def transfer(sources: Sequence[SourceGraph], target, *, force: bool = False, progress=None) -> PushReport:
    """Send each of `sources` the target lacks or holds otherwise; record what was sent on the target."""
    started = time.monotonic()
    report = PushReport()
    records = read_records(target)
    current = target.current_versions()
    plain = {entry.graph: entry.triples for entry in target.visible_graphs() if not entry.versioned}
    for source in sources:
        digest, count = graph_digest(source.read(), _staged(progress, f"compare {source.graph}"), source.triples)
        record = records.get(source.graph)
        if not force and _unchanged(source, record, digest, count, current, plain):
            report.unchanged.append(source.graph)
            continue
        stage = _staged(progress, f"send {source.graph}")
        triples = _counting(source.read(), stage, count)
        if source.versioned:
            info = target.replace_graph(source.graph, triples)
            version, stored = info.version, info.triples
        else:
            version, stored = source.graph, target.write_plain_graph(source.graph, triples)
        when = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        records[source.graph] = Record(version, digest, count, source.origin, when)
        # Recorded after each graph: a push interrupted midway does not send the graphs it finished again.
        target.write_plain_graph(PUSH_GRAPH, _record_triples(records))
        report.sent.append((source.graph, stored))
    report.seconds = time.monotonic() - started
    return report


def _unchanged(source: SourceGraph, record, digest: str, count: int, current: dict, plain: dict) -> bool:
    if record is None or record.digest != digest or record.triples != count:
        return False
    if source.versioned:
        return current.get(source.graph) == record.version  # nobody replaced it on the target since
    return record.version == source.graph and plain.get(source.graph) == count


def _staged(progress, stage: str):
    if progress is None:
        return None
    return lambda _name, amount, total: progress(stage, amount, total)


def _counting(triples: Iterator[tuple], progress, total: int) -> Iterator[tuple]:
    count = 0
    for triple in triples:
        yield triple
        count += 1
        if progress is not None and count % PROGRESS_STEP == 0:
            progress("send", PROGRESS_STEP, total)
    if progress is not None:
        progress("send", count % PROGRESS_STEP, total)


# --- importing a dump ------------------------------------------------------------------------------------------

CURRENT_VERSION = BASE + "currentVersion"


def dump_format(path: Path) -> tuple[ox.RdfFormat, bool]:
    """Return the RDF format of a dump file by its suffix (`.nq`, `.trig`, … optionally `.gz`), and if gzipped."""
    suffixes = [suffix.lower() for suffix in path.suffixes]
    compressed = bool(suffixes) and suffixes[-1] == ".gz"
    if compressed:
        suffixes = suffixes[:-1]
    rdf_format = ox.RdfFormat.from_extension(suffixes[-1].lstrip(".")) if suffixes else None
    if rdf_format is None or not rdf_format.supports_datasets:
        raise StoreError(f"{path}: not a dump (N-Quads .nq or TriG .trig, optionally .gz)")
    return rdf_format, compressed


def import_dump(paths: Sequence[Path], target, *, force: bool = False, progress=None) -> PushReport:
    """Load dumps into store `target`: each named graph as the dump names it (see the module's docstring).

    A graph the dump's VoID describes as a versioned graph (agrs:currentVersion), or that it does not describe,
    becomes a versioned graph of the target; one it describes without a version (a plain graph: provenance, HTTP
    writes), the system graphs and the default write graph become plain graphs. The VoID graph, the registry and
    push records are not imported. Triples in the dump's default graph are refused (AGRS stores named graphs).
    """
    with tempfile.TemporaryDirectory(prefix="agrs-import-") as scratch_folder:
        scratch = ox.Store(scratch_folder)
        for path in paths:
            rdf_format, compressed = dump_format(path)
            with gzip.open(path, "rb") if compressed else open(path, "rb") as stream:
                # Parsed and added in batches: Store.bulk_load's memory grows with the file (1.15 GB for the
                # 1.38M-quad S dump), batches of SCRATCH_BATCH keep it flat.
                quads = ox.parse(stream, rdf_format)
                while batch := list(itertools.islice(quads, SCRATCH_BATCH)):
                    scratch.bulk_extend(batch)
        default = next(iter(scratch.quads_for_pattern(None, None, None, ox.DefaultGraph())), None)
        if default is not None:
            raise StoreError(
                "the dump has triples in its default graph: AGRS stores named graphs only (load them into a graph "
                "with agrs load rdf FILE --graph IRI)"
            )
        sources = _dump_sources(scratch)
        report = transfer(sources, target, force=force, progress=progress)
        del scratch  # RocksDB closes before the folder goes
    return report


def _dump_sources(scratch: ox.Store) -> list[SourceGraph]:
    """The graphs of a loaded dump, as push sources (plain or versioned, as its VoID says)."""
    void = ox.NamedNode(VOID_GRAPH)
    described = _subjects(scratch, VOID_TRIPLES, void)
    versioned = _subjects(scratch, CURRENT_VERSION, void)
    sources = []
    for name in sorted(node.value for node in scratch.named_graphs() if isinstance(node, ox.NamedNode)):
        if name in NOT_EXPORTED:
            continue
        plain = name in SYSTEM_GRAPHS or name == DEFAULT_WRITE_GRAPH or (name in described and name not in versioned)
        count = sum(1 for _ in scratch.quads_for_pattern(None, None, None, ox.NamedNode(name)))

        def read(name=name):
            quads = scratch.quads_for_pattern(None, None, None, ox.NamedNode(name))
            return ((quad.subject, quad.predicate, quad.object) for quad in quads)

        sources.append(SourceGraph(name, not plain, count, "", read))
    return sources


def _subjects(scratch: ox.Store, predicate: str, graph: ox.NamedNode) -> set[str]:
    quads = scratch.quads_for_pattern(None, ox.NamedNode(predicate), None, graph)
    return {quad.subject.value for quad in quads if isinstance(quad.subject, ox.NamedNode)}
