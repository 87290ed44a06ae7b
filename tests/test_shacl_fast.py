"""The fast SHACL engine (agrs.shacl_fast) gives pySHACL's verdicts: on every shape example, on real data with
injected violations, and on the W3C SHACL core tests (alone, without the pySHACL fallback).

Verdicts compared: conformance, and the multiset of results (focus node, result path, value, constraint
component, source shape, severity), with the messages wherever the shape declares sh:message (pySHACL fills a
SPARQL constraint's {?var} in). Literals are compared as Oxigraph stores them (agrs.shacl_fast.terms: "4.0" and
"4" are one xsd:decimal there). pySHACL's verdicts on the injected violations are committed
(tests/data/shacl_fast/*.expected.json); `AGRS_REGENERATE=1` runs pySHACL and writes them again.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox
import pytest
import shacl_fast_data as fixtures
import w3c_shacl
from rdflib import Graph, URIRef

from agrs.closure import load_closure
from agrs.paths import ontology_dir
from agrs.resources import Resources, load_shapes
from agrs.shacl import ValidationReport, validate, validate_store
from agrs.shacl_fast import compile_shapes
from agrs.store.terms import to_oxigraph

from conftest import DATA

EXAMPLES = sorted((DATA / "shapes" / "valid").glob("*.ttl")) + sorted((DATA / "shapes" / "invalid").glob("*.ttl"))
W3C_TESTS = w3c_shacl.load_tests()
PYSHACL_FAILS = dict(
    line.split("\t", 1)
    for line in (Path(__file__).parent / "w3c" / "pyshacl-failures.tsv").read_text(encoding="utf-8").splitlines()
    if line and not line.startswith("#")
)
REGENERATE = os.environ.get("AGRS_REGENERATE") == "1"


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes()


@pytest.fixture(scope="module")
def plan(shapes):
    return compile_shapes(shapes)


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return load_closure(ontology_dir()).union()


def quads(graph: Graph) -> list:
    return [ox.Quad(*to_oxigraph(triple)) for triple in graph]


def store_of(graph: Graph) -> ox.Store:
    store = ox.Store()
    store.extend(quads(graph))
    return store


# --- The API -----------------------------------------------------------------------------------------------------


def test_the_project_shapes_are_all_supported(plan):
    assert plan.shapes
    assert plan.unsupported == []


def test_resources_compile_the_plan_once():
    resources = Resources.load()
    assert resources.shacl_plan is resources.shacl_plan
    assert resources.shacl_plan.unsupported == []


def test_unsupported_constructs_are_listed_and_validate_store_falls_back_to_pyshacl():
    shapes = Graph().parse(
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
        ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:node ex:S ] .
        """,
        format="turtle",
    )
    plan = compile_shapes(shapes)
    assert plan.unsupported == ["recursive shapes"]
    with pytest.raises(ValueError):
        plan.validate(ox.Store())
    data = Graph().parse(data="<http://example.org/a> a <http://example.org/C> .", format="turtle")
    report = validate_store(store_of(data), plan)
    assert report.conforms


def test_focus_limits_the_results(plan, shapes, ontology):
    example = DATA / "shapes" / "invalid" / "CommuneShape--missing-code.ttl"
    assert example.exists()
    with _example_store(example, ontology) as store:
        everything = plan.validate(store)
        focus = {r.focus for r in everything.results}
        assert focus
        one = next(iter(focus))
        limited = plan.validate(store, focus={one})
        nothing = plan.validate(store, focus={URIRef("https://example.org/nobody")})
    assert sorted(map(str, limited.results)) == sorted(str(r) for r in everything.results if r.focus == one)
    assert nothing.conforms and not nothing.results


# --- The shape examples -------------------------------------------------------------------------------------------


@contextmanager
def _example_store(example: Path, ontology: Graph) -> Iterator[ox.Store]:
    store = ox.Store()
    store.extend(quads(ontology))
    added = quads(Graph().parse(example, format="turtle") - ontology)
    store.extend(added)
    yield store


def test_examples_found():
    assert EXAMPLES


@pytest.mark.parametrize("path", EXAMPLES, ids=[f"{p.parent.name}/{p.stem}" for p in EXAMPLES])
def test_example_verdict_equals_pyshacl(path: Path, plan, shapes, ontology):
    added = Graph().parse(path, format="turtle") - ontology
    ontology += added
    try:
        expected = validate(ontology, shapes)
        store = store_of(ontology)
    finally:
        ontology -= added
    fast = plan.validate(store)
    assert fast.conforms == expected.conforms
    assert fixtures.result_rows(fast, shapes) == fixtures.result_rows(expected, shapes)


# --- Injected violations at scale -------------------------------------------------------------------------------


def _check_against_expected(name: str, data: Graph, mutations: list[str], plan, shapes) -> None:
    data_digest = fixtures.digest(data)
    if REGENERATE:
        reference = validate(data, shapes, inplace=False)
        fixtures.write_expected(
            name, data_digest, reference.conforms, fixtures.result_rows(reference, shapes), mutations
        )
    expected = fixtures.read_expected(name)
    assert expected["data"] == data_digest, f"{name}: the data changed; run AGRS_REGENERATE=1 pytest {__file__}"
    fast: ValidationReport = plan.validate(store_of(data))
    assert not expected["conforms"] and len(expected["results"]) >= 40  # the mutations do fault the data
    assert fast.conforms == expected["conforms"]
    assert fixtures.result_rows(fast, shapes) == expected["results"]


def test_injected_violations_in_the_territories(plan, shapes, ontology):
    assert fixtures.COG.is_dir(), "run scripts/setup.sh (npm ci) for the COG files"
    data = fixtures.territories_graph()
    mutations = fixtures.targeted_territory_mutations(data) + fixtures.mutate(data, seed=13)
    data += ontology
    _check_against_expected("territories", data, mutations, plan, shapes)


@pytest.mark.slow
def test_injected_violations_in_a_size_s_demo(plan, shapes, ontology, tmp_path):
    data = fixtures.demo_graph(tmp_path)
    mutations = fixtures.mutate(data, seed=29)
    data += ontology
    _check_against_expected("demo-s", data, mutations, plan, shapes)


# --- W3C SHACL core tests ---------------------------------------------------------------------------------------


def test_w3c_suite_found():
    assert len(W3C_TESTS) > 90


def test_pyshacl_failures_are_what_pyshacl_fails():
    """The committed list of W3C tests pySHACL fails (its expected failures here) is still true."""
    failing = {test.name for test in W3C_TESTS if w3c_shacl.check(test, w3c_shacl.pyshacl_validate) is not None}
    assert failing == set(PYSHACL_FAILS)


@pytest.mark.parametrize("test", W3C_TESTS, ids=[test.name for test in W3C_TESTS])
def test_w3c_core(test: w3c_shacl.W3CTest):
    unsupported = compile_shapes(test.shapes).unsupported
    if unsupported:
        pytest.skip(f"the fast engine does not claim: {', '.join(unsupported)}")
    if test.name in PYSHACL_FAILS:
        pytest.xfail(f"pySHACL fails it too: {PYSHACL_FAILS[test.name]}")
    reason = w3c_shacl.check(test, w3c_shacl.fast_validate)
    assert reason is None, reason
