"""The bundled observatory on each remote server, served by `agrs serve --store URL`, answers every stored
question (queries/cq/*.rq, through /api/<question>) exactly as the embedded store does.

The observatory (`agrs observatory`: the ontology, every French territory, data/ and data/demo/, then rollup and
reasoning) is loaded once into an embedded store by the command a user runs, then pushed into each remote server
by `agrs push` (the comparison is about serving, and reasoning on
each server is tested elsewhere); one `agrs serve` fronts each store (read-only: no write token). Every question is
asked of both with its default parameters, on one page holding every row, and the answers are compared as multisets
of rows (numbers by value within their datatype, blank nodes by position only, language tags case-insensitively, as
SPARQL compares them). The load times and each question's latency (median of three uncached asks, through the HTTP
app) are written to `remote-latencies.json` in pytest's base temporary folder, and to the file named by
$AGRS_REMOTE_LATENCIES when it is set.
"""

import json
import os
import statistics
import subprocess
import sys
import time
import urllib.parse
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest
from test_server_remote import KNOWN_GAPS as GAPS_BY_EXPECTED_FILE
from test_server_remote import REMOTE_KINDS, _environment, http, remote_server, serve_remote

from conftest import REPO, LiveServer

pytestmark = [
    pytest.mark.remote, pytest.mark.slow,
    # Minutes per server (the 1.65M-triple observatory, pushed): `make test-remote` runs it; `make test` checks the
    # expected answers of tests/data/cq on each server instead (tests/test_server_remote.py).
    pytest.mark.skipif(not os.environ.get("AGRS_TEST_FULL_REMOTE"), reason="the full remote matrix: make test-remote"),
]

#: {kind: {question: what the server does}}: the questions of the expected answers a server is known not to give
KNOWN_GAPS = {
    kind: {stem.split("--")[0]: gap for stem, gap in gaps.items()} for kind, gaps in GAPS_BY_EXPECTED_FILE.items()
}
# …and those that differ on the bundled observatory only (the fixture's expected answers hold on Virtuoso): measured
# by benchmarks/remote_stores.py (benchmarks/RESULTS.md, "Remote stores"), same row count, other values; not examined.
for _question, _gap in {
    "cq07-perceived-vs-recorded-severity": "other values on the observatory (same row count; not examined)",
    "cq34-indicators-before-after-project": "other values on the observatory (same row count; not examined)",
}.items():
    KNOWN_GAPS.setdefault("virtuoso", {})[_question] = _gap
QUESTIONS = sorted(path.stem for path in (REPO / "queries" / "cq").glob("*.rq"))
JSON_RESULTS = "application/sparql-results+json"
XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {XSD + name for name in ("integer", "decimal", "double", "float", "long", "int", "nonNegativeInteger")}
PER_PAGE = 50_000  # more rows than any question has on the bundled observatory: one page holds the whole answer
ASKS = 3  # uncached asks per question and store (each with another per_page, so another cache key)
#: cq04 takes 25–35 s on the observatory (benchmarks/RESULTS.md): the comparison is about answers, not timeouts
SLOW_QUESTIONS = ("--query-timeout", "600")
LOAD_TIMEOUT = 3600  # seconds `agrs observatory` may take on one store

#: measured figures of this session: {"load": {store: seconds}, "latency": {question: {store: ms}}}
FIGURES: dict = {"load": {}, "latency": {}}


def test_there_are_questions():
    assert len(QUESTIONS) >= 30


def load_observatory(store: str, options: list[str], secrets: dict) -> float:
    """Run `agrs observatory --store STORE` as a user would (`options` hold --quarantine); return the seconds."""
    started = time.monotonic()
    with _environment({**secrets, "AGRS_STORE": None}):
        run = subprocess.run(
            [sys.executable, "-m", "agrs", "observatory", "--store", store, *options, "--quiet"],
            capture_output=True, text=True, timeout=LOAD_TIMEOUT, cwd=REPO,
        )  # fmt: skip
    elapsed = time.monotonic() - started
    assert run.returncode in (0, 1), f"agrs observatory --store {store} exited {run.returncode}:\n{run.stderr[-4000:]}"
    return elapsed


@pytest.fixture(scope="module")
def observatory(tmp_path_factory) -> tuple:
    """(store folder, checkpoint folder): the observatory loaded into an embedded store, and a checkpoint of it
    that nobody writes, which the copies into the remote servers read while `agrs serve` holds the store."""
    from agrs.store import open_store

    folder = tmp_path_factory.mktemp("observatory-embedded")
    quarantine = ["--quarantine", str(folder / "quarantine")]  # not the repository's ./quarantine
    FIGURES["load"]["embedded"] = load_observatory(str(folder / "store"), quarantine, {})
    with open_store(folder / "store") as store:
        store.snapshot(folder / "source")
    return folder / "store", folder / "source"


@pytest.fixture(scope="module")
def embedded_served(observatory, tmp_path_factory):
    """The observatory in an embedded store, served read-only."""
    live = LiveServer(observatory[0], *SLOW_QUESTIONS, token=None)
    yield live
    live.stop()
    _write_figures(tmp_path_factory)


