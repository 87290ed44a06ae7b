"""Benchmark of the territories loader on the real COG (node_modules/@etalab/decoupage-administratif).

In one process, each stage timed over several runs (median reported):
  read+map   the loader reads and maps communes, epci, departements and regions.json (records/s, triples/s);
  rdflib     the mapped triples serialised and parsed back by rdflib, in Turtle and N-Triples: the baseline
             the project's figures are compared with (its brief quotes ~17k triples/s for rdflib);
  pyshacl    a sample of whole records (~20k triples) validated against shapes/*.shapes.ttl, with the
             territory module's levels in the data graph as the store would hold them; then (--full) all the
             mapped triples with the merged ontology, as one pyshacl run;
  pipeline   `run_load` into a new embedded store: read, map, SHACL gate, commit, provenance (with
             validation), and read+map+commit with the gate left out (without validation); compared with
             rdflib parsing + pyshacl validating the same triples (the sum of those two medians).
Each stage is one `bench_*` function returning Rows; `main` runs them in order and prints (or appends to
benchmarks/RESULTS.md) one Markdown table, ratios given against the Turtle parse. A later stage, e.g.
`bench_pipeline(store_dir)` for the full pipeline with the store, is one more function and one line in `main`.

    .venv/bin/python benchmarks/territories.py [--runs 3] [--sample 20000] [--append]
"""

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from importlib.metadata import version
from pathlib import Path
from typing import Any

import rdflib
from rdflib import Graph

from agrs.graphs import graph_iri
from agrs.loaders.pipeline import run_load
from agrs.loaders.territories import LAYOUT, Layout, TerritoriesLoader
from agrs.ns import bind_all
from agrs.ontology_graph import ensure_ontology
from agrs.paths import ontology_dir, shapes_dir
from agrs.records import Record
from agrs.resources import Resources
from agrs.shacl import validate
from agrs.store.embedded import EmbeddedStore
from agrs.store.terms import to_oxigraph

REPO = Path(__file__).resolve().parent.parent
COG = REPO / "node_modules" / "@etalab" / "decoupage-administratif" / "data"
COG_FILES = ("regions", "departements", "communes", "epci")  # the order a load would take: parents first
RESULTS = REPO / "benchmarks" / "RESULTS.md"
BASELINE = "rdflib parse (Turtle)"


@dataclass(frozen=True)
class Row:
    """One measured stage: what was processed, how long it took (median over runs)."""

    stage: str
    records: int | None
    triples: int
    seconds: float
    note: str = ""

    @property
    def triples_per_second(self) -> float:
        """Return the stage's throughput in triples."""
        return self.triples / self.seconds if self.seconds else float("inf")


