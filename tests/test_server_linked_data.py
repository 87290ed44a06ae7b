"""Linked-data pages over real HTTP: /id/…, /def/…, /page/…, /data/….<ext> and /ontology, on a store filled here."""

import gc
import re

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from conftest import DATA, LiveServer
from conftest import http_get as get

TERRITORIES = DATA / "loaders" / "territories"
ID = "https://w3id.org/agrs/id/"
TEST_GRAPH = "https://w3id.org/agrs/graph/test/pages"
PARIS = ID + "commune/75056"
GREETING = ID + "test/greeting"
POPULAR = ID + "test/popular"
POINTERS = 510  # more than describe.INCOMING_CAP (500)
UNIT = ID + "unit/%7Binhab%7D"  # the UCUM unit {inhab}, percent-encoded in the IRI as the indicators loader mints it
DEGREE = ID + "unit/%C2%B0C"  # an IRI holding the percent-encoded UTF-8 of a non-ASCII character
SUMMER = ID + "test/été"  # an IRI holding a non-ASCII character itself
PLACE = ID + "test/place"
EPCI, REGION = ID + "epci/200054781", ID + "region/11"
AGRS = "https://w3id.org/agrs/"
GEO_WITHIN = "http://www.opengis.net/ont/geosparql#sfWithin"
CONTAINED = "https://schema.org/containedInPlace"
RDF_FORMATS = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
    "application/n-triples": "nt",
}
EXTENSIONS = {"ttl": "text/turtle", "jsonld": "application/ld+json", "rdf": "application/rdf+xml",
              "nt": "application/n-triples"}  # fmt: skip


