"""The federation guard: SERVICE and LOAD reach only allow-listed endpoints, and a refused one sends nothing.

The guard on its own (check_query / check_update), then over real HTTP with a canary: a tiny HTTP server on
loopback that records every request it gets and answers as a SPARQL endpoint would.
"""

import http.server
import json
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest

from agrs.server.protocol.federation import FederationRefused, FederationUnchecked, allowed, check_query, check_update

REMOTE = "http://127.0.0.1:9/sparql"


@pytest.mark.parametrize(
    "sparql",
    [
        "SELECT * WHERE { ?s ?p ?o }",
        "SELECT ?service ?load WHERE { ?service <http://x/load> 'SERVICE <http://evil/>' } # SERVICE <http://e/>",
        "SELECT * WHERE { ?s ?p ?o",  # a syntax error without SERVICE: the real parser reports it
        f"SELECT * WHERE {{ SERVICE <{REMOTE}> {{ ?s ?p ?o }} }}",  # allowed below
        "PREFIX r: <http://127.0.0.1:9/> SELECT * WHERE { SERVICE r:sparql { ?s ?p ?o } }",
    ],
)
def test_queries_that_pass(sparql):
    check_query(sparql, ["http://127.0.0.1:9/"])


@pytest.mark.parametrize(
    ("sparql", "named"),
    [
        (f"SELECT * WHERE {{ SERVICE <{REMOTE}> {{ ?s ?p ?o }} }}", REMOTE),
        (f"SELECT * WHERE {{ SERVICE SILENT <{REMOTE}> {{ ?s ?p ?o }} }}", REMOTE),
        ("SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }", "?endpoint"),
        ("SELECT * WHERE { ?s ?p ?o OPTIONAL { FILTER EXISTS { SERVICE <http://a.example/> { ?s ?p ?o } } } }",
         "http://a.example/"),
        ("PREFIX e: <http://a.example/> SELECT * { { SELECT * { SERVICE e:q { ?s ?p ?o } } } }", "http://a.example/q"),
        ("BASE <http://a.example/x/> SELECT * { SERVICE <rel> { ?s ?p ?o } }", "http://a.example/x/rel"),
        ("SELECT * { ?s ?p ?o.\\u0053ERVICE <http://a.example/> { } }", "http://a.example/"),
        ("SELECT * { SERVICE <http://127.0.0.10/sparql> { } }", "http://127.0.0.10/sparql"),  # not under the prefix
    ],
)  # fmt: skip
def test_queries_that_are_refused(sparql, named):
    with pytest.raises(FederationRefused) as refused:
        check_query(sparql, ["http://127.0.0.1:9/sparql-other", "http://127.0.0.1:8/"])
    assert refused.value.iri == named and named in str(refused.value)


def test_an_unparseable_text_with_service_is_a_syntax_error_not_a_refusal():
    with pytest.raises(FederationUnchecked) as error:
        check_query("SELECT * WHERE { SERVICE <http://a.example/> { ?s ?p ", [])
    assert not isinstance(error.value, FederationRefused) and "does not parse" in str(error.value)


@pytest.mark.parametrize(
    ("sparql", "named"),
    [
        ("LOAD <http://a.example/data.ttl>", "http://a.example/data.ttl"),
        ("LOAD SILENT <http://a.example/data.ttl> INTO GRAPH <http://g.example/>", "http://a.example/data.ttl"),
        ("PREFIX a: <http://a.example/> INSERT DATA { a:s a:p a:o } ; LOAD a:x", "http://a.example/x"),
        ("INSERT { ?s ?p ?o } WHERE { SERVICE <http://a.example/q> { ?s ?p ?o } }", "http://a.example/q"),
        ("DELETE { ?s ?p ?o } WHERE { SERVICE ?x { ?s ?p ?o } }", "?x"),
    ],
)
def test_updates_that_are_refused(sparql, named):
    with pytest.raises(FederationRefused) as refused:
        check_update(sparql, [])
    assert refused.value.iri == named


def test_updates_that_pass():
    check_update("INSERT DATA { <http://a.example/s> <http://a.example/load> 'LOAD <http://x/>' }", [])
    check_update("LOAD <http://a.example/data.ttl>", ["http://a.example/"])


def test_allowlist_entries_are_exact_or_slash_prefixes():
    assert allowed("http://a.example/sparql", ["http://a.example/sparql"])
    assert allowed("http://a.example/x/sparql", ["http://a.example/"])
    assert not allowed("http://a.example/sparql2", ["http://a.example/sparql"])
    assert not allowed("http://a.example.evil/sparql", ["http://a.example"])
    assert not allowed("http://a.example/sparql", [])


# --- over HTTP, with a canary ----------------------------------------------------------------------------------


class Canary:
    """An HTTP server on loopback that records every request and answers one SPARQL JSON row (?x = "canary")."""

    def __init__(self):
        self.requests: list[tuple[str, str]] = []
        recorded = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                recorded.append((self.command, self.path))
                body = json.dumps(
                    {"head": {"vars": ["x"]}, "results": {"bindings": [{"x": {"type": "literal", "value": "canary"}}]}}
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def canary():
    running = Canary()
    yield running
    running.close()


def send(server, method: str, body: str, content_type: str, token: bool = False):
    headers = {"Content-Type": content_type, "Accept": "application/sparql-results+json"}
    if token:
        headers["Authorization"] = "Bearer test-token"
    request = urllib.request.Request(f"{server.url}/sparql", data=body.encode(), method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def get(server, sparql: str):
    url = f"{server.url}/sparql?" + urllib.parse.urlencode({"query": sparql})
    try:
        with urllib.request.urlopen(url, timeout=60) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_refused_service_and_load_send_nothing(live_server, canary):
    server = live_server()
    endpoint = f"http://127.0.0.1:{canary.port}/sparql"
    for sparql in (
        f"SELECT * WHERE {{ SERVICE <{endpoint}> {{ ?x ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE SILENT <{endpoint}> {{ ?x ?p ?o }} }}",
        f"SELECT * WHERE {{ VALUES ?e {{ <{endpoint}> }} SERVICE ?e {{ ?x ?p ?o }} }}",
    ):
        status, body = get(server, sparql)
        assert status == 403, body
        assert b"refused" in body and b"--allow-federation" in body
        status, body = send(server, "POST", sparql, "application/sparql-query")
        assert status == 403
    load = f"LOAD <http://127.0.0.1:{canary.port}/data.ttl> INTO GRAPH <http://example.org/g>"
    status, body = send(server, "POST", load, "application/sparql-update", token=True)
    assert 400 <= status < 500, body
    service_update = f"INSERT {{ GRAPH <http://example.org/g> {{ ?x ?x ?x }} }} WHERE {{ SERVICE <{endpoint}> {{ }} }}"
    status, body = send(server, "POST", service_update, "application/sparql-update", token=True)
    assert 400 <= status < 500, body
    assert canary.requests == []


def test_allowlisted_service_is_called(live_server, canary):
    server = live_server("--allow-federation", f"http://127.0.0.1:{canary.port}/")
    status, body = get(server, f"SELECT ?x WHERE {{ SERVICE <http://127.0.0.1:{canary.port}/sparql> {{ ?x ?p ?o }} }}")
    assert canary.requests, "the allow-listed SERVICE was not called"
    assert status == 200 and json.loads(body)["results"]["bindings"] == [{"x": {"type": "literal", "value": "canary"}}]
    status, _ = get(server, "SELECT * WHERE { SERVICE <http://127.0.0.2:9/sparql> { ?x ?p ?o } }")
    assert status == 403  # another endpoint stays refused
