"""Run the W3C SHACL core test suite (vendored in tests/w3c/shacl-core) with a validator; compare as W3C does.

Each test names a data graph and a shapes graph (most often its own file) and the expected validation report.
A validator's report passes when `sh:conforms` is the same and the results are the same multiset of (focus node,
result path, value, source constraint component, source shape, severity), messages ignored; a literal is
compared as Oxigraph stores it (the store writes "4.0"^^xsd:decimal as 4.0 and 4 alike, and an out-of-range
"300"^^xsd:byte as an xsd:integer). Blank nodes of the
data and shapes are the same terms in the report and the test file (one parse), and a complex result path (a
blank node) is compared by its structure. A test whose expected result is `sht:Failure` passes when the
validator raises.

    .venv/bin/python tests/w3c_shacl.py            # run pySHACL over the suite: prints the tests it fails
"""

import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, Namespace
from rdflib.namespace import RDF, SH
from rdflib.term import Node

SUITE = Path(__file__).resolve().parent / "w3c" / "shacl-core"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = Namespace("http://www.w3.org/ns/shacl-test#")
PATH_KEYS = (SH.inversePath, SH.alternativePath, SH.zeroOrMorePath, SH.oneOrMorePath, SH.zeroOrOnePath)


@dataclass
class W3CTest:
    """One sht:Validate entry: its name, graphs and expected report."""

    name: str
    data: Graph
    shapes: Graph
    manifest: Graph
    expected: Node  # the mf:result node in `manifest`
    data_triples: list  # the data graph as Oxigraph parsed it

    @property
    def expects_failure(self) -> bool:
        """Whether the test expects the validator to fail (sht:Failure)."""
        return self.expected == SHT.Failure


def parse(path: Path) -> tuple[list, Graph]:
    """Parse a test file with Oxigraph; return its triples and the same triples as an rdflib graph.

    Oxigraph keeps the lexical form of an ill-typed literal ("none"^^xsd:boolean), which rdflib's parser
    rewrites ("false"); a store filled from rdflib's parse would have lost it. Both graphs share blank node ids.
    """
    from agrs.store.terms import triple_to_rdflib

    triples = [q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=path.as_uri())]
    graph = Graph()
    for triple in triples:
        graph.add(triple_to_rdflib(triple))
    return triples, graph


def load_tests(suite: Path = SUITE) -> list[W3CTest]:
    """Read every sht:Validate entry of the suite's test files."""
    tests = []
    parsed: dict[Path, tuple] = {}

    def read(path: Path) -> tuple:
        if path not in parsed:
            parsed[path] = parse(path)
        return parsed[path]

    for path in sorted(suite.rglob("*.ttl")):
        _triples, graph = read(path)
        for entry in graph.subjects(RDF.type, SHT.Validate):
            action = graph.value(entry, MF.action)
            found = {}
            for role in (SHT.dataGraph, SHT.shapesGraph):
                found[role] = read(Path(str(graph.value(action, role)).removeprefix("file://")))
            name = f"{path.parent.name}/{str(entry).rsplit('/', 1)[-1]}"
            data_triples, data = found[SHT.dataGraph]
            tests.append(
                W3CTest(name, data, found[SHT.shapesGraph][1], graph, graph.value(entry, MF.result), data_triples)
            )
    return tests


def path_text(graph: Graph, node: Node) -> str:
    """Return a SHACL path as text, blank nodes replaced by their structure."""
    if not isinstance(node, BNode):
        return node.n3()
    if graph.value(node, RDF.first) is not None:
        return "(" + " / ".join(path_text(graph, item) for item in graph.items(node)) + ")"
    for key in PATH_KEYS:
        inner = graph.value(node, key)
        if inner is not None:
            if key == SH.alternativePath:
                return "(" + " | ".join(path_text(graph, item) for item in graph.items(inner)) + ")"
            return f"{key.n3()}({path_text(graph, inner)})"
    return node.n3()


def _term(term: Node | None) -> str | None:
    """Return a term as text; a literal as Oxigraph stores it (it writes "4.0"^^xsd:decimal as 4, the same value)."""
    if isinstance(term, Literal):
        from agrs.shacl_fast.terms import key_of
        from agrs.store.terms import term_to_oxigraph

        return key_of(term_to_oxigraph(term))
    return None if term is None else term.n3()


def expected_results(test: W3CTest) -> tuple[bool, Counter]:
    """Return the expected conformance and results of a test."""
    m, report = test.manifest, test.expected
    conforms = bool(m.value(report, SH.conforms).value)
    results = Counter()
    for node in m.objects(report, SH.result):
        path = m.value(node, SH.resultPath)
        results[
            (
                _term(m.value(node, SH.focusNode)),
                None if path is None else path_text(m, path),
                _term(m.value(node, SH.value)),
                _term(m.value(node, SH.sourceConstraintComponent)),
                _term(m.value(node, SH.sourceShape)),
                _term(m.value(node, SH.resultSeverity)),
            )
        ] += 1
    return conforms, results


def actual_results(test: W3CTest, report) -> tuple[bool, Counter]:
    """Return the conformance and results of an agrs.shacl.ValidationReport, keyed as `expected_results`."""
    results = Counter()
    for r in report.results:
        if r.detail:  # sh:detail results are not results of the report
            continue
        path = None if r.path is None else path_text(test.shapes, r.path)
        results[(_term(r.focus), path, _term(r.value), _term(r.component), _term(r.shape), _term(r.severity))] += 1
    return report.conforms, results


def store_of(triples: list) -> ox.Store:
    """Return an in-memory pyoxigraph store holding triples in its default graph."""
    store = ox.Store()
    store.extend([ox.Quad(t.subject, t.predicate, t.object) for t in triples])
    return store


def check(test: W3CTest, validate: Callable[[W3CTest], object]) -> str | None:
    """Run one test; return None when it passes, else why it fails."""
    try:
        report = validate(test)
    except Exception as error:  # a validator's error is the expected outcome of sht:Failure tests
        return None if test.expects_failure else f"raised {type(error).__name__}: {error}"
    if test.expects_failure:
        return "expected a failure, got a report"
    expected, actual = expected_results(test), actual_results(test, report)
    if expected == actual:
        return None
    missing = expected[1] - actual[1]
    extra = actual[1] - expected[1]
    return f"conforms {actual[0]} (expected {expected[0]}); missing {dict(missing)}; unexpected {dict(extra)}"


def pyshacl_validate(test: W3CTest):
    """Validate a test's data with pySHACL as agrs.shacl does (advanced features on, no inference)."""
    from agrs.shacl import validate

    return validate(test.data, test.shapes, inplace=False)


def fast_validate(test: W3CTest):
    """Validate a test's data with the fast engine alone (raises when the shapes use an unsupported construct)."""
    from agrs.shacl_fast import compile_shapes

    plan = compile_shapes(test.shapes)
    return plan.validate(store_of(test.data_triples))


def main() -> int:
    """Print the tests pySHACL fails (`name<TAB>reason`), for tests/w3c/pyshacl-failures.tsv."""
    validate = fast_validate if sys.argv[1:] == ["--fast"] else pyshacl_validate
    for test in load_tests():
        reason = check(test, validate)
        if reason is not None:
            print(f"{test.name}\t{reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
