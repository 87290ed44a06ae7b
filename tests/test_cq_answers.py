"""The stored questions (queries/cq/*.rq) give their expected answers (tests/data/cq/*.json) on the fixture graph.

The fixture (tests/data/kg/*.ttl, one logical graph per file) is loaded with the ontology into a real embedded
store, `agrs.derived.reason.materialise` writes the inferred graph, and every expected file is checked: through the
library (agrs.questions) on the store, and through HTTP (`/api/<name>`, GET and POST) on a live `agrs serve` of it.
The format of the expected files is in tests/data/cq/README.md. Some expected answers hold only with inference:
those are also checked to differ when the inferred graph is left out (the fixture really exercises inference).
"""

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import DATA, REPO, LiveServer, http_get

FIXTURE = DATA / "kg"
EXPECTED = sorted((DATA / "cq").glob("*.json"))
QUESTIONS = sorted((REPO / "queries" / "cq").glob("*.rq"))
FIXTURE_GRAPH = "https://w3id.org/agrs/graph/fixture/"
XSD = "http://www.w3.org/2001/XMLSchema#"
JSON_RESULTS = "application/sparql-results+json"
NUMERIC = {XSD + name for name in ("integer", "decimal", "double", "float", "long", "int", "nonNegativeInteger")}

#: expected files whose answer changes when the inferred graph is left out, and the inference each relies on
NEEDS_INFERENCE = {
    "cq03-cooperation-between-actor-types": "TerritoryProject ⊑ CollectiveProject",
    "cq05-sdg-targets-of-pilot-territories": "within from directlyWithin; TerritoryProject ⊑ Project",
    "cq08-capacities-strengthened-by-projects": "TerritoryProject, IndividualProject ⊑ Project",
    "cq09-ademe-commons-same-challenge": "relatedCommons is symmetric",
    "cq10-levers-by-territory-type": "TerritoryProject, IndividualProject ⊑ Project",
    "cq11-disturbances-on-commons": "NaturalDisaster ⊑ Shock",
    "cq12-vital-needs-by-spatial-scale--alphaville": "within from directlyWithin",
    "cq14-resilience-loops-opportunities": "NaturalDisaster ⊑ Shock",
    "cq16-partners-of-pilot-territories": "within from directlyWithin; hasPartner ⊑ involves",
    "cq19-epci-commons-external-dependencies--metropole-alpha": "within from directlyWithin",
    "cq21-mutations-without-project--gammaville": "IndividualProject ⊑ Project",
    "cq22-mutations-by-territory-type": "NaturalDisaster ⊑ Disturbance, MaterialForce ⊑ Force",
    "cq26-funders-of-rural-projects": "IndividualProject ⊑ Project",
    "cq27-actors-outside-commons-projects": "carriedBy, hasPartner ⊑ involves",
    "cq28-decade-impacts-unaddressed": "TerritoryProject ⊑ Project",
    "cq30-ademe-commons-in-pilot-projects": "carriedBy, hasPartner, fundedBy ⊑ involves",
    "cq31-sdg-targets-per-vital-need": "IndividualProject ⊑ Project",
    "cq33-declared-vs-mobilised-capacities": "actsOn ⊑ territory",
    "cq34-indicators-before-after-project": "TerritoryProject ⊑ Project",
    "cq36-priority-levers-vs-projects": "IndividualProject ⊑ Project",
}


def test_there_are_expected_answers_and_fixture_files():
    assert EXPECTED, "no tests/data/cq/*.json"
    assert sorted(FIXTURE.glob("*.ttl")), "no tests/data/kg/*.ttl"
    assert len(QUESTIONS) >= 20


def test_every_question_has_an_expected_answer():
    stems = {path.stem.split("--")[0] for path in EXPECTED}
    missing = [path.stem for path in QUESTIONS if path.stem not in stems]
    assert not missing, f"questions without an expected answer in tests/data/cq/: {missing}"
    orphans = sorted(stem for stem in stems if not (REPO / "queries" / "cq" / f"{stem}.rq").exists())
    assert not orphans, f"expected answers for no question: {orphans}"


def test_inference_cases_are_expected_files():
    stems = {path.stem for path in EXPECTED}
    assert set(NEEDS_INFERENCE) <= stems


