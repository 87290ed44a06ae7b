"""Benchmark of the embedded store's replace_graph: time and peak memory for N generated triples.

Each run is a child process (so that its peak RSS, from resource.getrusage, is the store's alone) that, on a
fresh store folder:
  replace #1   loads N triples into an empty graph (pyoxigraph terms, or rdflib terms through to_oxigraph);
  replace #2   loads N other triples into the same graph, which includes deleting the N of version 1;
  count        counts the graph in a union query;
  drop         drops the graph (deletes its N triples).
Each row gives the stage's seconds and the process's peak RSS so far, and the folder's size on disk.

    .venv/bin/python benchmarks/store_replace.py [--triples 1000000] [--terms oxigraph|rdflib] [--append]
"""

import argparse
import json
import platform
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "RESULTS.md"

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
import pyoxigraph as ox
from agrs.graphs import graph_iri
from agrs.store.embedded import EmbeddedStore

folder, count, terms = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
GRAPH = graph_iri("bench", "generated")

def generated(tag):
    # Ten triples per subject: five literals (strings and integers), five links to a pool of 5,000 nodes.
    predicates = [f"https://w3id.org/agrs/bench/p{k}" for k in range(10)]
    for i in range(count):
        subject, k = f"https://w3id.org/agrs/id/{tag}/{i // 10}", i % 10
        if k < 5:
            yield subject, predicates[k], ("literal", f"{tag} value {i}" if k % 2 else str(i))
        else:
            yield subject, predicates[k], ("iri", f"https://w3id.org/agrs/id/node/{i % 5000}")

def as_oxigraph(tag):
    for s, p, (kind, o) in generated(tag):
        obj = ox.NamedNode(o) if kind == "iri" else ox.Literal(o)
        yield ox.NamedNode(s), ox.NamedNode(p), obj

def as_rdflib(tag):
    from rdflib import Literal, URIRef
    from agrs.store.terms import to_oxigraph
    for s, p, (kind, o) in generated(tag):
        yield to_oxigraph((URIRef(s), URIRef(p), URIRef(o) if kind == "iri" else Literal(o)))

source = as_oxigraph if terms == "oxigraph" else as_rdflib
store = EmbeddedStore(folder)
rows = []

def stage(name, action):
    start = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    size = sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
    rows.append({"stage": name, "seconds": seconds, "peak_rss": peak, "disk": size, "result": str(result)})

stage("replace #1", lambda: store.replace_graph(GRAPH, source("a")).triples)
stage("replace #2", lambda: store.replace_graph(GRAPH, source("b")).triples)
stage("count (union query)", lambda: next(iter(store.query("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")))["n"].value)
stage("drop", lambda: store.drop_graph(GRAPH))
store.close()
print(json.dumps(rows))
"""


def run(triples: int, terms: str) -> list[dict]:
    """Run the stages in a child process on a fresh store; return its rows."""
    with tempfile.TemporaryDirectory(prefix="agrs-bench-store-") as workdir:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(Path(workdir) / "store"), str(triples), terms],
            capture_output=True, text=True, cwd=REPO, check=False,
        )
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout.splitlines()[-1])


def table(rows: Sequence[dict], triples: int) -> str:
    """Return the rows as a Markdown table."""
    lines = ["| stage | triples | s | triples/s | peak RSS MB | disk MB |", "|---|---:|---:|---:|---:|---:|"]
    for row in rows:
        rate = f"{triples / row['seconds']:,.0f}" if row["stage"] != "count (union query)" else ""
        lines.append(
            f"| {row['stage']} | {triples:,} | {row['seconds']:.1f} | {rate} | {row['peak_rss'] / 2**20:,.0f} "
            f"| {row['disk'] / 2**20:,.0f} |"
        )
    return "\n".join(lines)


def environment(terms: str) -> str:
    """Describe the machine and versions, for the results file."""
    import os

    import pyoxigraph

    return (
        f"{date.today()}, Python {platform.python_version()}, pyoxigraph {pyoxigraph.__version__}, "
        f"{platform.machine()} with {os.cpu_count()} CPUs; {terms} terms; one run, in a child process"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print (or append) its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--terms", choices=["oxigraph", "rdflib"], default="oxigraph")
    parser.add_argument("--append", action="store_true", help=f"append the table to {RESULTS.relative_to(REPO)}")
    args = parser.parse_args(argv)
    section = (
        f"\n## Embedded store, replace_graph ({args.triples:,} generated triples)\n\n"
        f"{environment(args.terms)}\n\n{table(run(args.triples, args.terms), args.triples)}\n"
    )
    print(section)
    if args.append:
        with RESULTS.open("a", encoding="utf-8") as results:
            results.write(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
