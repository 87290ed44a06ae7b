"""Synthetic data, marked wherever it shows: a source loaded with `agrs load --synthetic` gets `agrs:synthetic true` on
its load and graph version (queryable through /sparql); the page of a record it wrote carries a banner, a page that
links to one marks the link, and every /api answer that names one says so (and its OpenAPI schema says how)."""

import gc
import json
import urllib.parse

import pyoxigraph as ox
import pytest
from test_server_api import openapi, walk_operations

from agrs.provenance import is_synthetic, synthetic_subjects
from agrs.store import open_store

from conftest import LiveServer, run_agrs
from conftest import http_get as get

ID = "https://w3id.org/agrs/id/"
AGRS = "https://w3id.org/agrs/"
BORDEAUX = ID + "commune/33063"
SYNTHETIC = ID + "test/synthetic-thing"
REAL = ID + "test/real-thing"
SEE_ALSO = "http://www.w3.org/2000/01/rdf-schema#seeAlso"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
BANNER = "Données synthétiques — synthetic data"
XSD_DECIMAL = "http://www.w3.org/2001/XMLSchema#decimal"
QUESTION = """#+ summary: Things and what they point to
#+ summary_fr: Les choses et ce qu'elles désignent
#+ description: D
#+ description_fr: D
#+ tags: [project]
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?thing ?target WHERE {
  ?thing rdfs:seeAlso ?target FILTER(STRSTARTS(STR(?thing), "https://w3id.org/agrs/id/test/")) } ORDER BY ?thing
"""


SYNTHETIC_INDICATOR = ID + "indicator/test-synthetic"
REAL_INDICATOR = ID + "indicator/test-real"


def _observation(key: str, indicator: str, value: str) -> list[tuple]:
    """An observation of Bordeaux in 2024."""
    node, period = ox.NamedNode(f"{ID}observation/test/{key}"), ox.NamedNode(ID + "period/2024")
    return [
        (node, ox.NamedNode(AGRS + "territory"), ox.NamedNode(BORDEAUX)),
        (node, ox.NamedNode(AGRS + "indicator"), ox.NamedNode(indicator)),
        (node, ox.NamedNode(AGRS + "period"), period),
        (node, ox.NamedNode(AGRS + "value"), ox.Literal(value, datatype=ox.NamedNode(XSD_DECIMAL))),
        (period, ox.NamedNode(AGRS + "periodCode"), ox.Literal("2024")),
    ]


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    """A store with a real record and Bordeaux (plain graph), and a synthetic one loaded by `agrs load --synthetic`."""
    folder = tmp_path_factory.mktemp("synthetic")
    with open_store(folder / "store") as store:
        store.replace_graph("https://w3id.org/agrs/graph/test/real", [
            (ox.NamedNode(BORDEAUX), ox.NamedNode(LABEL), ox.Literal("Bordeaux", language="fr")),
            (ox.NamedNode(REAL), ox.NamedNode(LABEL), ox.Literal("chose réelle", language="fr")),
            (ox.NamedNode(REAL), ox.NamedNode(SEE_ALSO), ox.NamedNode(BORDEAUX)),
            # a value of the synthetic indicator, held by a graph that is not synthetic (as a roll-up is)
            *_observation("rolled-up", SYNTHETIC_INDICATOR, "7"),
            *_observation("real", REAL_INDICATOR, "5"),
            (ox.NamedNode(REAL_INDICATOR), ox.NamedNode(LABEL), ox.Literal("indicateur réel", language="fr")),
        ])  # fmt: skip
    gc.collect()
    turtle = folder / "synthetic.ttl"
    turtle.write_text(f'<{SYNTHETIC}> <{LABEL}> "chose synthétique"@fr ; <{SEE_ALSO}> <{BORDEAUX}> .\n'
                      f'<{SYNTHETIC_INDICATOR}> <{LABEL}> "indicateur synthétique"@fr .\n')
    loaded = run_agrs("load", "rdf", str(turtle), "--key", "sample", "--synthetic", "--store", str(folder / "store"),
                      "--quarantine", str(folder / "quarantine"))  # fmt: skip
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    return folder / "store"


