"""Benchmark of the derived data: `agrs reason`, `agrs rollup`, and the stored roll-up question read from them.

Builds (or reuses) a store holding the ontology, every French territory, the bundled observatory and a synthetic
observatory of a size (`agrs demo generate --size S`), then times, in the same process and on the same store:

- `agrs reason` (agrs.derived.reason.materialise), this checkout's code and, with --baseline REF, the code of
  git REF (its derived/*.py imported from `git show`, so both run on the same machine in the same run);
- `agrs rollup` (agrs.derived.rollup.run_rollup: every indicator, all ~35,000 communes to EPCI, départements,
  régions and France) and `rollup_indicator` (one indicator), likewise against --baseline;
- the stored roll-up question (queries/cq/cq04) and an aggregate per département, raw (SUM over the communes'
  observations at query time) against materialised (reading the roll-up's derived observations).

Medians of --runs runs (each alternating baseline and current), ratios baseline/current, and the process's peak RSS.
The store is built without the SHACL gate (read, map, commit through agrs.commit: the same write path as a load)
because the gate is what is slow at this size; the benchmarks of the gate are elsewhere (benchmarks/loaders.py).

    .venv/bin/python benchmarks/derived.py --size S [--store DIR] [--runs 3] [--baseline main] [--append]
    .venv/bin/python benchmarks/derived.py --quick      (the tests' territory and indicator fixtures, one run)
"""

import argparse
import importlib
import importlib.util
import json
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "RESULTS.md"

#: The aggregate per département, raw: the sum of the communes' observations of one indicator and year.
RAW_AGGREGATE = """PREFIX agrs: <https://w3id.org/agrs/>
PREFIX level: <https://w3id.org/agrs/level/>
SELECT ?departement (SUM(?value) AS ?total) WHERE {
  ?observation agrs:indicator <%(indicator)s> ; agrs:territory ?commune ; agrs:period <%(period)s> ;
    agrs:value ?value .
  ?commune agrs:hasLevel level:commune ; agrs:within ?departement .
  ?departement agrs:hasLevel level:departement .
} GROUP BY ?departement"""
#: The same answer read from the roll-up's derived observations of the départements (materialised by agrs rollup).
#: The départements first: Oxigraph joins in the written order here, and starting from the 101 départements (then
#: their few observations) was 4 times faster than starting from the observations (117 ms against 478 ms in memory).
MATERIALISED_AGGREGATE = """PREFIX agrs: <https://w3id.org/agrs/>
PREFIX level: <https://w3id.org/agrs/level/>
SELECT ?departement ?total WHERE {
  ?departement agrs:hasLevel level:departement .
  ?observation agrs:territory ?departement .
  ?observation a agrs:DerivedObservation ; agrs:indicator <%(indicator)s> ; agrs:period <%(period)s> ;
    agrs:value ?total .
}"""
#: A period of the indicator's derived observations.
PERIOD = """PREFIX agrs: <https://w3id.org/agrs/>
SELECT ?p WHERE { ?o a agrs:DerivedObservation ; agrs:indicator <%s> ; agrs:period ?p } LIMIT 1"""