@pytest.fixture(scope="module", params=list(REMOTE_KINDS))
def remote_served(request, observatory):
    """(kind, LiveServer): the observatory pushed into a remote server by `agrs push`, served read-only by
    `agrs serve --store URL`."""
    kind = request.param
    info = remote_server(request, kind)
    # One union update after the 459k-triple territories graph can take minutes on a loaded machine: the HTTP
    # timeout of a push is the load's, not the 60 s default of a query.
    secrets = {name.replace("AGRS_STORE_", "AGRS_PUSH_"): value for name, value in info.environment().items()}
    secrets["AGRS_PUSH_TIMEOUT"] = str(LOAD_TIMEOUT)
    started = time.monotonic()
    with _environment({**secrets, "AGRS_STORE": None}):
        run = subprocess.run(
            [sys.executable, "-m", "agrs", "push", "--store", str(observatory[1]), "--to", info.query_url, "--quiet"],
            capture_output=True, text=True, timeout=LOAD_TIMEOUT, cwd=REPO,
        )  # fmt: skip
    assert run.returncode == 0, f"agrs push --to {info.query_url} exited {run.returncode}:\n{run.stderr[-4000:]}"
    FIGURES["load"][f"{kind} (agrs push)"] = time.monotonic() - started
    live = serve_remote(info.location, *SLOW_QUESTIONS, token=None)
    yield kind, live
    live.stop()


def _write_figures(tmp_path_factory) -> None:
    text = json.dumps(FIGURES, indent=1, sort_keys=True)
    (tmp_path_factory.getbasetemp() / "remote-latencies.json").write_text(text)
    if os.environ.get("AGRS_REMOTE_LATENCIES"):
        Path(os.environ["AGRS_REMOTE_LATENCIES"]).write_text(text)


# --- comparing answers -----------------------------------------------------------------------------------------


def _term(binding: dict | None):
    """A comparable form of a SPARQL JSON binding: numbers by value, language tags lower-cased, blank nodes alike."""
    if binding is None:
        return None
    kind, value = binding["type"], binding["value"]
    if kind == "bnode":
        return ("bnode",)
    if kind == "uri":
        return ("uri", value)
    if "xml:lang" in binding:
        return ("literal", value, "@" + binding["xml:lang"].lower())
    datatype = binding.get("datatype", XSD + "string")
    if datatype in NUMERIC:
        try:
            return ("number", datatype, Decimal(value).normalize())
        except InvalidOperation:
            pass
    return ("literal", value, datatype)


def _rows(answer: dict) -> list:
    names = answer["head"]["vars"]
    return sorted((tuple(_term(row.get(name)) for name in names) for row in answer["results"]["bindings"]), key=repr)


def ask(live: LiveServer, question: str, per_page: int) -> tuple[int, dict, float]:
    """GET /api/<question> with its default parameters on one page; return status, parsed answer, milliseconds."""
    url = f"{live.url}/api/{question}?" + urllib.parse.urlencode({"per_page": per_page})
    started = time.perf_counter()
    status, _, body = http(url, headers={"Accept": JSON_RESULTS}, timeout=600)
    elapsed = (time.perf_counter() - started) * 1000
    return status, (json.loads(body) if status == 200 else {"error": body.decode(errors="replace")}), elapsed


def _answers(live: LiveServer, question: str) -> tuple[int, dict, float]:
    """Ask ASKS times (a different page size each time, so the server's answer cache never answers); return the
    status, the first answer and the median latency."""
    asked = [ask(live, question, PER_PAGE + number) for number in range(ASKS)]
    status, answer, _ = asked[0]
    assert all(other[0] == status for other in asked), f"{question}: statuses {[other[0] for other in asked]}"
    return status, answer, statistics.median(other[2] for other in asked)


@pytest.mark.parametrize("question", QUESTIONS)
def test_question_answers_as_on_the_embedded_store(remote_served, embedded_served, question):
    kind, live = remote_served
    want_status, want, embedded_ms = _answers(embedded_served, question)
    status, got, remote_ms = _answers(live, question)
    FIGURES["latency"].setdefault(question, {}).update({"embedded": round(embedded_ms, 1), kind: round(remote_ms, 1)})
    assert want_status == 200, f"{question} on the embedded store: {want}"
    gap = KNOWN_GAPS.get(kind, {}).get(question)
    if gap and (status != 200 or _rows(got) != _rows(want)):
        pytest.xfail(f"a known {kind} gap (tests/data/cq/{kind}-gaps.tsv): {gap}")
    assert status == 200, f"{question} on {kind}: {got}"
    assert got["head"]["vars"] == want["head"]["vars"]
    got_rows, want_rows = _rows(got), _rows(want)
    missing = [row for row in want_rows if row not in got_rows]
    extra = [row for row in got_rows if row not in want_rows]
    assert got_rows == want_rows, (
        f"{question} on {kind}: {len(got_rows)} rows, embedded {len(want_rows)}; "
        f"missing {missing[:3]}, extra {extra[:3]}"
    )
    assert sorted(got.get("synthetic_records", [])) == sorted(want.get("synthetic_records", []))
