"""Load test on loopback (issue 15): client threads mixing the four kinds of traffic an observatory gets, for a
bounded time, against one `agrs serve`; no 5xx, no lost write; latency percentiles per kind.

The kinds, drawn at random (seeded) with the weights of MIX:
- question   a stored question, `/api/<name>` with its defaults (QUESTIONS: those that give rows and answer
             within half a second on the bundled observatory; the slower ones would mostly measure the queue of
             the two query workers);
- researcher a SPARQL query of a researcher's (RESEARCHER: a label search, a territory's triples, a count by
             class, an ASK), `/sparql`, with a territory or a word drawn from the store, so answers are not all
             served from the server's answer cache;
- page       the HTML page of a territory or a resource of the observatory (`/id/…`, Accept: text/html);
- write      a Graph Store write to a plain graph with the write token, alternating PUT (the client's own graph,
             replaced by a triple carrying the client's counter) and POST (one new triple in a graph the clients
             share). After the run every acknowledged write (2xx) is checked: each client's graph holds its last
             acknowledged counter, and the shared graph every acknowledged triple; one missing is a lost write.
Every write empties the server's answer cache (the store's version changes), as in real use.

A run is `--clients` threads (one kept-alive HTTP connection each) for `--seconds` seconds. The baseline is the
same mix with one client, in the same script on the same server: the table gives the percentiles of both and
their ratios (load / baseline). `--runs` runs of each, interleaved (baseline, load, baseline, …) so that a drift
of the shared machine hits both; every figure is the median over the runs.

The store: a copy of the bundled observatory (`agrs observatory`, built once under .bench/data/load-observatory,
a few minutes), or with `--quick` the question fixture (tests/data/kg with the ontology and the inferred graph).

    .venv/bin/python benchmarks/load_test.py [--quick] [--clients 4] [--seconds 10] [--runs 3]
"""

import argparse
import http.client
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

REPO = Path(__file__).resolve().parent.parent
KINDS = ("question", "researcher", "page", "write")
MIX = {"question": 3, "researcher": 3, "page": 3, "write": 1}
#: stored questions that give rows on the bundled observatory and whose first (uncached) answer took under 400 ms
#: there (2026-12-07, a shared machine); cq02, cq03, cq06, cq07, cq17, cq32 and cq33 took 1.2-9 s, cq04 longer:
#: with two query workers they would measure the workers' queue more than the server
QUESTIONS = (
    "cq08-capacities-strengthened-by-projects",
    "cq10-levers-by-territory-type",
    "cq12-vital-needs-by-spatial-scale",
    "cq16-partners-of-pilot-territories",
    "cq19-epci-commons-external-dependencies",
    "cq29-capacities-per-mutation-family",
    "cq35-ademe-commons-capacities-by-theme",
)
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
#: a researcher's questions; {iri} is a resource drawn from the store, {word} a word of a label
RESEARCHER = (
    "SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }} LIMIT 200",
    f'SELECT ?s ?label WHERE {{{{ ?s <{RDFS_LABEL}> ?label FILTER(CONTAINS(LCASE(STR(?label)), "{{word}}")) }}}} '
    "LIMIT 20",
    "SELECT ?class (COUNT(?s) AS ?n) WHERE {{ ?s a ?class . ?s ?p <{iri}> }} GROUP BY ?class ORDER BY DESC(?n)",
    "ASK {{ <{iri}> ?p ?o }}",
)
ID_PREFIX = "https://w3id.org/agrs/id/"
LOAD_GRAPH = "http://example.org/agrs-load/"  # plain graphs the writes go to (never a data graph: no SHACL gate)
COUNTER = "http://example.org/agrs-load/counter"
WRITTEN_BY = "http://example.org/agrs-load/by"
CACHE = REPO / ".bench" / "data"


# --- the traffic -------------------------------------------------------------------------------------------------