# --- the fixture store -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:
    """Build the fixture store once: ontology, one graph per fixture file, then the inferred graph."""
    from agrs.derived.reason import materialise
    from agrs.ontology_graph import ensure_ontology
    from agrs.resources import Resources
    from agrs.store.embedded import EmbeddedStore

    path = tmp_path_factory.mktemp("cq") / "store"
    with EmbeddedStore(path) as store:
        ensure_ontology(store, Resources.load())
        for source in sorted(FIXTURE.glob("*.ttl")):
            store.replace_graph(FIXTURE_GRAPH + source.stem, ox.parse(path=str(source), format=ox.RdfFormat.TURTLE))
        materialise(store)
    return path


@pytest.fixture(scope="module")
def store(store_path):
    """The fixture store, open read-only (a live server reads it too)."""
    from agrs.store.embedded import EmbeddedStore

    opened = EmbeddedStore(store_path, read_only=True)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def library():
    from agrs.questions import load_library

    return load_library()


@pytest.fixture(scope="module")
def server(store_path):
    """A live `agrs serve` on the fixture store (read-only: no write token)."""
    live = LiveServer(store_path, token=None)
    yield live
    live.stop()


# --- comparing answers -------------------------------------------------------------------------------------------

_LITERAL = re.compile(r'^"(?P<value>(?:[^"\\]|\\.)*)"(?:\^\^<(?P<datatype>[^>]*)>|@(?P<language>[A-Za-z0-9-]+))?$')


def _key(term: str | None):
    """Return a comparable key of an N-Triples term: numbers compare by value within their datatype."""
    if term is None:
        return None
    match = _LITERAL.match(term)
    if not match:
        return ("term", term)
    value = json.loads('"' + match["value"] + '"')  # N-Triples escapes are JSON's for what the fixture holds
    datatype = match["datatype"] or (None if match["language"] else XSD + "string")
    if datatype in NUMERIC:
        try:
            return ("number", datatype, Decimal(value).normalize())
        except InvalidOperation:
            pass
    return ("literal", value, datatype, (match["language"] or "").lower())


def _rows(variables: list[str], rows: list[dict]) -> list[tuple]:
    return [tuple(_key(row.get(name)) for name in variables) for row in rows]


def _ntriples(term) -> str | None:
    """N-Triples form of a pyoxigraph term (None when unbound)."""
    return None if term is None else str(term)


def _json_ntriples(binding: dict | None) -> str | None:
    """N-Triples form of a SPARQL 1.1 JSON results binding (None when unbound)."""
    if binding is None:
        return None
    if binding["type"] == "uri":
        return f"<{binding['value']}>"
    if binding["type"] == "bnode":
        return f"_:{binding['value']}"
    text = json.dumps(binding["value"], ensure_ascii=False)
    if "xml:lang" in binding:
        return f"{text}@{binding['xml:lang']}"
    datatype = binding.get("datatype")
    return text if datatype in (None, XSD + "string") else f"{text}^^<{datatype}>"


def _compare(expected: dict, variables: list[str], actual_rows: list[dict], where: str) -> None:
    assert variables == expected["variables"], f"{where}: variables {variables}"
    want, got = _rows(variables, expected["rows"]), _rows(variables, actual_rows)
    if not expected.get("ordered", False):
        want, got = sorted(want, key=repr), sorted(got, key=repr)
    assert got == want, f"{where}: got\n" + "\n".join(map(str, got)) + "\nexpected\n" + "\n".join(map(str, want))


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _question(path: Path) -> str:
    return path.stem.split("--")[0]


# --- the tests ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXPECTED, ids=[p.stem for p in EXPECTED])
def test_answer_through_the_library(path, store, library):
    expected = _load(path)
    answer = library[_question(path)].run(store, expected["params"])
    rows = [{name: _ntriples(row.get(name)) for name in answer.variables} for row in answer.rows]
    _compare(expected, answer.variables, rows, f"{path.name} (library)")