def peak_mb() -> float:
    """Return the process's peak resident set size in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- building the store ------------------------------------------------------------------------------------------


def sources(size: str, seed: int, out: Path, quick: bool):
    """Return the bundled observatory's sources and those of a generated synthetic observatory of `size`.

    `quick`: the small territory and indicator fixtures of the tests instead (a smoke test in seconds).
    """
    from agrs.loaders.bundled import SYNTHETIC_SURVEY_SALT, BundledSource, bundled_sources
    from agrs.loaders.demo import write_france

    if quick:
        fixtures = REPO / "tests" / "data" / "loaders"
        territories = tuple(fixtures / "territories" / f"etalab-{name}.json"
                            for name in ("communes", "epci", "departements", "regions"))  # fmt: skip
        indicators = (fixtures / "indicators" / "definitions.csv", fixtures / "indicators" / "observations.csv")
        return [BundledSource("territories", "cog", territories), BundledSource("indicators", "population", indicators)]
    write_france(out, size, seed)
    form = REPO / "data" / "survey" / "questionnaire.xlsx"
    demo = [
        BundledSource(
            "indicators", "bench-series", (out / "indicators" / "definitions.csv", out / "indicators" / "series.csv")
        ),
        BundledSource("risks", "bench-catnat", (out / "risks" / "catnat.csv",)),
        BundledSource(
            "survey",
            "bench-survey",
            (form, out / "survey" / "responses.csv"),
            {"form": form, "salt": SYNTHETIC_SURVEY_SALT},
        ),
    ]
    # The generated series reuse the demonstration's indicator keys (the same observation IRIs with other values):
    # the bundled demonstration series are left out.
    bundled = [source for source in bundled_sources() if (source.kind, source.key) != ("indicators", "demo-series")]
    return bundled + demo


def build_store(path: Path, size: str, seed: int, quick: bool = False) -> dict:
    """Load the sources into a new store at `path` without the SHACL gate; return what was loaded and how fast.

    Each source is read and mapped by its loader, then committed with agrs.commit.commit_records (one graph each,
    with its provenance), as `agrs load` does once the gate has passed.
    """
    from agrs.commit import Source, commit_records
    from agrs.graphs import graph_iri
    from agrs.loaders.registry import make_loader
    from agrs.ontology_graph import ensure_ontology
    from agrs.resources import Resources
    from agrs.store import open_store

    resources = Resources.load()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="agrs-bench-derived-") as data, open_store(path) as store:
        ensure_ontology(store, resources)
        for source in sources(size, seed, Path(data), quick):
            if not all(Path(file).exists() for file in source.files):
                continue
            loader = make_loader(source.kind, **source.options)
            loader.use_ontology(resources.ontology)
            records = [loader.map(raw) for file in source.files for raw in loader.read(Path(file))]
            loader.finish(records)
            loader.after_gate(records)
            commit_records(
                store, Source(source.kind, source.key, graph_iri(source.kind, source.key)), records,
                started=datetime.now(UTC), quarantine_dir=Path(data) / "quarantine",
                shapes_digest=resources.shapes_digest, synthetic=source.synthetic,
            )  # fmt: skip
        triples = sum(info.triples for info in store.graphs())
    return {"triples": triples, "seconds": time.perf_counter() - started}


# --- the code under test, current and baseline -------------------------------------------------------------------


def baseline_modules(ref: str) -> dict[str, types.ModuleType]:
    """Import derived/reason_rules.py, reason.py and rollup.py as they are at git `ref`, under private names."""
    modules = {}
    for name in ("reason_rules", "reason", "rollup"):
        text = subprocess.run(["git", "-C", str(REPO), "show", f"{ref}:derived/{name}.py"], check=True,
                              capture_output=True, text=True).stdout  # fmt: skip
        # The baseline's reason.py imports its rules from agrs.derived.reason_rules: point it at the baseline's.
        text = text.replace("from agrs.derived.reason_rules import", "from agrs_baseline.reason_rules import")
        module = types.ModuleType(f"agrs_baseline.{name}")
        module.__file__ = f"<{ref}:derived/{name}.py>"
        sys.modules[module.__name__] = module
        exec(compile(text, module.__file__, "exec"), module.__dict__)
        modules[name] = module
    sys.modules.setdefault("agrs_baseline", types.ModuleType("agrs_baseline"))
    return modules


def current_modules() -> dict[str, types.ModuleType]:
    """Return this checkout's agrs.derived modules."""
    modules = {}
    for name in ("reason_rules", "reason", "rollup"):
        spec = importlib.util.find_spec(f"agrs.derived.{name}")
        assert spec is not None
        modules[name] = importlib.import_module(f"agrs.derived.{name}")
    return modules


