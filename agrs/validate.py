"""The SHACL gate: which records conform to the shapes, given what they point to — for loads and for HTTP writes.

`gate` validates the records that have no problem yet and adds a Problem (the SHACL path, the English and French
messages, the shape that fired) to each record a validation result is about. The data graph of a batch holds the
batch's triples, the descriptions of the nodes they point to that other records of the same load describe (when
the batch does not describe them itself), the ontology, and the stored descriptions around the batch's nodes
(a `StoredContext` the caller fetches from the store once per load). A record rejected in one round disappears
from the data of the next one, so that records pointing at it fail in turn (a partner whose territory was
rejected).

`gate_graph` is the same gate for a whole graph written at once (a Graph Store PUT or POST): the content is one
record, and the verdict keeps the results about it for the client's report.

Validation runs on the shapes compiled once (agrs.shacl_fast, `Resources.shacl_plan`): each batch's data goes
into an in-memory pyoxigraph store and is validated set at a time, only for the nodes the batch describes or
mentions (not the thousands of stored communes it points to). A batch is a whole load up to BATCH_TRIPLES
triples, so a load's records are validated once, together. When the compiled shapes use a construct the fast
engine does not evaluate (`plan.unsupported`), the data go into an rdflib graph instead, in batches of
PYSHACL_BATCH_SIZE records, and pySHACL validates them (agrs.shacl.validate: the reference). The verdicts and
their attribution to records are the same either way.
"""

import json
import weakref
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import SH
from rdflib.term import Literal, Node

from agrs.records import Problem, RawRecord, Record
from agrs.resources import Resources
from agrs.shacl import DataGraph, ValidationReport, ValidationResult, report_graph, validate
from agrs.store.base import Store
from agrs.store.terms import XSD_STRING, term_to_oxigraph
from agrs.stored_context import StoredContext, context_for

BATCH_TRIPLES = 2_000_000  # triples per fast validation run: bounds the in-memory store (≈1 GB at most)
PYSHACL_BATCH_SIZE = 5000  # records per pySHACL run (the fallback): bounds the rdflib data graph's memory
BATCH_SIZE = PYSHACL_BATCH_SIZE  # the fallback's batch size (the name callers know)
MAX_ROUNDS = 3  # re-validations after rejections; each round can only reject records pointing at rejected ones


def gate(
    records: Sequence[Record],
    shapes_graph: Graph,
    context: StoredContext,
    *,
    plan=None,
    fast: bool = True,
    batch_triples: int = BATCH_TRIPLES,
    batch_size: int = PYSHACL_BATCH_SIZE,
    progress=None,
) -> list[ValidationResult]:
    """Add SHACL problems to the records that do not conform; records already rejected are left out.

    Returns the results that were attributed to a record (violations and warnings), in the order found.
    `plan`: `shapes_graph` compiled (agrs.shacl_fast.compile_shapes, `Resources.shacl_plan`); compiled here (once
    per shapes graph) when not given. `fast=False`, or a plan with unsupported constructs, validates with pySHACL
    in batches of `batch_size` records; the fast path takes batches of about `batch_triples` triples.
    `progress`, when given, is called with the number of records validated after each batch.
    """
    plan = plan if plan is not None else plan_for(shapes_graph)
    engine = plan if fast and not plan.unsupported else None
    index = _NodeIndex(records)
    todo = [record for record in records if not record.rejected]
    found: list[ValidationResult] = []
    for _ in range(MAX_ROUNDS):
        rejected_now = []
        for batch in _batches(todo, batch_triples if engine is not None else None, batch_size):
            whole = len(batch) == index.valid()  # every valid record: nothing outside the batch to look up
            rejected_now += _validate_batch(batch, index, shapes_graph, engine, context, found, whole=whole)
            if progress is not None:
                progress(len(batch))
        if not rejected_now:
            break
        # Only the records pointing at a node that just lost its description can change their verdict.
        lost = {node for record in rejected_now for node in record.subjects}
        todo = [record for record in records if not record.rejected and _points_at(record, lost)]
        if not todo:
            break
    return found


_PLANS: "weakref.WeakKeyDictionary[Graph, object]" = weakref.WeakKeyDictionary()


def plan_for(shapes_graph: Graph):
    """Return `shapes_graph` compiled for the fast engine, compiled once per graph object (1–2 s each)."""
    plan = _PLANS.get(shapes_graph)
    if plan is None:
        from agrs.shacl_fast import compile_shapes

        plan = _PLANS[shapes_graph] = compile_shapes(shapes_graph)
    return plan


