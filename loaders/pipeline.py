"""The load pipeline shared by every loader: read → map → SHACL gate → commit → provenance → quarantine.

A source is named by its kind and key, never by its file names: `https://w3id.org/agrs/graph/<kind>/<key>`. All
the files of one call make one source; loading them again replaces the graph's content (a new version becomes
current in one step), and loading content whose digest is that of the current version does nothing.
"""

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rdflib import Graph, URIRef

from agrs import commit, provenance, validate
from agrs.loaders.base import Loader
from agrs.ns import GRAPH
from agrs.records import ReadError, Record, SourceFile
from agrs.store.base import Store
from agrs.store.terms import to_oxigraph, triple_to_rdflib

ONTOLOGY_GRAPH = str(GRAPH["ontology"])
ONTOLOGY_KIND, ONTOLOGY_KEY = "ontology", "agrs"
DESCRIPTION_CHUNK = 500  # IRIs per VALUES block when fetching stored descriptions

#: progress(stage, amount, total): stage is "read", "validate" or "commit"; amount is a count done since the last call
Progress = Callable[[str, int, int | None], None]


@dataclass
class Resources:
    """What every load of a process validates against, parsed once: shapes, the merged ontology, their digests."""

    shapes: Graph
    shapes_digest: str
    ontology: Graph
    ontology_files: list[Path]

    @classmethod
    def load(cls) -> "Resources":
        """Parse the shapes and the ontology shipped with the package."""
        ontology, files = validate.load_ontology()
        return cls(validate.load_shapes(), validate.shapes_digest(), ontology, files)


@dataclass
class LoadSummary:
    """What a load did; `records` holds every mapped record (empty when unchanged)."""

    read: int
    loaded: int
    rejected: int
    unchanged: bool
    graph: str
    version: str | None
    warnings: list[str] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    quarantine: Path | None = None


def graph_iri(kind: str, key: str) -> str:
    """Return the logical graph of a source: `https://w3id.org/agrs/graph/<kind>/<key>`."""
    return str(GRAPH[f"{kind}/{key}"])


def key_of(kind: str, graph: str) -> str:
    """Return the key naming a source given by its graph IRI (a digest when the IRI is not AGRS's pattern)."""
    prefix = str(GRAPH[f"{kind}/"])
    if graph.startswith(prefix) and "/" not in graph[len(prefix) :]:
        return graph[len(prefix) :]
    return hashlib.sha256(graph.encode()).hexdigest()[:16]


def ensure_ontology(store: Store, resources: Resources) -> bool:
    """Load the merged ontology into its graph when missing or different from the package's; return whether it did.

    The comparison is by the digest of the ontology files, recorded in the provenance like any load.
    """
    files = [SourceFile.of(path) for path in resources.ontology_files]
    if commit.is_unchanged(store, ONTOLOGY_GRAPH, provenance.content_digest(files)):
        return False
    started = _now()
    info = store.replace_graph(ONTOLOGY_GRAPH, (to_oxigraph(triple) for triple in resources.ontology))
    facts = provenance.LoadFacts(
        ONTOLOGY_KIND, ONTOLOGY_KEY, ONTOLOGY_GRAPH, info.version, files, started, _now(), 0, 0, 0,
        resources.shapes_digest,
    )  # fmt: skip
    provenance.record_load(store, facts)
    return True


