"""Benchmark of `agrs reason` (agrs.derived.reason.materialise) on an existing store: time, throughput, memory, rules.

Runs materialise on STORE R times in this process (it replaces the store's inferred graph: use a store built
for the purpose, e.g. `agrs observatory --store /tmp/obs-store`) and prints a Markdown table: wall seconds,
asserted triples read and inferred triples, both per second, rounds, and the peak RSS of the process
(resource.getrusage: the store's caches included), then the slowest rules of the last run.

    .venv/bin/python benchmarks/reason.py STORE [--runs 1] [--rules 10] [--append]
"""

import argparse
import platform
import resource
import statistics
import sys
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "RESULTS.md"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("store", type=Path, help="store folder (its inferred graph is replaced)")
    parser.add_argument("--runs", type=int, default=1, help="runs of materialise (median reported)")
    parser.add_argument("--rules", type=int, default=10, help="slowest rules listed")
    parser.add_argument("--append", action="store_true", help=f"append the tables to {RESULTS}")
    args = parser.parse_args(argv)

    from agrs.derived.reason import materialise
    from agrs.store import StoreError, open_store

    try:
        with open_store(args.store) as store:
            summaries = [materialise(store) for _ in range(args.runs)]
    except StoreError as error:
        print(f"benchmarks/reason.py: {error}", file=sys.stderr)
        return 2
    text = report(summaries, args.rules, args.store)
    print(text)
    if args.append:
        with RESULTS.open("a", encoding="utf-8") as results:
            results.write("\n" + text)
    return 0


def report(summaries, shown: int, store: Path) -> str:
    """Return the Markdown section: the run table and the slowest rules of the last run."""
    from agrs import __version__

    last = summaries[-1]
    seconds = statistics.median(summary.seconds for summary in summaries)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines = [
        "## Materialising the entailments (benchmarks/reason.py)",
        "",
        f"{date.today().isoformat()}, Python {platform.python_version()}, agrs {__version__}, store {store}; "
        f"median of {len(summaries)} run(s)",
        "",
        "| graphs read | asserted triples | inferred triples | rounds | median s | asserted/s | inferred/s "
        "| peak RSS |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {len(last.graphs)} | {last.asserted:,} | {last.triples:,} | {last.rounds} | {seconds:.1f} "
        f"| {last.asserted / seconds:,.0f} | {last.triples / seconds:,.0f} | {peak_mb:,.0f} MB |",
        "",
        "| slowest rules (last run) | s | new triples |",
        "|---|---:|---:|",
    ]
    slowest = sorted(last.timings.items(), key=lambda item: -item[1])[:shown]
    lines += [f"| {name} | {spent:.2f} | {last.rules.get(name, 0):,} |" for name, spent in slowest]
    queried = sum(last.timings.values())
    lines += ["", f"Rule queries {queried:.1f} s of {last.seconds:.1f} s; the rest: schema, pending and final writes."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
