"""The SHACL gate: which mapped records conform to the shapes, given what they point to.

`gate` validates the records that have no problem yet and adds a Problem (the SHACL path, the English and French
messages, the shape that fired) to each record a validation result is about. The data graph of a batch holds the
batch's triples, the descriptions of the nodes they point to that other records of the same load describe, and
a context graph (the ontology, plus the stored descriptions of the nodes the load points to but does not
describe, which the caller fetches from the store). A record rejected in one round disappears from the data of
the next one, so that records pointing at it fail in turn (a partner whose territory was rejected).

The shapes and ontology graphs are parsed once by the caller and passed in: this module keeps no state.
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

from pyshacl import validate as shacl_validate
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import BNode, Literal, Node

from agrs.ns import prefixes
from agrs.paths import ontology_dir, shapes_dir
from agrs.records import Problem, Record

BATCH_SIZE = 5000  # records per pyshacl run: bounds the data graph's memory
MAX_ROUNDS = 3  # re-validations after rejections; each round can only reject records pointing at rejected ones


def shape_files(folder: Path | None = None) -> list[Path]:
    """Return the data shapes files (`<module>.shapes.ttl`, not the meta-shapes), sorted."""
    return sorted((folder or shapes_dir()).glob("*.shapes.ttl"))


def load_shapes(folder: Path | None = None) -> Graph:
    """Parse every data shapes file into one graph."""
    graph = Graph()
    for path in shape_files(folder):
        graph.parse(path, format="turtle")
    return graph


def shapes_digest(folder: Path | None = None) -> str:
    """Return the SHA-256 over the shapes files (name and content, in sorted order)."""
    digest = hashlib.sha256()
    for path in shape_files(folder):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def load_ontology(folder: Path | None = None) -> tuple[Graph, list[Path]]:
    """Return the merged ontology (imports inlined) and the files it was read from."""
    from agrs.closure import load_closure, merge

    closure = load_closure(folder or ontology_dir())
    if closure.faults:
        raise RuntimeError("the ontology does not load: " + "; ".join(str(fault) for fault in closure.faults))
    return merge(closure), sorted(closure.documents)


def gate(
    records: Sequence[Record],
    shapes_graph: Graph,
    context_graph: Graph,
    *,
    batch_size: int = BATCH_SIZE,
    progress=None,
) -> None:
    """Add SHACL problems to the records that do not conform; records already rejected are left out.

    `progress`, when given, is called with the number of records validated after each batch.
    """
    index = _NodeIndex(records)
    todo = [record for record in records if not record.rejected]
    for _ in range(MAX_ROUNDS):
        rejected_now = []
        for start in range(0, len(todo), batch_size):
            batch = todo[start : start + batch_size]
            rejected_now += _validate_batch(batch, index, shapes_graph, context_graph)
            if progress is not None:
                progress(len(batch))
        if not rejected_now:
            return
        # Only the records pointing at a node that just lost its description can change their verdict.
        lost = {node for record in rejected_now for node in record.subjects}
        todo = [record for record in records if not record.rejected and _points_at(record, lost)]
        if not todo:
            return


def _points_at(record: Record, nodes: set[Node]) -> bool:
    """Return whether one of the record's triples has one of `nodes` as object."""
    return any(object_ in nodes for _, _, object_ in record.triples)


class _NodeIndex:
    """Which records describe (have as subject) each node, to add the descriptions of what a batch points to."""

    def __init__(self, records: Iterable[Record]):
        self.describers: dict[Node, list[Record]] = defaultdict(list)
        for record in records:
            for node in record.subjects:
                self.describers[node].append(record)

    def referenced(self, batch: Sequence[Record]) -> list[Record]:
        """Return the valid records outside `batch` describing a node the batch points to (one hop)."""
        inside = {id(record) for record in batch}
        found: dict[int, Record] = {}
        for record in batch:
            for subject, _, object_ in record.triples:
                # Objects, and subjects the record states things about without describing them (an EPCI's
                # `member directlyWithin epci`): both need their own description in the data.
                nodes = (object_,) if subject in record.subjects else (subject, object_)
                for node in nodes:
                    if isinstance(node, Literal):
                        continue
                    for other in self.describers.get(node, ()):
                        if id(other) not in inside and not other.rejected:
                            found[id(other)] = other
        return list(found.values())