@dataclass
class Traffic:
    """What the clients draw from: question paths, researcher queries' fillers, page paths."""

    questions: list[str]
    iris: list[str]  # resources under ID_PREFIX (pages, researcher queries)
    words: list[str]  # words of labels (researcher label search)

    @classmethod
    def discover(cls, base: str, questions=QUESTIONS, sample: int = 300) -> "Traffic":
        """Ask the server for resources and label words to draw from; keep the stored questions it serves."""
        connection = _connect(base)
        try:
            query = (f"SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), \"{ID_PREFIX}\")) }} "
                     f"LIMIT {sample}")  # fmt: skip
            status, body = _get(connection, base, "/sparql?" + urllib.parse.urlencode({"query": query}), JSON)
            if status != 200:
                raise RuntimeError(f"could not list the store's resources: {status} {body[:300]!r}")
            iris = [row["s"]["value"] for row in json.loads(body)["results"]["bindings"]]
            query = f"SELECT ?label WHERE {{ ?s <{RDFS_LABEL}> ?label }} LIMIT {sample}"
            status, body = _get(connection, base, "/sparql?" + urllib.parse.urlencode({"query": query}), JSON)
            labels = [row["label"]["value"] for row in json.loads(body)["results"]["bindings"]] if status == 200 else []
            served = [name for name in questions if _get(connection, base, f"/api/{name}", JSON)[0] == 200]
        finally:
            connection.close()
        words = sorted({word.lower() for label in labels for word in label.split() if word.isalpha() and len(word) > 3})
        if not iris or not served:
            raise RuntimeError(f"nothing to ask: {len(iris)} resources, {len(served)} of the stored questions")
        return cls([f"/api/{name}" for name in served], iris, words or ["commune"])


JSON = "application/sparql-results+json"


@dataclass
class Sample:
    """One request: its kind, status (0: no answer, the connection failed) and latency in ms."""

    kind: str
    status: int
    ms: float


@dataclass
class Ledger:
    """The writes a client got acknowledged: its last PUT counter, and the triples its POSTs added."""

    client: int
    graph: str
    last_put: int | None = None
    posted: list[str] = field(default_factory=list)  # subjects of the acknowledged POSTs


def _connect(base: str, timeout: float = 120) -> http.client.HTTPConnection:
    parts = urllib.parse.urlsplit(base)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)


def _get(connection, base: str, path: str, accept: str) -> tuple[int, bytes]:
    return _send(connection, "GET", path, None, {"Accept": accept})


def _send(connection, method: str, path: str, body: bytes | None, headers: dict) -> tuple[int, bytes]:
    connection.request(method, path, body=body, headers=headers)
    answer = connection.getresponse()
    return answer.status, answer.read()  # read whole: the latency includes the body


def client(base: str, token: str, traffic: Traffic, index: int, run: str, deadline: float, seed: int,
           samples: list, ledger: Ledger, mix: dict = MIX) -> None:  # fmt: skip
    """Send the `mix` (kind: weight) until `deadline`; append a Sample per request to `samples`; note acknowledged
    writes in `ledger`."""
    draw = random.Random(seed)
    kinds, weights = list(mix), list(mix.values())
    connection = _connect(base)
    counter = 0
    shared = f"{LOAD_GRAPH}{run}/shared"
    while time.monotonic() < deadline:
        kind = draw.choices(kinds, weights)[0]
        if kind == "question":
            method, path, body, headers = "GET", draw.choice(traffic.questions), None, {"Accept": JSON}
        elif kind == "researcher":
            text = draw.choice(RESEARCHER).format(iri=draw.choice(traffic.iris), word=draw.choice(traffic.words))
            method, path, body = "GET", "/sparql?" + urllib.parse.urlencode({"query": text}), None
            headers = {"Accept": JSON}
        elif kind == "page":
            iri = draw.choice(traffic.iris)
            method, path, body, headers = "GET", "/id/" + iri[len(ID_PREFIX) :], None, {"Accept": "text/html"}
        else:
            counter += 1
            headers = {"Content-Type": "application/n-triples", "Authorization": f"Bearer {token}"}
            if counter % 2:  # PUT: the client's own graph now holds this counter only
                graph = ledger.graph
                body = f'<{graph}> <{COUNTER}> "{counter}"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
                method = "PUT"
            else:  # POST: one more triple in the shared graph
                graph = shared
                subject = f"{LOAD_GRAPH}{run}/write/{index}-{counter}"
                body = f'<{subject}> <{WRITTEN_BY}> "{index}" .\n'
                method = "POST"
            path, body = "/graph-store?" + urllib.parse.urlencode({"graph": graph}), body.encode()
        started = time.perf_counter()
        try:
            status, _ = _send(connection, method, path, body, headers)
        except (OSError, http.client.HTTPException):  # no answer: counted (status 0), then a new connection
            status = 0
            connection.close()
            connection = _connect(base)
        samples.append(Sample(kind, status, (time.perf_counter() - started) * 1000))
        if kind == "write" and 200 <= status < 300:
            if method == "PUT":
                ledger.last_put = counter
            else:
                ledger.posted.append(subject)
    connection.close()


