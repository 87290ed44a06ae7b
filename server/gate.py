"""The SHACL gate of Graph Store writes into the project's data graphs: the whole new content conforms, or nothing.

The data validated is the graph's complete new content, the ontology, and what the other stored graphs say about
the nodes the content mentions (two hops, as the loaders do): a project pointing at a stored territory conforms
when the territory is stored. Results about nodes the content neither describes nor mentions (a stored commune
with a problem of its own) are not the writer's fault and are left out. The shapes and the ontology
(`agrs.validate.Resources`) are parsed on first use and kept in the app's `extensions`.
"""

import json
import threading
from dataclasses import dataclass

from flask import current_app
from pyshacl import validate as shacl_validate
from rdflib import BNode, Graph, Literal
from rdflib.namespace import RDF, SH

from agrs.ns import bind_all
from agrs.stored_context import StoredContext
from agrs.validate import DataGraph, Resources

RESOURCES_KEY = "agrs.gate"  # app.extensions key of the parsed shapes and ontology


@dataclass
class GateVerdict:
    """What the gate found: `report` holds the violations (and warnings) about the content, as a SHACL report."""

    conforms: bool
    report: Graph
    violations: int

    def as_turtle(self) -> bytes:
        """Return the report as Turtle, with the project's prefixes."""
        bind_all(self.report)
        return self.report.serialize(format="turtle", encoding="utf-8")

    def as_json(self) -> bytes:
        """Return the results as JSON: one object per result (focus node, path, severity, messages, shape)."""
        results = []
        for result in self.report.subjects(RDF.type, SH.ValidationResult):
            value = self.report.value
            results.append(
                {
                    "focusNode": _text(value(result, SH.focusNode)),
                    "resultPath": _text(value(result, SH.resultPath)),
                    "value": _text(value(result, SH.value)),
                    "severity": _text(value(result, SH.resultSeverity)),
                    "messages": sorted(str(m) for m in self.report.objects(result, SH.resultMessage)),
                    "sourceShape": _text(value(result, SH.sourceShape)),
                }
            )
        body = {"conforms": self.conforms, "violations": self.violations, "results": results}
        return json.dumps(body, ensure_ascii=False, indent=1).encode()


class _Holder:
    """The parsed Resources of one app, loaded once even when two writes ask at the same time."""

    def __init__(self):
        self.lock = threading.Lock()
        self.resources = None

    def get(self):
        with self.lock:
            if self.resources is None:
                self.resources = Resources.load()
            return self.resources


def resources():
    """Return the app's parsed shapes and ontology (`agrs.validate.Resources`), parsing them once."""
    holder = current_app.extensions.setdefault(RESOURCES_KEY, _Holder())
    return holder.get()


def check(store, graph: str, content: Graph) -> GateVerdict:
    """Validate `content`, the whole new content of data graph `graph`, against the shapes; nothing is written."""
    parsed = resources()
    mentioned = {node for triple in content for node in (triple[0], triple[2])}
    context = StoredContext.fetch(store, graph, mentioned, parsed.ontology).graph()
    data = DataGraph()
    data += context
    data += content
    # inplace: the data graph is built for this run and thrown away; pyshacl would copy it first (about
    # half of a 5,000-observation batch's time).
    _, report, _ = shacl_validate(data, shacl_graph=parsed.shapes, inference="none", advanced=True, inplace=True)
    return _about_content(report, content, context)


def _about_content(report: Graph, content: Graph, context: Graph) -> GateVerdict:
    """Keep the results about the content: its subjects, or nodes it mentions that no stored graph describes."""
    subjects = set(content.subjects())
    mentioned = subjects | set(content.objects())
    kept = Graph()
    top = BNode()
    kept.add((top, RDF.type, SH.ValidationReport))
    violations = 0
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        if focus not in subjects and (focus not in mentioned or (focus, None, None) in context):
            continue
        kept.add((top, SH.result, result))
        _copy_description(report, result, kept)
        violations += report.value(result, SH.resultSeverity) == SH.Violation
    kept.add((top, SH.conforms, Literal(violations == 0)))
    return GateVerdict(violations == 0, kept, violations)


def _copy_description(source: Graph, node, target: Graph) -> None:
    """Copy `node`'s outgoing triples, following blank nodes (complex paths, nested results)."""
    todo, seen = [node], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for _, predicate, object_ in source.triples((current, None, None)):
            target.add((current, predicate, object_))
            if isinstance(object_, BNode):
                todo.append(object_)


def _text(node) -> str | None:
    return None if node is None else str(node)
