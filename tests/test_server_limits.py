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
    server = live_server("--query-timeout", "1", store=fill(tmp_path / "store"))
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
