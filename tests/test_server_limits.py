"""Limits of /sparql over real HTTP: a query past the timeout is stopped (its worker killed and replaced) while
other queries are answered; results over the row cap or the response size cap are errors, never truncated.
"""

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest

from agrs.store import open_store

G = "https://w3id.org/agrs/graph/test/limits"
EX = "http://example.org/"
P = EX + "p"
#: a triple cross product of 2 000 triples: 8·10⁹ solutions to count, far more than a second's work
LONG = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SHORT = f"SELECT ?s WHERE {{ ?s <{P}> 7 }}"


def fill(path: Path, size: int = 2000) -> Path:
    with open_store(path) as store:
        store.replace_graph(G, [(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(P), ox.Literal(i)) for i in range(size)])
    return path


def query(server, sparql: str, accept: str = "application/sparql-results+json", timeout: float = 60):
    url = f"{server.url}/sparql?" + urllib.parse.urlencode({"query": sparql})
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def workers_of(pid: int) -> list[int]:
    """Return the pids of the query worker processes (multiprocessing spawn children) of process `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid and b"spawn_main" in command:
            found.append(int(entry.name))
    return found


def test_a_query_past_the_timeout_is_stopped_while_others_are_answered(live_server, tmp_path):
    server = live_server("--query-timeout", "1", "--light-workers", "0", store=fill(tmp_path / "store"))
    before = sorted(workers_of(server.process.pid))
    assert len(before) == 2
    long_answer = {}

    def run_long():
        started = time.monotonic()
        long_answer["result"] = query(server, LONG)
        long_answer["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=run_long)
    thread.start()
    time.sleep(0.3)
    started = time.monotonic()
    status, body = query(server, SHORT)
    assert status == 200 and len(json.loads(body)["results"]["bindings"]) == 1
    assert time.monotonic() - started < 1.0 and thread.is_alive()  # answered while the long one still ran
    thread.join(30)
    status, body = long_answer["result"]
    assert status == 503 and b"stopped after 1 s" in body and b"timeout" in body
    assert long_answer["seconds"] < 5
    # The worker that ran it was killed and replaced: still two workers, one of them new.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        after = sorted(workers_of(server.process.pid))
        if len(after) == 2 and after != before:
            break
        time.sleep(0.2)
    assert len(after) == 2 and len(set(after) & set(before)) == 1
    for _ in range(4):  # both workers serve again
        assert query(server, SHORT)[0] == 200


def test_when_every_worker_is_busy_the_wait_ends_with_503(live_server, tmp_path):
    server = live_server("--query-timeout", "1", "--query-workers", "1", store=fill(tmp_path / "store"))
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(query(server, LONG))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(status for status, _ in answers) == [503, 503]
    assert any(b"busy" in body for _, body in answers)
    deadline = time.monotonic() + 30
    while query(server, SHORT)[0] != 200:
        assert time.monotonic() < deadline
        time.sleep(0.3)


@pytest.fixture(scope="module")
def capped(tmp_path_factory):
    from conftest import LiveServer

    store = fill(tmp_path_factory.mktemp("capped") / "store", size=5)
    server = LiveServer(store, "--max-rows", "4", "--max-response-bytes", "2000")
    yield server
    server.stop()


@pytest.mark.parametrize(
    "accept",
    ["application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values"],
)
def test_rows_over_the_cap_are_an_error_naming_it(capped, accept):
    status, body = query(capped, f"SELECT ?s ?o WHERE {{ ?s <{P}> ?o }}", accept)
    assert status == 400
    assert b"more than 4 rows" in body and b"--max-rows" in body and b"no partial result" in body


def test_rows_up_to_the_cap_are_answered_in_full(capped):
    status, body = query(capped, f"SELECT ?s WHERE {{ ?s <{P}> ?o }} LIMIT 4")
    assert status == 200 and len(json.loads(body)["results"]["bindings"]) == 4
    status, body = query(capped, f"SELECT ?s WHERE {{ ?s <{P}> ?o }} LIMIT 4", "text/tab-separated-values")
    assert status == 200 and len(body.decode().strip().splitlines()) == 5


def test_triples_over_the_cap_are_an_error(capped):
    status, body = query(capped, f"CONSTRUCT WHERE {{ ?s <{P}> ?o }}", "text/turtle")
    assert status == 400 and b"more than 4 triples" in body
    status, body = query(capped, f"CONSTRUCT WHERE {{ ?s <{P}> ?o }} LIMIT 4", "text/turtle")
    assert status == 200 and body.count(b"<http://example.org/p>") + body.count(b" ex:p ") >= 1


def test_answers_over_the_size_cap_are_an_error(capped):
    big = f'SELECT ?s (CONCAT(STR(?s), "{"x" * 600}") AS ?long) WHERE {{ ?s <{P}> ?o }} LIMIT 4'
    status, body = query(capped, big)
    assert status == 400 and b"over this server's cap of 2000 bytes" in body


# --- issue 15: request bodies, the Graph Store's reads, IRIs, the access log, connections, updates ----------------

import http.client  # noqa: E402
import socket  # noqa: E402

WRITE = {"Authorization": "Bearer test-token"}


def send(server, method: str, path: str, body: bytes | None = None, headers: dict | None = None, *,
         chunked: bool = False, timeout: float = 60):  # fmt: skip
    """Send one request with http.client (chunked bodies too); return (status, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        if chunked:
            connection.putrequest(method, path)
            for name, value in (headers or {}).items():
                connection.putheader(name, value)
            connection.putheader("Transfer-Encoding", "chunked")
            connection.endheaders()
            for start in range(0, len(body), 65536):
                piece = body[start : start + 65536]
                connection.send(b"%x\r\n%s\r\n" % (len(piece), piece))
            connection.send(b"0\r\n\r\n")
        else:
            connection.request(method, path, body=body, headers=headers or {})
        answer = connection.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def bounded(tmp_path_factory):
    from conftest import LiveServer

    store = fill(tmp_path_factory.mktemp("bounded") / "store", size=5)
    server = LiveServer(store, "--max-rows", "4", "--max-query-body", "100000", "--max-write-body", "300000")
    yield server
    server.stop()


@pytest.mark.parametrize("chunked", [False, True])
def test_a_query_body_over_the_cap_is_refused_with_413(bounded, chunked):
    body = b"SELECT * WHERE { ?s ?p ?o } # " + b"x" * 200_000
    status, _, message = send(bounded, "POST", "/sparql", body, {"Content-Type": "application/sparql-query"},
                              chunked=chunked)  # fmt: skip
    assert status == 413 and b"cap of 100000 bytes" in message and b"--max-query-body" in message
    form = b"query=" + b"x" * 200_000
    status, _, message = send(bounded, "POST", "/sparql", form, {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 413 and b"--max-query-body" in message
    assert query(bounded, SHORT)[0] == 200  # the server goes on


def test_graph_store_writes_have_their_own_larger_cap(bounded):
    padding = b"# " + b"x" * 150_000 + b"\n"  # over the query cap, under the write cap
    body = padding + b"<http://example.org/a> <http://example.org/b> 1 ."
    headers = {**WRITE, "Content-Type": "text/turtle"}
    path = "/graph-store?graph=" + urllib.parse.quote("http://example.org/padded", safe="")
    assert send(bounded, "PUT", path, body, headers)[0] == 201
    status, _, message = send(bounded, "PUT", path, padding * 3 + body, headers)
    assert status == 413 and b"cap of 300000 bytes" in message and b"--max-write-body" in message


def test_a_graph_store_get_honours_the_row_cap(bounded):
    path = "/graph-store?graph=" + urllib.parse.quote(G, safe="")
    status, _, message = send(bounded, "GET", path)
    assert status == 400 and b"more than 4 triples" in message and b"--max-rows" in message
    assert send(bounded, "HEAD", path)[0] == 400


def test_a_graph_store_get_runs_in_a_killable_worker(live_server, tmp_path):
    """A GET of a graph too large to serialise within the query timeout is stopped: 503, the worker replaced."""
    server = live_server("--query-timeout", "0.3", "--max-rows", "10000000", "--max-response-bytes", "1000000000",
                         store=fill(tmp_path / "store", size=300_000))  # fmt: skip
    started = time.monotonic()
    status, _, message = send(server, "GET", "/graph-store?graph=" + urllib.parse.quote(G, safe=""))
    assert status == 503 and b"stopped after 0.3 s" in message
    assert time.monotonic() - started < 5
    assert len(workers_of(server.process.pid)) >= 2  # replaced


@pytest.mark.parametrize("iri", ["http://example.org/a%C2%85b", "http://example.org/a%E2%80%A8", "http://ex.org/a b",
                                 "http://example.org/a%3Eb", "http://example.org/%7Bx%7D"])  # fmt: skip
def test_a_graph_iri_with_a_forbidden_character_is_400_not_500(bounded, iri):
    status, _, message = send(bounded, "GET", "/graph-store?graph=" + iri.replace(" ", "%20"))
    assert status == 400 and b"which an IRI may not hold" in message and b"Traceback" not in message
    status, _, message = send(bounded, "PUT", "/graph-store?graph=" + iri.replace(" ", "%20"), b"",
                              {**WRITE, "Content-Type": "text/turtle"})  # fmt: skip
    assert status == 400 and b"which an IRI may not hold" in message


def test_line_separators_and_controls_are_escaped_in_the_access_log(bounded):
    send(bounded, "GET", "/id/a%E2%80%A8b%C2%85c%E2%80%AEd%7F")
    deadline = time.monotonic() + 10
    while True:
        text = bounded.log.read_text(encoding="utf-8")
        lines = [line for line in text.split("\n") if '"path":"/id/a' in line]
        if lines or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert len(lines) == 1, text[-2000:]
    line = lines[0]
    for raw in ("\u2028", "\x85", "\u202e", "\x7f"):
        assert raw not in line
    assert "\\u2028" in line and "\\u0085" in line and "\\u202e" in line
    assert json.loads(line)["path"] == "/id/a\u2028b\x85c\u202ed\x7f"
    assert len(text.splitlines()) == len(text.split("\n")) - 1  # no reader sees a line break inside an entry


def test_a_burst_of_idle_and_slow_connections_does_not_stop_a_normal_request(live_server):
    server = live_server("--channel-timeout", "2")
    idle = []
    try:
        for number in range(150):  # more than waitress's default limit of 100
            connection = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            if number % 2:
                connection.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # slow: headers never finished
            idle.append(connection)
        started = time.monotonic()
        status, _, _ = send(server, "GET", "/health", timeout=10)
        assert status == 200 and time.monotonic() - started < 2
        # idle connections are closed after the channel timeout (2 s; waitress looks every second)
        idle[0].settimeout(10)
        started = time.monotonic()
        assert idle[0].recv(100) == b""
        assert time.monotonic() - started < 8
    finally:
        for connection in idle:
            connection.close()


CROSS = "GRAPH ?g1 { ?a ?b ?c } GRAPH ?g2 { ?d ?e ?f } GRAPH ?g3 { ?x ?y ?z }"


def update(server, text: str, timeout: float = 60):
    return send(server, "POST", "/sparql", text.encode(), {**WRITE, "Content-Type": "application/sparql-update"},
                timeout=timeout)  # fmt: skip


def test_an_update_past_the_update_timeout_is_stopped_and_frees_the_write_lock(live_server, tmp_path):
    server = live_server("--update-timeout", "1", store=fill(tmp_path / "store"))
    heavy = f"INSERT {{ GRAPH <{EX}out> {{ ?a <{EX}q> ?c }} }} WHERE {{ {CROSS} }}"
    other = {}

    def second_writer():
        time.sleep(0.3)
        started = time.monotonic()
        other["answer"] = update(server, f"INSERT DATA {{ GRAPH <{EX}other> {{ <{EX}a> <{EX}b> 1 }} }}")
        other["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=second_writer)
    thread.start()
    started = time.monotonic()
    status, _, message = update(server, heavy)
    seconds = time.monotonic() - started
    thread.join(30)
    assert status == 503 and b"--update-timeout" in message and b"before writing anything" in message
    assert seconds < 4
    assert other["answer"][0] in (204, 503) and other["seconds"] < 3  # it waited 1 s at most for the lock
    assert query(server, f"ASK {{ GRAPH <{EX}out> {{ ?s ?p ?o }} }}")[1].find(b"false") > 0  # nothing written
    assert update(server, f"INSERT DATA {{ GRAPH <{EX}after> {{ <{EX}a> <{EX}b> 2 }} }}")[0] == 204  # lock free


def test_an_update_too_long_to_parse_is_stopped(live_server, tmp_path):
    """rdflib's parse of INSERT DATA grows with the square of its size (1,000 triples: about 10 s)."""
    server = live_server("--update-timeout", "1")
    triples = " ".join(f"<{EX}s{i}> <{EX}p> {i} ." for i in range(1500))
    started = time.monotonic()
    status, _, message = update(server, f"INSERT DATA {{ GRAPH <{EX}bulk> {{ {triples} }} }}")
    assert status == 503 and b"--update-timeout" in message
    assert time.monotonic() - started < 4
    assert update(server, f"INSERT DATA {{ GRAPH <{EX}small> {{ <{EX}a> <{EX}b> 1 }} }}")[0] == 204


def test_an_update_s_where_clauses_become_the_counting_queries_its_dry_run_times():
    from agrs.server.protocol.executor import is_light
    from agrs.server.protocol.update import where_queries

    two = ("PREFIX ex: <http://e/> WITH <http://g> DELETE { ?s ex:p ?o } INSERT { ?s ex:q ?o } WHERE { ?s ex:p ?o } ;"
           " WITH <http://g> INSERT { ?s ex:r 1 } WHERE { ?s ex:q ?o }")  # fmt: skip
    found = where_queries(two)
    assert [sparql.split("SELECT")[1] for sparql, _ in found] == [
        " (COUNT(*) AS ?agrs_n) WHERE { ?s ex:p ?o }", " (COUNT(*) AS ?agrs_n) WHERE { ?s ex:q ?o }"]  # fmt: skip
    assert all(sparql.startswith("PREFIX ex: <http://e/>") for sparql, _ in found)  # the prologue carries over
    assert [dataset.default for _, dataset in found] == [("http://g",), ("http://g",)]
    using = where_queries("INSERT { GRAPH <http://h> { ?s ?p ?o } } USING <http://a> USING NAMED <http://b> "
                          "WHERE { ?s ?p ?o }")  # fmt: skip
    assert using[0][1].default == ("http://a",) and using[0][1].named == ("http://b",)
    assert where_queries("INSERT DATA { GRAPH <http://g> { <http://a> <http://b> 1 } }") == []
    assert is_light(SHORT) and not is_light(LONG) and not is_light("SELECT ?x WHERE { ?x <p>+ ?y }")
