"""The W3C SPARQL 1.1 Protocol and Graph Store Protocol manifests through `agrs serve --store URL` on each remote
server (tests/servers.py).

The manifests and their runner are vendored in tests/w3c/ (sparql11-protocol/, sparql11-graph-store-protocol/,
run_w3c_http.py, under the W3C test suite licence, tests/w3c/LICENSE-rdf-tests.md). The runner sends each
manifest's HTTP requests to a live endpoint and prints one PASS/FAIL line a test; it runs as a child process, as
it would against any endpoint. Every test of each manifest must pass: `agrs serve` on the embedded store passes
them all, and a remote store behind it must not change what a client sees.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_server_remote import REMOTE_KINDS, TOKEN, remote_server, serve_remote

pytestmark = pytest.mark.remote

W3C = Path(__file__).resolve().parent / "w3c"
RUNNER = W3C / "run_w3c_http.py"
#: suite → (runner mode, manifest, number of tests it holds)
SUITES = {
    "protocol": ("protocol", W3C / "sparql11-protocol" / "manifest.ttl", 34),
    "graph-store-indirect": ("gsp", W3C / "sparql11-graph-store-protocol" / "manifest-indirect.ttl", 9),
    "graph-store-direct": ("gsp", W3C / "sparql11-graph-store-protocol" / "manifest-direct.ttl", 4),
}
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$", re.MULTILINE)


def test_the_vendored_suites_are_there():
    assert RUNNER.is_file()
    for _, manifest, _ in SUITES.values():
        assert manifest.is_file(), manifest


@pytest.fixture(scope="module", params=list(REMOTE_KINDS))
def served(request):
    """An `agrs serve --store URL` with the write token on an emptied remote server."""
    info = remote_server(request, request.param)
    live = serve_remote(info.location)
    yield request.param, live
    live.stop()


@pytest.mark.parametrize("suite", list(SUITES))
def test_w3c_manifest_through_agrs_serve(served, suite):
    kind, live = served
    mode, manifest, count = SUITES[suite]
    endpoint, graph_store = live.url + "/sparql", live.url + "/graph-store"
    if mode == "protocol":
        options = ["--query-url", endpoint, "--update-url", endpoint, "--load-url", graph_store]
    else:
        options = ["--gsp-url", graph_store, "--reset-url", endpoint]
    run = subprocess.run(
        [sys.executable, str(RUNNER), mode, str(manifest), *options, "--token", TOKEN],
        capture_output=True, text=True, timeout=600, cwd=W3C,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    summary = SUMMARY.search(run.stdout)
    assert summary, run.stdout + run.stderr
    failures = [line for line in run.stdout.splitlines() if line.startswith("FAIL")]
    log = live.log.read_text(errors="replace")[-3000:]  # the server's side of the failures
    assert not failures, f"{kind}, {suite}:\n" + "\n".join(failures) + "\n" + log
    assert (int(summary[1]), int(summary[2])) == (count, 0), run.stdout
