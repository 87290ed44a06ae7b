"""Benchmark of the stored questions (queries/cq/*.rq): in-process, through `/api/<name>`, and as plain `/sparql`.

For each question, with its defaults, the median of R runs (default 5, after one untimed warm-up) of:
  in-process  `question.run(store)` on (a copy of) STORE opened read-only here (the whole answer, as Python terms);
  /api        GET /api/<name> on an `agrs serve` started here on loopback (SPARQL JSON; N-Triples for CONSTRUCT);
  /sparql     GET /sparql with the very SPARQL /api runs for that request (the question bound to its defaults,
              paged the same way): the baseline that isolates what the API adds (parameter binding, paging,
              Link headers) from HTTP and the query workers.
By default /api is asked for the whole answer in one page (`per_page` = the answer's rows), so that the three
columns fetch the same rows; `--per-page N` asks for pages of N rows instead (what a client gets by default is
the question's `pagination`, else 100).

`agrs serve` opens its store for writing, so it serves a temporary copy of STORE, which STORE is never written.
The copy is compacted first (pyoxigraph `Store.optimize`): a store whose last writer left compactions pending
gets them when the server opens it, and a query worker that opened its read-only view before they ended hangs on
its first query (pyoxigraph: a read-only open while another process writes is undefined behaviour). All three
ways then read the copy, so they read the same files.

    .venv/bin/python benchmarks/questions.py STORE [--runs 5] [--per-page N] [--questions DIR] [--append]
"""

import argparse
import http.client
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
from datetime import date
from pathlib import Path

# serving.py is a sibling script (benchmarks/ is not a package).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from serving import free_port, median_ms, start_server

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "RESULTS.md"
JSON_RESULTS = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
QUERY_TIMEOUT = 300  # seconds: the server must not cut a slow question short, the table should show it
MAX_ROWS = 1_000_000


def compact(folder: Path) -> None:
    """Run the compactions a store's last writer left pending, so that opening it starts none (see above)."""
    import gc

    import pyoxigraph as ox

    store = ox.Store(str(folder))
    store.optimize()
    store.flush()
    del store
    gc.collect()  # RocksDB closes with the last reference to the store


def answer_size(answer) -> int:
    """Return the rows of an Answer: SELECT rows, CONSTRUCT triples, 1 for an ASK."""
    return 1 if answer.boolean is not None else len(answer.rows)


def measure(store_path: Path, runs: int, per_page: int | None, questions: Path | None) -> list[dict]:
    """Run the benchmark on `store_path`; return one row a question."""
    from agrs.questions import load_library
    from agrs.store import open_store

    library = load_library(questions)
    rows = []
    with tempfile.TemporaryDirectory(prefix="agrs-bench-questions-") as scratch:
        served = Path(scratch) / "store"
        shutil.copytree(store_path, served)
        compact(served)
        port = free_port()
        extra = ["--query-timeout", str(QUERY_TIMEOUT), "--max-rows", str(MAX_ROWS)]
        extra += ["--questions", str(questions)] if questions is not None else []
        server = start_server(served, port, Path(scratch) / "serve.log", extra)
        store = open_store(served, read_only=True)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=QUERY_TIMEOUT + 30)

        def get(path: str, accept: str) -> bytes:
            connection.request("GET", path, headers={"Accept": accept})
            answer = connection.getresponse()
            body = answer.read()
            if answer.status != 200:
                raise RuntimeError(f"GET {path[:120]}: HTTP {answer.status}: {body[:300]!r}")
            return body

        try:
            for name, question in library.items():
                in_process_ms, answer = median_ms(lambda question=question: question.run(store), runs)
                size = answer_size(answer)
                accept = JSON_RESULTS if question.form in ("SELECT", "ASK") else N_TRIPLES
                params: dict[str, str] = {}
                if question.form == "SELECT":
                    page = per_page or max(size, 1)
                    params["per_page"] = str(page)
                    sparql = question.sparql_for({}, limit=page + 1)  # what /api runs: one row more than the page
                else:
                    sparql = question.sparql_for({})
                api_path = f"/api/{name}" + ("?" + urllib.parse.urlencode(params) if params else "")
                sparql_path = "/sparql?" + urllib.parse.urlencode({"query": sparql})
                api_ms, _ = median_ms(lambda path=api_path, accept=accept: get(path, accept), runs)
                sparql_ms, _ = median_ms(lambda path=sparql_path, accept=accept: get(path, accept), runs)
                rows.append({"question": name, "domains": ", ".join(question.tags), "rows": size,
                             "in_process": in_process_ms, "api": api_ms, "sparql": sparql_ms})  # fmt: skip
                print(f"{name}: {size} rows, {in_process_ms:.1f} / {api_ms:.1f} / {sparql_ms:.1f} ms",
                      file=sys.stderr, flush=True)  # fmt: skip
        finally:
            connection.close()
            store.close()
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(30)
    return rows


def table(rows: list[dict], store: Path, runs: int, per_page: int | None) -> str:
    """Return the Markdown section of the results."""
    import pyoxigraph

    paging = f"/api pages of {per_page} rows" if per_page else "/api asked for the whole answer in one page"
    lines = [
        "## Stored questions: in-process, /api/<name>, and the same SPARQL on /sparql (benchmarks/questions.py)",
        "",
        f"{date.today()}, Python {platform.python_version()}, pyoxigraph {pyoxigraph.__version__}, "
        f"{platform.machine()} with {os.cpu_count()} CPUs; a compacted copy of the store {store}; each question "
        f"with its defaults; medians of {runs} runs after one warm-up; {paging}.",
        "",
        "| question | domains | rows | ms in-process | ms /api | ms /sparql | /api ÷ /sparql |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        ratio = row["api"] / row["sparql"] if row["sparql"] else float("nan")
        lines.append(
            f"| {row['question']} | {row['domains']} | {row['rows']:,} | {row['in_process']:.1f} | "
            f"{row['api']:.1f} | {row['sparql']:.1f} | {ratio:.2f} |"
        )
    total = {key: sum(row[key] for row in rows) for key in ("in_process", "api", "sparql")}
    lines += [
        f"| **all {len(rows)}** | | {sum(row['rows'] for row in rows):,} | {total['in_process']:.1f} | "
        f"{total['api']:.1f} | {total['sparql']:.1f} | {total['api'] / total['sparql']:.2f} |",
        "",
        "In-process: `Question.run` on the copy opened read-only (answer as Python terms, no serialisation). "
        "/api and /sparql: one kept-alive HTTP connection to `agrs serve` (query worker processes, SPARQL JSON).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run, print the table (and append it to RESULTS.md with --append); return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("store", type=Path, help="store folder (only copied: never opened, never written)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per question and way (median reported)")
    parser.add_argument("--per-page", type=int, default=None, help="/api page size (default: the whole answer)")
    parser.add_argument("--questions", type=Path, default=None, help="question folder (default: queries/cq/)")
    parser.add_argument("--append", action="store_true", help=f"append the table to {RESULTS.relative_to(REPO)}")
    options = parser.parse_args(argv)
    if not options.store.is_dir():
        print(f"benchmarks/questions.py: no store folder at {options.store}", file=sys.stderr)
        return 2
    rows = measure(options.store, options.runs, options.per_page, options.questions)
    section = table(rows, options.store, options.runs, options.per_page)
    print(section)
    if options.append:
        with RESULTS.open("a", encoding="utf-8") as results:
            results.write("\n" + section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
