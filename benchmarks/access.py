"""What per-graph read access costs (issue 15): the views `agrs serve` keeps for public readers, and queries with
the restricted graphs hidden against the same queries on the whole union.

    python benchmarks/access.py --store STORE      # e.g. a store `agrs observatory` filled

STORE is copied into a temporary folder first (the views are written into the copy, as `agrs serve` would write
them into the store); the queries then run on a read-only checkpoint of the copy, as the server's readers do.
Figures of issue 15 (bundled observatory, 1.65M triples, 13 graphs restricted): views 45.7 s of CPU; COUNT of
every triple 1.9 s public, 2.8 s whole union; a label lookup 0.1 ms either way.
"""

import argparse
import gc
import shutil
import statistics
import tempfile
import time
from pathlib import Path

QUERIES = {
    "label lookup": "SELECT ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l } LIMIT 10",
    "count typed": "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?c }",
    "count all": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
}
RUNS = 5


def main() -> None:
    """Copy the store, make the views (timed), then time each query for each kind of reader; print a table."""
    from agrs.access import load_policy, restricted_graphs
    from agrs.store import Dataset
    from agrs.store.base import materialise_view
    from agrs.store.embedded import EmbeddedStore

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True, type=Path, help="an embedded store folder (read, never written)")
    parser.add_argument("--access", type=Path, default=None, help="an access file (default: diagnostics restricted)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="agrs-bench-access-") as folder:
        copy, checkpoint = Path(folder) / "store", Path(folder) / "checkpoint"
        shutil.copytree(options.store, copy, ignore=shutil.ignore_patterns("serve-snapshots"))
        store = EmbeddedStore(copy)
        started = time.perf_counter()
        hidden = restricted_graphs(store, load_policy(options.access))
        listed = time.perf_counter()
        cpu = time.process_time()
        materialise_view(store, hidden)
        made, cpu = time.perf_counter(), time.process_time() - cpu
        print(f"restricted graphs: {len(hidden)} (found in {(listed - started) * 1000:.0f} ms); views made in "
              f"{made - listed:.1f} s ({cpu:.1f} s CPU)")  # fmt: skip
        store.snapshot(checkpoint)
        store.close()
        gc.collect()
        reader = EmbeddedStore(checkpoint, read_only=True)
        readers = (("whole union", Dataset()), ("public", Dataset(hidden=hidden)),
                   ("public, infer=false", Dataset(infer=False, hidden=hidden)))  # fmt: skip
        print(f"| query | reader | answer | median of {RUNS} (ms) |\n|---|---|---:|---:|")
        for name, sparql in QUERIES.items():
            for who, dataset in readers:
                times, rows = [], []
                for _ in range(RUNS):
                    start = time.perf_counter()
                    rows = list(reader.query(sparql, dataset=dataset))
                    times.append(time.perf_counter() - start)
                answer = rows[0][0].value if rows and name != "label lookup" else len(rows)
                print(f"| {name} | {who} | {answer} | {statistics.median(times) * 1000:.1f} |")
        reader.close()


if __name__ == "__main__":
    main()
