"""The load pipeline shared by every loader: read → map, then the core's gate → commit (provenance, quarantine).

A source is named by its kind and key, never by its file names: `https://w3id.org/agrs/graph/<kind>/<key>`. All
the files of one call make one source; loading them again replaces the graph's content (a new version becomes
current in one step), and loading content whose digest is that of the current version does nothing. A load
with no valid record (a header-only file, every record rejected) leaves the current version as it is.

The shrink guard: a load whose valid records describe fewer than half the records the current version describes
is refused (ShrinkRefused, before anything is written) unless `allow_shrink`: a file holding only the régions
must not silently replace every territory. A graph's *records* are the IRIs its triples have as subject — the
nodes the loader's records describe (a commune, a partner organisation, an observation…); blank nodes do not
count. The previous version is kept either way (agrs.store.retention): `agrs rollback` undoes a load.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rdflib import Literal, URIRef

from agrs.commit import Source, commit_records
from agrs.commit_checks import current_subjects, dangling_references, is_unchanged, new_subjects
from agrs.graphs import graph_iri, key_of
from agrs.loaders.base import Loader
from agrs.ontology_graph import ensure_ontology
from agrs.provenance import content_digest
from agrs.records import ReadError, Record, SourceFile
from agrs.resources import Resources
from agrs.store.base import Store
from agrs.store.errors import StoreError
from agrs.stored_context import context_for
from agrs.validate import gate

#: progress(stage, amount, total): stage is "read", "validate" or "commit"; amount is a count done since the last call
Progress = Callable[[str, int, int | None], None]


class ShrinkRefused(StoreError):
    """A re-load would drop more than half of a graph's records and `allow_shrink` was not given (exit 2)."""

    def __init__(self, graph: str, current: int, new: int):
        self.graph, self.current, self.new = graph, current, new
        super().__init__(
            f"refused: this load would replace {graph}, whose current version has {current:,} records, with "
            f"{new:,} records: more than half ({current - new:,}) would go. If that is intended, load again with "
            "--allow-shrink (the current version is kept: `agrs rollback` restores it)"
        )


def shrinks(current: int, new: int) -> bool:
    """Return whether going from `current` to `new` records drops more than half of them."""
    return new * 2 < current


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
    #: the file listing the loaded records that carry warnings (None when there are none)
    warnings_file: Path | None = None
    #: whether a new version was written; False when unchanged, or when no record was valid
    replaced: bool = True

    @property
    def empty(self) -> bool:
        """Whether the load found no valid record, so that the graph kept its current version (a fault: exit 1)."""
        return not self.unchanged and not self.replaced

    @property
    def faulty(self) -> bool:
        """Whether the load has something to report as a fault (exit 1): rejected records, or nothing to load."""
        return bool(self.rejected) or self.empty


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
    synthetic: bool = False,
    allow_shrink: bool = False,
) -> LoadSummary:
    """Load `files` (one source) with `loader` into the store; ReadError propagates (nothing is written then).

    Raises ShrinkRefused (nothing written) when the valid records describe fewer than half the records of the
    current version, unless `allow_shrink` (see the module docstring). `notes` go into the load's provenance as
    rdfs:comment. `synthetic` (or the loader's `synthetic`, which its
    `read` may set from the file) declares the source synthetic: the provenance marks the load and the version
    `agrs:synthetic true` (agrs.provenance), and the pages and the /api answers show it.
    """
    resources = resources or Resources.load()
    report = progress or (lambda stage, amount, total: None)
    key = key or (key_of(loader.kind, graph) if graph else loader.default_key)
    graph = graph or graph_iri(loader.kind, key)
    sources = [_source_file(Path(path)) for path in files]
    ensure_ontology(store, resources)
    if not force and is_unchanged(store, graph, content_digest(sources), resources.shapes_digest):
        return LoadSummary(0, 0, 0, True, graph, store.current_version(graph), replaced=False)
    started = datetime.now(UTC)
    loader.use_ontology(resources.ontology)  # vocabularies from the ontology parsed once, not from its files again
    records = _read_and_map(loader, sources, report)
    context = context_for(store, graph, records, resources.ontology)
    report("validate", 0, sum(not record.rejected for record in records))
    gate(
        records,
        resources.shapes,
        context,
        plan=resources.shacl_plan,
        progress=lambda done: report("validate", done, None),
    )
    loader.after_gate(records)
    valid = [record for record in records if not record.rejected]
    warnings = _guard_and_dangling(store, graph, valid, allow_shrink) if valid else []
    report("commit", 0, None)
    committed = commit_records(
        store, Source(loader.kind, key, graph), records, started=started, quarantine_dir=quarantine_dir,
        shapes_digest=resources.shapes_digest, files=sources, notes=notes,
        synthetic=synthetic or bool(getattr(loader, "synthetic", False)),
    )  # fmt: skip
    return LoadSummary(
        len(records), len(valid), len(records) - len(valid), False, graph, committed.version, warnings, records,
        committed.quarantine, committed.warnings, committed.replaced,
    )  # fmt: skip


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
    loader.finish(records)
    return records


def _guard_and_dangling(store: Store, graph: str, valid: Sequence[Record], allow_shrink: bool) -> list[str]:
    """Refuse a load that drops more than half of the records (unless `allow_shrink`); then warn about nodes the
    current version describes, the new one does not, and other graphs point to."""
    if store.current_version(graph) is None:
        return []
    before = current_subjects(store, graph)
    # The same measure on both sides: the IRIs described (new_subjects also lists the blank nodes' labels).
    after = {str(s) for record in valid for s, _, _ in record.triples if isinstance(s, URIRef)}
    if not allow_shrink and shrinks(len(before), len(after)):
        raise ShrinkRefused(graph, len(before), len(after))
    return dangling_references(store, graph, before - new_subjects(valid))


__all__ = ["LoadSummary", "ShrinkRefused", "run_load", "shrinks"]