@pytest.fixture(scope="module")
def server(store_path, tmp_path_factory):
    questions = tmp_path_factory.mktemp("questions")
    (questions / "things.rq").write_text(QUESTION, encoding="utf-8")
    live = LiveServer(store_path, "--questions", str(questions))
    yield live
    live.stop()


def test_the_load_and_its_version_are_marked_in_the_provenance(server):
    query = f"""SELECT ?load ?version WHERE {{ GRAPH <{AGRS}graph/provenance> {{
      ?load a <{AGRS}Load> ; <{AGRS}synthetic> true ; <http://www.w3.org/ns/prov#generated> ?version .
      ?version <{AGRS}synthetic> true }} }}"""
    status, _, body = get(server.url + "/sparql?" + urllib.parse.urlencode({"query": query}),
                          "application/sparql-results+json")  # fmt: skip
    assert status == 200
    rows = json.loads(body)["results"]["bindings"]
    assert len(rows) == 1 and rows[0]["version"]["value"].startswith(AGRS + "graph/rdf/sample/v")


def test_is_synthetic_through_the_store(server):
    with open_store(server.store, read_only=True) as store:  # a reader beside the serving writer
        assert is_synthetic(store, SYNTHETIC) and not is_synthetic(store, REAL)
        assert synthetic_subjects(store.query, [SYNTHETIC, REAL, BORDEAUX]) == {SYNTHETIC}
    gc.collect()


def test_the_page_of_a_synthetic_record_has_the_banner(server):
    status, _, body = get(server.url + "/id/test/synthetic-thing", "text/html")
    assert status == 200 and BANNER in body and 'class="synthetic"' in body
    status, _, body = get(server.url + "/id/test/real-thing", "text/html")
    assert status == 200 and BANNER not in body and "synthétique / synthetic" not in body


def test_the_series_of_a_synthetic_indicator_is_marked_wherever_its_values_live(server):
    """A value of an indicator a synthetic load defined is synthetic, even in a graph that is not (a roll-up)."""
    status, _, body = get(server.url + "/id/commune/33063", "text/html")
    assert status == 200
    captions = {caption.split("</a>", 1)[0].rsplit(">", 1)[-1]: caption
                for caption in body.split("<figcaption>")[1:]}  # fmt: skip
    assert "synthetic-mark" in captions["indicateur synthétique"]
    assert "synthetic-mark" not in captions["indicateur réel"]


def test_a_page_linking_to_a_synthetic_record_marks_it(server):
    status, _, body = get(server.url + "/id/commune/33063", "text/html")
    assert status == 200
    assert "cette page montre 1 enregistrement synthétique" in body  # the note at the top
    synthetic_row = body.split('href="/id/test/synthetic-thing"', 1)[1].split("</tr>", 1)[0]
    assert "synthetic-mark" in synthetic_row
    real_row = body.split('href="/id/test/real-thing"', 1)[1].split("</tr>", 1)[0]
    assert "synthetic-mark" not in real_row


def test_an_api_answer_naming_a_synthetic_record_says_so(server):
    status, headers, body = get(server.url + "/api/things", "application/sparql-results+json")
    assert status == 200
    answer = json.loads(body)
    assert answer["synthetic"] is True and answer["synthetic_records"] == [SYNTHETIC]
    assert "synthetic" in answer["synthetic_note"] and len(answer["results"]["bindings"]) == 2
    assert headers["x-agrs-synthetic-records"] == "1"
    status, headers, body = get(server.url + "/api/things?format=csv")
    assert status == 200 and headers["x-agrs-synthetic-records"] == "1"
    # a page of the answer without the synthetic record says it holds none
    answer = json.loads(get(server.url + "/api/things?per_page=1&page=1", "application/json")[2])
    assert answer["results"]["bindings"][0]["thing"]["value"] == REAL and answer["synthetic"] is False
    assert "synthetic_records" not in answer


def test_the_openapi_document_describes_the_mark_and_answers_follow_it(server):
    document = openapi(server)
    ok = document["paths"]["/api/things"]["get"]["responses"]["200"]
    schema = ok["content"]["application/sparql-results+json"]["schema"]
    assert "synthetic" in schema["required"] and schema["properties"]["synthetic"]["type"] == "boolean"
    assert "X-AGRS-Synthetic-Records" in ok["headers"]
    assert walk_operations(server, document) == 2
