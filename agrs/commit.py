"""The one write path: a graph's new content, then its provenance, then the quarantine of what was rejected.

Every writer of the store goes through here — the loaders' pipeline, the ontology, the roll-up, the reasoner and
the Graph Store's HTTP writes — so that they all keep the same guarantees:

1. **replace**: the content becomes a new version of the graph, switched in one step (`Store.replace_graph`): a
   killed write leaves the previous version current, readers never see half of one;
2. **provenance**: a PROV-O activity naming what was read (files, or the graph versions of derived data), the
   version generated, the counts and the shapes' digest goes into the provenance graph (agrs.provenance);
3. **quarantine**: the rejected records, with their reasons, go to `<dir>/<kind>-<key>.jsonl` (written beside and
   renamed, so a reader never sees half of it; removed when nothing was rejected), and the loaded records that
   carry warnings to `<dir>/warnings/<kind>-<key>.jsonl`.

A rollback (`commit_rollback`: a kept previous version made current again) and a purge (`commit_purge_record`,
`commit_purge_source`: personal data erased from every version) go through here too, each with its PROV-O
activity in the provenance graph; a purge's activity never names what it erased.

Records that went through the gate (agrs.validate) are committed with `commit_records`: their valid records'
triples are the content, and a write with **no valid record never replaces the current graph** (a header-only
file, or one whose every record was rejected, would otherwise empty the source's graph). Content that is not
made of records (the ontology, entailments, a graph sent over HTTP) is committed with `commit_graph`.
"""

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from agrs import provenance
from agrs.ns import AGRS, ID, PROV
from agrs.records import Record, SourceFile
from agrs.store.base import Erased, GraphInfo, Store
from agrs.store.terms import to_oxigraph


@dataclass(frozen=True)
class Source:
    """What is written: the graph, and the kind and key that name its provenance and quarantine file."""

    kind: str
    key: str
    graph: str


@dataclass
class Committed:
    """What a commit did: the version now current (None when there is none), and what it wrote."""

    graph: str
    version: str | None
    #: whether a new version was written (False: the write had no valid record, the previous version stays)
    replaced: bool
    triples: int = 0
    activity: URIRef | None = None
    quarantine: Path | None = None
    #: the loaded records that carry warnings, with them (None when there are none)
    warnings: Path | None = None


def commit_records(
    store: Store,
    source: Source,
    records: Sequence[Record],
    *,
    started: datetime,
    quarantine_dir: Path | str,
    shapes_digest: str | None,
    files: Sequence[SourceFile] = (),
    notes: Sequence[Literal] = (),
    extra_triples: Iterable[tuple] = (),
    allow_empty: bool = False,
    synthetic: bool = False,
) -> Committed:
    """Write the valid records' triples (rdflib terms) as the graph's new version; quarantine the rejected ones.

    `extra_triples` (rdflib terms) join the content (a roll-up's activity). With no valid record the graph is not
    replaced and no provenance is written, unless `allow_empty` (a roll-up of nothing is a true empty result).
    `synthetic`: the source is declared synthetic; its provenance marks the load and the version (agrs:synthetic).
    """
    valid = [record for record in records if not record.rejected]
    counts = (len(records), len(valid), len(records) - len(valid))
    if not valid and not allow_empty:
        quarantine = write_quarantine(records, quarantine_dir, source.kind, source.key)
        return Committed(source.graph, store.current_version(source.graph), False, quarantine=quarantine)
    content = chain(extra_triples, (triple for record in valid for triple in record.triples))
    committed = _write(
        store, source, (to_oxigraph(triple) for triple in content), started=started, files=files, counts=counts,
        shapes_digest=shapes_digest, notes=notes, synthetic=synthetic,
    )  # fmt: skip
    committed.quarantine = write_quarantine(records, quarantine_dir, source.kind, source.key)
    committed.warnings = write_warnings(records, quarantine_dir, source.kind, source.key)
    return committed


