"""SHACL checks: the meta-shapes run on the ontology, and the shapes files checked as SHACL (through agrs.shacl)."""

from pathlib import Path

from rdflib import Graph, URIRef

from agrs.checks.faults import Fault
from agrs.shacl import ValidationResult, local_name, shacl_shacl, validate


def result_fault(check: str, result: ValidationResult, file: str | None = None) -> Fault:
    """Turn one validation result into a fault, named by the shape that fired."""
    text = result.english()
    if isinstance(result.path, URIRef):
        text = f"{text} (path {result.path_text()})"
    # A named shape names the rule; an anonymous one (as in SHACL-for-SHACL) is named by its constraint.
    rule = result.shape if isinstance(result.shape, URIRef) else result.component
    term = str(result.focus) if isinstance(result.focus, URIRef) else None
    return Fault(check, local_name(rule), text, term=term, file=file)


def faults_of(check: str, results: list[ValidationResult], file: str | None = None) -> list[Fault]:
    """Return one fault per result, sorted by rule, term and message."""
    faults = [result_fault(check, result, file) for result in results]
    return sorted(faults, key=lambda fault: (fault.rule, fault.term or "", fault.message))


def load_shapes(paths: list[Path]) -> Graph:
    """Return one graph holding every shapes file given."""
    graph = Graph()
    for path in paths:
        graph.parse(path, format="turtle")
    return graph


def check_meta_shapes(ontology: Graph, meta_shape_files: list[Path]) -> list[Fault]:
    """Run the meta-shapes (SHACL with SPARQL targets) on the ontology's own documents."""
    report = validate(ontology, load_shapes(meta_shape_files), inplace=False, allow_warnings=True)
    return [] if report.conforms else faults_of("meta-shapes", report.results)


def check_shacl_files(shape_files: list[Path]) -> list[Fault]:
    """Check each shapes file against the W3C SHACL-for-SHACL shapes graph (it must be valid SHACL)."""
    shapes_of_shapes = shacl_shacl()
    faults = []
    for path in shape_files:
        report = validate(Graph().parse(path, format="turtle"), shapes_of_shapes)
        if not report.conforms:
            faults += faults_of("shacl", report.results, str(path))
    return faults