def run_load(
    loader: Loader,
    files: Sequence[Path | str],
    store: Store,
    *,
    graph: str | None = None,
    key: str | None = None,
    quarantine_dir: Path | str,
    force: bool = False,
    progress: Progress | None = None,
    resources: Resources | None = None,
) -> LoadSummary:
    """Load `files` (one source) with `loader` into the store; ReadError propagates (nothing is written then)."""
    resources = resources or Resources.load()
    report = progress or (lambda stage, amount, total: None)
    key = key or (key_of(loader.kind, graph) if graph else loader.default_key)
    graph = graph or graph_iri(loader.kind, key)
    sources = [_source_file(Path(path)) for path in files]
    ensure_ontology(store, resources)
    if not force and commit.is_unchanged(store, graph, provenance.content_digest(sources), resources.shapes_digest):
        return LoadSummary(0, 0, 0, True, graph, store.current_version(graph))
    started = _now()
    records = _read_and_map(loader, sources, report)
    context = _context(store, graph, records, resources.ontology)
    report("validate", 0, sum(not record.rejected for record in records))
    validate.gate(records, resources.shapes, context, progress=lambda done: report("validate", done, None))
    valid = [record for record in records if not record.rejected]
    warnings = _dangling(store, graph, valid)
    report("commit", 0, None)
    info = store.replace_graph(graph, (to_oxigraph(triple) for record in valid for triple in record.triples))
    facts = provenance.LoadFacts(
        loader.kind, key, graph, info.version, sources, started, _now(), len(records), len(valid),
        len(records) - len(valid), resources.shapes_digest,
    )  # fmt: skip
    provenance.record_load(store, facts)
    quarantine = commit.write_quarantine(records, Path(quarantine_dir), loader.kind, key)
    return LoadSummary(
        len(records), len(valid), len(records) - len(valid), False, graph, info.version, warnings, records, quarantine
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _source_file(path: Path) -> SourceFile:
    """Hash one input file; a missing or unreadable one is a ReadError."""
    try:
        return SourceFile.of(path)
    except OSError as error:
        raise ReadError(str(path), error.strerror or str(error)) from error


def _read_and_map(loader: Loader, sources: Sequence[SourceFile], report: Progress) -> list[Record]:
    """Read every file (all of them before anything is written: a ReadError leaves the store untouched), map."""
    records = []
    for source in sources:
        for raw in loader.read(source.path):
            records.append(loader.map(raw))
            report("read", 1, None)
    return records


def _context(store: Store, graph: str, records: Sequence[Record], ontology: Graph) -> Graph:
    """Return the ontology plus what the other graphs say about the IRIs the records mention.

    That is the stored descriptions of the nodes the records point to, and of the nodes they add statements to
    (a pilot territory's type, stated about a commune the territories graph describes). The graph being
    replaced is left out: what it says now is what the load is about to replace.
    """
    mentioned = {
        node
        for record in records
        if not record.rejected
        for s, _, o in record.triples
        for node in (s, o)
        if isinstance(node, URIRef)
    }
    context = Graph()
    context += ontology
    others = [info.graph for info in store.graphs() if info.graph not in (graph, ONTOLOGY_GRAPH)]
    if not others:
        return context
    # Two hops: the mentioned nodes, then what their stored descriptions point to (the département a stored
    # commune is within must be seen as a territory for the commune to conform).
    wanted = {node for node in mentioned if (node, None, None) not in ontology}
    seen = set(wanted)
    for _ in range(2):
        found = set()
        for triple in _descriptions(store, sorted(wanted), others):
            context.add(triple)
            if isinstance(triple[2], URIRef) and triple[2] not in seen and (triple[2], None, None) not in ontology:
                found.add(triple[2])
        seen |= found
        wanted = found
        if not wanted:
            break
    return context


def _descriptions(store: Store, iris: Sequence[URIRef], graphs: list[str]) -> Iterable[tuple]:
    """Yield the outgoing triples (rdflib terms) of `iris` in the given current graphs."""
    for start in range(0, len(iris), DESCRIPTION_CHUNK):
        values = " ".join(f"<{iri}>" for iri in iris[start : start + DESCRIPTION_CHUNK])
        query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?s {{ {values} }} ?s ?p ?o }}"
        for triple in store.query(query, graphs=graphs):
            yield triple_to_rdflib(triple)


def _dangling(store: Store, graph: str, valid: Sequence[Record]) -> list[str]:
    """Warn about nodes the current version describes, the new one does not, and other graphs point to."""
    if store.current_version(graph) is None:
        return []
    dropped = commit.current_subjects(store, graph) - commit.new_subjects(valid)
    return commit.dangling_references(store, graph, dropped)


__all__ = ["LoadSummary", "Resources", "ensure_ontology", "graph_iri", "run_load"]
