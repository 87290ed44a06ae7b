"""The query side of /sparql over real HTTP: the three ways to send a query, the dataset parameters, the default
dataset (inferred graphs, `infer=false`), formats by Accept and `format`, the Protocol's error statuses, the
service description, CORS for reads, the access log, and SPARQLWrapper as a client. Content negotiation is also
tested on its own.
"""

import csv
import io
import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef

from agrs.server.conneg import negotiate
from agrs.store import open_store

A = "https://w3id.org/agrs/graph/test/a"
B = "https://w3id.org/agrs/graph/test/b"
INFERRED = "https://w3id.org/agrs/graph/inferred/test"
EX = "http://example.org/"
P, Q, LABEL = EX + "p", EX + "q", "http://www.w3.org/2000/01/rdf-schema#label"

RESULTS = ("application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values")
GRAPHS = ("text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json")
COUNT_P = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{P}> ?o }}"


def node(name: str) -> ox.NamedNode:
    return ox.NamedNode(EX + name)


def fill(path: Path) -> Path:
    """A store with graph A (5 subjects with <p> and a French label), B (3 with <p>), INFERRED (2 with <q>)."""
    with open_store(path) as store:
        triples = [(node(f"a{i}"), ox.NamedNode(P), ox.Literal(str(i))) for i in range(5)]
        triples += [(node(f"a{i}"), ox.NamedNode(LABEL), ox.Literal(f"sujet {i}", language="fr")) for i in range(5)]
        store.replace_graph(A, triples)
        store.replace_graph(B, [(node(f"b{i}"), ox.NamedNode(P), ox.Literal(str(i))) for i in range(3)])
        store.replace_graph(INFERRED, [(node(f"a{i}"), ox.NamedNode(Q), node("Thing")) for i in range(2)])
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One `agrs serve` on a filled store for the read-only tests of this module."""
    from conftest import LiveServer

    live = LiveServer(fill(tmp_path_factory.mktemp("query") / "store"), "--cors-origin", "https://allowed.example")
    yield live
    live.stop()


def http(method: str, url: str, data: bytes | str | None = None, headers: dict | None = None):
    """Send one request; return (status, headers, body) whatever the status."""
    if isinstance(data, str):
        data = data.encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def get(server, accept: str | None = None, **parameters):
    query = urllib.parse.urlencode(parameters, doseq=True)
    return http("GET", f"{server.url}/sparql?{query}", headers={"Accept": accept} if accept else {})


def number(body: bytes) -> int:
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


def media(headers) -> str:
    return headers["Content-Type"].split(";")[0].strip()


# --- content negotiation on its own ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "fmt", "offered", "expected"),
    [
        (None, None, RESULTS, RESULTS[0]),
        ("", None, RESULTS, RESULTS[0]),
        ("*/*", None, GRAPHS, "text/turtle"),
        ("text/csv;q=0.5, application/sparql-results+xml", None, RESULTS, "application/sparql-results+xml"),
        ("text/*", None, RESULTS, "text/csv"),
        ("text/*;q=0.2, application/*;q=0.1", None, RESULTS, "text/csv"),
        ("text/turtle;q=0, */*;q=0.1", None, GRAPHS, "application/n-triples"),
        ("application/json", None, RESULTS, "application/sparql-results+json"),
        ("application/xml", None, RESULTS, "application/sparql-results+xml"),
        ("image/png", None, RESULTS, None),
        ("application/sparql-results+json;q=0", None, RESULTS[:1], None),
        ("text/turtle", "csv", RESULTS, "text/csv"),
        (None, "json", RESULTS, "application/sparql-results+json"),
        (None, "xml", GRAPHS, "application/rdf+xml"),
        (None, "json", GRAPHS, "application/ld+json"),
        (None, "ttl", GRAPHS, "text/turtle"),
        (None, "nt", GRAPHS, "application/n-triples"),
        (None, "application/ld+json", GRAPHS, "application/ld+json"),
        (None, "csv", GRAPHS, None),
        (None, "bogus", RESULTS, None),
    ],
)
def test_negotiate(accept, fmt, offered, expected):
    assert negotiate(accept, offered, fmt) == expected


# --- the three ways to send a query ----------------------------------------------------------------------------


def test_get_post_form_and_post_direct_give_the_same_answer(server):
    status, headers, body = get(server, query=COUNT_P)
    assert (status, media(headers), number(body)) == (200, "application/sparql-results+json", 8)
    form = urllib.parse.urlencode({"query": COUNT_P})
    status, _, body = http("POST", f"{server.url}/sparql", form, {"Content-Type": "application/x-www-form-urlencoded"})
    assert (status, number(body)) == (200, 8)
    status, _, body = http(
        "POST", f"{server.url}/sparql", COUNT_P, {"Content-Type": "application/sparql-query; charset=utf-8"}
    )
    assert (status, number(body)) == (200, 8)


def test_head_answers_headers_only(server):
    status, headers, body = http("HEAD", f"{server.url}/sparql?" + urllib.parse.urlencode({"query": COUNT_P}))
    assert status == 200 and media(headers) == "application/sparql-results+json" and body == b""


# --- the dataset -----------------------------------------------------------------------------------------------


def test_default_graph_is_the_union_with_inferred_graphs_unless_infer_false(server):
    ask = f"ASK {{ <{EX}a0> <{Q}> <{EX}Thing> }}"
    assert json.loads(get(server, query=ask)[2])["boolean"] is True
    assert json.loads(get(server, query=ask, infer="false")[2])["boolean"] is False
    assert json.loads(get(server, query=ask, infer="true")[2])["boolean"] is True
    status, _, body = get(server, query=ask, infer="maybe")
    assert status == 400 and b"infer" in body


def test_default_graph_uri_and_named_graph_uri_set_the_dataset(server):
    assert number(get(server, query=COUNT_P, **{"default-graph-uri": A})[2]) == 5
    assert number(get(server, query=COUNT_P, **{"default-graph-uri": [A, B]})[2]) == 8
    # Only named graphs given: the default graph is empty, the named ones are reachable with GRAPH.
    assert number(get(server, query=COUNT_P, **{"named-graph-uri": B})[2]) == 0
    in_graphs = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s <{P}> ?o }} }}"
    assert number(get(server, query=in_graphs, **{"named-graph-uri": B})[2]) == 3
    assert number(get(server, query="SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", **{
        "default-graph-uri": "http://example.org/no-such-graph"})[2]) == 0  # fmt: skip


def test_protocol_dataset_overrides_from(server):
    from_a = f"SELECT (COUNT(*) AS ?n) FROM <{A}> WHERE {{ ?s <{P}> ?o }}"
    assert number(get(server, query=from_a)[2]) == 5
    assert number(get(server, query=from_a, **{"default-graph-uri": B})[2]) == 3


def test_post_form_reads_dataset_parameters_from_url_and_body(server):
    form = urllib.parse.urlencode({"query": COUNT_P, "default-graph-uri": B})
    status, _, body = http(
        "POST", f"{server.url}/sparql?default-graph-uri={urllib.parse.quote(A, safe='')}", form,
        {"Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    assert (status, number(body)) == (200, 8)


# --- formats ---------------------------------------------------------------------------------------------------

SELECT_LABELS = f"SELECT ?s ?label WHERE {{ ?s <{LABEL}> ?label }} ORDER BY ?s"
CONSTRUCT_LABELS = f"CONSTRUCT {{ ?s <{LABEL}> ?label }} WHERE {{ ?s <{LABEL}> ?label }}"


@pytest.mark.parametrize("accept", RESULTS)
def test_select_in_every_results_format(server, accept):
    status, headers, body = get(server, accept, query=SELECT_LABELS)
    assert status == 200 and media(headers) == accept
    if accept == "text/csv":  # lossy: pyoxigraph does not parse it (see test_csv_is_plain_values)
        assert len(body.decode().strip().splitlines()) == 6
    else:
        solutions = list(ox.parse_query_results(body, format=_results_format(accept)))
        assert len(solutions) == 5
        assert solutions[0]["label"] == ox.Literal("sujet 0", language="fr")
    assert "Accept" in headers["Vary"]


def _results_format(media_type: str):
    return {
        "application/sparql-results+json": ox.QueryResultsFormat.JSON,
        "application/sparql-results+xml": ox.QueryResultsFormat.XML,
        "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    }[media_type]


def test_csv_is_plain_values(server):
    _, _, body = get(server, "text/csv", query=SELECT_LABELS)
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert rows[0] == ["s", "label"] and rows[1] == [EX + "a0", "sujet 0"]


def test_ask_as_json_and_xml(server):
    ask = f"ASK {{ ?s <{P}> ?o }}"
    status, headers, body = get(server, "application/sparql-results+xml", query=ask)
    assert status == 200 and media(headers) == "application/sparql-results+xml" and b"<boolean>true</boolean>" in body
    assert json.loads(get(server, "application/json", query=ask)[2])["boolean"] is True


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "xml"),
        ("application/ld+json", "json-ld"),
        ("application/n-quads", "nquads"),
        ("application/trig", "trig"),
    ],
)
def test_construct_in_every_rdf_format(server, accept, rdflib_format):
    status, headers, body = get(server, accept, query=CONSTRUCT_LABELS)
    assert status == 200 and media(headers) == accept
    graph = Graph().parse(data=body, format=rdflib_format)
    assert len(graph) == 5 and (URIRef(EX + "a0"), URIRef(LABEL), None) in graph


def test_describe_gives_rdf(server):
    status, headers, body = get(server, "text/turtle", query=f"DESCRIBE <{EX}a1>")
    assert status == 200 and media(headers) == "text/turtle"
    assert len(Graph().parse(data=body, format="turtle")) >= 2


def test_format_parameter_wins_over_accept(server):
    status, headers, _ = get(server, "application/sparql-results+xml", query=SELECT_LABELS, format="csv")
    assert (status, media(headers)) == (200, "text/csv")
    status, headers, _ = get(server, "text/turtle", query=CONSTRUCT_LABELS, format="jsonld")
    assert (status, media(headers)) == (200, "application/ld+json")


def test_wildcards_and_q_values(server):
    assert media(get(server, "text/*", query=SELECT_LABELS)[1]) == "text/csv"
    accept = "application/sparql-results+json;q=0.5, application/sparql-results+xml;q=0.9"
    assert media(get(server, accept, query=SELECT_LABELS)[1]) == "application/sparql-results+xml"
    assert media(get(server, "*/*", query=CONSTRUCT_LABELS)[1]) == "text/turtle"


def test_nothing_acceptable_is_406(server):
    status, _, body = get(server, "image/png", query=SELECT_LABELS)
    assert status == 406 and b"application/sparql-results+json" in body
    status, _, body = get(server, "application/sparql-results+json", query=CONSTRUCT_LABELS)
    assert status == 406 and b"text/turtle" in body
    assert get(server, query=SELECT_LABELS, format="turtle")[0] == 406


# --- the Protocol's errors -------------------------------------------------------------------------------------


def test_malformed_query_is_400_with_the_parser_message(server):
    status, headers, body = get(server, query="SELECT * WHERE { ?s ?p ")
    assert status == 400 and media(headers) == "text/plain"
    assert b"not valid SPARQL" in body and b"error at 1:" in body


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405(server, method):
    status, headers, _ = http(method, f"{server.url}/sparql?query=ASK%7B%7D", b"", {"Content-Type": "text/plain"})
    assert status == 405 and "POST" in headers["Allow"]


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/json", "application/sparql-query; charset=UTF-16"],
)
def test_post_of_another_media_type_is_415(server, content_type):
    import http.client

    headers = {"Content-Type": content_type} if content_type else {}
    body = "ASK {}".encode("utf-16") if content_type and "16" in content_type else b"ASK {}"
    # http.client, not urllib: urllib gives a body without Content-Type the form media type.
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request("POST", "/sparql", body=body, headers=headers)
        answer = connection.getresponse()
        text = answer.read()
        assert answer.status == 415, text
        assert (b"UTF-8" if content_type and "16" in content_type else b"application/sparql-query") in text
    finally:
        connection.close()


def test_several_queries_or_query_and_update_are_400(server):
    status, _, body = get(server, query=["ASK {}", "SELECT * {}"])
    assert status == 400 and b"one query" in body
    form = urllib.parse.urlencode({"query": "ASK {}", "update": "CLEAR ALL"})
    status, _, body = http("POST", f"{server.url}/sparql", form, {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400 and b"not both" in body
    status, _, _ = http(
        "POST", f"{server.url}/sparql?update=CLEAR%20ALL", "ASK {}", {"Content-Type": "application/sparql-query"}
    )
    assert status == 400


def test_update_by_get_is_refused(server):
    status, _, body = get(server, update="CLEAR ALL")
    assert status == 400 and b"POST" in body
    assert number(get(server, query=COUNT_P)[2]) == 8


def test_form_without_query_is_400(server):
    status, _, body = http("POST", f"{server.url}/sparql", "x=1", {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400 and b"query=" in body


# --- the service description -----------------------------------------------------------------------------------


def test_get_without_query_is_the_service_description(server):
    status, headers, body = get(server, "text/turtle")
    assert status == 200 and media(headers) == "text/turtle"
    graph = Graph().parse(data=body, format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    assert (None, URIRef(sd + "endpoint"), URIRef(server.url + "/sparql")) in graph
    status, headers, body = get(server, "application/ld+json")
    assert status == 200 and len(Graph().parse(data=body, format="json-ld")) > 0
    status, headers, body = get(server)  # no Accept: RDF (Turtle), not HTML
    assert media(headers) == "text/turtle"


def test_a_browser_gets_html(server):
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    status, headers, _ = get(server, accept)
    assert status == 200 and media(headers) == "text/html"


# --- CORS and the access log -----------------------------------------------------------------------------------


def test_cors_for_reads_from_allowed_origins(server):
    origin = {"Origin": "https://allowed.example"}
    url = f"{server.url}/sparql?" + urllib.parse.urlencode({"query": COUNT_P})
    _, headers, _ = http("GET", url, headers=origin)
    assert headers["Access-Control-Allow-Origin"] == "https://allowed.example" and "Origin" in headers["Vary"]
    _, headers, _ = http("GET", url, headers={"Origin": "https://other.example"})
    assert "Access-Control-Allow-Origin" not in headers
    _, headers, _ = http(
        "POST", f"{server.url}/sparql", COUNT_P, {**origin, "Content-Type": "application/sparql-query"}
    )
    assert headers["Access-Control-Allow-Origin"] == "https://allowed.example"
    preflight = {**origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    status, headers, _ = http("OPTIONS", f"{server.url}/sparql", headers=preflight)
    assert status == 200 and "POST" in headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in headers["Access-Control-Allow-Headers"]
    assert "Authorization" not in headers["Access-Control-Allow-Headers"]  # no cross-site writes


def test_cors_is_not_given_to_updates(live_server, tmp_path):
    live = live_server()
    headers = {"Origin": "https://a.example", "Content-Type": "application/sparql-update",
               "Authorization": "Bearer test-token"}  # fmt: skip
    status, headers, _ = http("POST", f"{live.url}/sparql", "INSERT DATA { <x:s> <x:p> <x:o> }", headers)
    assert status == 204
    assert "Access-Control-Allow-Origin" not in headers
    _, headers, _ = http("GET", f"{live.url}/sparql?query=ASK%7B%7D", headers={"Origin": "https://a.example"})
    assert headers["Access-Control-Allow-Origin"] == "*"  # the default: any origin may read


def test_access_log_is_one_json_line_per_request(live_server, tmp_path):
    live = live_server(store=fill(tmp_path / "logged"))
    get(live, query=COUNT_P)
    get(live, query=CONSTRUCT_LABELS)
    get(live, query="ASK {")
    http("GET", f"{live.url}/health")
    lines = [json.loads(line) for line in live.stop().splitlines() if line.startswith("{")]
    queries = [line for line in lines if line["path"] == "/sparql"]
    assert [(line["status"], line["kind"]) for line in queries] == [(200, "select"), (200, "construct"), (400, "query")]
    for line in queries:
        assert {"time", "method", "path", "status", "bytes", "duration_ms", "kind"} <= set(line)
        assert line["method"] == "GET" and line["bytes"] > 0 and line["duration_ms"] >= 0
    assert any(line["path"] == "/health" and line["kind"] is None for line in lines)


# --- a real client ---------------------------------------------------------------------------------------------


def test_sparqlwrapper_select_construct_ask(server):
    from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper

    client = SPARQLWrapper(server.url + "/sparql")
    client.setQuery(SELECT_LABELS)
    client.setReturnFormat(JSON)
    rows = client.query().convert()["results"]["bindings"]
    assert [row["label"]["value"] for row in rows] == [f"sujet {i}" for i in range(5)]
    assert rows[0]["label"]["xml:lang"] == "fr"

    client.setQuery(CONSTRUCT_LABELS)
    client.setReturnFormat(TURTLE)
    graph = Graph().parse(data=client.query().convert(), format="turtle")
    assert len(graph) == 5

    client.setQuery(f"ASK {{ <{EX}a0> <{P}> ?o }}")
    client.setReturnFormat(JSON)
    assert client.query().convert()["boolean"] is True

    client.setMethod("POST")  # SPARQLWrapper's POST is the form encoding
    client.setQuery(COUNT_P)
    assert int(client.query().convert()["results"]["bindings"][0]["n"]["value"]) == 8


def test_queries_see_writes(live_server, tmp_path):
    live = live_server(store=fill(tmp_path / "written"))
    count = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{EX}plain> {{ ?s ?p ?o }} }}"
    assert number(get(live, query=count)[2]) == 0
    headers = {"Content-Type": "application/sparql-update", "Authorization": "Bearer test-token"}
    insert = f"INSERT DATA {{ GRAPH <{EX}plain> {{ <{EX}s> <{EX}p> 1, 2 }} }}"
    status, _, body = http("POST", f"{live.url}/sparql", insert, headers)
    assert status < 300, body
    assert number(get(live, query=count)[2]) == 2


def test_default_graph_of_a_graph_pair_sharing_triples_is_their_merge(live_server, tmp_path):
    """Issue 12: COUNT(*) over the default graph is the number of distinct triples of the merge, not one per graph."""
    path = tmp_path / "sharing"
    shared = [(node(f"tag{i}"), ox.NamedNode(P), ox.Literal(f"tag {i}")) for i in range(12)]
    with open_store(path) as store:
        store.replace_graph(A, [*shared, (node("a"), ox.NamedNode(P), ox.Literal("a only"))])
        store.replace_graph(B, [*shared, (node("b"), ox.NamedNode(P), ox.Literal("b only"))])
        store.replace_graph(INFERRED, [*shared[:5], (node("i"), ox.NamedNode(Q), node("Thing"))])
        # The distinct triples of the merge, counted here without SPARQL: the graphs' and the plain graphs'.
        current = set(store.current_versions())
        data = {triple for graph in current for triple in store.triples(graph)}
        asserted = {triple for graph in current - {INFERRED} for triple in store.triples(graph)}
        plain = set()
        for graph in store.plain_graphs():
            plain |= {(q.subject, q.predicate, q.object) for q in store.query(
                f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}", union=False)}  # fmt: skip
    assert len(data) == 12 + 2 + 1 and len(asserted) == 14
    server = live_server(store=path)
    everything = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert number(get(server, query=everything)[2]) == len(data | plain)
    assert number(get(server, query=everything, infer="false")[2]) == len(asserted | plain)
    assert number(get(server, query=COUNT_P)[2]) == 14
    assert number(get(server, query=f"SELECT (COUNT(*) AS ?n) FROM <{A}> FROM <{B}> WHERE {{ ?s ?p ?o }}")[2]) == 14
    assert number(get(server, query=everything, **{"default-graph-uri": [A, B, INFERRED]})[2]) == 15
