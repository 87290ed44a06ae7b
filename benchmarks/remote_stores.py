"""Benchmark of the remote stores (issue 14): the same observatory in the embedded store and in each SPARQL server.

One source, four stores, the same run:
  source     an embedded store holding the bundled observatory (`agrs observatory`, built once and kept under
             .bench/data/remote-source-observatory/), or `--nt FILE` (one graph), or with `--quick` the question
             fixture (tests/data/kg + the ontology + the inferred graph, a few thousand triples);
  stores     embedded (a new folder), Oxigraph server, Virtuoso, Fuseki — each server started on loopback by
             tests/servers.py in a temporary folder (a server that is not installed is skipped, with the reason);
  load       every current graph of the source (asserted and inferred) copied into the store by
             `Store.replace_graph`, as `agrs observatory` writes them: versioned graph, registry, union graphs.
             For a server that is AGRS's remote store (agrs.store.remote): Graph Store uploads in chunks, SPARQL
             Update for the registry and the materialised unions. The load time is the wall time of the copy;
  questions  every stored question (queries/cq/*.rq) with its defaults through `Question.run(store)` (what
             `agrs query --question` does), median of R runs after one warm-up; each answer compared with the
             embedded store's (numbers by value, language tags case-insensitively: Virtuoso normalises both).
The baseline of the ratios is the embedded store of the same run.

    .venv/bin/python benchmarks/remote_stores.py [--quick] [--nt FILE] [--stores embedded,oxigraph-server,…]
                                                [--runs 5] [--append | --update]
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))  # suite.py: the shared timing and RESULTS.md helpers
sys.path.insert(0, str(REPO / "tests"))  # servers.py: the test servers, started the same way here
from suite import CACHE, DATA, exit_on_sigterm, markdown_table, median_ms, package_version, publish, ram_gb  # noqa: E402

TITLE = "Remote stores: load and stored questions on four stores (benchmarks/remote_stores.py)"
KINDS = ("embedded", "oxigraph-server", "virtuoso", "fuseki")
NUMERIC = ("integer", "decimal", "double", "float", "int", "long", "short", "byte", "nonNegativeInteger",
           "positiveInteger", "negativeInteger", "nonPositiveInteger", "unsignedInt", "unsignedLong")  # fmt: skip


# --- the source: an embedded store built once ------------------------------------------------------------------


def source_store(quick: bool, nt: Path | None) -> tuple[Path, str]:
    """Return (folder, description) of the embedded store whose current graphs every store loads."""
    if nt is not None:
        folder = DATA / f"remote-source-{nt.stem}"
        description = f"{nt} (one graph)"
        if not (folder / ".complete").exists():
            import pyoxigraph as ox

            from agrs.graphs import graph_iri
            from agrs.store.embedded import EmbeddedStore

            shutil.rmtree(folder, ignore_errors=True)
            with EmbeddedStore(folder) as store:
                store.replace_graph(graph_iri("bench", nt.stem), ox.parse(path=str(nt), format=ox.RdfFormat.N_TRIPLES))
            (folder / ".complete").write_text(str(nt))
        return folder, description
    if quick:
        folder = DATA / "remote-source-fixture"
        if not (folder / ".complete").exists():
            import pyoxigraph as ox

            from agrs.derived.reason import materialise
            from agrs.ontology_graph import ensure_ontology
            from agrs.resources import Resources
            from agrs.store.embedded import EmbeddedStore

            shutil.rmtree(folder, ignore_errors=True)
            with EmbeddedStore(folder) as store:
                ensure_ontology(store, Resources.load())
                for source in sorted((REPO / "tests" / "data" / "kg").glob("*.ttl")):
                    triples = ox.parse(path=str(source), format=ox.RdfFormat.TURTLE)
                    store.replace_graph("https://w3id.org/agrs/graph/fixture/" + source.stem, triples)
                materialise(store)
            (folder / ".complete").write_text("fixture")
        return folder, "the question fixture (tests/data/kg, ontology, inferred graph)"
    folder = DATA / "remote-source-observatory"
    if not (folder / ".complete").exists():
        shutil.rmtree(folder, ignore_errors=True)
        print("remote_stores: building the bundled observatory (agrs observatory, a few minutes)", file=sys.stderr)
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "agrs", "observatory", "--store", str(folder),
             "--quarantine", str(CACHE / "quarantine-remote-source")], cwd=REPO,
        )  # fmt: skip
        if done.returncode != 0:
            raise SystemExit(f"agrs observatory failed ({done.returncode})")
        (folder / ".complete").write_text(f"agrs observatory: {time.monotonic() - started:.0f} s")
    return folder, "the bundled observatory (`agrs observatory`: ontology, all territories, data/, inferred graph)"


# --- stores ------------------------------------------------------------------------------------------------------


def open_target(kind: str, scratch: Path):
    """Start (for a server) and open the store of `kind`; return (store, server or None, note)."""
    from agrs.store import open_store

    if kind == "embedded":
        return open_store(scratch / "embedded"), None, ""
    from servers import start_server

    server = start_server(kind, scratch / kind)  # ServerUnavailable when not installed
    try:
        return open_store(server.location), server, f"started in {server.started_in:.1f} s"
    except BaseException:
        server.stop()
        raise


def copy_graphs(source, target) -> tuple[float, int, int]:
    """Copy each current graph of `source` into `target` (asserted, then inferred); (seconds, graphs, triples)."""
    from agrs.graphs import is_inferred

    infos = sorted(source.graphs(), key=lambda info: (is_inferred(info.graph), info.graph))
    started = time.perf_counter()
    triples = 0
    for info in infos:
        target.replace_graph(info.graph, source.triples(info.graph))
        triples += info.triples
    if hasattr(target, "settle"):
        target.settle()
    return time.perf_counter() - started, len(infos), triples


def canonical(answer) -> Counter:
    """The answer as a multiset of rows, each value normalised the way the servers differ (numbers, lang tags)."""
    if answer.boolean is not None:
        return Counter([("boolean", answer.boolean)])
    rows = Counter()
    for row in answer.to_json()["results"]["bindings"]:
        values = []
        for name in sorted(row):
            term = row[name]
            kind, value = term["type"], term["value"]
            datatype = term.get("datatype", "").rsplit("#", 1)[-1]
            if kind == "bnode":
                value = "_"  # blank node labels are per answer
            elif datatype in NUMERIC:
                value, datatype = float(value), "number"  # Virtuoso stores numbers by value ("1.0" → "1")
            elif datatype == "boolean":
                value = value in ("true", "1")
            values.append((name, kind if kind != "typed-literal" else "literal", value, datatype,
                           term.get("xml:lang", "").lower()))  # fmt: skip
        rows[tuple(values)] += 1
    return rows


def run_questions(store, library: dict, runs: int) -> dict[str, dict]:
    """Median ms and answer of each question on `store`."""
    results = {}
    for name, question in library.items():
        try:
            milliseconds, answer = median_ms(lambda question=question: question.run(store), runs)
        except Exception as error:  # a question a server cannot answer is a finding, not the end of the run
            results[name] = {"ms": None, "rows": None, "answer": None, "error": f"{type(error).__name__}: {error}"}
            print(f"  {name}: ERROR {str(error)[:200]}", file=sys.stderr, flush=True)
            continue
        rows = 1 if answer.boolean is not None else len(answer.rows)
        results[name] = {"ms": milliseconds, "rows": rows, "answer": canonical(answer), "error": None}
        print(f"  {name}: {rows} rows, {milliseconds:.1f} ms", file=sys.stderr, flush=True)
    return results


def measure(kinds: list[str], source_folder: Path, runs: int, questions: Path | None) -> dict:
    """Load the source into each store kind and run the questions; return the measurements."""
    from servers import ServerUnavailable

    from agrs.questions import load_library
    from agrs.store import open_store

    library = load_library(questions)
    source = open_store(source_folder, read_only=True)
    measured: dict = {"stores": {}, "skipped": {}, "questions": list(library)}
    try:
        for kind in kinds:
            with tempfile.TemporaryDirectory(prefix=f"agrs-bench-remote-{kind}-") as scratch:
                try:
                    store, server, note = open_target(kind, Path(scratch))
                except ServerUnavailable as missing:
                    measured["skipped"][kind] = str(missing)
                    print(f"{kind}: skipped ({missing})", file=sys.stderr, flush=True)
                    continue
                try:
                    print(f"{kind}: loading", file=sys.stderr, flush=True)
                    load_s, graphs, triples = copy_graphs(source, store)
                    print(f"{kind}: {graphs} graphs, {triples:,} triples in {load_s:.1f} s", file=sys.stderr)
                    measured["stores"][kind] = {
                        "load_s": load_s, "graphs": graphs, "triples": triples, "note": note,
                        "questions": run_questions(store, library, runs),
                    }  # fmt: skip
                finally:
                    store.close()
                    if server is not None:
                        server.stop()
    finally:
        source.close()
    return measured


# --- the report --------------------------------------------------------------------------------------------------


def fmt_ms(value: float | None) -> str:
    """Milliseconds with one decimal, or a dash."""
    return "–" if value is None else f"{value:,.1f}"


def section(measured: dict, description: str, runs: int, command: str) -> str:
    """The Markdown body of the RESULTS.md section."""
    kinds = list(measured["stores"])
    reference = measured["stores"].get("embedded")
    lines = [
        f"{date.today()}, `{command}`; Python {platform.python_version()}, pyoxigraph "
        f"{package_version('pyoxigraph')}, oxigraph (server) {package_version('oxigraph')}, {platform.machine()} "
        f"with {os.cpu_count()} CPUs and {ram_gb():.0f} GB. Source: {description}. Each store new and empty, "
        f"loaded by `Store.replace_graph` graph by graph; questions with their defaults, medians of {runs} runs "
        "after one warm-up, in-process `Question.run` (remote: HTTP on loopback). Ratios: ÷ embedded.",
        "",
    ]
    load_rows = []
    for kind in kinds:
        data = measured["stores"][kind]
        ratio = f"{data['load_s'] / reference['load_s']:.1f}" if reference and reference["load_s"] else "–"
        rate = data["triples"] / data["load_s"] if data["load_s"] else 0
        load_rows.append([kind, f"{data['graphs']}", f"{data['triples']:,}", f"{data['load_s']:.1f}",
                          f"{rate:,.0f}", ratio, data["note"]])  # fmt: skip
    lines += ["### Load", "", markdown_table(
        ["store", "graphs", "triples", "load s", "triples/s", "÷ embedded", "note"], load_rows, right=(1, 2, 3, 4, 5)
    ), ""]  # fmt: skip
    header = ["question", "rows"] + [f"ms {kind}" for kind in kinds]
    if "virtuoso" in kinds and reference:
        header.append("virtuoso ÷ embedded")
    header.append("answers ≠ embedded")
    rows, totals = [], Counter()
    for name in measured["questions"]:
        base = reference["questions"][name] if reference else None
        row = [name, "–" if not base or base["rows"] is None else f"{base['rows']:,}"]
        different = []
        for kind in kinds:
            result = measured["stores"][kind]["questions"][name]
            row.append(fmt_ms(result["ms"]) if not result["error"] else "error")
            totals[kind] += result["ms"] or 0
            if base and kind != "embedded" and (result["error"] or result["answer"] != base["answer"]):
                different.append(kind + (" (error)" if result["error"] else f" ({result['rows']} rows)"))
        if "virtuoso" in kinds and reference:
            virtuoso = measured["stores"]["virtuoso"]["questions"][name]["ms"]
            row.append(f"{virtuoso / base['ms']:.1f}" if virtuoso and base and base["ms"] else "–")
        row.append(", ".join(different))
        rows.append(row)
    total_row = [f"**all {len(measured['questions'])}**", ""] + [fmt_ms(totals[kind]) for kind in kinds]
    if "virtuoso" in kinds and reference:
        total_row.append(f"{totals['virtuoso'] / totals['embedded']:.1f}" if totals["embedded"] else "–")
    total_row.append("")
    rows.append(total_row)
    numeric = tuple(range(1, len(header) - 1))
    lines += ["### Stored questions (median ms)", "", markdown_table(header, rows, right=numeric), ""]
    for kind, reason in measured["skipped"].items():
        lines.append(f"Skipped {kind}: {reason}")
    errors = [(kind, name, result["error"]) for kind in kinds
              for name, result in measured["stores"][kind]["questions"].items() if result["error"]]  # fmt: skip
    for kind, name, error in errors:
        lines.append(f"- {kind} {name}: {error[:300]}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run, print the section (and write it into RESULTS.md as the flags ask)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the question fixture, one run (a smoke run)")
    parser.add_argument("--nt", type=Path, default=None, help="load this N-Triples file (one graph) instead")
    parser.add_argument("--stores", default=",".join(KINDS), help=f"store kinds, comma-separated (default: {KINDS})")
    parser.add_argument("--runs", type=int, default=None, help="timed runs per question (default 5, --quick 1)")
    parser.add_argument("--questions", type=Path, default=None, help="question folder (default: queries/cq/)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    parser.add_argument("--append", action="store_true", help="append the section to benchmarks/RESULTS.md")
    parser.add_argument("--update", action="store_true", help="replace this script's section of RESULTS.md")
    args = parser.parse_args(argv)
    exit_on_sigterm()
    kinds = [kind.strip() for kind in args.stores.split(",") if kind.strip()]
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        parser.error(f"unknown store kinds {unknown}; known: {', '.join(KINDS)}")
    runs = args.runs or (1 if args.quick else 5)
    source_folder, description = source_store(args.quick, args.nt)
    measured = measure(kinds, source_folder, runs, args.questions)
    command = "python benchmarks/remote_stores.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = section(measured, description, runs, command.strip())
    print(f"## {TITLE}\n\n{text}")
    if args.json:
        plain = {kind: {key: value for key, value in data.items() if key != "questions"}
                 | {"questions": {name: {k: v for k, v in result.items() if k != "answer"}
                                  for name, result in data["questions"].items()}}
                 for kind, data in measured["stores"].items()}  # fmt: skip
        args.json.write_text(json.dumps({"stores": plain, "skipped": measured["skipped"]}, indent=1))
    publish(args, TITLE, text)
    return 0 if measured["stores"] else 1


if __name__ == "__main__":
    sys.exit(main())