def timed(action: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """Run an action `runs` times; return the median wall time and the last result."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def read_and_map(files: Sequence[Path]) -> list[Record]:
    """Read and map every record of the files, as the pipeline's first two steps do."""
    loader = TerritoriesLoader()
    return [loader.map(raw) for path in files for raw in loader.read(path)]


def graph_of(records: Sequence[Record]) -> Graph:
    """Return the triples of the accepted records as one graph."""
    graph = Graph()
    bind_all(graph)
    for record in records:
        if not record.rejected:
            for triple in record.triples:
                graph.add(triple)
    return graph


def bench_read_map(files: Sequence[Path], runs: int) -> tuple[list[Row], list[Record]]:
    """Time read+map over the real files; return the row and the records (for the next stages)."""
    seconds, records = timed(lambda: read_and_map(files), runs)
    triples = sum(len(record.triples) for record in records)
    rejected = sum(record.rejected for record in records)
    return [Row("read+map", len(records), triples, seconds, f"{rejected} records with problems")], records


def bench_rdflib(graph: Graph, runs: int, workdir: Path) -> list[Row]:
    """Time rdflib serialising the mapped graph to a file and parsing it back, in Turtle and N-Triples."""
    rows = []
    for name, fmt, suffix in (("Turtle", "turtle", "ttl"), ("N-Triples", "nt", "nt")):
        path = workdir / f"territories.{suffix}"
        seconds, _ = timed(lambda fmt=fmt, path=path: graph.serialize(path, format=fmt, encoding="utf-8"), runs)
        rows.append(Row(f"rdflib serialise ({name})", None, len(graph), seconds, f"{path.stat().st_size:,} bytes"))
        seconds, parsed = timed(lambda fmt=fmt, path=path: Graph().parse(path, format=fmt), runs)
        assert len(parsed) == len(graph), f"{name} round trip lost triples"
        rows.append(Row(f"rdflib parse ({name})", None, len(parsed), seconds))
    return rows


def sample_records(records: Sequence[Record], triples: int) -> list[Record]:
    """Return a closed sample of about `triples` triples, as the gate would see a load with what it points to.

    France, every région and département, then whole départements' entries of the communes file (their
    subdivisions included) in code order while they fit, then each EPCI whose members are all in.
    """
    accepted = [record for record in records if not record.rejected]
    layouts = {
        layout: [record for record in accepted if record.raw.fields[LAYOUT] == layout] for layout in Layout
    }
    sample = layouts[Layout.COUNTRY] + layouts[Layout.ETALAB_REGIONS] + layouts[Layout.ETALAB_DEPARTEMENTS]
    by_departement: dict[str, list[Record]] = {}
    for record in layouts[Layout.ETALAB_COMMUNES]:
        by_departement.setdefault(record.raw.fields["departement"], []).append(record)
    total = sum(len(record.triples) for record in sample)
    for code in sorted(by_departement):
        size = sum(len(record.triples) for record in by_departement[code])
        if total + size > triples:
            break
        sample, total = sample + by_departement[code], total + size
    described = {node for record in sample for node in record.subjects}
    for record in layouts[Layout.ETALAB_EPCI]:
        if {s for s, _, _ in record.triples} <= described | record.subjects:
            sample.append(record)
    return sample


def bench_shacl(records: Sequence[Record], sample_size: int, runs: int) -> list[Row]:
    """Time pyshacl on a sample of records against every data shapes file; skip when there is none yet."""
    shapes_files = sorted(shapes_dir().glob("*.shapes.ttl"))
    if not shapes_files:
        print("pyshacl: skipped, no shapes/*.shapes.ttl yet", file=sys.stderr)
        return []
    shapes = Graph()
    for path in shapes_files:
        shapes.parse(path)
    sample = sample_records(records, sample_size)
    data = graph_of(sample)
    mapped = len(data)
    # The level concepts the shapes check (sh:class agrs:TerritoryLevel) live in the ontology graph.
    data.parse(ontology_dir() / "modules" / "territory.ttl")

    def run() -> bool:
        return validate(data, shapes, inplace=False).conforms

    seconds, conforms = timed(run, runs)
    note = f"{len(shapes_files)} shapes files; sample conforms: {conforms}; +{len(data) - mapped} ontology triples"
    return [Row("pyshacl validate (sample)", len(sample), mapped, seconds, note)]


def bench_shacl_full(records: Sequence[Record], resources: Resources, runs: int) -> list[Row]:
    """Time one pyshacl run over every mapped triple plus the merged ontology (what a one-shot check costs)."""
    data = graph_of(records)
    mapped = len(data)
    data += resources.ontology

    def run() -> bool:
        return validate(data, resources.shapes, inplace=False).conforms

    seconds, conforms = timed(run, runs)
    return [Row("pyshacl validate (all)", len(records), mapped, seconds, f"conforms: {conforms}")]


def bench_pipeline(files: Sequence[Path], resources: Resources, runs: int, workdir: Path) -> list[Row]:
    """Time a whole load into a new store, with the SHACL gate and without it."""
    stores = iter(range(10 * runs))
    summaries = []

    def with_gate():
        with EmbeddedStore(workdir / f"store-{next(stores)}") as store:
            summaries.append(run_load(TerritoriesLoader(), files, store, quarantine_dir=workdir, resources=resources))

    def without_gate():
        with EmbeddedStore(workdir / f"store-{next(stores)}") as store:
            ensure_ontology(store, resources)
            records = read_and_map(files)
            triples = (to_oxigraph(triple) for record in records if not record.rejected for triple in record.triples)
            return store.replace_graph(graph_iri("territories", "cog"), triples).triples

    seconds_off, stored = timed(without_gate, runs)
    seconds_on, _ = timed(with_gate, runs)
    last = summaries[-1]
    note = f"read {last.read}, loaded {last.loaded}, rejected {last.rejected}"
    return [
        Row("pipeline load, with validation", last.read, stored, seconds_on, note),
        Row("pipeline load, without validation", last.read, stored, seconds_off, "read+map+commit"),
    ]


def baseline_sum(rows: Sequence[Row]) -> list[Row]:
    """Return the row 'rdflib parse + pyshacl validate (all)' when both were measured."""
    by_stage = {row.stage: row for row in rows}
    parse, shacl = by_stage.get(BASELINE), by_stage.get("pyshacl validate (all)")
    if parse is None or shacl is None:
        return []
    return [Row("rdflib parse + pyshacl (all)", None, shacl.triples, parse.seconds + shacl.seconds, "sum of medians")]


def table(rows: Sequence[Row]) -> str:
    """Render the rows as a Markdown table with ratios against the rdflib Turtle parse."""
    baseline = next((row.triples_per_second for row in rows if row.stage == BASELINE), None)
    lines = [
        "| stage | records | triples | median s | records/s | triples/s | × rdflib parse | note |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        per_record = f"{row.records / row.seconds:,.0f}" if row.records else ""
        ratio = f"{row.triples_per_second / baseline:.2f}" if baseline else ""
        lines.append(
            f"| {row.stage} | {row.records or ''} | {row.triples:,} | {row.seconds:.2f} | {per_record} "
            f"| {row.triples_per_second:,.0f} | {ratio} | {row.note} |"
        )
    return "\n".join(lines)


def environment(runs: int) -> str:
    """Describe the machine and versions the figures come from."""
    return (
        f"{date.today().isoformat()}, Python {platform.python_version()}, rdflib {rdflib.__version__}, "
        f"pyshacl {version('pyshacl')}, {platform.machine()} with {os.cpu_count()} CPUs; medians of {runs} runs"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run every stage on the real COG and print (or append) the results table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sample", type=int, default=20_000, help="triples in the pyshacl sample")
    parser.add_argument("--full", action="store_true", help="also validate every triple in one pyshacl run")
    parser.add_argument("--append", action="store_true", help=f"append the table to {RESULTS.relative_to(REPO)}")
    args = parser.parse_args(argv)
    files = [COG / f"{name}.json" for name in COG_FILES]
    if not all(path.exists() for path in files):
        print(f"{COG} is missing: run scripts/setup.sh (npm ci)", file=sys.stderr)
        return 2
    resources = Resources.load()
    rows, records = bench_read_map(files, args.runs)
    with tempfile.TemporaryDirectory() as workdir:
        rows += bench_rdflib(graph_of(records), args.runs, Path(workdir))
    rows += bench_shacl(records, args.sample, args.runs)
    if args.full:
        rows += bench_shacl_full(records, resources, args.runs)
        rows += baseline_sum(rows)
    with tempfile.TemporaryDirectory() as workdir:
        rows += bench_pipeline(files, resources, args.runs, Path(workdir))
    report = f"## Territories loader (COG 2026, etalab 6.0.0)\n\n{environment(args.runs)}\n\n{table(rows)}\n"
    print(report)
    if args.append:
        if not RESULTS.exists():
            RESULTS.write_text("# Benchmark results\n\nNewest last; each section names its script and machine.\n")
        with RESULTS.open("a", encoding="utf-8") as results:
            results.write("\n" + report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