def lost_writes(base: str, run: str, ledgers: list[Ledger]) -> list[str]:
    """Return the acknowledged writes the store does not hold (as readable lines); [] when none was lost."""
    connection = _connect(base)
    lost = []
    try:
        for ledger in ledgers:
            if ledger.last_put is None:
                continue
            query = f"SELECT ?n WHERE {{ GRAPH <{ledger.graph}> {{ <{ledger.graph}> <{COUNTER}> ?n }} }}"
            found = _values(connection, base, query, "n")
            if found != [str(ledger.last_put)]:
                lost.append(f"client {ledger.client}: PUT {ledger.last_put} acknowledged, the graph holds {found}")
        query = f"SELECT ?s WHERE {{ GRAPH <{LOAD_GRAPH}{run}/shared> {{ ?s <{WRITTEN_BY}> ?by }} }}"
        held = set(_values(connection, base, query, "s"))
        for ledger in ledgers:
            lost.extend(f"client {ledger.client}: POST {subject} acknowledged, not in the shared graph"
                        for subject in ledger.posted if subject not in held)  # fmt: skip
    finally:
        connection.close()
    return lost


def _values(connection, base: str, query: str, name: str) -> list[str]:
    status, body = _get(connection, base, "/sparql?" + urllib.parse.urlencode({"query": query}), JSON)
    if status != 200:
        raise RuntimeError(f"could not read the writes back: {status} {body[:300]!r}")
    return [row[name]["value"] for row in json.loads(body)["results"]["bindings"]]


@dataclass
class RunResult:
    """One run's figures."""

    clients: int
    seconds: float
    samples: list[Sample]
    lost: list[str]

    @property
    def server_errors(self) -> int:
        """Answers 5xx."""
        return sum(1 for s in self.samples if s.status >= 500)

    @property
    def failures(self) -> int:
        """Requests without an answer (the connection failed)."""
        return sum(1 for s in self.samples if s.status == 0)

    def statuses(self) -> Counter:
        """Requests by status."""
        return Counter(s.status for s in self.samples)

    def count(self, kind: str | None = None) -> int:
        """Requests (of `kind`)."""
        return sum(1 for s in self.samples if kind is None or s.kind == kind)

    def percentile(self, kind: str, p: float) -> float | None:
        """The `p`-th percentile (nearest rank) of the latencies of `kind`'s answered requests, in ms."""
        values = sorted(s.ms for s in self.samples if s.kind == kind and s.status)
        if not values:
            return None
        return values[min(len(values) - 1, max(0, round(p / 100 * len(values) + 0.5) - 1))]


def run_load(base: str, token: str, clients: int, seconds: float, traffic: Traffic, seed: int = 0,
             run: str | None = None, mix: dict = MIX) -> RunResult:  # fmt: skip
    """Run `clients` client threads sending `mix` to the server at `base` for `seconds`; check the writes; return
    the run."""
    run = run or f"run-{time.time_ns()}"
    deadline = time.monotonic() + seconds
    samples: list[list[Sample]] = [[] for _ in range(clients)]
    ledgers = [Ledger(index, f"{LOAD_GRAPH}{run}/client-{index}") for index in range(clients)]
    threads = [threading.Thread(target=client, args=(base, token, traffic, index, run, deadline, seed * 1000 + index,
                                                     samples[index], ledgers[index], mix), daemon=True)
               for index in range(clients)]  # fmt: skip
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 300)  # a request in flight at the deadline is waited for (the server's timeout bounds it)
    spent = time.monotonic() - started
    return RunResult(clients, spent, [s for part in samples for s in part], lost_writes(base, run, ledgers))


# --- the benchmark -----------------------------------------------------------------------------------------------


