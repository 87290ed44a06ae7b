"""`/search` over real HTTP: labels in French and English, accents, case and punctuation ignored; the search box
in the header of every page; the label index rebuilt when the store changes."""

import gc
import json
import urllib.parse
import urllib.request

import pyoxigraph as ox
import pytest

from agrs.server.pages.search import normalise

from conftest import DATA, LiveServer
from conftest import http_get as get

TERRITORIES = DATA / "loaders" / "territories"
ID = "https://w3id.org/agrs/id/"
AGRS = "https://w3id.org/agrs/"
SAINT_ETIENNE = ID + "commune/42218"
CEREMA = ID + "organisation/cerema"
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def _triples():
    commune = ox.NamedNode(SAINT_ETIENNE)
    yield commune, LABEL, ox.Literal("Saint-Étienne", language="fr")
    yield commune, RDF_TYPE, ox.NamedNode(AGRS + "Territory")
    yield commune, ox.NamedNode(AGRS + "hasLevel"), ox.NamedNode(AGRS + "level/commune")
    metropole = ox.NamedNode(ID + "epci/244200770")
    yield metropole, LABEL, ox.Literal("Saint-Étienne Métropole", language="fr")
    yield metropole, ox.NamedNode(AGRS + "hasLevel"), ox.NamedNode(AGRS + "level/epci")
    cerema = ox.NamedNode(CEREMA)
    yield cerema, LABEL, ox.Literal("Cerema", language="fr")
    yield cerema, RDF_TYPE, ox.NamedNode(AGRS + "Organisation")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`agrs serve` on the etalab fixtures (with the ontology and its concepts) plus a few named records."""
    from agrs.loaders.pipeline import run_load
    from agrs.loaders.territories import TerritoriesLoader
    from agrs.store import open_store

    folder = tmp_path_factory.mktemp("search")
    with open_store(folder / "store") as store:
        files = [TERRITORIES / f"etalab-{name}.json" for name in ("regions", "departements", "communes", "epci")]
        run_load(TerritoriesLoader(), files, store, quarantine_dir=folder / "quarantine")
        store.replace_graph("https://w3id.org/agrs/graph/test/search", _triples())
    gc.collect()
    live = LiveServer(folder / "store")
    yield live
    live.stop()


def search(server, text: str) -> dict:
    status, headers, body = get(f"{server.url}/search?" + urllib.parse.urlencode({"q": text}), "application/json")
    assert status == 200 and headers["content-type"].startswith("application/json")
    assert float(headers["x-search-time-ms"]) >= 0
    return json.loads(body)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Saint-Étienne", "saint etienne"), ("  ŒUVRE l'Été ", "oeuvre l ete"), ("Bourg-en-Bresse", "bourg en bresse")],
)
def test_normalise_ignores_case_accents_and_punctuation(text, expected):
    assert normalise(text) == expected


@pytest.mark.parametrize("text", ["saint-etienne", "SAINT ETIENNE", "Saint-Étienne", "saint étienne"])
def test_a_commune_is_found_without_its_accents(server, text):
    answer = search(server, text)
    first = answer["results"][0]
    assert first["iri"] == SAINT_ETIENNE and first["label"] == "Saint-Étienne" and first["match"] == "exact"
    assert first["href"] == "/id/commune/42218"
    assert {kind["iri"] for kind in first["types"]} >= {AGRS + "Territory", AGRS + "level/commune"}
    # the métropole matches too, after the commune (its label only starts with the query)
    assert [item["iri"] for item in answer["results"]][:2] == [SAINT_ETIENNE, ID + "epci/244200770"]


def test_an_english_concept_label_finds_its_concept(server):
    answer = search(server, "large groups")
    first = answer["results"][0]
    assert first["iri"] == AGRS + "actor-type/large-group" and first["language"] == "en"
    assert first["href"] == "/def/actor-type/large-group"
    assert AGRS + "ActorType" in {kind["iri"] for kind in first["types"]}
    assert search(server, "grands groupes")["results"][0]["iri"] == AGRS + "actor-type/large-group"


def test_an_organisation_and_a_class_are_found(server):
    assert search(server, "cerema")["results"][0]["iri"] == CEREMA
    assert search(server, "territoire")["results"][0]["iri"] == AGRS + "Territory"  # the class, label « territoire »


def test_words_in_another_order_still_match(server):
    assert SAINT_ETIENNE in {item["iri"] for item in search(server, "etienne saint")["results"]}


def test_nothing_found_and_nothing_asked(server):
    assert search(server, "zzzzqqq") == {"query": "zzzzqqq", "total": 0, "results": []}
    status, headers, body = get(server.url + "/search", "text/html")
    assert status == 200 and headers["content-type"].startswith("text/html") and 'name="q"' in body


def test_results_page_lists_matches_with_type_and_link(server):
    status, headers, body = get(server.url + "/search?q=saint-etienne", "text/html")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in headers["content-security-policy"]
    link = '<a href="/id/commune/42218" title="https://w3id.org/agrs/id/commune/42218" lang="fr">Saint-Étienne</a>'
    assert link in body
    assert 'href="/def/level/commune"' in body  # its kind, linked
    assert 'value="saint-etienne"' in body  # the query stays in the box


@pytest.mark.parametrize("path", ["/id/commune/75056", "/def/Territory", "/ontology", "/api/", "/sparql"])
def test_every_page_has_the_search_box(server, path):
    status, _, body = get(server.url + path, "text/html")
    assert status == 200
    assert 'action="/search"' in body and 'type="search" name="q"' in body


def test_the_index_follows_the_store(server):
    """A write through this server changes the store: the next search sees the new label."""
    assert search(server, "Zyxwvut")["total"] == 0
    body = f'<{ID}test/new> <http://www.w3.org/2000/01/rdf-schema#label> "Zyxwvut-sur-Mer"@fr .'.encode()
    request = urllib.request.Request(
        server.url + "/graph-store?graph=http://example.org/search-test", data=body, method="PUT",
        headers={"Content-Type": "application/n-triples", "Authorization": "Bearer test-token"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status in (201, 204)
    assert search(server, "zyxwvut sur mer")["results"][0]["iri"] == ID + "test/new"