def _batches(records: Sequence[Record], triples: int | None, size: int) -> Iterator[Sequence[Record]]:
    """Cut `records` into batches of about `triples` triples (fast engine), or of `size` records (pySHACL)."""
    if triples is None:
        for start in range(0, len(records), size):
            yield records[start : start + size]
        return
    batch, count = [], 0
    for record in records:
        batch.append(record)
        count += len(record.triples)
        if count >= triples:
            yield batch
            batch, count = [], 0
    if batch:
        yield batch


@dataclass
class GateVerdict:
    """What the gate found about a graph written at once: its results (violations and warnings) about the content."""

    conforms: bool
    results: list[ValidationResult]

    @property
    def violations(self) -> int:
        """The number of results of severity sh:Violation."""
        return sum(result.is_violation for result in self.results)

    def as_turtle(self) -> bytes:
        """Return the results as a SHACL validation report in Turtle, with the project's prefixes."""
        return report_graph(self.results, self.conforms).serialize(format="turtle", encoding="utf-8")

    def as_json(self) -> bytes:
        """Return the results as JSON: one object per result (focus node, path, value, severity, messages, shape)."""
        results = [
            {
                "focusNode": _text(result.focus),
                "resultPath": _text(result.path),
                "value": _text(result.value),
                "severity": _text(result.severity),
                "messages": sorted(str(message) for message in result.messages),
                "sourceShape": _text(result.shape),
            }
            for result in self.results
        ]
        body = {"conforms": self.conforms, "violations": self.violations, "results": results}
        return json.dumps(body, ensure_ascii=False, indent=1).encode()


def gate_graph(store: Store, graph: str, content: Iterable[tuple], resources: Resources) -> GateVerdict:
    """Validate `content` (rdflib triples), the whole new content of data graph `graph`; nothing is written.

    The data validated is the content, the ontology, and what the other stored graphs say about the nodes the
    content mentions (two hops): a project pointing at a stored territory conforms when the territory is stored.
    Results about nodes the content neither describes nor mentions (a stored commune with a problem of its own)
    are not the writer's fault and are left out.
    """
    triples = list(content)
    record = Record(RawRecord(graph, None, {}), triples, {subject for subject, _, _ in triples})
    context = context_for(store, graph, [record], resources.ontology)
    results = gate([record], resources.shapes, context, plan=resources.shacl_plan)
    return GateVerdict(not record.rejected, results)


def problem_of(result: ValidationResult) -> Problem:
    """Return the Problem a record gets from a result: its message (`en / fr`), path as a CURIE, shape name."""
    return Problem(result.text(), result.path_text(), result.shape_name(), result.english())


def _points_at(record: Record, nodes: set[Node]) -> bool:
    """Return whether one of the record's triples has one of `nodes` as object."""
    return any(object_ in nodes for _, _, object_ in record.triples)


class _NodeIndex:
    """Which records describe (have as subject) each node, to add the descriptions of what a batch points to."""

    def __init__(self, records: Iterable[Record]):
        self.records = list(records)
        self.describers: dict[Node, list[Record]] = defaultdict(list)
        for record in self.records:
            for node in record.subjects:
                self.describers[node].append(record)

    def valid(self) -> int:
        """Return how many of the records are not rejected (now)."""
        return sum(not record.rejected for record in self.records)

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


def _validate_batch(
    batch: Sequence[Record],
    index: _NodeIndex,
    shapes: Graph,
    plan,
    context: StoredContext,
    found: list,
    *,
    whole: bool = False,
) -> list[Record]:
    """Validate one batch; add problems to its failing records, append the attributed results, return the failed.

    `plan`: the compiled shapes (fast engine), or None for pySHACL over `shapes`. `whole`: the batch holds every
    valid record of the load.
    """
    outside = [] if whole else index.referenced(batch)
    owners = _owners(batch)
    # Nodes described outside the batch are validated with their own records (or were, when stored): a result
    # about them (a stored commune whose département is not in this data) says nothing about the batch.
    foreign = {s for record in outside for s, _, _ in record.triples}
    if plan is not None:
        report = _validate_fast(batch, outside, plan, context, owners, foreign)
    else:
        report = _validate_pyshacl(batch, outside, shapes, context)
    mentions = _Mentions(batch)
    failed: dict[int, Record] = {}
    for result in report.results:
        culprits = owners.get(result.focus)
        if not culprits:
            if result.focus in foreign or context.describes(result.focus):
                continue
            culprits = mentions.of(result.focus)
        if not culprits:
            continue
        found.append(result)
        problem = problem_of(result)
        if result.severity != SH.Violation:
            for record in culprits:  # warnings and infos are reported, they do not reject a record
                if problem not in record.warnings:
                    record.warnings.append(problem)
            continue
        for record in culprits:
            if problem not in record.problems:
                record.problems.append(problem)
            failed[id(record)] = record
    return list(failed.values())


