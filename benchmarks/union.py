"""Benchmark of the union default graph (issue 12): query latency and commit cost of the materialised union
against the list of version graphs it replaced, on a synthetic multi-graph store.

The store looks like the observatory's: one large graph of territories (communes with their type, label, code,
population and the département they are within), six graphs of observations that restate the type and label of
the communes they mention (so graphs share triples, as the observatory's sources do), and an inferred graph that
repeats some asserted types. Two stores are built with the same data: one as the store is now (the union graphs
kept at each switch), one that skips the union upkeep (what commits cost before).

Queries, run interleaved on the first store, `--runs` times each, medians:
  list      pyoxigraph with default_graph = the current version graphs (how queries ran before: a triple is
            matched once per graph holding it, so counts and sums are wrong)
  union     pyoxigraph with default_graph = the union graphs (the same data, once)
  store     EmbeddedStore.query with the default dataset (the union, plus the registry reads per query)
Commits, interleaved between the two stores: replace an observation graph (10 % changed), the inferred graph, the
territories graph (10 % changed), and drop + reload an observation graph; plus one rebuild of the union.

    .venv/bin/python benchmarks/union.py [--triples 400000] [--runs 5] [--append]
"""

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import pyoxigraph as ox

from agrs.graphs import INFERRED_GRAPH, UNION_GRAPH, UNION_INFERRED_GRAPH, graph_iri
from agrs.store import registry
from agrs.store.embedded import EmbeddedStore

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "RESULTS.md"
EX = "https://w3id.org/agrs/bench/"
ID = "https://w3id.org/agrs/id/bench/"
TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
COMMUNE, OBSERVATION, PLACE = (ox.NamedNode(EX + name) for name in ("Commune", "Observation", "Place"))
CODE, POPULATION, WITHIN, TERRITORY, VALUE = (ox.NamedNode(EX + n) for n in ("code", "population", "within",
                                                                            "territory", "value"))  # fmt: skip
TERRITORIES = graph_iri("bench", "territories")
OBSERVATIONS = [graph_iri("bench", f"observations-{k}") for k in range(6)]

PREFIX = f"PREFIX ex: <{EX}> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
QUERIES = {
    "count": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "aggregate": PREFIX + "SELECT ?d (SUM(?pop) AS ?total) WHERE { ?c a ex:Commune ; ex:population ?pop ; "
    "ex:within ?d } GROUP BY ?d",
    "lookup": f"SELECT ?p ?o WHERE {{ <{ID}commune/42> ?p ?o }}",
    "join": PREFIX + "SELECT (COUNT(*) AS ?n) WHERE { ?o ex:territory ?c . ?c rdfs:label ?l ; ex:within ?d }",
}


def commune(i: int) -> ox.NamedNode:
    """Return the IRI of commune `i`."""
    return ox.NamedNode(f"{ID}commune/{i}")


def territories(communes: int, variant: int = 0) -> list[tuple]:
    """Ten triples per commune; `variant` changes the population of 10 % of them."""
    triples = []
    for i in range(communes):
        c, population = commune(i), i * 7 % 10_000 + (variant if i % 10 == 0 else 0)
        triples += [(c, TYPE, COMMUNE), (c, LABEL, ox.Literal(f"Commune {i}", language="fr")),
                    (c, CODE, ox.Literal(f"{i:05d}")), (c, POPULATION, ox.Literal(str(population), datatype=XSD_INT)),
                    (c, WITHIN, ox.NamedNode(f"{ID}departement/{i % 100}"))]  # fmt: skip
        triples += [(c, ox.NamedNode(f"{EX}p{k}"), ox.Literal(f"{i} {k}")) for k in range(5)]
    return triples


XSD_INT = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")