def fixture_store(folder: Path) -> Path:
    """Build the question fixture's store in `folder`: ontology, tests/data/kg (a graph per file), inferred graph."""
    import pyoxigraph as ox

    from agrs.derived.reason import materialise
    from agrs.ontology_graph import ensure_ontology
    from agrs.resources import Resources
    from agrs.store.embedded import EmbeddedStore

    with EmbeddedStore(folder) as store:
        ensure_ontology(store, Resources.load())
        for source in sorted((REPO / "tests" / "data" / "kg").glob("*.ttl")):
            triples = ox.parse(path=str(source), format=ox.RdfFormat.TURTLE)
            store.replace_graph("https://w3id.org/agrs/graph/fixture/" + source.stem, triples)
        materialise(store)
    return folder


def observatory_store() -> Path:
    """Return the bundled observatory's store, building it once (`agrs observatory`, a few minutes)."""
    folder = CACHE / "load-observatory"
    if not (folder / ".complete").exists():
        shutil.rmtree(folder, ignore_errors=True)
        print("load_test: building the bundled observatory (agrs observatory, a few minutes)", file=sys.stderr)
        done = subprocess.run([sys.executable, "-m", "agrs", "observatory", "--store", str(folder), "--quarantine",
                               str(CACHE / "load-observatory-quarantine")], cwd=REPO)  # fmt: skip
        if done.returncode != 0:
            raise SystemExit(f"agrs observatory failed ({done.returncode})")
        (folder / ".complete").write_text("agrs observatory")
    return folder


def client_options(clients: int) -> list[str]:
    """`agrs serve` options that let `clients` loopback clients count as that many users: they all come from
    127.0.0.1, and a server that limits the queries of one client address (`--client-queries`, default 2) would
    answer 429 to all but two of them. Empty when this `agrs serve` has no such limit."""
    done = subprocess.run([sys.executable, "-m", "agrs", "serve", "--help"], capture_output=True, text=True, cwd=REPO)
    return ["--client-queries", str(2 * clients)] if "--client-queries" in done.stdout else []


def server_counts(base: str) -> str:
    """The server's totals from its /metrics (requests, rejections, query timeouts, writes) as one phrase."""
    connection = _connect(base)
    try:
        status, body = _get(connection, base, "/metrics", "text/plain")
    finally:
        connection.close()
    if status != 200:
        return f"/metrics answered {status}"
    totals = Counter()
    for line in body.decode().splitlines():
        name = line.partition("{")[0].partition(" ")[0]
        if name in ("agrs_http_requests_total", "agrs_http_rejected_total", "agrs_query_timeouts_total"):
            totals[name] += int(float(line.rpartition(" ")[2]))
        elif name == "agrs_writes_total":
            totals[name] = int(float(line.rpartition(" ")[2]))
    return (f"{totals['agrs_http_requests_total']} requests, {totals['agrs_http_rejected_total']} rejected "
            f"(413/429/503), {totals['agrs_query_timeouts_total']} query timeouts, "
            f"{totals['agrs_writes_total']} writes")  # fmt: skip


def _median(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def _ratio(load: float | None, base: float | None) -> str:
    return "–" if not load or not base else f"{load / base:.1f}×"


def report(baselines: list[RunResult], loads: list[RunResult], description: str) -> str:
    """The Markdown table of the runs: per kind, the median over runs of each figure, and the ratios."""
    clients = loads[0].clients
    lines = [
        f"Store: {description}. {clients} clients vs 1 (baseline), {len(loads)} runs of each, interleaved; every "
        "figure is the median over the runs; latencies in ms (one request, answer read whole).",
        "",
        "| kind | requests (load) | p50 base | p50 load | p90 base | p90 load | p99 base | p99 load | p50 ratio "
        "| p99 ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in KINDS:
        base = {p: _median([r.percentile(kind, p) for r in baselines]) for p in (50, 90, 99)}
        load = {p: _median([r.percentile(kind, p) for r in loads]) for p in (50, 90, 99)}
        requests = _median([r.count(kind) for r in loads])
        lines.append(f"| {kind} | {requests:.0f} | {_ms(base[50])} | {_ms(load[50])} | {_ms(base[90])} | "
                     f"{_ms(load[90])} | {_ms(base[99])} | {_ms(load[99])} | {_ratio(load[50], base[50])} | "
                     f"{_ratio(load[99], base[99])} |")  # fmt: skip
    base_rate = _median([r.count() / r.seconds for r in baselines])
    load_rate = _median([r.count() / r.seconds for r in loads])
    every = baselines + loads
    statuses = sum((r.statuses() for r in every), Counter())
    lines += [
        "",
        f"Throughput: {base_rate:.1f} requests/s with 1 client, {load_rate:.1f} with {clients} "
        f"({_ratio(load_rate, base_rate)}). Over all {len(every)} runs: {sum(r.count() for r in every)} requests, "
        f"{sum(r.server_errors for r in every)} answers 5xx, {sum(r.failures for r in every)} without an answer, "
        f"{sum(len(r.lost) for r in every)} lost writes "
        f"({sum(r.count('write') for r in every)} writes sent); statuses: "
        + ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items())) + ".",
    ]  # fmt: skip
    return "\n".join(lines)


