"""The SHACL gate: which mapped records conform to the shapes, given what they point to.

`gate` validates the records that have no problem yet and adds a Problem (the SHACL path, the English and French
messages, the shape that fired) to each record a validation result is about. The data graph of a batch holds the
batch's triples, the descriptions of the nodes they point to that other records of the same load describe (when
the batch does not describe them itself), the ontology, and the stored descriptions around the batch's nodes
(a `StoredContext` the caller fetches from the store once per load). A record rejected in one round disappears
from the data of the next one, so that records pointing at it fail in turn (a partner whose territory was
rejected).

The shapes and ontology graphs are parsed once by the caller and passed in: this module keeps no state.
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pyshacl import validate as shacl_validate
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import BNode, Literal, Node

from agrs.ns import prefixes
from agrs.paths import ontology_dir, shapes_dir
from agrs.records import Problem, Record
from agrs.sparql_text import translate_query
from agrs.stored_context import StoredContext

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
        ontology, files = load_ontology()
        return cls(load_shapes(), shapes_digest(), ontology, files)


def gate(
    records: Sequence[Record],
    shapes_graph: Graph,
    context: StoredContext,
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
            rejected_now += _validate_batch(batch, index, shapes_graph, context)
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
        """Return the valid records outside `batch` describing a node the batch points to (one hop).

        A node the batch describes itself is not looked up: every observation of a load describes the same period
        node, and fetching its other describers would pull the whole load into each batch.
        """
        inside = {id(record) for record in batch}
        described = {node for record in batch for node in record.subjects}
        wanted: set[Node] = set()
        for record in batch:
            for subject, _, object_ in record.triples:
                # Objects, and subjects the record states things about without describing them (an EPCI's
                # `member directlyWithin epci`): both need their own description in the data.
                nodes = (object_,) if subject in record.subjects else (subject, object_)
                wanted.update(node for node in nodes if not isinstance(node, Literal) and node not in described)
        found: dict[int, Record] = {}
        for node in wanted:
            for other in self.describers.get(node, ()):
                if id(other) not in inside and not other.rejected:
                    found[id(other)] = other
        return list(found.values())


class DataGraph(Graph):
    """A data graph whose SPARQL queries are parsed once per text: pyshacl runs a SPARQL constraint once per focus
    node with the same text (and the node as a binding), and rdflib would parse it every time (0.1 s each: a load
    of 2,000 dated records spent 90 % of its time parsing one query). Parsing goes through agrs.sparql_text's
    lock, since the server's gate validates in request threads.
    """

    def __init__(self):
        super().__init__()
        self._prepared: dict[str, object] = {}

    def query(self, query_object, *args, **kwargs):
        """Run a query like rdflib does, reusing the translated algebra of a query text seen before."""
        if isinstance(query_object, str):
            prepared = self._prepared.get(query_object)
            if prepared is None:
                prepared = self._prepared[query_object] = translate_query(query_object)
            query_object = prepared
        return super().query(query_object, *args, **kwargs)


def _validate_batch(batch: Sequence[Record], index: _NodeIndex, shapes: Graph, context: StoredContext) -> list[Record]:
    """Validate one batch; add problems to its failing records and return them."""
    data = DataGraph()
    data += context.ontology
    outside = index.referenced(batch)
    nodes: set[Node] = set()
    for record in [*batch, *outside]:
        for triple in record.triples:
            data.add(triple)
            nodes.update((triple[0], triple[2]))
    for triple in context.around(node for node in nodes if isinstance(node, URIRef)):
        data.add(triple)
    # inplace: the data graph is built for this run and thrown away; pyshacl would copy it first (about
    # half of a 5,000-observation batch's time).
    _, report, _ = shacl_validate(data, shacl_graph=shapes, inference="none", advanced=True, inplace=True)
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
            if focus in foreign or context.describes(focus):
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
    # pyshacl drops the language tags of messages it fills in ({?end} in a SPARQL constraint's): keep them all, in
    # a stable order, rather than one picked at random.
    text = " / ".join([*english[:1], *french[:1]]) or " / ".join(sorted(other)) or "does not conform to the shapes"
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