def _http_answer(server, path: Path, method: str) -> tuple[dict, list[str], list[dict]]:
    """Ask /api/<question> with the expected file's parameters (GET query string or POST JSON body)."""
    expected = _load(path)
    url = f"{server.url}/api/{_question(path)}"
    if method == "GET":
        status, headers, body = http_get(f"{url}?{urllib.parse.urlencode(expected['params'])}", JSON_RESULTS)
    else:
        request = urllib.request.Request(
            url, data=json.dumps(expected["params"]).encode(), method="POST",
            headers={"Content-Type": "application/json", "Accept": JSON_RESULTS},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                status, headers, body = answer.status, dict(answer.headers), answer.read().decode()
        except urllib.error.HTTPError as error:
            status, headers, body = error.code, dict(error.headers), error.read().decode()
    assert status == 200, body
    assert 'rel="next"' not in {k.lower(): v for k, v in headers.items()}.get("link", ""), "one page expected"
    results = json.loads(body)
    variables = results["head"]["vars"]
    bindings = results["results"]["bindings"]
    return expected, variables, [{name: _json_ntriples(b.get(name)) for name in variables} for b in bindings]


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("path", EXPECTED, ids=[p.stem for p in EXPECTED])
def test_answer_through_http(path, method, server):
    expected, variables, rows = _http_answer(server, path, method)
    _compare(expected, variables, rows, f"{path.name} (HTTP {method})")


@pytest.mark.parametrize("stem", sorted(NEEDS_INFERENCE), ids=sorted(NEEDS_INFERENCE))
def test_answer_needs_inference(stem, store, library):
    """Without the inferred graph the answer is wrong: the fixture holds the case only inference answers."""
    from agrs.graphs import is_inferred

    expected = _load(DATA / "cq" / f"{stem}.json")
    graphs = [info.graph for info in store.graphs() if not is_inferred(info.graph)]
    answer = library[_question(DATA / "cq" / f"{stem}.json")].run(store, expected["params"], graphs=graphs)
    rows = [{name: _ntriples(row.get(name)) for name in answer.variables} for row in answer.rows]
    with pytest.raises(AssertionError):
        _compare(expected, answer.variables, rows, stem)


# --- label columns -----------------------------------------------------------------------------------------------


def _iri_columns(expected: dict) -> list[str]:
    """The projected variables that hold an IRI in some row of an expected answer (label columns aside)."""
    return [name for name in expected["variables"]
            if any((row.get(name) or "").startswith("<") for row in expected["rows"])]  # fmt: skip


@pytest.mark.parametrize("path", EXPECTED, ids=[p.stem for p in EXPECTED])
def test_every_iri_column_has_its_label_columns(path):
    """Every IRI column ?x is followed by ?x_label_fr and ?x_label_en (queries/README.md, "Label columns")."""
    expected = _load(path)
    variables = expected["variables"]
    for name in _iri_columns(expected):
        at = variables.index(name)
        assert variables[at + 1 : at + 3] == [f"{name}_label_fr", f"{name}_label_en"], f"{path.name}: ?{name}"
        for row in expected["rows"]:
            for language in ("fr", "en"):
                label = row.get(f"{name}_label_{language}")
                assert label is None or label.endswith(f"@{language}"), f"{path.name}: {label}"


def test_label_columns_are_written_in_every_question_file():
    """The .rq files themselves project the label columns (any SPARQL client sees them), with one value per row."""
    checked = 0
    for path in QUESTIONS:
        text = path.read_text(encoding="utf-8")
        for name in sorted({n for e in EXPECTED if _question(e) == path.stem for n in _iri_columns(_load(e))}):
            for language in ("fr", "en"):
                assert f"(SAMPLE(?{name}_{language}) AS ?{name}_label_{language})" in text, f"{path.name}: ?{name}"
            checked += 1
        assert "GROUP BY" in text, f"{path.name}: label columns need GROUP BY so that a second label adds no row"
    assert checked > 100


def test_no_stored_question_pays_the_dataset_clause_parse():
    """The store parses a query with rdflib only when it may have a FROM clause (about 1 s for a long question)."""
    from agrs.store.guard import dataset_clauses, mentions_from

    assert mentions_from("SELECT * FROM <urn:g> { ?s ?p ?o }") and mentions_from("select * from named ex:g {}")
    assert not mentions_from("# stemming from the commons\nSELECT * { ?s ?p ?o }")
    assert dataset_clauses("SELECT * FROM <urn:g> { ?s ?p ?o }") == (["urn:g"], [])
    assert [path.name for path in QUESTIONS if mentions_from(path.read_text(encoding="utf-8"))] == []