def _validate_fast(
    batch: Sequence[Record],
    outside: Sequence[Record],
    plan,
    context: StoredContext,
    owners: dict[Node, list[Record]],
    foreign: set[Node],
) -> ValidationReport:
    """Validate a batch with the compiled shapes over an in-memory store: the batch, what it points to, the ontology.

    Only the nodes a result could be attributed to are focus nodes: those the batch describes, and those it
    mentions that neither another record nor the store nor the ontology describes.
    """
    data = ox.Store()
    records = [*batch, *outside]
    _load_records(data, records)
    data.extend(context.ontology_quads())
    nodes = {node for record in records for s, _, o in record.triples for node in (s, o)}
    data.extend(ox.Quad(*triple) for triple in context.around(node for node in nodes if type(node) is URIRef))
    mentioned = nodes if not outside else {node for record in batch for s, _, o in record.triples for node in (s, o)}
    # Described elsewhere (the store, the ontology, another record of the load) and not by the batch: a result
    # about such a node is not the batch's, so it is not asked for.
    elsewhere = (context.described_nodes() | foreign) - owners.keys()
    return plan.validate(data, focus=mentioned - elsewhere)


def _load_records(data: ox.Store, records: Sequence[Record]) -> None:
    """Add the records' triples (rdflib terms) to the default graph of `data`, an empty store.

    Converting term by term costs about three times more than writing N-Triples text and letting Oxigraph parse
    it, so triples of IRIs and literals go as text; those with a blank node (the parser would rename it) or a
    term the text cannot carry go term by term.
    """
    lines: list[str] = []
    odd: list[tuple] = []
    literals: dict[Literal, str] = {}
    for record in records:
        for triple in record.triples:
            subject, predicate, object_ = triple
            if type(subject) is not URIRef or type(predicate) is not URIRef:
                odd.append(triple)
            elif type(object_) is URIRef:
                lines.append(f"<{subject}> <{predicate}> <{object_}> .")
            elif type(object_) is Literal:
                text = literals.get(object_)
                if text is None:
                    text = literals[object_] = _literal_text(object_)
                lines.append(f"<{subject}> <{predicate}> {text} .")
            else:
                odd.append(triple)
    try:
        data.load("\n".join(lines).encode(), format=ox.RdfFormat.N_TRIPLES)
    except (SyntaxError, ValueError):  # an IRI N-Triples cannot carry (a space…): every triple term by term
        data.clear()
        odd = [triple for record in records for triple in record.triples]
    convert = _Terms()
    data.extend(ox.Quad(convert(s), convert(p), convert(o)) for s, p, o in odd)


def _literal_text(literal: Literal) -> str:
    """Return a literal in N-Triples: its lexical form as written, escaped, then its language or datatype."""
    text = str(literal).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    if literal.language:
        return f'"{text}"@{literal.language}'
    if literal.datatype is not None and str(literal.datatype) != XSD_STRING:
        return f'"{text}"^^<{literal.datatype}>'
    return f'"{text}"'


def _validate_pyshacl(
    batch: Sequence[Record], outside: Sequence[Record], shapes: Graph, context: StoredContext
) -> ValidationReport:
    """Validate a batch with pySHACL over an rdflib graph: the batch, what it points to, the ontology."""
    data = DataGraph()
    data += context.ontology
    nodes: set[Node] = set()
    for record in [*batch, *outside]:
        for triple in record.triples:
            data.add(triple)
            nodes.update((triple[0], triple[2]))
    for triple in context.around_rdflib(node for node in nodes if isinstance(node, URIRef)):
        data.add(triple)
    return validate(data, shapes)


class _Terms:
    """rdflib terms converted to pyoxigraph terms, each distinct one once (IRIs and values repeat across records)."""

    def __init__(self):
        self.cache: dict[Node, object] = {}

    def __call__(self, term: Node):
        found = self.cache.get(term)
        if found is None:
            found = self.cache[term] = term_to_oxigraph(term)
        return found


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


def _text(node) -> str | None:
    return None if node is None else str(node)


__all__ = ["BATCH_SIZE", "BATCH_TRIPLES", "GateVerdict", "Resources", "gate", "gate_graph", "plan_for", "problem_of"]