def _test_triples():
    """A resource with a French and an English label (one of them hostile HTML), and one with 510 incoming links."""
    label = ox.NamedNode(str(RDFS.label))
    greeting, popular = ox.NamedNode(GREETING), ox.NamedNode(POPULAR)
    yield greeting, label, ox.Literal("Bonjour", language="fr")
    yield greeting, label, ox.Literal("<script>alert('x')</script> Hello", language="en")
    yield greeting, ox.NamedNode("https://w3id.org/agrs/within"), ox.NamedNode(PARIS)
    yield ox.NamedNode(UNIT), label, ox.Literal("habitants", language="fr")
    yield ox.NamedNode(UNIT), label, ox.Literal("inhabitants", language="en")
    yield ox.NamedNode(DEGREE), label, ox.Literal("degré Celsius", language="fr")
    yield ox.NamedNode(SUMMER), label, ox.Literal("Été", language="fr")
    # as `agrs reason` leaves a place: its direct parent, what agrs:within infers, and the aligned super-properties
    place = ox.NamedNode(PLACE)
    yield place, label, ox.Literal("Lieu de test", language="fr")
    yield place, ox.NamedNode(AGRS + "directlyWithin"), ox.NamedNode(EPCI)
    for prop in (AGRS + "within", GEO_WITHIN, CONTAINED):
        for parent in (EPCI, REGION):
            yield place, ox.NamedNode(prop), ox.NamedNode(parent)
    points = ox.NamedNode("http://example.org/points")
    for number in range(POINTERS):
        yield ox.NamedNode(f"{ID}test/pointer-{number:03}"), points, popular
        # the unit is as popular (every observation names it): its documents carry the truncation note
        yield ox.NamedNode(f"{ID}test/pointer-{number:03}"), points, ox.NamedNode(UNIT)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One `agrs serve` on a store holding the etalab fixtures (and the ontology) plus the test graph."""
    from agrs.loaders.pipeline import run_load
    from agrs.loaders.territories import TerritoriesLoader
    from agrs.store import open_store

    folder = tmp_path_factory.mktemp("linked-data")
    with open_store(folder / "store") as store:
        files = [TERRITORIES / f"etalab-{name}.json" for name in ("regions", "departements", "communes", "epci")]
        run_load(TerritoriesLoader(), files, store, quarantine_dir=folder / "quarantine")
        store.replace_graph(TEST_GRAPH, _test_triples())
    gc.collect()  # RocksDB closes with the last pyoxigraph object (a query result may outlive close())
    live = LiveServer(folder / "store")
    yield live
    live.stop()


def parse(body: str, media_type: str) -> Graph:
    return Graph().parse(data=body, format=RDF_FORMATS[media_type])


def test_html_page_shows_labels_types_properties_and_incoming_links(server):
    status, headers, body = get(server.url + "/id/commune/75056", "text/html")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "<h1>Paris</h1>" in body
    assert 'href="/def/Territory"' in body  # the type, linked locally, named by its label
    assert ">territoire</a>" in body
    assert 'href="/def/hasLevel"' in body and 'href="/def/level/commune"' in body
    # a linked resource is shown by its label, and links to its own page
    assert (
        '<a href="/id/epci/200054781" title="https://w3id.org/agrs/id/epci/200054781">Métropole du Grand Paris</a>'
        in body
    )
    # incoming: the arrondissement points at Paris, and the test resource too
    assert 'href="/id/arrondissement-municipal/75101"' in body and 'href="/id/test/greeting"' in body
    assert "Incoming links (3)" in body
    for extension in EXTENSIONS:
        assert f'href="/data/id/commune/75056.{extension}"' in body
    assert "accept" in headers["vary"].lower()
    assert "default-src 'self'" in headers["content-security-policy"]  # the page loads nothing off this origin


def test_browser_accept_gets_html_and_no_accept_gets_html(server):
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert get(server.url + "/id/commune/75056", browser)[1]["content-type"].startswith("text/html")
    assert get(server.url + "/id/commune/75056")[1]["content-type"].startswith("text/html")


def test_both_labels_shown_and_label_html_escaped(server):
    status, _, body = get(server.url + "/id/test/greeting", "text/html")
    assert status == 200
    assert "Bonjour" in body and "Hello" in body
    assert "@fr" in body and "@en" in body
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Hello" in body


@pytest.mark.parametrize("media_type", RDF_FORMATS)
def test_rdf_formats_by_accept_hold_outgoing_incoming_and_labels(server, media_type):
    status, headers, body = get(server.url + "/id/commune/75056", media_type)
    assert status == 200
    assert headers["content-type"].split(";")[0] == media_type
    assert "accept" in headers["vary"].lower()
    assert headers["content-location"].startswith("/data/id/commune/75056.")
    graph = parse(body, media_type)
    paris, agrs = URIRef(PARIS), "https://w3id.org/agrs/"
    assert (paris, RDFS.label, Literal("Paris", lang="fr")) in graph
    assert (paris, RDF.type, URIRef(agrs + "Territory")) in graph
    assert (URIRef(GREETING), URIRef(agrs + "within"), paris) in graph  # incoming
    epci = URIRef(ID + "epci/200054781")
    assert (epci, RDFS.label, Literal("Métropole du Grand Paris", lang="fr")) in graph  # label of an object


@pytest.mark.parametrize("extension", EXTENSIONS)
def test_data_documents_by_extension(server, extension):
    status, headers, body = get(server.url + f"/data/id/commune/75056.{extension}", "text/html")
    assert status == 200 and headers["content-type"].split(";")[0] == EXTENSIONS[extension]
    assert (URIRef(PARIS), RDFS.label, Literal("Paris", lang="fr")) in parse(body, EXTENSIONS[extension])


def test_format_parameter_overrides_accept(server):
    status, headers, _ = get(server.url + "/id/commune/75056?format=jsonld", "text/html")
    assert status == 200 and headers["content-type"].startswith("application/ld+json")


def test_page_path_is_html_whatever_the_accept(server):
    status, headers, body = get(server.url + "/page/id/commune/75056", "text/turtle")
    assert status == 200 and headers["content-type"].startswith("text/html") and "<h1>Paris</h1>" in body


def test_incoming_links_are_paginated_with_their_count(server):
    status, _, body = get(server.url + "/id/test/popular", "text/html")
    assert status == 200
    assert f"Incoming links ({POINTERS})" in body
    pages = -(-POINTERS // 100)
    assert f"links 1–100 of {POINTERS} (page 1/{pages})" in body
    assert body.count('href="/id/test/pointer-') == 100
    assert 'rel="next" href="/id/test/popular?page=2#incoming"' in body and 'rel="prev"' not in body
    seen = set(re.findall(r'href="/id/test/pointer-(\d+)"', body))
    for number in range(2, pages + 1):
        status, _, later = get(server.url + f"/id/test/popular?page={number}", "text/html")
        assert status == 200 and f"(page {number}/{pages})" in later and 'rel="prev"' in later
        assert ('rel="next"' in later) == (number < pages)
        found = set(re.findall(r'href="/id/test/pointer-(\d+)"', later))
        assert not found & seen  # the pages do not overlap…
        seen |= found
    assert len(seen) == POINTERS  # …and together list every link
    assert get(server.url + "/id/test/popular?page=0", "text/html")[0] == 400
    status, _, text = get(server.url + "/id/test/popular", "text/turtle")
    graph = parse(text, "text/turtle")
    assert len(set(graph.subjects(URIRef("http://example.org/points"), URIRef(POPULAR)))) == 500
    notes = [str(note) for note in graph.objects(None, RDFS.comment)]
    assert any(f"500 of the {POINTERS} triples" in note for note in notes)


def test_unknown_resource_is_404_in_html_and_plain(server):
    status, headers, body = get(server.url + "/id/commune/00000", "text/html")
    assert status == 404 and headers["content-type"].startswith("text/html")
    assert "https://w3id.org/agrs/id/commune/00000" in body
    status, headers, body = get(server.url + "/id/commune/00000", "text/turtle")
    assert status == 404 and headers["content-type"].startswith("text/plain") and "no triple" in body
    assert get(server.url + "/data/id/commune/00000.ttl")[0] == 404


def raw_get(server, path: str) -> tuple[int, str]:
    """GET `path` sent byte for byte as given (no client-side quoting)."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.putheader("Accept", "text/html")
        connection.endheaders()
        answer = connection.getresponse()
        return answer.status, answer.read().decode()
    finally:
        connection.close()


