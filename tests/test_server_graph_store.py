"""The Graph Store HTTP Protocol on /graph-store, over real HTTP against `agrs serve`: statuses, formats, the gate."""

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from agrs.server.graph_store.routes import PLAIN_GRAPH_LIMIT

TOKEN = "test-token"
WRITE = {"Authorization": f"Bearer {TOKEN}"}
TURTLE = {**WRITE, "Content-Type": "text/turtle; charset=utf-8"}
PERSON = """@prefix foaf: <http://xmlns.com/foaf/0.1/> .
<http://www.example/person/1> a foaf:Person ; foaf:name "Jeanne Dupré" ; foaf:knows [ foaf:name "Anne" ] .
"""
INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
GATED = "https://w3id.org/agrs/graph/test/x"
AGRS = "https://w3id.org/agrs/"
VALID = f'<{AGRS}id/x> <http://www.w3.org/2000/01/rdf-schema#label> "x" .'
# A local authority must also be typed agrs:Organisation and agrs:Actor (shapes/actor.shapes.ttl).
INVALID = f"<{AGRS}id/x> a <{AGRS}LocalAuthority> ."


def http(method: str, url: str, body: str | bytes | None = None, headers: dict | None = None):
    """Send one request; return (status, headers, body bytes) whatever the status."""
    data = body.encode() if isinstance(body, str) else body
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def gsp(server, graph: str | None = None) -> str:
    """Return the Graph Store URL naming `graph` (None: the default graph)."""
    if graph is None:
        return f"{server.url}/graph-store?default"
    return f"{server.url}/graph-store?graph={urllib.parse.quote(graph, safe='')}"


@pytest.fixture
def server(live_server):
    return live_server()


def test_put_get_post_delete_cycle(server):
    url = gsp(server, "http://www.example/person/1")
    assert http("GET", url)[0] == 404
    assert http("HEAD", url)[0] == 404
    assert http("PUT", url, PERSON, TURTLE)[0] == 201
    status, headers, body = http("GET", url, headers={"Accept": "text/turtle"})
    assert status == 200 and headers["Content-Type"] == "text/turtle; charset=utf-8"
    assert isomorphic(Graph().parse(data=body, format="turtle"), Graph().parse(data=PERSON, format="turtle"))
    status, headers, body = http("HEAD", url, headers={"Accept": "text/turtle"})
    assert status == 200 and headers["Content-Type"].startswith("text/turtle") and body == b""
    assert http("PUT", url, PERSON, TURTLE)[0] == 204  # replacing an existing graph
    extra = f'<http://www.example/person/1> <http://xmlns.com/foaf/0.1/age> "42"^^<{INTEGER}> .'
    assert http("POST", url, extra, {**WRITE, "Content-Type": "application/n-triples"})[0] == 204
    graph = Graph().parse(data=http("GET", url, headers={"Accept": "application/n-triples"})[2], format="nt")
    assert len(graph) == 5 and (None, None, Literal(42)) in graph
    assert http("DELETE", url, headers=WRITE)[0] == 204
    assert http("GET", url)[0] == 404
    assert http("DELETE", url, headers=WRITE)[0] == 404


def test_post_creates_a_graph_and_multipart_merges(server):
    url = gsp(server, "http://www.example/person/2")
    assert http("POST", url, PERSON, TURTLE)[0] == 201
    boundary = "b0undary"
    parts = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{name}"\r\n'
        f'Content-Type: text/turtle\r\n\r\n<http://www.example/person/2> <http://ex/{name}> "{name}" .\r\n'
        for name in ("a.ttl", "b.ttl")
    )
    headers = {**WRITE, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    assert http("POST", url, f"{parts}--{boundary}--\r\n", headers)[0] == 204
    graph = Graph().parse(data=http("GET", url)[2], format="turtle")
    assert (URIRef("http://www.example/person/2"), URIRef("http://ex/b.ttl"), Literal("b.ttl")) in graph


def test_post_to_the_store_creates_a_new_graph(server):
    status, headers, _ = http("POST", f"{server.url}/graph-store", PERSON, TURTLE)
    assert status == 201
    location = headers["Location"]
    assert http("GET", gsp(server, location))[0] == 200
    assert http("GET", location)[0] == 200  # direct identification: the graph's IRI is its URL


def test_default_graph_is_a_plain_graph_that_always_exists(server):
    assert http("GET", gsp(server))[0] == 200  # always exists
    assert http("PUT", gsp(server), PERSON, TURTLE)[0] == 204
    body = http("GET", gsp(server), headers={"Accept": "application/ld+json"})[2]
    assert len(Graph().parse(data=body, format="json-ld")) == 4
    same = http("GET", gsp(server, "https://w3id.org/agrs/graph/default"))[2]
    assert len(Graph().parse(data=same, format="turtle")) == 4
    assert http("DELETE", gsp(server), headers=WRITE)[0] == 204
    assert len(Graph().parse(data=http("GET", gsp(server))[2], format="turtle")) == 0


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("application/rdf+xml", '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
         'xmlns:ex="http://ex/"><rdf:Description rdf:about="http://ex/s"><ex:p>o</ex:p></rdf:Description></rdf:RDF>'),
        ("application/ld+json", '{"@id": "http://ex/s", "http://ex/p": "o"}'),
        ("application/n-triples", '<http://ex/s> <http://ex/p> "o" .'),
    ],
)  # fmt: skip
def test_request_body_formats(server, content_type, body):
    url = gsp(server, "http://ex/g")
    assert http("PUT", url, body, {**WRITE, "Content-Type": content_type})[0] == 201
    graph = Graph().parse(data=http("GET", url, headers={"Accept": "application/rdf+xml"})[2], format="xml")
    assert (URIRef("http://ex/s"), URIRef("http://ex/p"), Literal("o")) in graph


