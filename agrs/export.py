"""Export: the current graphs of a store under their logical names, with the store's VoID description, streamed.

What a dump holds (`exported_graphs`):
- each current data graph (loaded sources, the ontology, the inferred and roll-up graphs), named by its logical
  IRI (`…/graph/<kind>/<key>`), never by the `…/v<n>` version that holds it in the store;
- the plain graphs: the provenance (its PROV-O records name the versions each load generated: that history is
  kept as it is) and the graphs HTTP clients wrote;
- the VoID + DCAT description of the dataset (agrs.void), in the named graph VOID_GRAPH.

Left out: the registry of versions and the push records (PUSH_GRAPH), which say how *this* store keeps its
graphs, not what they hold (a store loading the dump keeps its own), and the union graphs, which the store
derives from the current graphs (never named graphs: `plain_graphs` does not list them).

Streaming: quads go from the store's iterators to pyoxigraph's serialiser (or to gzip) a batch at a time; no
graph is ever held in memory (the VoID description is small: a few triples per graph).
"""

import gzip
import itertools
import struct
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from agrs.graphs import REGISTRY_GRAPH
from agrs.ns import GRAPH, prefixes
from agrs.store.base import VisibleGraph

#: the named graph of a dump holding the dataset's VoID description
VOID_GRAPH = str(GRAPH["void"])
#: the plain graph where `agrs push` records, on the target, what it sent (agrs.push)
PUSH_GRAPH = str(GRAPH["push"])
#: the plain graphs that describe how a store keeps its graphs: never exported, never pushed
NOT_EXPORTED = (REGISTRY_GRAPH, PUSH_GRAPH, VOID_GRAPH)

FORMATS = {"nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG}
BATCH = 10_000  # quads per serialised chunk (the dump route, gzip): a few MB at most

Progress = Callable[[str, int, int | None], None]


class ExportError(Exception):
    """The export cannot be made as asked (an unknown graph)."""


@dataclass(frozen=True)
class ExportPlan:
    """The graphs an export writes, and how many triples (the progress bar's length)."""

    graphs: tuple[VisibleGraph, ...]
    void: bool

    @property
    def triples(self) -> int:
        """The data triples the export writes (the VoID description aside)."""
        return sum(entry.triples for entry in self.graphs)


def exported_graphs(store, only: Sequence[str] | None = None) -> list[VisibleGraph]:
    """Return the graphs an export (or a push) copies: the current data graphs and the plain graphs worth it.

    `only`: logical graph IRIs to keep (an unknown one raises ExportError, naming those the store holds).
    """
    visible = [entry for entry in store.visible_graphs() if entry.graph not in NOT_EXPORTED]
    if not only:
        return visible
    by_name = {entry.graph: entry for entry in visible}
    unknown = [iri for iri in only if iri not in by_name]
    if unknown:
        held = "\n  ".join(sorted(by_name)) or "(none)"
        raise ExportError(f"the store holds no graph {', '.join(unknown)}; it holds:\n  {held}")
    return [by_name[iri] for iri in dict.fromkeys(only)]


def graph_triples(store, entry: VisibleGraph) -> Iterator[tuple]:
    """Stream the (s, p, o) of one exported graph: a data graph's current version, or a plain graph as stored."""
    if entry.versioned:
        return iter(store.triples(entry.graph))
    rows = store.query(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{entry.name}> {{ ?s ?p ?o }} }}", union=False)
    return ((row[0], row[1], row[2]) for row in rows)


def void_quads(store, graphs: Sequence[VisibleGraph], base_url: str | None) -> list[ox.Quad]:
    """Return the VoID description of `graphs` as quads in VOID_GRAPH (`base_url`: the server's root, or None)."""
    from agrs.store.terms import to_oxigraph
    from agrs.void import void_graph

    name = ox.NamedNode(VOID_GRAPH)
    return [ox.Quad(*to_oxigraph(triple), name) for triple in void_graph(store, base_url, graphs=graphs)]