def timed(function: Callable, *args, **kwargs) -> tuple[float, object]:
    """Return (seconds, result) of one call."""
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, result


POPULATION = "https://w3id.org/agrs/id/indicator/population"


def median_of(runs: int, function: Callable) -> tuple[float, object]:
    """Return the median seconds of `runs` calls of `function`, and its last result."""
    times, result = [], None
    for _ in range(runs):
        spent, result = timed(function)
        times.append(spent)
    return statistics.median(times), result


def read_and_compute(module: types.ModuleType, store, indicator: str | None):
    """Read the store and compute the roll-up with `module` (agrs.derived.rollup, current or baseline)."""
    graphs = module.input_graphs(store)
    levels = module.read_levels(store, graphs)
    indicators = module.read_indicators(store, graphs)
    if indicator is not None:
        indicators = [item for item in indicators if str(item.iri) == indicator]
        try:  # the current readers take the indicators to read; the baseline reads them all
            observations = module.read_observations(store, graphs, levels, [indicator])
        except TypeError:
            observations = module.read_observations(store, graphs, levels)
    else:
        observations = module.read_observations(store, graphs, levels)
    derived, _ = module.compute(indicators, observations, module.read_tree(store, graphs, levels))
    return {(str(item.iri), item.value, tuple(map(str, item.derived_from))) for item in derived}