def commit_graph(
    store: Store,
    source: Source,
    triples: Iterable,
    *,
    started: datetime,
    files: Sequence[SourceFile] = (),
    counts: tuple[int, int | None, int] = (0, 0, 0),
    shapes_digest: str | None = None,
    notes: Sequence[Literal] = (),
    used: Sequence[str] = (),
    expected_version: str | None = None,
    synthetic: bool = False,
) -> Committed:
    """Write `triples` (pyoxigraph terms) as the graph's new version, with its provenance; nothing is quarantined.

    `counts` are (read, loaded, rejected) for the provenance; loaded None means the triples written. `used`: the
    graph versions the content was derived from. `expected_version` makes the write fail with VersionConflict
    when someone else replaced the graph since it was read.
    """
    return _write(
        store, source, triples, started=started, files=files, counts=counts, shapes_digest=shapes_digest,
        notes=notes, used=used, expected_version=expected_version, synthetic=synthetic,
    )  # fmt: skip


def write_working_graph(store: Store, graph: str, triples: Iterable) -> None:
    """Replace a job's working graph: what its later steps read while it runs (the reasoner's pending entailments).

    Not a commit: no provenance, no quarantine, and the job drops the graph when it ends; the graph must lie where
    queries do not take it for data (under the inferred graph, which `infer=false` leaves out).
    """
    store.replace_graph(graph, triples)


def _write(
    store: Store,
    source: Source,
    triples: Iterable,
    *,
    started: datetime,
    files: Sequence[SourceFile],
    counts: tuple[int, int | None, int],
    shapes_digest: str | None,
    notes: Sequence[Literal],
    used: Sequence[str] = (),
    expected_version: str | None = None,
    synthetic: bool = False,
) -> Committed:
    """Replace the graph, then record the provenance: the one sequence every commit runs."""
    info = store.replace_graph(source.graph, triples, expected_version=expected_version)
    read, loaded, rejected = counts
    facts = provenance.LoadFacts(
        source.kind, source.key, source.graph, info.version, tuple(files), started, datetime.now(UTC), read,
        info.triples if loaded is None else loaded, rejected, shapes_digest, tuple(notes), tuple(used), synthetic,
    )  # fmt: skip
    activity = provenance.record_load(store, facts)
    return Committed(source.graph, info.version, True, info.triples, activity)


# --- undo and erasure -----------------------------------------------------------------------------------------


@dataclass
class RolledBack:
    """What a rollback did: the version now current, the one current until then, and the activity recording it."""

    info: GraphInfo
    previous: str | None
    activity: URIRef


def commit_rollback(store: Store, graph: str, version: str | None = None) -> RolledBack:
    """Make a kept version of `graph` current again (`Store.rollback`: one atomic switch), then record a PROV-O
    activity saying so: it used the version made current and invalidated the one current until then."""
    started = datetime.now(UTC)
    info, previous = store.rollback(graph, version)
    activity = ID[f"rollback/{uuid.uuid4().hex}"]
    facts = Graph()
    _activity(facts, activity, "rollback", "retour en arrière", started)
    facts.add((activity, PROV.used, URIRef(info.version)))
    if previous is not None:
        facts.add((activity, PROV.invalidated, URIRef(previous)))
    was = previous.rsplit("/", 1)[-1] if previous else "none (the graph had been dropped)"
    facts.add((activity, RDFS.comment, Literal(
        f"Rollback of {graph}: current version {was} → {info.version.rsplit('/', 1)[-1]} (a kept previous version "
        "made current again).", lang="en")))  # fmt: skip
    store.update(provenance.insert_data(facts))
    return RolledBack(info, previous, activity)


def commit_purge_record(store: Store, iri: str) -> tuple[list[Erased], URIRef | None]:
    """Erase record `iri` (every triple naming it) from every version and plain graph (`Store.purge_record`), then
    record a PROV-O purge activity that generated the graphs' new current versions; it does not name the record.

    Returns what was erased and the activity (None when nothing named the record)."""
    started = datetime.now(UTC)
    erased = store.purge_record(iri)
    if not erased:
        return erased, None
    activity = ID[f"purge/{uuid.uuid4().hex}"]
    facts = Graph()
    _activity(facts, activity, "purge", "effacement", started)
    for entry in erased:
        if entry.replaced_by is not None:
            new = URIRef(entry.replaced_by)
            facts.add((activity, PROV.generated, new))
            facts.add((new, RDF.type, AGRS.GraphVersion))
            facts.add((new, RDF.type, PROV.Entity))
            facts.add((new, AGRS.versionOf, URIRef(entry.graph)))
            facts.add((new, PROV.wasGeneratedBy, activity))
            facts.add((new, PROV.wasDerivedFrom, URIRef(entry.stored)))
    total = sum(entry.triples for entry in erased)
    facts.add((activity, RDFS.comment, Literal(
        f"Erasure of one record (personal data): {total} triples from {len(erased)} stored graphs (current and kept "
        "versions, plain graphs). The record is not named here.", lang="en")))  # fmt: skip
    store.update(provenance.insert_data(facts))
    return erased, activity