def test_iri_with_forbidden_characters_is_refused(server):
    status, body = raw_get(server, "/id/a{b")  # a raw `{`: no IRI holds one
    assert status == 400 and "not a valid IRI" in body
    # percent-encoded, the same characters are part of a valid IRI, which the store does not hold
    status, _, body = get(server.url + "/id/a%3Eb%20c", "text/html")
    assert status == 404 and "https://w3id.org/agrs/id/a%3Eb%20c" in body


@pytest.mark.parametrize(
    ("path", "iri"),
    [
        ("/id/unit/%7Binhab%7D", UNIT),  # the IRI keeps its %7B: never decoded into `{`
        ("/id/unit/%7binhab%7d", UNIT),  # hexadecimal digits in either case (RFC 3986 §6.2.2.1)
        ("/page/id/unit/%7Binhab%7D", UNIT),
        ("/id/unit/%C2%B0C", DEGREE),  # the IRI holds the percent-encoding itself
        ("/id/test/%C3%A9t%C3%A9", SUMMER),  # the IRI holds the characters (RFC 3987 §3.2)
        ("/id/%74est/%C3%A9t%C3%A9", SUMMER),  # an encoded unreserved character is that character
    ],
)
def test_percent_encoded_iris_are_served_as_they_are(server, path, iri):
    status, _, body = get(server.url + path, "text/html")
    assert status == 200, body
    assert f'<p class="iri">{iri}</p>' in body


def test_a_decoded_path_is_not_the_encoded_iri(server):
    """`%257B` is `%7B` sent encoded: the IRI …/unit/%257Binhab%257D, which the store does not hold."""
    assert get(server.url + "/id/unit/%257Binhab%257D", "text/html")[0] == 404


ALTERNATE = re.compile(r'<link rel="alternate" type="([^"]+)" href="([^"]+)">')
FORMAT_LINK = re.compile(r'<a href="(/data/[^"]+)">(Turtle|JSON-LD|RDF/XML|N-Triples)</a>')
NAMES = {"Turtle": "text/turtle", "JSON-LD": "application/ld+json", "RDF/XML": "application/rdf+xml",
         "N-Triples": "application/n-triples"}  # fmt: skip


@pytest.mark.parametrize(
    ("path", "iri"),
    [
        ("/id/commune/75056", PARIS),
        ("/id/unit/%7Binhab%7D", UNIT),
        ("/id/unit/%C2%B0C", DEGREE),
        ("/id/test/%C3%A9t%C3%A9", SUMMER),
        ("/def/Territory", AGRS + "Territory"),
        ("/def/level/commune", AGRS + "level/commune"),
    ],
)
def test_every_alternate_format_link_answers_its_media_type(server, path, iri):
    status, _, body = get(server.url + path, "text/html")
    assert status == 200
    alternates = ALTERNATE.findall(body)
    formats = [(NAMES[name], href) for href, name in FORMAT_LINK.findall(body)]
    assert len(alternates) == 4 and sorted(alternates) == sorted(formats), (alternates, formats)
    for media_type, href in alternates:
        status, headers, text = get(server.url + href.replace("&amp;", "&"), "text/html")
        assert status == 200, (href, status, text[:300])
        assert headers["content-type"].split(";")[0] == media_type, href
        graph = parse(text, media_type)
        assert (URIRef(iri), None, None) in graph, href
        assert headers["content-location"] == href  # the document names itself by the link the page gave
        if iri == UNIT:  # truncated: the note is about the document, named with the IRI's own %7B
            assert list(graph.subjects(RDFS.comment, None)) == [URIRef(server.url + href)], href


