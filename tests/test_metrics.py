"""Operations: the Prometheus-style metrics (/metrics, server/metrics.py) and the slow-query log
(server/slow_log.py), on a live `agrs serve` over real HTTP, and the loopback-only rule on the app itself.
"""

import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest

from agrs.store import open_store

G = "https://w3id.org/agrs/graph/test/metrics"
EX = "http://example.org/"
P = EX + "p"
PLAIN = "http://example.org/graph/plain-metrics"
#: a triple cross product of 2 000 triples: far more than a second's work, stopped at the query timeout
LONG = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SHORT = f"SELECT ?s WHERE {{ ?s <{P}> 7 }}"
#: one sample line of the text exposition format: name, optional labels, a number
SAMPLE = re.compile(r'^agrs_[a-z_]+(\{(?:[a-z]+="(?:[^"\\\n]|\\.)*",?)*\})? -?[0-9.e+]+$')


def fill(path: Path, size: int = 2000) -> Path:
    with open_store(path) as store:
        store.replace_graph(G, [(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(P), ox.Literal(i)) for i in range(size)])
    return path


def http(method: str, url: str, data: bytes | None = None, headers: dict | None = None, timeout: float = 60):
    """Send one request; return (status, headers with lower-case names, body bytes), for error statuses too."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def query(server, sparql: str, headers: dict | None = None):
    url = f"{server.url}/sparql?" + urllib.parse.urlencode({"query": sparql})
    return http("GET", url, headers={"Accept": "application/sparql-results+json", **(headers or {})})


def scrape(server) -> dict[str, float]:
    """GET /metrics; check every line's syntax; return {sample name with its labels: value}."""
    status, headers, body = http("GET", server.url + "/metrics")
    assert status == 200, body
    assert headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for line in body.decode().splitlines():
        if line.startswith("# HELP agrs_") or line.startswith("# TYPE agrs_"):
            continue
        assert SAMPLE.match(line), f"not a sample line of the text format: {line!r}"
        name, _, value = line.rpartition(" ")
        samples[name] = float(value)
    return samples


def test_metrics_are_off_by_default(live_server, tmp_path):
    server = live_server(store=fill(tmp_path / "store", size=3))
    status, _, _ = http("GET", server.url + "/metrics")
    assert status == 404
    assert query(server, SHORT)[0] == 200  # the server answers otherwise


@pytest.fixture(scope="module")
def observed(tmp_path_factory):
    """A live server with metrics, a 1 s query timeout and a slow-query log from 500 ms."""
    from conftest import LiveServer

    folder = tmp_path_factory.mktemp("metrics")
    log = folder / "slow.jsonl"
    server = LiveServer(fill(folder / "store"), "--metrics", "--query-timeout", "1", "--slow-query-log", str(log),
                        "--slow-query-ms", "500")  # fmt: skip
    server.slow_log = log
    yield server
    server.stop()


def test_counters_move_after_requests(observed):
    before = scrape(observed)
    for _ in range(3):
        assert query(observed, SHORT)[0] == 200
    assert http("GET", observed.url + "/no-such-route")[0] == 404
    turtle = b"<http://example.org/a> <http://example.org/b> 1 ."
    put = http("PUT", f"{observed.url}/graph-store?graph={PLAIN}", turtle,
               {"Content-Type": "text/turtle", "Authorization": "Bearer test-token"})  # fmt: skip
    assert put[0] in (200, 201, 204), put
    after = scrape(observed)

    def moved(name: str) -> float:
        return after.get(name, 0) - before.get(name, 0)

    assert moved('agrs_http_requests_total{route="/sparql",method="GET",status="200"}') == 3
    assert moved('agrs_http_request_duration_seconds_count{route="/sparql"}') == 3
    assert moved('agrs_http_request_duration_seconds_bucket{route="/sparql",le="+Inf"}') == 3
    assert moved('agrs_http_requests_total{route="(unmatched)",method="GET",status="404"}') == 1
    assert moved('agrs_http_requests_total{route="/graph-store",method="PUT",status="' + str(put[0]) + '"}') == 1
    assert moved("agrs_writes_total") == 1
    # the store's size follows the write (read again: the store changed)
    assert after['agrs_store_graphs{kind="data"}'] == 1 and after['agrs_store_triples{kind="data"}'] == 2000
    assert after['agrs_store_graphs{kind="plain"}'] >= 1 and moved('agrs_store_triples{kind="plain"}') == 1
    assert after["agrs_query_workers"] >= 2 and after["agrs_query_workers_busy"] == 0  # (+ a light lane's, if any)
    assert after["agrs_http_requests_in_flight"] == 1  # the scrape itself
    # the histogram's buckets are cumulative
    buckets = [value for name, value in after.items() if name.startswith("agrs_http_request_duration_seconds_bucket")
               and 'route="/sparql"' in name]  # fmt: skip
    assert buckets == sorted(buckets)


def test_a_timed_out_query_counts_as_timeout_rejection_and_slow_query(observed):
    before = scrape(observed)
    status, _, body = query(observed, LONG)
    assert status == 503 and b"timeout" in body
    fast = query(observed, SHORT)
    assert fast[0] == 200
    after = scrape(observed)
    timeouts = 'agrs_query_timeouts_total{route="/sparql"}'
    assert after.get(timeouts, 0) - before.get(timeouts, 0) == 1
    rejected = 'agrs_http_rejected_total{route="/sparql",status="503"}'
    assert after[rejected] - before.get(rejected, 0) == 1
    assert after["agrs_slow_queries_total"] - before["agrs_slow_queries_total"] == 1
    lines = [json.loads(line) for line in observed.slow_log.read_text(encoding="utf-8").splitlines()]
    timed_out = [line for line in lines if line["query"] == LONG]
    assert len(timed_out) == 1 and timed_out[0]["status"] == 503 and timed_out[0]["duration_ms"] >= 500
    assert not [line for line in lines if line["query"] == SHORT]  # a fast query is not slow