def measure(args, store_path: Path, built: dict | None) -> str:
    """Run the measures on the store; return the Markdown section (and write .bench/results/derived.json)."""
    from agrs import __version__
    from agrs.store import open_store

    current = current_modules()
    baseline = baseline_modules(args.baseline) if args.baseline else None
    rows, targets = [], []

    def row(what: str, new: float, old: float | None, note: str = "") -> None:
        ratio = f"{old / new:.1f}×" if old else ""
        rows.append(f"| {what} | {new:.3f} | {'' if old is None else f'{old:.3f}'} | {ratio} | {note} |")

    with open_store(store_path) as store:
        asserted = sum(info.triples for info in store.graphs())
        if "rollup" not in args.skip:
            for label, indicator in (("all indicators", None), ("one indicator (population)", POPULATION)):
                new, answer = median_of(args.runs, lambda i=indicator: read_and_compute(current["rollup"], store, i))
                old = same = None
                if baseline:
                    old, before = median_of(
                        args.runs, lambda i=indicator: read_and_compute(baseline["rollup"], store, i)
                    )
                    same = before == answer
                row(f"roll-up read + compute, {label}", new, old, f"{len(answer):,} derived; same answer: {same}")
                if indicator is not None:
                    targets.append(
                        {
                            "target": "roll-up of one indicator over all communes (read + compute)",
                            "threshold": "< 2 s",
                            "measured": f"{new:.2f} s",
                            "ratio": new / 2,
                            "met": new < 2,
                            "note": f"{args.size}, median of {args.runs}; gate and write apart",
                        }
                    )
            # Into the default roll-up graph (its derived observations' IRIs are those of the full roll-up: a graph
            # of another key would hold them twice, and the gate refuses the second description): the store's
            # roll-up then holds the population only, which the questions below read.
            with tempfile.TemporaryDirectory() as quarantine:
                new, summary = median_of(
                    1,
                    lambda: current["rollup"].run_rollup(store, quarantine_dir=quarantine, indicators=[POPULATION]),
                )
            row(
                "`run_rollup` one indicator (read, compute, SHACL gate, write)",
                new,
                None,
                f"{summary.loaded:,} derived observations",
            )
        if "questions" not in args.skip:
            if current["rollup"].rollup_missing(store):
                with tempfile.TemporaryDirectory() as quarantine:
                    current["rollup"].run_rollup(store, quarantine_dir=quarantine)
            period = next(iter(store.query(PERIOD % POPULATION)))[0].value
            values = {"indicator": POPULATION, "period": period}

            def answer(sparql):
                return {(r[0].value, Decimal(r[1].value)) for r in store.query(sparql % values)}

            raw, raw_rows = median_of(max(args.runs, 5), lambda: answer(RAW_AGGREGATE))
            mat, mat_rows = median_of(max(args.runs, 5), lambda: answer(MATERIALISED_AGGREGATE))
            row("aggregate per département: raw query (s)", raw, None, f"{len(raw_rows)} rows")
            row("aggregate per département: from the roll-up (s)", mat, raw, f"same answer: {raw_rows == mat_rows}")
            targets.append(
                {
                    "target": "stored aggregate per département from materialised data",
                    "threshold": "<= 17.5 ms (Virtuoso, raw, 1M)",
                    "measured": f"{mat * 1000:.1f} ms",
                    "ratio": mat * 1000 / 17.5,
                    "met": mat * 1000 <= 17.5,
                    "note": args.size,
                }
            )
        if "reason" not in args.skip:
            new, summary = median_of(1, lambda: current["reason"].materialise(store))
            old = same = None
            if baseline:
                # The baseline runs second: if it finds exactly the graph the current code wrote, it says so
                # (unchanged) and skips the write, which only flatters the baseline's time.
                old, before = median_of(1, lambda: baseline["reason"].materialise(store))
                same = before.unchanged
            row(
                "`agrs reason` (materialise)",
                new,
                old,
                f"{summary.triples:,} inferred from {summary.asserted:,}; same graph: {same}",
            )
            targets.append(
                {
                    "target": "agrs reason over M",
                    "threshold": "< 300 s",
                    "measured": f"{new:.0f} s on {args.size} ({summary.asserted:,} triples)",
                    "ratio": None,
                    "met": None,
                    "note": "M not run: extrapolate linearly (×~6 from S)",
                }
            )
    head = [
        f"## Derived data: reason, roll-up, materialised questions (benchmarks/derived.py --size {args.size})",
        "",
        f"{date.today().isoformat()}, Python {platform.python_version()}, agrs {__version__}, {asserted:,} triples"
        + (f" (built without the gate in {built['seconds']:.0f} s)" if built else "")
        + f"; medians of {args.runs}; baseline = git {args.baseline or '(none)'}; peak RSS {peak_mb():,.0f} MB",
        "",
        "| measure | current s | baseline s | speed-up | note |",
        "|---|---:|---:|---:|---|",
    ]
    results = REPO / ".bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "derived.json").write_text(json.dumps({"targets": targets}, indent=1), encoding="utf-8")
    return "\n".join(head + rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Build or reuse the store, run the measures; print (and append) the Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="S", choices=["XS", "S", "M", "L"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--store", type=Path, help="store folder: built there if missing, else reused")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", metavar="REF", help="also run derived/*.py as they are at git REF")
    parser.add_argument("--quick", action="store_true", help="the tests' small fixtures, one run (a smoke test)")
    parser.add_argument("--skip", action="append", default=[], choices=["reason", "rollup", "questions"])
    parser.add_argument("--append", action="store_true", help=f"append the table to {RESULTS}")
    parser.add_argument("--update", action="store_true", help="replace this script's section of RESULTS.md")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.size = 1, "XS"
    store_path = args.store or Path(tempfile.mkdtemp(prefix="agrs-bench-derived-store-")) / "store"
    built = None
    if not store_path.exists():
        built = build_store(store_path, args.size, args.seed, args.quick)
        print(f"built {store_path}: {built['triples']:,} triples in {built['seconds']:.1f} s", file=sys.stderr)
    text = measure(args, store_path, built)
    print(text)
    if args.update:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from suite import update_section

        title, _, body = text.lstrip().partition("\n")
        update_section(title.lstrip("# ").strip(), body)
    elif args.append:
        with RESULTS.open("a", encoding="utf-8") as results:
            results.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
