"""SHACL checks: the meta-shapes run on the ontology, and the shapes files checked as SHACL."""

from importlib.resources import files
from pathlib import Path

from pyshacl import validate
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SH

from agrs.checks.faults import Fault


def _local_name(node) -> str:
    return str(node).rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _english(messages: list[Literal]) -> str:
    for message in messages:
        if message.language == "en":
            return str(message)
    return str(messages[0]) if messages else ""


def report_to_faults(check: str, report: Graph) -> list[Fault]:
    """Turn a SHACL validation report into faults, one per result, named by the shape that fired."""
    faults = []
    for result in report.subjects(SH.resultSeverity, None):
        shape = report.value(result, SH.sourceShape)
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        messages = list(report.objects(result, SH.resultMessage))
        text = _english(messages) or "constraint not met"
        if path is not None and isinstance(path, URIRef):
            text = f"{text} (path {report.namespace_manager.normalizeUri(path)})"
        # A named shape names the rule; an anonymous one (as in SHACL-for-SHACL) is named by its constraint.
        rule = shape if isinstance(shape, URIRef) else report.value(result, SH.sourceConstraintComponent)
        faults.append(Fault(check, _local_name(rule), text, term=str(focus) if isinstance(focus, URIRef) else None))
    return sorted(faults, key=lambda fault: (fault.rule, fault.term or "", fault.message))


def load_shapes(paths: list[Path]) -> Graph:
    """Return one graph holding every shapes file given."""
    graph = Graph()
    for path in paths:
        graph.parse(path, format="turtle")
    return graph


def check_meta_shapes(ontology: Graph, meta_shape_files: list[Path]) -> list[Fault]:
    """Run the meta-shapes (SHACL with SPARQL targets) on the ontology's own documents."""
    conforms, report, _text = validate(
        ontology,
        shacl_graph=load_shapes(meta_shape_files),
        advanced=True,
        inference="none",
        allow_warnings=True,
    )
    return [] if conforms else report_to_faults("meta-shapes", report)


def check_shacl_files(shape_files: list[Path]) -> list[Fault]:
    """Check each shapes file against the W3C SHACL-for-SHACL shapes graph (it must be valid SHACL)."""
    shacl_shacl = Graph().parse(str(files("pyshacl") / "assets" / "shacl-shacl.ttl"), format="turtle")
    faults = []
    for path in shape_files:
        conforms, report, _text = validate(
            Graph().parse(path, format="turtle"), shacl_graph=shacl_shacl, inference="none"
        )
        if not conforms:
            faults += [
                Fault(f.check, f.rule, f.message, f.term, file=str(path)) for f in report_to_faults("shacl", report)
            ]
    return faults