def test_metrics_answer_loopback_clients_only_unless_a_token_is_set(tmp_path):
    from agrs.server.app import close_app, create_app
    from agrs.server.config import ServerConfig

    store = fill(tmp_path / "store", size=3)
    for token in (None, "metrics-secret"):
        app = create_app(ServerConfig(store=store, metrics=True, metrics_token=token, query_workers=1))
        try:
            client = app.test_client()

            def status(address: str, headers: dict | None = None, client=client) -> int:
                return client.get("/metrics", headers=headers or {}, environ_base={"REMOTE_ADDR": address}).status_code

            if token is None:
                assert status("127.0.0.1") == 200 and status("::1") == 200 and status("127.8.0.1") == 200
                assert status("192.0.2.7") == 403 and status("2001:db8::1") == 403
                assert status("192.0.2.7", {"Authorization": "Bearer anything"}) == 403
            else:
                # with a token every client must send it: behind a reverse proxy everyone looks like loopback
                assert status("127.0.0.1") == 403
                assert status("127.0.0.1", {"Authorization": "Bearer wrong"}) == 403
                assert status("192.0.2.7", {"Authorization": f"Bearer {token}"}) == 200
                assert status("127.0.0.1", {"Authorization": f"Bearer {token}"}) == 200
        finally:
            close_app(app)


def test_slow_query_log_lines_are_escaped_truncated_and_hold_no_token(live_server, tmp_path):
    log = tmp_path / "logs" / "slow.jsonl"
    server = live_server("--slow-query-log", str(log), "--slow-query-ms", "0", store=fill(tmp_path / "store", size=10))
    hostile = f'SELECT ?s WHERE {{ ?s <{P}> ?o FILTER(STR(?o) != "a\u2028b\u0085c\x7fd\u2029e\x01f") }}\n# end'
    assert query(server, hostile, {"Authorization": "Bearer test-token"})[0] == 200
    reindented = "SELECT   ?s\n\tWHERE { ?s <" + P + "> 7 }"
    assert query(server, SHORT)[0] == 200 and query(server, reindented)[0] == 200
    long_text = SHORT + " #" + "x" * 3000
    assert query(server, long_text)[0] == 200
    named = http("GET", f"{server.url}/sparql?" + urllib.parse.urlencode(
        {"query": SHORT, "default-graph-uri": G, "infer": "false"}), headers={"Accept": "text/csv"})  # fmt: skip
    assert named[0] == 200
    update = http("POST", server.url + "/sparql", f"INSERT DATA {{ GRAPH <{PLAIN}> {{ <{EX}u> <{P}> 1 }} }}".encode(),
                  {"Content-Type": "application/sparql-update", "Authorization": "Bearer test-token"})  # fmt: skip
    assert update[0] in (200, 204), update
    assert http("GET", f"{server.url}/api/cq03-cooperation-between-actor-types")[0] == 200

    raw = log.read_bytes().decode("utf-8")
    for character in "\u2028\u2029\u0085\x7f\x01":
        assert character not in raw, f"raw {character!r} in the slow-query log"
    assert "test-token" not in raw
    lines = [json.loads(line) for line in raw.splitlines()]
    assert len(lines) == 6, lines  # the update is not logged
    first = lines[0]
    assert first["query"] == hostile and first["chars"] == len(hostile) and first["truncated"] is False
    assert first["client"] == "127.0.0.1" and first["status"] == 200 and first["kind"] == "select"
    assert first["rows"] == 10 and first["path"] == "/sparql" and first["method"] == "GET"
    assert first["dataset"] == {"default": None, "named": None, "infer": True}
    assert re.fullmatch(r"[0-9a-f]{16}", first["digest"]) and first["time"].endswith("Z")
    assert lines[1]["digest"] == lines[2]["digest"] != first["digest"]  # whitespace does not change the digest
    assert lines[1]["rows"] == 1
    assert lines[3]["truncated"] is True and lines[3]["chars"] == len(long_text) and len(lines[3]["query"]) == 2000
    assert lines[4]["dataset"] == {"default": [G], "named": [], "infer": False}
    assert lines[5]["path"] == "/api/cq03-cooperation-between-actor-types" and "SELECT" in lines[5]["query"]


def test_slow_query_log_lines_do_not_interleave(live_server, tmp_path):
    log = tmp_path / "slow.jsonl"
    server = live_server("--slow-query-log", str(log), "--slow-query-ms", "0", store=fill(tmp_path / "store", size=3))
    texts = [f"SELECT ?s WHERE {{ ?s <{P}> {i} }} #" + "y" * 1500 for i in range(24)]
    threads = [threading.Thread(target=query, args=(server, text)) for text in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert sorted(line["query"] for line in lines) == sorted(texts)


def test_an_unwritable_slow_query_log_is_a_usage_error(tmp_path):
    from conftest import run_agrs

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = run_agrs("serve", "--store", str(tmp_path / "store"), "--slow-query-log", str(blocker / "slow.jsonl"),
                    timeout=120)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "cannot write the slow-query log" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "store").exists()  # refused before the store was opened
