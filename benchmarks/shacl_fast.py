"""Time the fast SHACL engine against pySHACL on the real territories, in one run (medians and the ratio).

The data: every record of the COG files (node_modules/@etalab/decoupage-administratif: régions, départements,
communes, EPCI) mapped by the territories loader, plus the merged ontology, as benchmarks/territories.py builds
it. The fast path's time includes putting the triples into a new in-memory pyoxigraph Store (a bulk load of
their N-Triples); pySHACL validates the rdflib graph as agrs.shacl.validate does. Both verdicts are compared.

    .venv/bin/python benchmarks/shacl_fast.py [--runs 3] [--pyshacl-runs 1] [--no-pyshacl]
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from agrs.paths import etalab_dir
from agrs.resources import Resources
from agrs.shacl import validate
from agrs.shacl_fast import compile_shapes

COG_FILES = ("regions", "departements", "communes", "epci")


def territories_graph(resources: Resources) -> Graph:
    """Return every mapped territory triple plus the merged ontology."""
    from agrs.loaders.territories import TerritoriesLoader

    folder = etalab_dir()
    if folder is None:
        raise SystemExit("the COG files are not known: run scripts/setup.sh or set $AGRS_ETALAB_DIR")
    loader = TerritoriesLoader()
    graph = Graph()
    for name in COG_FILES:
        for raw in loader.read(Path(folder) / f"{name}.json"):
            record = loader.map(raw)
            if not record.rejected:
                for triple in record.triples:
                    graph.add(triple)
    graph += resources.ontology
    return graph


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of the fast path (median)")
    parser.add_argument("--pyshacl-runs", type=int, default=1, help="runs of pySHACL (median)")
    parser.add_argument("--no-pyshacl", action="store_true")
    args = parser.parse_args(argv)
    resources = Resources.load()
    graph = territories_graph(resources)
    with tempfile.TemporaryDirectory() as workdir:
        ntriples = Path(workdir) / "territories.nt"
        graph.serialize(ntriples, format="nt", encoding="utf-8")
        start = time.perf_counter()
        plan = compile_shapes(resources.shapes)
        compile_seconds = time.perf_counter() - start
        loads, validations, totals, fast = [], [], [], None
        for _ in range(args.runs):
            start = time.perf_counter()
            store = ox.Store()
            store.bulk_load(path=str(ntriples), format=ox.RdfFormat.N_TRIPLES)
            loaded = time.perf_counter()
            fast = plan.validate(store)
            done = time.perf_counter()
            loads.append(loaded - start)
            validations.append(done - loaded)
            totals.append(done - start)
            del store
    rows = [
        ("fast: compile the shapes (once)", compile_seconds),
        ("fast: bulk load into a pyoxigraph Store", statistics.median(loads)),
        ("fast: validate", statistics.median(validations)),
        ("fast: load + validate", statistics.median(totals)),
    ]
    reference = None
    if not args.no_pyshacl:
        times = []
        for _ in range(args.pyshacl_runs):
            start = time.perf_counter()
            reference = validate(graph, resources.shapes, inplace=False)
            times.append(time.perf_counter() - start)
        rows.append(("pySHACL (agrs.shacl.validate)", statistics.median(times)))
    print(f"{len(graph):,} triples; fast runs: {args.runs}, pySHACL runs: {args.pyshacl_runs}")
    print("| step | median s | triples/s |\n|---|---:|---:|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.2f} | {len(graph) / seconds:,.0f} |")
    every = ", ".join(f"{t:.2f}" for t in totals)
    print(f"fast: conforms {fast.conforms}, {len(fast.results)} results; every load + validate: {every}")
    if reference is not None:
        same = reference.conforms == fast.conforms and sorted(map(repr, reference.results)) == sorted(
            map(repr, fast.results)
        )
        ratio = rows[-1][1] / rows[3][1]
        print(f"pySHACL: conforms {reference.conforms}, {len(reference.results)} results; same verdict: {same}")
        print(f"ratio pySHACL / fast (load + validate): {ratio:.1f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