def observations(k: int, count: int, communes: int, variant: int = 0) -> list[tuple]:
    """Four triples per observation, and the type and label of its commune (restated: shared with territories)."""
    triples = []
    for i in range(count):
        o, c = ox.NamedNode(f"{ID}observation/{k}-{i}"), commune((i * 13 + k) % communes)
        value = i + (variant if i % 10 == 0 else 0)
        triples += [(o, TYPE, OBSERVATION), (o, TERRITORY, c), (o, VALUE, ox.Literal(str(value), datatype=XSD_INT)),
                    (o, LABEL, ox.Literal(f"observation {k} {i}")), (c, TYPE, COMMUNE)]  # fmt: skip
        if i % 2 == 0:
            triples.append((c, LABEL, ox.Literal(f"Commune {(i * 13 + k) % communes}", language="fr")))
    return triples


def inferred(communes: int, variant: int = 0) -> list[tuple]:
    """A type Place per commune, and 20 % of the asserted Commune types again (a later load asserted them)."""
    triples = [(commune(i), TYPE, PLACE) for i in range(communes)]
    triples += [(commune(i), TYPE, COMMUNE) for i in range(0, communes, 5)]
    triples += [(commune(i), ox.NamedNode(EX + "variant"), ox.Literal(str(variant))) for i in range(0, communes, 10)]
    return triples


class WithoutUnion(EmbeddedStore):
    """The store as commits cost before the union: no union upkeep (its union graphs are wrong; never queried)."""

    def _update_union(self, graph, old, new, **options):
        self._store.update(registry.mark_fresh())

    def _rebuild_union(self):
        self._store.update(registry.mark_fresh())


def sizes(total: int) -> tuple[int, int]:
    """Return (communes, observations per graph) giving about `total` asserted triples."""
    communes = int(total * 0.7) // 10
    per_graph = int(total * 0.3) // 6 // 5
    return communes, per_graph


def fill(stores: dict[str, EmbeddedStore], total: int) -> dict[str, dict[str, float]]:
    """Load the same graphs into each store, interleaved (each stage on every store before the next stage)."""
    communes, per_graph = sizes(total)
    stages = {
        "load territories": lambda store: store.replace_graph(TERRITORIES, territories(communes)),
        "load 6 observation graphs": lambda store: [store.replace_graph(graph, observations(k, per_graph, communes))
                                                    for k, graph in enumerate(OBSERVATIONS)],
        "load inferred": lambda store: store.replace_graph(INFERRED_GRAPH, inferred(communes)),
    }  # fmt: skip
    timings = {label: {} for label in stores}
    for name, stage in stages.items():
        for label, store in stores.items():
            started = time.perf_counter()
            stage(store)
            timings[label][name] = time.perf_counter() - started
    return timings


def median_of(action: Callable[[], object], runs: int) -> tuple[float, object]:
    """Return the median seconds of `runs` calls of `action`, and its last result."""
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def answer(result) -> str:
    """Return a query's answer in a line: the single value, or the row count and a checksum."""
    solutions = list(result)
    if len(solutions) == 1 and len(solutions[0]) == 1:
        return solutions[0][0].value
    return f"{len(solutions)} rows, checksum {sum(hash(tuple(s)) for s in solutions) % 10_000}"


def bench_queries(store: EmbeddedStore, runs: int) -> list[dict]:
    """Time each query the three ways, interleaved; return a row per query with the medians and answers."""
    raw = store._store  # the same data, queried as before (the version list) and as now (the union graphs)
    versions = [ox.NamedNode(v) for v in store.current_versions().values()]
    plain = [ox.NamedNode(name) for name in store.plain_graphs()]
    union = [ox.NamedNode(UNION_GRAPH), ox.NamedNode(UNION_INFERRED_GRAPH)]
    ways = {
        "list": lambda q: answer(raw.query(q, default_graph=versions + plain)),
        "union": lambda q: answer(raw.query(q, default_graph=union + plain)),
        "store": lambda q: answer(store.query(q)),
    }
    rows = []
    for name, query in QUERIES.items():
        times = {way: [] for way in ways}
        answers = {}
        for _ in range(runs):  # interleaved: the machine's load hits every way alike
            for way, run in ways.items():
                started = time.perf_counter()
                answers[way] = run(query)
                times[way].append(time.perf_counter() - started)
        medians = {way: statistics.median(values) * 1000 for way, values in times.items()}
        rows.append({"query": name, **{f"{way} ms": medians[way] for way in ways},
                     "union / list": medians["union"] / medians["list"], "answers": answers})  # fmt: skip
    return rows