def test_bad_requests(server):
    url = gsp(server, "http://ex/g")
    status, _, body = http("PUT", url, "<http://ex/s> <http://ex/p>\n\n  'unterminated .", TURTLE)
    assert status == 400 and b"line 3" in body
    status, _, body = http("PUT", url, "x", {**WRITE, "Content-Type": "application/x-foo"})
    assert status == 415 and b"text/turtle" in body
    status, _, body = http("PUT", url, "<http://a> <http://b> <http://c> <http://g> .",
                           {**WRITE, "Content-Type": "application/n-quads"})  # fmt: skip
    assert status == 415 and b"dataset" in body
    assert http("GET", url)[0] == 404  # nothing was written
    assert http("GET", f"{server.url}/graph-store")[0] == 400  # no graph named
    assert http("GET", f"{server.url}/graph-store?default&graph=http%3A%2F%2Fex%2Fg")[0] == 400
    assert http("GET", gsp(server, "not an iri"))[0] == 400
    assert http("GET", gsp(server, "http://ex/g"), headers={"Accept": "image/png"})[0] == 406
    status, _, body = http("PUT", gsp(server, "https://w3id.org/agrs/graph/registry"), "", TURTLE)
    assert status == 403 and b"registry" in body


def test_plain_graph_payload_limit(server):
    body = "".join(f"<http://ex/s{i}> <http://ex/p> {i} .\n" for i in range(PLAIN_GRAPH_LIMIT + 1))
    status, _, message = http("PUT", gsp(server, "http://ex/big"), body, TURTLE)
    assert status == 413 and b"POST" in message
    assert http("GET", gsp(server, "http://ex/big"))[0] == 404


def test_write_auth_matrix(live_server, tmp_path):
    url_of = lambda server: gsp(server, "http://ex/auth")  # noqa: E731
    closed = live_server(token=None)
    status, _, body = http("PUT", url_of(closed), PERSON, {**TURTLE})
    assert status == 403 and b"--write-token" in body and b"AGRS_WRITE_TOKEN" in body
    assert http("GET", url_of(closed))[0] == 404  # reads stay public
    closed.stop()
    server = live_server()
    url = url_of(server)
    status, headers, _ = http("PUT", url, PERSON, {"Content-Type": "text/turtle"})
    assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer")
    assert http("PUT", url, PERSON, {"Content-Type": "text/turtle", "Authorization": "Bearer wrong"})[0] == 403
    assert http("PUT", url, PERSON, {"Content-Type": "text/turtle", "Authorization": "Basic dGVzdA=="})[0] == 401
    assert http("DELETE", url)[0] == 401
    assert http("GET", url)[0] == 404  # nothing was written by the refused requests
    assert http("PUT", url, PERSON, TURTLE)[0] == 201
    assert http("GET", url)[0] == 200  # no token needed to read


def test_gate_accepts_valid_and_rejects_invalid_content_whole(server):
    url = gsp(server, GATED)
    status, headers, body = http("PUT", url, INVALID, TURTLE)
    assert status == 422 and headers["Content-Type"].startswith("text/turtle")
    report = Graph().parse(data=body, format="turtle")
    assert (None, URIRef("http://www.w3.org/ns/shacl#conforms"), Literal(False)) in report
    assert http("GET", url)[0] == 404  # nothing written
    status, headers, body = http("PUT", url, INVALID, {**TURTLE, "Accept": "application/json"})
    assert status == 422 and json.loads(body)["violations"] >= 1
    assert http("PUT", url, VALID, TURTLE)[0] == 201
    assert http("PUT", url, VALID, TURTLE)[0] == 204
    # POST merges: the valid old content plus an invalid addition is refused as a whole, and nothing changes.
    assert http("POST", url, INVALID, TURTLE)[0] == 422
    graph = Graph().parse(data=http("GET", url)[2], format="turtle")
    assert len(graph) == 1
    assert http("DELETE", url, headers=WRITE)[0] == 204
    assert http("GET", url)[0] == 404


def test_gated_write_records_provenance(server):
    assert http("PUT", gsp(server, GATED), VALID, TURTLE)[0] == 201
    provenance = http("GET", gsp(server, "https://w3id.org/agrs/graph/provenance"))[2]
    graph = Graph().parse(data=provenance, format="turtle")
    assert (None, URIRef("http://www.w3.org/ns/prov#generated"), URIRef(GATED + "/v1")) in graph