def main() -> int:
    """Parse the options, build or copy the store, start the server, run, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the question fixture instead of the observatory")
    parser.add_argument("--clients", type=int, default=4, help="client threads of a load run (default 4)")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of each run (default 10)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each (baseline and load; default 3)")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument(
        "--write-weight",
        type=float,
        default=MIX["write"],
        help=f"weight of writes in the mix (default {MIX['write']}; 0: a read-only mix)",
    )
    args = parser.parse_args()
    if args.clients < 1 or args.runs < 1 or args.seconds <= 0 or args.write_weight < 0:
        parser.error("--clients and --runs must be at least 1, --seconds positive, --write-weight not negative")

    from serving import free_port, start_server

    token = "load-test-token"
    CACHE.mkdir(parents=True, exist_ok=True)
    # in the cache's file system: a checkpoint is hard links, which cannot cross file systems
    with tempfile.TemporaryDirectory(prefix="agrs-load-", dir=CACHE) as scratch:
        folder = Path(scratch) / "store"
        if args.quick:
            fixture_store(folder)
            description = "the question fixture (tests/data/kg, ontology, inferred graph)"
        else:
            from agrs.store.embedded import EmbeddedStore

            # the writes go to a checkpoint (hard links to RocksDB's immutable files: instant), never to the cache
            with EmbeddedStore(observatory_store()) as source:
                source.snapshot(folder)
            description = "the bundled observatory (`agrs observatory`: ontology, all territories, data/, inferred)"
        port = free_port()
        # threads: one per client and a few spare, so that waitress never queues a client behind another
        options = ("--write-token", token, "--metrics", "--threads", str(args.clients + 4),
                   *client_options(args.clients))  # fmt: skip
        server = start_server(folder, port, Path(scratch) / "serve.log", options)
        try:
            base = f"http://127.0.0.1:{port}"
            traffic = Traffic.discover(base)
            mix = {**MIX, "write": args.write_weight}
            run_load(base, token, 2, min(2.0, args.seconds), traffic, seed=args.seed, run="warmup", mix=mix)
            baselines, loads = [], []
            for number in range(args.runs):
                baselines.append(run_load(base, token, 1, args.seconds, traffic, args.seed + number, f"base-{number}",
                                          mix))  # fmt: skip
                loads.append(run_load(base, token, args.clients, args.seconds, traffic, args.seed + number,
                                      f"load-{number}", mix))  # fmt: skip
                print(f"run {number + 1}: {loads[-1].count()} requests, {loads[-1].server_errors} 5xx, "
                      f"{len(loads[-1].lost)} lost", file=sys.stderr)  # fmt: skip
            counted = server_counts(base)
        finally:
            server.terminate()
            server.wait(30)
    print(f"Questions: {len(traffic.questions)} stored questions, {len(traffic.iris)} resources, "
          f"{len(traffic.words)} label words drawn from.\n")  # fmt: skip
    weights = ", ".join(f"{kind} {weight:g}" for kind, weight in mix.items())
    print(report(baselines, loads, f"{description}; mix weights {weights}"))
    print("\nThe server's own counts (/metrics, warm-up and read-backs included): " + counted + ".")
    lost = [line for r in baselines + loads for line in r.lost]
    for line in lost[:20]:
        print("lost:", line, file=sys.stderr)
    return 1 if lost or any(r.server_errors or r.failures for r in baselines + loads) else 0


if __name__ == "__main__":
    sys.exit(main())