def test_aligned_and_entailed_relations_are_shown_once(server):
    """within, geo:sfWithin and schema:containedInPlace say the same: one row, the aligned ones named beside it."""
    status, _, body = get(server.url + "/id/test/place", "text/html")
    assert status == 200
    properties = body.split("<h2>Propriétés / Properties</h2>", 1)[1].split('<h2 id="incoming">', 1)[0]
    assert properties.count('href="/id/region/11"') == 1  # within, sfWithin and containedInPlace: once
    assert properties.count('href="/id/epci/200054781"') == 1  # directlyWithin, restated by the three: once
    assert 'href="/def/directlyWithin"' in properties and 'href="/def/within"' in properties
    assert f'href="{GEO_WITHIN}"' not in properties.split("aussi / also:")[0]  # not a row of its own
    also = properties.split("aussi / also:", 1)[1].split("</th>", 1)[0]
    assert ">geo:sfWithin</a>" in also and ">schema:containedInPlace</a>" in also
    assert "the values of « " in properties  # within says it holds directlyWithin's values too
    # incoming: the place points at the region with three properties; it is listed once
    status, _, body = get(server.url + "/id/region/11", "text/html")
    incoming = body.split('<h2 id="incoming">', 1)[1]
    assert incoming.count('href="/id/test/place"') == 1
    assert "links shown" not in incoming  # folding is not truncation: no "n of m links shown"
    assert ">geo:sfWithin</a>" in incoming and ">schema:containedInPlace</a>" in incoming
    # the RDF documents keep every triple: only the page folds them
    graph = parse(get(server.url + "/id/test/place", "text/turtle")[2], "text/turtle")
    assert (URIRef(PLACE), URIRef(CONTAINED), URIRef(REGION)) in graph


def test_unacceptable_type_is_406_naming_the_offer(server):
    status, _, body = get(server.url + "/id/commune/75056", "image/png")
    assert status == 406 and "text/turtle" in body


def test_ontology_term_page_in_both_languages(server):
    status, _, body = get(server.url + "/def/Territory", "text/html")
    assert status == 200
    assert "territoire" in body and "territory" in body and "@fr" in body and "@en" in body
    status, _, body = get(server.url + "/def/level/commune", "text/html")
    assert status == 200 and "commune" in body and "Plus petite collectivité" in body and "smallest French" in body
    assert 'href="/id/commune/75056"' in body  # the data point at the concept: incoming links


@pytest.mark.parametrize("media_type", ["text/turtle", "application/rdf+xml", "application/ld+json"])
def test_whole_ontology_in_rdf(server, media_type):
    status, headers, body = get(server.url + "/ontology", media_type)
    assert status == 200 and headers["content-type"].split(";")[0] == media_type
    graph = parse(body, media_type)
    assert (URIRef("https://w3id.org/agrs/ontology"), RDF.type, OWL.Ontology) in graph
    assert (URIRef("https://w3id.org/agrs/Territory"), RDF.type, OWL.Class) in graph


def test_ontology_html_lists_terms_with_links(server):
    status, headers, body = get(server.url + "/ontology", "text/html")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert 'href="/def/Territory"' in body and 'href="/def/level"' in body
    assert "Classes" in body and "Object properties" in body
    status, headers, _ = get(server.url + "/ontology/agrs.ttl")
    assert status == 200 and headers["content-type"].startswith("text/turtle")


def test_terms_come_from_the_files_before_any_load(tmp_path):
    """A store with no ontology graph still serves the ontology (parsed from the package's files)."""
    from agrs.server.app import close_app, create_app
    from agrs.server.config import ServerConfig

    app = create_app(ServerConfig(store=tmp_path / "store"))
    try:
        client = app.test_client()
        answer = client.get("/def/Territory", headers={"Accept": "text/turtle"})
        assert answer.status_code == 200
        graph = Graph().parse(data=answer.get_data(as_text=True), format="turtle")
        assert (URIRef("https://w3id.org/agrs/Territory"), RDFS.label, Literal("territoire", lang="fr")) in graph
        assert client.get("/ontology", headers={"Accept": "text/html"}).status_code == 200
        assert client.get("/id/commune/75056", headers={"Accept": "text/html"}).status_code == 404
    finally:
        close_app(app)