def commit_purge_source(store: Store, graph: str) -> tuple[list[Erased], URIRef | None]:
    """Erase a whole source (`Store.purge_graph`: its current and kept versions, and its provenance), then record a
    PROV-O purge activity that does not name it. Returns what was erased and the activity (None when nothing was)."""
    started = datetime.now(UTC)
    erased = store.purge_graph(graph)
    if not erased:
        return erased, None
    activity = ID[f"purge/{uuid.uuid4().hex}"]
    facts = Graph()
    _activity(facts, activity, "purge", "effacement", started)
    versions = sum(entry.graph == graph for entry in erased)
    facts.add((activity, RDFS.comment, Literal(
        f"Erasure of a whole source: {versions} stored versions and its provenance. The source is not named here.",
        lang="en")))  # fmt: skip
    store.update(provenance.insert_data(facts))
    return erased, activity


def _activity(facts: Graph, activity: URIRef, english: str, french: str, started: datetime) -> None:
    facts.add((activity, RDF.type, PROV.Activity))
    facts.add((activity, RDFS.label, Literal(english, lang="en")))
    facts.add((activity, RDFS.label, Literal(french, lang="fr")))
    facts.add((activity, PROV.startedAtTime, Literal(started.isoformat(), datatype=XSD.dateTime)))
    facts.add((activity, PROV.endedAtTime, Literal(datetime.now(UTC).isoformat(), datatype=XSD.dateTime)))


# --- the quarantine ---------------------------------------------------------------------------------------------


def quarantine_path(quarantine_dir: Path | str, kind: str, key: str) -> Path:
    """Return the quarantine file of a source: `<dir>/<kind>-<key>.jsonl`."""
    return Path(quarantine_dir) / f"{kind}-{key}.jsonl"


def warnings_path(quarantine_dir: Path | str, kind: str, key: str) -> Path:
    """Return the file of a source's loaded records that carry warnings: `<dir>/warnings/<kind>-<key>.jsonl`."""
    return Path(quarantine_dir) / "warnings" / f"{kind}-{key}.jsonl"


def quarantine_entry(record: Record, what: str = "problems") -> dict:
    """Return the JSON object of one record: where it was, what it said, and its problems (or its warnings)."""
    raw = record.raw
    found = record.problems if what == "problems" else record.warnings
    return {
        "file": raw.file,
        "line": raw.line,
        "fields": {name: value for name, value in raw.fields.items()},
        "original": raw.original,
        what: [{"field": p.field, "message": p.message, "rule": p.rule} for p in found],
    }


def write_quarantine(records: Iterable[Record], quarantine_dir: Path | str, kind: str, key: str) -> Path | None:
    """Write the rejected records (one JSON object per line); remove a stale file when there are none.

    Returns the file written, or None. The file is written beside and renamed, so a reader never sees half of it.
    """
    rejected = [record for record in records if record.rejected]
    return _write_lines(quarantine_path(quarantine_dir, kind, key), [quarantine_entry(r) for r in rejected])


def write_warnings(records: Iterable[Record], quarantine_dir: Path | str, kind: str, key: str) -> Path | None:
    """Write the loaded records that carry warnings, with them; remove a stale file when there are none."""
    warned = [record for record in records if record.warnings and not record.rejected]
    entries = [quarantine_entry(record, "warnings") for record in warned]
    return _write_lines(warnings_path(quarantine_dir, kind, key), entries)


def _write_lines(path: Path, entries: list[dict]) -> Path | None:
    if not entries:
        path.unlink(missing_ok=True)
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with open(partial, "w", encoding="utf-8") as stream:
        for entry in entries:
            stream.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
    partial.replace(path)
    return path
