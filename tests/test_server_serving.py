"""How `agrs serve` reads while it writes, and what HTTP caches may keep, over real HTTP.

Readers open checkpoints of the store, never the store being written (pyoxigraph: undefined behaviour); a write
while queries run gives every query one consistent state; answers carry an ETag keyed on the store's version
and revalidate with 304 until a write; small questions are answered in the request thread, others by the killable
workers (the timeout itself is tested in test_server_limits.py).
"""

import json
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest

from agrs.server.protocol.executor import is_small
from agrs.server.snapshots import FOLDER
from agrs.store import open_store

G = "https://w3id.org/agrs/graph/test/serving"
PLAIN = "http://example.org/plain"
EX = "http://example.org/"
COUNT_PLAIN = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{PLAIN}> {{ ?s ?p ?o }} }}"
SMALL = f"SELECT ?s WHERE {{ ?s <{EX}p> 7 }}"


def fill(path: Path, size: int = 50) -> Path:
    with open_store(path) as store:
        store.replace_graph(
            G, [(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(EX + "p"), ox.Literal(i)) for i in range(size)]
        )
    return path


def request(server, path: str, *, headers: dict | None = None, data: bytes | None = None, method: str = "GET"):
    """Send a request; return (status, headers with lower-case names, body bytes), for error statuses too."""
    sent = urllib.request.Request(server.url + path, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(sent, timeout=60) as answer:
            return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def query_path(sparql: str) -> str:
    return "/sparql?" + urllib.parse.urlencode({"query": sparql})


def insert(server, number: int) -> None:
    """Add one triple to the plain graph through SPARQL Update (a write: a new checkpoint)."""
    update = f"INSERT DATA {{ GRAPH <{PLAIN}> {{ <{EX}w{number}> <{EX}q> {number} }} }}"
    status, _, body = request(
        server, "/sparql", data=urllib.parse.urlencode({"update": update}).encode(), method="POST",
        headers={"Authorization": "Bearer test-token", "Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    assert status in (200, 204), body


def count(server) -> int:
    status, _, body = request(server, query_path(COUNT_PLAIN), headers={"Accept": "application/sparql-results+json"})
    assert status == 200, body
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


@pytest.mark.parametrize(
    "sparql",
    ["ASK {}", "ask where { }", f"SELECT ?p ?o WHERE {{ <{EX}s1> ?p ?o }}", f"SELECT * {{ ?s <{EX}p> 3 . }} LIMIT 5",
     "PREFIX ex: <http://example.org/>\nSELECT ?s { ?s a ex:C }", 'SELECT * { ?s ?p "chat"@fr }'],
)  # fmt: skip
def test_small_questions_are_recognised(sparql):
    assert is_small(sparql)


@pytest.mark.parametrize(
    "sparql",
    ["SELECT * { ?s ?p ?o . ?a ?b ?c }", "SELECT * { ?s ?p ?o FILTER(false) }", "SELECT DISTINCT ?p { ?s ?p ?o }",
     "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", "SELECT * { ?s ?p ?o } OFFSET 10", "SELECT * { ?s ?p ?o } ORDER BY ?o",
     "SELECT * { ?s <p>/<q> ?o }", "SELECT * { ?s <p>* ?o }", "ASK { SERVICE <http://x/> { ?s ?p ?o } }",
     'SELECT * { ?s ?p "a{b" }', "# a comment\nASK {}", "CONSTRUCT WHERE { ?s ?p ?o }", "DESCRIBE <http://x/>",
     "SELECT * { { SELECT * { ?s ?p ?o } } }", "SELECT * { ?s ?p ?o OPTIONAL { ?o ?q ?r } }"],
)  # fmt: skip
def test_questions_that_could_run_long_go_to_the_workers(sparql):
    assert not is_small(sparql)


def test_answers_carry_an_etag_and_revalidate_until_a_write(live_server, tmp_path):
    server = live_server(store=fill(tmp_path / "store"))
    paths = [query_path(SMALL), query_path(COUNT_PLAIN), "/.well-known/void", "/id/test/none", "/api/openapi.json"]
    tags = {}
    for path in paths:
        status, headers, body = request(server, path, headers={"Accept": "text/turtle, */*;q=0.1"})
        if status != 200:
            assert "etag" not in headers  # errors and 404s are never tagged
            continue
        assert "no-cache" in headers["cache-control"] and "public" in headers["cache-control"]
        tags[path] = headers["etag"]
        status, again, body = request(server, path, headers={"Accept": "text/turtle, */*;q=0.1",
                                                             "If-None-Match": headers["etag"]})  # fmt: skip
        assert status == 304 and body == b"" and again["etag"] == headers["etag"]
    assert len(tags) >= 4
    # Another representation has another tag.
    _, csv, _ = request(server, query_path(SMALL), headers={"Accept": "text/csv"})
    assert csv["etag"] != tags[query_path(SMALL)]
    # A write changes every tag: the old one no longer matches, the answer is the new state.
    insert(server, 1)
    for path, tag in tags.items():
        status, headers, body = request(server, path, headers={"Accept": "text/turtle, */*;q=0.1",
                                                               "If-None-Match": tag})  # fmt: skip
        assert status == 200 and headers["etag"] != tag
    assert count(server) == 1
    # POSTed queries are not tagged (not cacheable).
    status, headers, _ = request(server, "/sparql", data=SMALL.encode(), method="POST",
                                 headers={"Content-Type": "application/sparql-query"})  # fmt: skip
    assert status == 200 and "etag" not in headers


def test_a_write_while_queries_run_gives_each_query_one_state(live_server, tmp_path):
    server = live_server(store=fill(tmp_path / "store"))
    writes = 8
    seen: list[int] = []
    failures: list[str] = []
    stop = threading.Event()

    def read():
        last = 0
        while not stop.is_set():
            try:
                value = count(server)  # a worker's query
                status, _, body = request(server, query_path(SMALL), headers={"Accept": "text/csv"})  # the thread's
                assert status == 200 and body.count(b"\n") == 2, body
            except AssertionError as error:
                failures.append(str(error))
                return
            if value < last:
                failures.append(f"went back from {last} to {value}")
            last = value
            seen.append(value)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for thread in readers:
        thread.start()
    for number in range(1, writes + 1):
        insert(server, number)
        assert count(server) == number  # a query after the write sees it
    stop.set()
    for thread in readers:
        thread.join(60)
    assert not failures, failures
    assert seen and set(seen) <= set(range(writes + 1))
    # The checkpoints do not pile up: the newest, those the workers hold, those replaced within the grace period.
    snapshots = list((tmp_path / "store" / FOLDER).iterdir())
    assert 1 <= len(snapshots) <= writes + 1


def test_readers_never_open_the_store_being_written(live_server, tmp_path):
    store = fill(tmp_path / "store")
    server = live_server(store=store)
    insert(server, 1)
    for sparql in (COUNT_PLAIN, SMALL, COUNT_PLAIN):
        assert request(server, query_path(sparql))[0] == 200
    workers = _children(server.process.pid)
    assert workers, "no query worker found"
    checkpoints = (store / FOLDER).resolve()
    for pid in workers:
        opened = _open_files(pid)
        inside = [path for path in opened if path.is_relative_to(store.resolve())]
        assert inside, f"worker {pid} holds no file of the store"  # it did open something: a checkpoint
        assert all(path.is_relative_to(checkpoints) for path in inside), inside


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if parent == pid and b"spawn_main" in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
    return found


def _open_files(pid: int) -> list[Path]:
    paths = []
    deadline = time.monotonic() + 10
    while not paths and time.monotonic() < deadline:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("/"):
                paths.append(Path(target))
        time.sleep(0.1)
    return paths


def test_the_timeout_still_stops_a_long_query_after_writes(live_server, tmp_path):
    server = live_server("--query-timeout", "1", store=fill(tmp_path / "store", size=2000))
    insert(server, 1)  # the workers now read a newer checkpoint
    long = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    assert not is_small(long)
    started = time.monotonic()
    status, _, body = request(server, query_path(long))
    assert status == 503 and b"stopped after 1 s" in body and time.monotonic() - started < 5
    insert(server, 2)
    deadline = time.monotonic() + 30
    while True:  # the killed worker's replacement serves again, on the newest checkpoint
        try:
            assert count(server) == 2
            break
        except AssertionError:
            assert time.monotonic() < deadline
            time.sleep(0.3)


def test_an_answer_asked_again_is_served_from_memory_until_a_write(live_server, tmp_path):
    server = live_server(store=fill(tmp_path / "store"))
    path = query_path(COUNT_PLAIN)
    first = request(server, path, headers={"Accept": "text/csv"})
    again = request(server, path, headers={"Accept": "text/csv"})
    assert first[0] == again[0] == 200 and first[2] == again[2] == b"n\r\n0\r\n"
    assert "x-query-time-ms" in first[1] and "x-query-time-ms" not in again[1]  # not run again
    assert again[1]["etag"] == first[1]["etag"]
    insert(server, 1)
    status, headers, body = request(server, path, headers={"Accept": "text/csv"})
    assert status == 200 and body == b"n\r\n1\r\n" and headers["etag"] != first[1]["etag"]