def export_quads(
    store, plan: ExportPlan, *, base_url: str | None = None, progress: Progress | None = None
) -> Iterator[ox.Quad]:
    """Yield the quads of the dump: the VoID description first (when planned), then each graph, graph by graph."""
    if plan.void:
        yield from void_quads(store, plan.graphs, base_url)
    for entry in plan.graphs:
        name = ox.NamedNode(entry.graph)
        count = 0
        for subject, predicate, object_ in graph_triples(store, entry):
            yield ox.Quad(subject, predicate, object_, name)
            count += 1
            if progress is not None and count % BATCH == 0:
                progress("export", BATCH, plan.triples)
        if progress is not None:
            progress("export", count % BATCH, plan.triples)


def write_dump(
    store,
    output,
    *,
    format: str = "nquads",
    graphs: Sequence[str] | None = None,
    void: bool = True,
    base_url: str | None = None,
    compress: bool = False,
    progress: Progress | None = None,
) -> int:
    """Write the dump of `store` to `output` (a binary file object); return the quads written.

    `format`: "nquads" or "trig"; `compress`: gzip it. Raises ExportError for an unknown graph.
    """
    plan = ExportPlan(tuple(exported_graphs(store, graphs)), void)
    counted = _Counter(export_quads(store, plan, base_url=base_url, progress=progress))
    target = gzip.GzipFile(fileobj=output, mode="wb", compresslevel=6) if compress else output
    try:
        ox.serialize(counted, target, FORMATS[format], prefixes=_prefixes() if format == "trig" else None)
    finally:
        if compress:
            target.close()  # writes gzip's trailer; `output` stays open
    return counted.count


def dump_chunks(store, *, base_url: str | None, graphs: Sequence[VisibleGraph] | None = None) -> Iterator[bytes]:
    """Yield the gzip-compressed N-Quads dump of `store` a chunk at a time (for an HTTP response)."""
    plan = ExportPlan(tuple(exported_graphs(store) if graphs is None else graphs), True)
    compressor = GzipStream()
    quads = export_quads(store, plan, base_url=base_url)
    yield compressor.header
    while batch := list(itertools.islice(quads, BATCH)):
        # N-Quads is one statement a line, and blank node labels are the store's: chunks concatenate into one dump.
        chunk = compressor.compress(ox.serialize(batch, None, ox.RdfFormat.N_QUADS))
        if chunk:
            yield chunk
    yield compressor.flush()


class GzipStream:
    """A gzip stream made a chunk at a time: `header`, then `compress(data)` pieces, then `flush()` (RFC 1952)."""

    def __init__(self, level: int = 6):
        self._zlib = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)  # raw deflate: gzip's framing is ours
        self._crc = 0
        self._size = 0
        # Magic, deflate, no flags, modification time, no extra flags, unknown OS.
        self.header = b"\x1f\x8b\x08\x00" + struct.pack("<I", int(time.time())) + b"\x00\xff"

    def compress(self, data: bytes) -> bytes:
        """Compress a piece of the stream (may return nothing: zlib buffers)."""
        self._crc = zlib.crc32(data, self._crc)
        self._size += len(data)
        return self._zlib.compress(data)

    def flush(self) -> bytes:
        """Finish the stream: the rest of the compressed body, then the CRC-32 and size trailer."""
        return self._zlib.flush() + struct.pack("<II", self._crc, self._size & 0xFFFFFFFF)


class _Counter:
    """An iterator counting what passes through it."""

    def __init__(self, items: Iterable):
        self._items = iter(items)
        self.count = 0

    def __iter__(self):
        return self

    def __next__(self):
        item = next(self._items)
        self.count += 1
        return item


def _prefixes() -> dict[str, str]:
    # A handful of common prefixes keeps TriG readable; pyoxigraph writes every IRI in full otherwise.
    table = {name: iri for name, iri in prefixes().items() if name in ("agrs", "id", "graph", "src")}
    table.update(
        rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#", rdfs="http://www.w3.org/2000/01/rdf-schema#",
        xsd="http://www.w3.org/2001/XMLSchema#", skos="http://www.w3.org/2004/02/skos/core#",
        owl="http://www.w3.org/2002/07/owl#", prov="http://www.w3.org/ns/prov#", void="http://rdfs.org/ns/void#",
        dcterms="http://purl.org/dc/terms/",
    )  # fmt: skip
    return table
