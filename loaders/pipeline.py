"""The load pipeline shared by every loader: read → map → SHACL gate → commit → provenance → quarantine.

A source is named by its kind and key, never by its file names: `https://w3id.org/agrs/graph/<kind>/<key>`. All
the files of one call make one source; loading them again replaces the graph's content (a new version becomes
current in one step), and loading content whose digest is that of the current version does nothing.
"""

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rdflib import Graph, Literal

from agrs import commit, provenance, validate
from agrs.loaders.base import Loader
from agrs.ns import GRAPH
from agrs.records import ReadError, Record, SourceFile
from agrs.store.base import Store
from agrs.store.terms import to_oxigraph
from agrs.stored_context import ONTOLOGY_GRAPH, StoredContext
from agrs.validate import Resources

ONTOLOGY_KIND, ONTOLOGY_KEY = "ontology", "agrs"

#: progress(stage, amount, total): stage is "read", "validate" or "commit"; amount is a count done since the last call
Progress = Callable[[str, int, int | None], None]


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
    notes: Sequence[Literal] = (),
) -> LoadSummary:
    """Load `files` (one source) with `loader` into the store; ReadError propagates (nothing is written then).

    `notes` go into the load's provenance as rdfs:comment (the bundled synthetic survey says so there).
    """
    resources = resources or Resources.load()
    report = progress or (lambda stage, amount, total: None)
    key = key or (key_of(loader.kind, graph) if graph else loader.default_key)
    graph = graph or graph_iri(loader.kind, key)
    sources = [_source_file(Path(path)) for path in files]
    ensure_ontology(store, resources)
    if not force and commit.is_unchanged(store, graph, provenance.content_digest(sources), resources.shapes_digest):
        return LoadSummary(0, 0, 0, True, graph, store.current_version(graph))
    started = _now()
    loader.use_ontology(resources.ontology)  # vocabularies from the ontology parsed once, not from its files again
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
        len(records) - len(valid), resources.shapes_digest, tuple(notes),
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


def _context(store: Store, graph: str, records: Sequence[Record], ontology: Graph) -> StoredContext:
    """Return the ontology plus what the other graphs say about the IRIs the records mention (two hops).

    That is the stored descriptions of the nodes the records point to, and of the nodes they add statements to
    (a pilot territory's type, stated about a commune the territories graph describes).
    """
    mentioned = {node for record in records if not record.rejected for s, _, o in record.triples for node in (s, o)}
    return StoredContext.fetch(store, graph, mentioned, ontology)


def _dangling(store: Store, graph: str, valid: Sequence[Record]) -> list[str]:
    """Warn about nodes the current version describes, the new one does not, and other graphs point to."""
    if store.current_version(graph) is None:
        return []
    dropped = commit.current_subjects(store, graph) - commit.new_subjects(valid)
    return commit.dangling_references(store, graph, dropped)


__all__ = ["LoadSummary", "Resources", "ensure_ontology", "graph_iri", "run_load"]