def _validate_batch(batch: Sequence[Record], index: _NodeIndex, shapes: Graph, context: Graph) -> list[Record]:
    """Validate one batch; add problems to its failing records and return them."""
    data = Graph()
    data += context
    outside = index.referenced(batch)
    for record in [*batch, *outside]:
        for triple in record.triples:
            data.add(triple)
    _, report, _ = shacl_validate(data, shacl_graph=shapes, inference="none", advanced=True)
    owners = _owners(batch)
    # Nodes described outside the batch are validated with their own records (or were, when stored): a result
    # about them (a stored commune whose département is not in this data) says nothing about the batch.
    foreign = {s for record in outside for s, _, _ in record.triples}
    mentions = _Mentions(batch)
    failed: dict[int, Record] = {}
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        culprits = owners.get(focus)
        if not culprits:
            if focus in foreign or (focus, None, None) in context:
                continue
            culprits = mentions.of(focus)
        problem = _problem(report, result)
        if report.value(result, SH.resultSeverity) != SH.Violation:
            for record in culprits:  # warnings and infos are reported, they do not reject a record
                if problem not in record.warnings:
                    record.warnings.append(problem)
            continue
        for record in culprits:
            if problem not in record.problems:
                record.problems.append(problem)
            failed[id(record)] = record
    return list(failed.values())


def _owners(batch: Sequence[Record]) -> dict[Node, list[Record]]:
    """Map each node the batch describes to its records."""
    owners: dict[Node, list[Record]] = defaultdict(list)
    for record in batch:
        for node in record.subjects:
            owners[node].append(record)
    return owners


class _Mentions:
    """Which records of a batch mention a node anywhere in their triples (built on first use: rarely needed)."""

    def __init__(self, batch: Sequence[Record]):
        self.batch = batch
        self.index: dict[Node, list[Record]] | None = None

    def of(self, node: Node) -> list[Record]:
        """Return the records of the batch whose triples mention `node` (fallback when none describes it)."""
        if self.index is None:
            self.index = defaultdict(list)
            for record in self.batch:
                for term in {term for triple in record.triples for term in triple}:
                    self.index[term].append(record)
        return self.index.get(node, [])


def _problem(report: Graph, result: Node) -> Problem:
    """Turn one sh:ValidationResult into a Problem: path as a CURIE, English / French message, shape name."""
    messages = list(report.objects(result, SH.resultMessage))
    english = [str(m) for m in messages if isinstance(m, Literal) and m.language == "en"]
    french = [str(m) for m in messages if isinstance(m, Literal) and m.language == "fr"]
    other = [str(m) for m in messages if not (isinstance(m, Literal) and m.language in ("en", "fr"))]
    text = " / ".join([*english[:1], *french[:1]]) or (other[0] if other else "does not conform to the shapes")
    path = report.value(result, SH.resultPath)
    shape = report.value(result, SH.sourceShape)
    return Problem(text, _curie(path) if path is not None else None, _local_name(shape))


def _curie(node: Node) -> str:
    """Return an IRI as prefix:local when a known namespace matches (the longest one), else in <…>."""
    if not isinstance(node, URIRef):
        return "(complex path)" if isinstance(node, BNode) else str(node)
    matches = [(namespace, prefix) for prefix, namespace in prefixes().items() if node.startswith(namespace)]
    if not matches:
        return f"<{node}>"
    namespace, prefix = max(matches, key=lambda match: len(match[0]))
    return f"{prefix}:{node[len(namespace) :]}"


def _local_name(node: Node | None) -> str | None:
    """Return the last segment of a shape's IRI (`Territory-hasLevel`), or None for a blank shape."""
    if not isinstance(node, URIRef):
        return None
    return str(node).rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
