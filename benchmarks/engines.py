"""Benchmark of questions through SPARQL engines on size S: agrs serve, pyoxigraph, Oxigraph, Virtuoso, rdflib-endpoint.

The same triples for every engine (.bench/data/S-seed1.nt: the real territories, the ontology and the size-S
synthetic observatory mapped by the loaders; benchmarks/suite.py builds it once), the same questions:
researcher-style ones (benchmarks/questions_s.py) and the stored questions (queries/cq/*.rq, defaults bound).
  pyoxigraph       in this process, on Oxigraph server's database (RocksDB) opened read-only; the answer
                   serialised to SPARQL JSON (what a server sends), no HTTP;
  agrs serve       GET /sparql of `agrs serve` on an agrs store holding the file (one data graph + ontology);
  Oxigraph server  GET /query of `oxigraph serve-read-only` (the `oxigraph` wheel) on a database of the file;
  Virtuoso         GET /sparql of Debian's Virtuoso 7 on a database bulk-loaded with the file;
  rdflib-endpoint  GET / of rdflib-endpoint (FastAPI over an rdflib Graph of the file): each question once, with
                   a time limit (--slow-timeout); after a question runs out of time the server is restarted (the
                   question keeps running in it), at most --slow-restarts times, then its remaining questions
                   are skipped.
Runs are interleaved (for each question, each run, each engine) so that a busy machine slows every engine alike;
a question whose warm-up took over 2 s on some engine is not run again: that one run is its figure.
Answers are compared as sets of rows (numbers to 6 significant digits) with pyoxigraph's; a difference is
printed. Ratios are medians over Oxigraph server's median. Peak RSS: the servers' VmHWM (agrs serve: its
process and its query workers, summed), this process's for pyoxigraph.

    .venv/bin/python benchmarks/engines.py [--quick] [--runs 3] [--append] [--no-install]
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import questions_s
import suite

REFERENCE = "Oxigraph server"
SLOW_QUESTION_MS = 2000  # a question whose warm-up took longer on some engine is not run again
QUICK_COMMUNES = 300  # --quick: size XS over the first communes, all other territories kept
ENGINE_ORDER = ("pyoxigraph", "agrs serve", "Oxigraph server", "Virtuoso", "rdflib-endpoint")
QUICK_QUESTIONS = ("ask", "commune-lookup", "commune-over-years", "population-per-departement",
                   "cq10-levers-by-territory-type")  # fmt: skip


def tree_peak_mb(pid: int) -> float | None:
    """Return the sum of VmHWM over a process and its children (agrs serve's query workers)."""
    total = suite.peak_rss_mb(pid)
    if total is None:
        return None
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in task.read_text().split():
            total += suite.peak_rss_mb(int(child)) or 0
    return total


class InProcess:
    """pyoxigraph in this process, on Oxigraph server's database opened read-only; answers serialised to JSON."""

    name = "pyoxigraph"

    def __init__(self, nt: Path, install: bool):
        import pyoxigraph as ox

        database, self.load_s = suite.oxigraph_database(nt, install)
        self.store = ox.Store.read_only(str(database))
        self.version = suite.package_version("pyoxigraph")

    def query(self, sparql: str) -> dict:
        """Run the query; return the SPARQL JSON answer."""
        import pyoxigraph as ox

        result = self.store.query(sparql)
        return json.loads(result.serialize(format=ox.QueryResultsFormat.JSON))

    def peak_mb(self) -> float:
        """Return this process's peak RSS."""
        return suite.peak_rss_mb()

    def close(self) -> None:
        """Drop the store."""
        del self.store


class Remote:
    """A server started by suite.start_*: queried over one kept-alive connection."""

    def __init__(self, server: suite.Server, load_s: float | None, timeout: float):
        self.server, self.load_s, self.name, self.version = server, load_s, server.name, server.version
        self.timeout = timeout
        self.client = suite.Client(server.url, timeout)

    def query(self, sparql: str) -> dict:
        """Run the query over HTTP; return the SPARQL JSON answer."""
        return self.client.query(sparql)

    def peak_mb(self) -> float | None:
        """Return the server's peak RSS (its process tree)."""
        return tree_peak_mb(self.server.pid)

    def close(self) -> None:
        """Close the connection, stop the server."""
        self.client.close()
        self.server.stop()


def conditional_get(url: str) -> dict:
    """GET a small question twice from `agrs serve`, the second time with If-None-Match: is the answer cacheable?"""
    import http.client
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    path = parts.path + "?" + urllib.parse.urlencode({"query": "ASK {}"})
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", path, headers={"Accept": "application/sparql-results+json"})
        response = connection.getresponse()
        response.read()
        etag = response.getheader("ETag")
        if not etag:
            return {"etag": None, "status": response.status}
        connection.request("GET", path, headers={"Accept": "application/sparql-results+json", "If-None-Match": etag})
        second = connection.getresponse()
        second.read()
        return {"etag": etag, "status": second.status}
    finally:
        connection.close()


def start_engines(nt: Path, args, skipped: dict) -> list:
    """Start every engine that can run; note the others' reasons in `skipped`."""
    install = not args.no_install
    engines = []
    try:
        engines.append(InProcess(nt, install))
    except (suite.Unavailable, OSError) as reason:
        skipped["pyoxigraph"] = str(reason)[:300]
    starters = [
        ("agrs serve", lambda: (suite.start_agrs(suite.agrs_store(nt), extra=["--query-timeout", str(args.timeout),
                                                                             "--max-rows", "10000000"]), None)),
        ("Oxigraph server", lambda: suite.start_oxigraph(nt, install=install)),
        ("Virtuoso", lambda: suite.start_virtuoso(nt, install=install)),
    ]  # fmt: skip
    for name, start in starters:
        try:
            server, load_s = start()
            engines.append(Remote(server, load_s, args.timeout))
        except (suite.Unavailable, RuntimeError, OSError) as reason:
            skipped[name] = str(reason)[:300]
            print(f"  {name}: skipped: {reason}", file=sys.stderr, flush=True)
    return engines


def run_questions(engines: list, questions: dict[str, str], runs: int) -> dict:
    """Interleave the runs; return {question: {engine: {"ms": median, "rows": n, "answer": rows or error}}}."""
    import statistics

    table: dict = {}
    for name, sparql in questions.items():
        samples: dict[str, list[float]] = {engine.name: [] for engine in engines}
        answers: dict = {}
        warmups: dict[str, float] = {}
        for run in range(runs + 1):  # the first run is a warm-up, untimed
            if run == 1 and max(warmups.values(), default=0) > SLOW_QUESTION_MS:
                # A slow question: its one (cold) run is the figure (the budget of `make bench`).
                samples = {e.name: [warmups[e.name]] if e.name in warmups else [] for e in engines}
                break
            for engine in engines:
                if engine.name in answers and isinstance(answers[engine.name], str):
                    continue  # it failed: don't ask again
                started = time.perf_counter()
                try:
                    answer = engine.query(sparql)
                except Exception as error:  # an engine's failure is a row, not the end of the benchmark
                    answers[engine.name] = f"{type(error).__name__}: {str(error)[:200]}"
                    continue
                elapsed = (time.perf_counter() - started) * 1000
                if run:
                    samples[engine.name].append(elapsed)
                else:
                    warmups[engine.name] = elapsed
                answers[engine.name] = suite.rows_of(answer)
        table[name] = {
            engine: {"ms": statistics.median(times) if times else None,
                     "answer": answers.get(engine)} for engine, times in samples.items()
        }  # fmt: skip
        shown = ", ".join(f"{e} {v['ms']:.1f}" for e, v in table[name].items() if v["ms"] is not None)
        print(f"  {name}: {shown} ms", file=sys.stderr, flush=True)
    return table


def run_slow(nt: Path, questions: dict[str, str], args, table: dict, skipped: dict) -> dict:
    """Ask rdflib-endpoint each question once with a time limit; restart it after a timeout (bounded)."""
    info: dict = {"restarts": 0}
    try:
        server, ready_s = suite.start_rdflib_endpoint(nt, install=not args.no_install)
    except (suite.Unavailable, RuntimeError, OSError) as reason:
        skipped["rdflib-endpoint"] = str(reason)[:300]
        print(f"  rdflib-endpoint: skipped: {reason}", file=sys.stderr, flush=True)
        return info
    info.update(load_s=ready_s, version=server.version)
    client = suite.Client(server.url, args.slow_timeout)
    peak = 0.0
    order = sorted(questions, key=lambda q: min((v["ms"] or 1e9) for v in table[q].values()))
    for position, name in enumerate(order):
        entry = table[name].setdefault("rdflib-endpoint", {"ms": None, "answer": None})
        started = time.perf_counter()
        try:
            entry["answer"] = suite.rows_of(client.query(questions[name]))
            entry["ms"] = (time.perf_counter() - started) * 1000
        except TimeoutError:
            entry["answer"] = f"over {args.slow_timeout:.0f} s"
            peak = max(peak, tree_peak_mb(server.pid) or 0)
            client.close()
            server.stop()
            if info["restarts"] >= args.slow_restarts:
                for rest in order[position + 1 :]:
                    table[rest]["rdflib-endpoint"] = {"ms": None, "answer": "not asked (time limit reached before)"}
                break
            info["restarts"] += 1
            server, _ = suite.start_rdflib_endpoint(nt, install=False)
            client = suite.Client(server.url, args.slow_timeout)
        except Exception as error:
            entry["answer"] = f"{type(error).__name__}: {str(error)[:200]}"
        print(f"  {name}: rdflib-endpoint {entry['ms'] or entry['answer']}", file=sys.stderr, flush=True)
    else:
        peak = max(peak, tree_peak_mb(server.pid) or 0)
        client.close()
        server.stop()
    info["peak_mb"] = peak
    return info


def compare(table: dict, reference: str = "pyoxigraph") -> list[str]:
    """Return the answers that differ from the reference engine's (as sets of rows)."""
    problems = []
    for name, by_engine in table.items():
        base = by_engine.get(reference, {}).get("answer")
        if not isinstance(base, frozenset):
            continue
        for engine, entry in by_engine.items():
            answer = entry.get("answer")
            if isinstance(answer, frozenset) and answer != base:
                problems.append(
                    f"{name}: {engine} {len(answer)} rows, {reference} {len(base)} "
                    f"({len(answer - base)} not in {reference}'s, {len(base - answer)} missing)"
                )
    return problems


def render(table: dict, kinds: dict[str, str], engines: list[str]) -> str:
    """Return the Markdown table: median ms per engine, ratio to Oxigraph server, rows."""
    header = ["question", "kind", "rows"] + [f"{e} ms" for e in engines] + [f"{e} ÷ {REFERENCE}" for e in engines
                                                                          if e != REFERENCE]  # fmt: skip
    lines = []
    for name, by_engine in table.items():
        reference = by_engine.get(REFERENCE, {}).get("ms")
        base = by_engine.get("pyoxigraph", {}).get("answer")
        rows = len(base) if isinstance(base, frozenset) else ""
        cells = [name, kinds.get(name, "stored"), rows]
        for engine in engines:
            entry = by_engine.get(engine, {})
            if entry.get("ms") is not None:
                cells.append(suite.fmt(entry["ms"], 1))
            else:
                cells.append(entry.get("answer") if isinstance(entry.get("answer"), str) else "")
        for engine in engines:
            if engine != REFERENCE:
                cells.append(suite.ratio(by_engine.get(engine, {}).get("ms"), reference))
        lines.append(cells)
    return suite.markdown_table(header, lines, right=tuple(range(2, len(header))))


def summary(table: dict, kinds: dict[str, str], engines: list[str]) -> list[dict]:
    """Return, per kind of question, the geometric mean of each engine's ratio to Oxigraph server."""
    import math

    out = []
    for kind in ("small", "join", "heavy", "stored"):
        names = [n for n in table if kinds.get(n, "stored") == kind]
        row = {"kind": kind, "questions": len(names)}
        for engine in engines:
            ratios = [table[n][engine]["ms"] / table[n][REFERENCE]["ms"] for n in names
                      if table[n].get(engine, {}).get("ms") and table[n].get(REFERENCE, {}).get("ms")]  # fmt: skip
            row[engine] = math.exp(sum(map(math.log, ratios)) / len(ratios)) if ratios else None
            row[f"{engine} n"] = len(ratios)
        out.append(row)
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the tables, write .bench/results/engines.json, append to RESULTS.md if asked."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="size XS over the first 300 communes, 5 questions")
    parser.add_argument("--size", default="S")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120, help="seconds a question may take (fast engines)")
    parser.add_argument("--slow-timeout", type=float, default=30, help="seconds a question may take (rdflib)")
    parser.add_argument("--slow-restarts", type=int, default=1, help="rdflib-endpoint restarts after a timeout")
    parser.add_argument("--no-install", action="store_true", help="use only the servers already installed")
    suite.output_flags(parser)
    args = parser.parse_args(argv)
    suite.exit_on_sigterm()
    info = suite.machine()
    nt = suite.observatory_nt("XS" if args.quick else args.size, limit=QUICK_COMMUNES if args.quick else None)
    triples = suite.count_lines(nt)
    researcher = questions_s.researcher_questions()
    kinds = {name: kind for name, (kind, _) in researcher.items()}
    questions = {name: sparql for name, (_, sparql) in researcher.items()}
    questions.update(questions_s.stored_questions())
    if args.quick:
        questions = {name: questions[name] for name in QUICK_QUESTIONS}
    skipped: dict[str, str] = {}
    engines = start_engines(nt, args, skipped)
    try:
        table = run_questions(engines, questions, args.runs)
        loads = {e.name: e.load_s for e in engines}
        versions = {e.name: e.version for e in engines}
        peaks = {e.name: e.peak_mb() for e in engines}
        cache = next((conditional_get(e.server.url) for e in engines if e.name == "agrs serve"), None)
    finally:
        for engine in engines:
            engine.close()
    slow = run_slow(nt, questions, args, table, skipped)
    if "version" in slow:
        loads["rdflib-endpoint"], versions["rdflib-endpoint"] = slow.get("load_s"), slow["version"]
        peaks["rdflib-endpoint"] = slow.get("peak_mb")
    names = [e for e in ENGINE_ORDER if e in versions]
    mismatches = compare(table)
    means = summary(table, kinds, names)
    extra = {f"{k}": v for k, v in versions.items() if k in ("Virtuoso", "rdflib-endpoint")}
    body = [
        suite.describe(info, extra), "",
        f"`.venv/bin/python benchmarks/engines.py{' --quick' if args.quick else ''} --runs {args.runs}` on "
        f"{nt.name}: {triples:,} triples (territories, ontology, size-{args.size} observatory); medians of "
        f"{args.runs} interleaved runs after a warm-up; rdflib-endpoint once per question with a "
        f"{args.slow_timeout:.0f} s limit.", "",
        render(table, kinds, names), "",
        "Geometric mean of the ratio to Oxigraph server, per kind of question:", "",
        suite.markdown_table(["kind", "questions", *names],
                             [[m["kind"], m["questions"]] + [suite.fmt(m[e], 2) for e in names] for m in means],
                             right=tuple(range(1, len(names) + 2))), "",
        "| engine | load or start s | peak RSS MB |", "|---|---:|---:|",
        *(f"| {e} | {suite.fmt(loads.get(e), 1)} | {suite.fmt(peaks.get(e), 0)} |" for e in names), "",
    ]  # fmt: skip
    body += ["Engines skipped: " + "; ".join(f"{k}: {v}" for k, v in skipped.items()), ""] if skipped else []
    body += (["Answers that differ from pyoxigraph's:", "", *(f"- {m}" for m in mismatches)] if mismatches
             else ["Every engine's answers equal pyoxigraph's (as sets of rows) wherever it answered."])  # fmt: skip
    text = "\n".join(body)
    print(text)
    serialisable = {q: {e: {"ms": v["ms"], "rows": len(v["answer"]) if isinstance(v["answer"], frozenset) else None,
                            "error": v["answer"] if isinstance(v["answer"], str) else None}
                        for e, v in by.items()} for q, by in table.items()}  # fmt: skip
    suite.write_json("engines" + ("-quick" if args.quick else ""), {
        "machine": info, "triples": triples, "versions": versions, "loads": loads, "peaks": peaks,
        "kinds": kinds, "questions": serialisable, "means": means, "mismatches": mismatches, "skipped": skipped,
        "conditional_get": cache,
    })  # fmt: skip
    suite.publish(args, f"Questions through SPARQL engines on {args.size} (benchmarks/engines.py)", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