def bench_commits(kept: EmbeddedStore, skipped: EmbeddedStore, total: int, runs: int) -> list[dict]:
    """Time each commit on both stores, interleaved; return a row per commit with the medians and their ratio."""
    communes, per_graph = sizes(total)
    operations = {
        "replace an observation graph (10 % changed)": lambda s, r: s.replace_graph(
            OBSERVATIONS[0], observations(0, per_graph, communes, variant=r + 1)),
        "replace the inferred graph (10 % changed)": lambda s, r: s.replace_graph(
            INFERRED_GRAPH, inferred(communes, variant=r + 1)),
        "replace the territories graph (10 % changed)": lambda s, r: s.replace_graph(
            TERRITORIES, territories(communes, variant=r + 1)),
        "drop an observation graph, load it again": lambda s, r: (s.drop_graph(OBSERVATIONS[1]), s.replace_graph(
            OBSERVATIONS[1], observations(1, per_graph, communes))),
    }  # fmt: skip
    rows = []
    for name, operation in operations.items():
        times = {"with union": [], "without": []}
        for r in range(runs):
            for label, store in (("with union", kept), ("without", skipped)):
                started = time.perf_counter()
                operation(store, r)
                times[label].append(time.perf_counter() - started)
        medians = {label: statistics.median(values) for label, values in times.items()}
        rows.append({"commit": name, **{f"{k} s": v for k, v in medians.items()},
                     "ratio": medians["with union"] / medians["without"]})  # fmt: skip
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print (or append) its tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=400_000, help="asserted triples (the inferred graph adds)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--append", action="store_true", help=f"append the tables to {RESULTS.relative_to(REPO)}")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="agrs-bench-union-") as work:
        kept, skipped = EmbeddedStore(Path(work) / "kept"), WithoutUnion(Path(work) / "skipped")
        build = fill({"with union": kept, "without": skipped}, args.triples)
        stored = sum(info.triples for info in kept.graphs())
        distinct = int(next(iter(kept.query("SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { "
                                            "GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), 'https://w3id.org/agrs/"
                                            "graph/bench/') || STRSTARTS(STR(?g), 'https://w3id.org/agrs/graph/infer"
                                            "red/')) } }")))["n"].value)  # fmt: skip
        queries = bench_queries(kept, args.runs)
        commits = bench_commits(kept, skipped, args.triples, max(3, args.runs // 2))
        rebuild, _ = median_of(kept._rebuild_union, 1)
        kept.close()
        skipped.close()
    lines = [
        f"\n## Union default graph: materialised union vs the version-graph list (benchmarks/union.py, {date.today()})",
        "",
        f"Python {platform.python_version()}, pyoxigraph {ox.__version__}, {platform.machine()} with "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end (other jobs shared the machine: "
        f"compare the ratios, measured interleaved in the same run). {len(OBSERVATIONS) + 2} graphs, "
        f"{stored:,} stored triples, {distinct:,} distinct; medians of {args.runs} runs.",
        "",
        "| query | list ms (before) | union ms | store.query ms | union / list | answer, list | answer, union |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for row in queries:
        lines.append(
            f"| {row['query']} | {row['list ms']:.1f} | {row['union ms']:.1f} | {row['store ms']:.1f} "
            f"| {row['union / list']:.2f} | {row['answers']['list']} | {row['answers']['union']} |"
        )
    lines += ["", "| commit | with union s | without s | ratio |", "|---|---:|---:|---:|"]
    for stage, seconds in build["with union"].items():
        without = build["without"][stage]
        lines.append(f"| {stage} (first load) | {seconds:.2f} | {without:.2f} | {seconds / without:.2f} |")
    for row in commits:
        lines.append(f"| {row['commit']} | {row['with union s']:.2f} | {row['without s']:.2f} | {row['ratio']:.2f} |")
    lines.append(f"| rebuild the union from scratch (write-open after a killed write) | {rebuild:.2f} | | |")
    section = "\n".join(lines) + "\n"
    print(section)
    if args.append:
        with RESULTS.open("a", encoding="utf-8") as results:
            results.write(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
