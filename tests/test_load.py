"""A bounded load test (benchmarks/load_test.py) on a live `agrs serve` of the question fixture: 4 client threads
for 12 s mixing stored questions, researcher queries, page views and Graph Store writes; no 5xx, no request left
without an answer, no lost write; the server's own metrics agree. The figures themselves go to
benchmarks/RESULTS.md (the full script, on the bundled observatory), not here.
"""

import sys
import urllib.request

import pytest

from conftest import REPO, LiveServer

sys.path.insert(0, str(REPO / "benchmarks"))
import load_test  # benchmarks/ is not a package: imported from its folder

CLIENTS, SECONDS = 4, 12


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A live server (write token "test-token", metrics on) on the question fixture's store."""
    store = load_test.fixture_store(tmp_path_factory.mktemp("load") / "store")
    live = LiveServer(store, "--metrics", "--threads", str(CLIENTS + 4), *load_test.client_options(CLIENTS))
    yield live
    log = live.stop()
    assert "Traceback" not in log, log[-3000:]


@pytest.fixture(scope="module")
def traffic(server):
    return load_test.Traffic.discover(server.url)


def test_mixed_load_gives_no_5xx_and_loses_no_write(server, traffic):
    assert traffic.questions and traffic.iris and traffic.words
    result = load_test.run_load(server.url, server.token, CLIENTS, SECONDS, traffic, seed=1, run="test")
    for kind in load_test.KINDS:
        assert result.count(kind) > 0, f"no {kind} request in {SECONDS} s"
    assert result.server_errors == 0, result.statuses()
    assert result.failures == 0, result.statuses()
    assert result.lost == []
    acknowledged = [s for s in result.samples if s.kind == "write" and 200 <= s.status < 300]
    assert len(acknowledged) == result.count("write")
    assert all(s.status == 200 for s in result.samples if s.kind != "write"), result.statuses()
    assert result.percentile("page", 50) <= result.percentile("page", 99)
    # the server counted them too (its /metrics: loopback client), and answered no 5xx
    with urllib.request.urlopen(server.url + "/metrics", timeout=30) as answer:
        text = answer.read().decode()
    counted = 0
    for line in text.splitlines():
        if line.startswith("agrs_http_requests_total{"):
            assert 'status="5' not in line, line
            counted += int(float(line.rpartition(" ")[2]))
    assert counted >= result.count()


def test_the_write_check_finds_a_lost_write(server, traffic):
    """The check is not vacuous: writes the store never got, claimed acknowledged, are reported lost."""
    result = load_test.run_load(server.url, server.token, 1, 2, traffic, seed=2, run="check")
    assert result.lost == [] and result.count() > 0
    graph = f"{load_test.LOAD_GRAPH}check/client-0"
    claimed = [
        load_test.Ledger(0, graph, last_put=10_000),  # a counter never written
        load_test.Ledger(1, graph + "-none", posted=[f"{load_test.LOAD_GRAPH}check/write/9-9"]),
    ]
    lost = load_test.lost_writes(server.url, "check", claimed)
    assert len(lost) == 2 and "PUT 10000" in lost[0] and "write/9-9" in lost[1]
