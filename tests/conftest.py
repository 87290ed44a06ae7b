"""Shared fixtures: paths of the repository's data, and a runner for the `agrs` command."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from servers import *  # noqa: F403  (the remote servers' session fixtures)

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


def run_agrs(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run the installed `agrs` command in a child process, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "agrs", *args], capture_output=True, text=True, timeout=timeout, cwd=REPO
    )


# Store kinds the `store` fixture is run with: the embedded store, and each remote server (marked `remote`; a kind
# whose server is not installed is skipped). AGRS_TEST_STORES=embedded,virtuoso,… selects kinds (default: all).
REMOTE_KINDS = {"oxigraph-server": "oxigraph_server", "virtuoso": "virtuoso_server", "fuseki": "fuseki_server"}
ALL_STORE_KINDS = ["embedded", *REMOTE_KINDS]


def _selected_kinds() -> list[str]:
    chosen = [kind.strip() for kind in os.environ.get("AGRS_TEST_STORES", "").split(",") if kind.strip()]
    unknown = set(chosen) - set(ALL_STORE_KINDS)
    if unknown:
        raise pytest.UsageError(f"AGRS_TEST_STORES: unknown store kinds {sorted(unknown)}; known: {ALL_STORE_KINDS}")
    return chosen or ALL_STORE_KINDS


STORE_KINDS = [
    kind if kind == "embedded" else pytest.param(kind, marks=pytest.mark.remote) for kind in _selected_kinds()
]


def _open_store(kind: str, tmp_path: Path, request=None):
    if kind == "embedded":
        from agrs.store.embedded import EmbeddedStore

        return EmbeddedStore(tmp_path / "store")
    if kind in REMOTE_KINDS:
        from agrs.store.remote import RemoteStore

        server = request.getfixturevalue(REMOTE_KINDS[kind])
        server.reset()  # each test starts from an empty server
        return RemoteStore(server.location)
    raise ValueError(f"unknown store kind {kind}")


#: `make test` runs the store contract on every store kind and the rest of the suite on the embedded store; `make
#: test-remote` (AGRS_TEST_FULL_REMOTE=1) runs every test that takes the `store` fixture on every kind.
CONTRACT_MODULES = {"test_store.py", "test_store_remote.py"}
FULL_REMOTE = bool(os.environ.get("AGRS_TEST_FULL_REMOTE"))

_REASON_ON_VIRTUOSO = (
    "agrs reason on Virtuoso 7.2: its rules' CONSTRUCT may bind a literal subject, which Oxigraph drops and Virtuoso "
    "refuses (RDF01 Bad variable value in CONSTRUCT), and their (…)+ paths have both ends free (transitive start not "
    "given): reason on another store and push"
)
_ROLLUP_ON_VIRTUOSO = (
    "agrs rollup on Virtuoso 7.2: weighted means come out of Virtuoso's arithmetic with a double's precision "
    "(5.038131571261682, not the exact decimal)"
)

#: Tests a store kind is known to fail through its engine's own behaviour (not fixable in the client or the shipped
#: configuration), with the reason; strict xfail, so that a fixed engine shows (then remove the line).
KNOWN_STORE_GAPS = {
    "virtuoso": {
        **{f"test_reason.py::{name}[virtuoso{case}]": _REASON_ON_VIRTUOSO for name, case in [
            ("test_case", "-inverse"), ("test_case", "-transitive-inverse"), ("test_case", "-transitive"),
            ("test_rerun_gives_the_same_graph", ""), ("test_a_removed_premise_removes_its_inference", ""),
            ("test_the_ontology_entailments_the_questions_rely_on", ""),
            ("test_rules_join_triples_of_different_graphs", ""),
            ("test_only_computes_the_closures_its_rules_read_without_keeping_them", ""),
            ("test_construct_gives_the_triples_of_the_select_solutions", ""),
        ]},
        **{f"test_rollup.py::{name}[virtuoso]": _ROLLUP_ON_VIRTUOSO for name in [
            "test_fixture_rollup_counts_each_commune_once",
            "test_straddling_epci_communes_count_once_in_their_departements",
        ]},
        "test_questions.py::test_a_trailing_values_clause_stays_last[virtuoso]": (
            "Virtuoso 7.2 answers nothing to a query ending with ORDER BY … VALUES … when a LIMIT is added"
        ),
    },
}


@pytest.fixture(params=STORE_KINDS)
def store(request, tmp_path):
    """A fresh, empty store of each kind, open for writing, closed after the test."""
    if request.param != "embedded" and request.node.path.name not in CONTRACT_MODULES and not FULL_REMOTE:
        pytest.skip("the whole suite on the remote stores runs in `make test-remote` (AGRS_TEST_FULL_REMOTE=1)")
    gap = KNOWN_STORE_GAPS.get(request.param, {}).get(f"{request.node.path.name}::{request.node.name}")
    if gap:
        request.applymarker(pytest.mark.xfail(strict=True, reason=gap))
    opened = _open_store(request.param, tmp_path, request)
    yield opened
    opened.close()


# --- a live `agrs serve` on loopback -----------------------------------------------------------------------


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 right now."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


START_WAIT = 300  # seconds `agrs serve` may take to answer /health


class LiveServer:
    """An `agrs serve` child process on loopback; `url` is its base URL (no trailing slash)."""

    def __init__(self, store: Path, *options: str, token: str | None = "test-token"):
        import os
        import time
        import urllib.request

        self.store, self.token, self.port = store, token, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {k: v for k, v in os.environ.items() if k != "AGRS_WRITE_TOKEN"}
        if token:
            environment["AGRS_WRITE_TOKEN"] = token
        # stderr to a file, not a pipe: the access log writes a line per request, and a full pipe would block.
        self.log = Path(tempfile.mkstemp(prefix="agrs-serve-", suffix=".log")[1])
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "agrs", "serve", "--store", str(store), "--port", str(self.port), *options],
                cwd=REPO, env=environment, stdout=subprocess.DEVNULL, stderr=log, text=True,
            )  # fmt: skip
        # a first start after a large load makes the public readers' views first (agrs.server.access): minutes
        deadline = time.monotonic() + START_WAIT
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"agrs serve exited {self.process.returncode}: {self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"agrs serve did not answer /health within {START_WAIT} s")
            time.sleep(0.2)

    def stop(self) -> str:
        """Stop the server (SIGTERM, then SIGKILL); return what it wrote on stderr."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        return self.log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture
