"""Benchmark of query latency through `agrs serve` (HTTP) against the same query run in-process on pyoxigraph.

On a fresh store of N generated triples (default 100,000: 10,000 subjects × 10 predicates), two queries:
  simple      SELECT ?s ?o WHERE { ?s <p0> ?o } LIMIT 10
  aggregate   SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p   (scans every triple)
each timed R times (default 20, after 3 warm-ups) three ways:
  pyoxigraph  in this process, on a read-only pyoxigraph Store over the union of graphs, the result serialised
              to SPARQL JSON (what the server sends), no HTTP;
  agrs store  in this process, through agrs' EmbeddedStore.query (registry lookup for the dataset) + JSON;
  HTTP        GET /sparql on `agrs serve` (one kept-alive connection; worker process, JSON answer).
The table gives medians in milliseconds and the ratio HTTP / pyoxigraph.

    .venv/bin/python benchmarks/http_queries.py [--triples 100000] [--runs 20] [--append]
"""

import argparse
import http.client
import os
import platform
import sys
import tempfile
import urllib.parse
from datetime import date
from pathlib import Path

# serving.py is a sibling script (benchmarks/ is not a package).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from serving import free_port, median_ms, start_server

from agrs.graphs import graph_iri

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "RESULTS.md"
GRAPH = graph_iri("bench", "http")
BASE = "https://w3id.org/agrs/bench/"

QUERIES = {
    "simple": f"SELECT ?s ?o WHERE {{ ?s <{BASE}p0> ?o }} LIMIT 10",
    "aggregate": "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p",
}


def fill(folder: Path, count: int) -> None:
    """Load `count` generated triples into one data graph of a new store at `folder`."""
    import pyoxigraph as ox

    from agrs.store import open_store

    def triples():
        for i in range(count):
            subject = ox.NamedNode(f"https://w3id.org/agrs/id/bench/{i // 10}")
            predicate = ox.NamedNode(f"{BASE}p{i % 10}")
            value = ox.Literal(i) if i % 2 else ox.NamedNode(f"https://w3id.org/agrs/id/bench/{(i * 7) % 5000}")
            yield subject, predicate, value

    with open_store(folder) as store:
        store.replace_graph(GRAPH, triples())


def measure(triples: int, runs: int) -> list[dict]:
    """Run the benchmark; return one row a query."""
    import pyoxigraph as ox

    from agrs.store.embedded import EmbeddedStore

    rows = []
    with tempfile.TemporaryDirectory(prefix="agrs-bench-http-") as scratch:
        folder = Path(scratch) / "store"
        fill(folder, triples)
        port = free_port()
        server = start_server(folder, port, Path(scratch) / "serve.log", wait=60)
        try:
            raw = ox.Store.read_only(str(folder))
            embedded = EmbeddedStore(folder, read_only=True)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            for name, sparql in QUERIES.items():
                path = "/sparql?" + urllib.parse.urlencode({"query": sparql})

                def in_pyoxigraph(sparql=sparql):
                    result = raw.query(sparql, use_default_graph_as_union=True)
                    return result.serialize(format=ox.QueryResultsFormat.JSON)

                def in_agrs_store(sparql=sparql):
                    return embedded.query(sparql).serialize(format=ox.QueryResultsFormat.JSON)

                def over_http(path=path):
                    connection.request("GET", path, headers={"Accept": "application/sparql-results+json"})
                    answer = connection.getresponse()
                    body = answer.read()
                    if answer.status != 200:
                        raise RuntimeError(f"HTTP {answer.status}: {body[:200]!r}")
                    return body

                results = len(in_pyoxigraph())
                assert len(over_http()) > 0
                oxigraph_ms, _ = median_ms(in_pyoxigraph, runs, warmups=3)
                store_ms, _ = median_ms(in_agrs_store, runs, warmups=3)
                http_ms, _ = median_ms(over_http, runs, warmups=3)
                rows.append({"query": name, "pyoxigraph": oxigraph_ms, "store": store_ms, "http": http_ms,
                             "bytes": results})  # fmt: skip
            connection.close()
            embedded.close()
        finally:
            server.terminate()
            server.wait(30)
    return rows


def table(rows: list[dict], triples: int, runs: int) -> str:
    """Return the Markdown section of the results."""
    lines = [
        "## Query latency: HTTP (`agrs serve`) against in-process pyoxigraph",
        "",
        f"{date.today()}, Python {platform.python_version()}, {platform.machine()} with {os.cpu_count()} CPUs; "
        f"{triples:,} triples; medians of {runs} runs after 3 warm-ups (benchmarks/http_queries.py)",
        "",
        "| query | pyoxigraph ms | agrs store ms | HTTP ms | HTTP / pyoxigraph | JSON bytes |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['query']} | {row['pyoxigraph']:.2f} | {row['store']:.2f} | {row['http']:.2f} | "
            f"{row['http'] / row['pyoxigraph']:.2f} | {row['bytes']:,} |"
        )
    lines += ["", "Queries: " + "; ".join(f"{name}: `{text}`" for name, text in QUERIES.items()), ""]
    return "\n".join(lines)


def main() -> None:
    """Parse the options, run, print the table (and append it to RESULTS.md with --append)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--append", action="store_true", help=f"append the table to {RESULTS.relative_to(REPO)}")
    options = parser.parse_args()
    section = table(measure(options.triples, options.runs), options.triples, options.runs)
    print(section)
    if options.append:
        with RESULTS.open("a", encoding="utf-8") as results:
            results.write("\n" + section)


if __name__ == "__main__":
    main()