def live_server(tmp_path):
    """Start `agrs serve` on a new empty store with write token "test-token"; yield a LiveServer; stop it."""
    servers = []

    def start(*options: str, store: Path | None = None, token: str | None = "test-token") -> LiveServer:
        server = LiveServer(store or tmp_path / f"store-{len(servers)}", *options, token=token)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def http_get(url: str, accept: str | None = None) -> tuple[int, dict, str]:
    """GET `url`; return status, headers (lower-case names) and body text, for error statuses too."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read().decode()


# --- comparing a graph with an expected one ----------------------------------------------------------------

#: AGRS_REGENERATE=1 rewrites the expected files from the code's current output (review the diff afterwards).
REGENERATE = os.environ.get("AGRS_REGENERATE") == "1"


def describe_graph_difference(expected, actual) -> str:
    """The triples only in `expected` and only in `actual`, as sorted N-Triples (blank nodes canonicalised)."""
    from rdflib.compare import graph_diff, to_isomorphic

    _, only_expected, only_actual = graph_diff(to_isomorphic(expected), to_isomorphic(actual))

    def lines(graph) -> str:
        return "\n".join(sorted(graph.serialize(format="nt").splitlines())) or "(none)"

    return f"only in the expected graph:\n{lines(only_expected)}\nonly in the actual graph:\n{lines(only_actual)}"


def assert_same_graph(actual, expected, what: str = "") -> None:
    """Fail unless the two graphs are isomorphic, showing `what` and the difference."""
    from rdflib.compare import isomorphic

    if not isomorphic(actual, expected):
        pytest.fail(f"{what or 'graphs differ'}\n{describe_graph_difference(expected, actual)}")


def assert_graph_file(actual, expected_path: Path, what: str = "") -> None:
    """Compare a graph with an expected Turtle file; with AGRS_REGENERATE=1, write the file instead."""
    from rdflib import Graph

    if REGENERATE:
        expected_path.parent.mkdir(parents=True, exist_ok=True)
        expected_path.write_text(actual.serialize(format="turtle"), encoding="utf-8")
        return
    assert expected_path.is_file(), f"{expected_path} is missing: run with AGRS_REGENERATE=1 and review it"
    expected = Graph().parse(expected_path, format="turtle")
    assert_same_graph(actual, expected, what or f"graph differs from {expected_path.name}")


def graph_of(records, *, rejected: bool = False):
    """Return the triples of the mapped records (the rejected ones too when `rejected`), with the project prefixes."""
    from rdflib import Graph

    from agrs.ns import bind_all

    graph = Graph()
    bind_all(graph)
    for record in records:
        if rejected or not record.rejected:
            for triple in record.triples:
                graph.add(triple)
    return graph


def problems_of(records, *, warnings: bool = False) -> list[dict]:
    """Return the records' problems (and warnings, when asked) as the expected `*.problems.json` files hold them."""
    return [
        {"line": record.raw.line, "field": problem.field, "rule": problem.rule, "message": problem.message}
        for record in records
        for problem in [*record.problems, *(record.warnings if warnings else [])]
    ]
