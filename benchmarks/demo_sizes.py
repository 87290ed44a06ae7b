"""Generation time and size (in triples) of the synthetic observatories `agrs demo generate` writes.

Generates an observatory of the given size (`agrs.loaders.demo.write_france`), times it, then reads and maps every
file with the real loaders (read + map: the triples a load would write, before the gate) and counts the triples.
Sources whose loader is not installed (the diagnostic loader before its merge) are estimated from the files'
rows at --per-diagnostic triples each, and say so. The roll-up (EPCI, départements, régions, France of every
indicator-year) is estimated at 1,400 derived observations per indicator-year × the observation's triples.

    .venv/bin/python benchmarks/demo_sizes.py --size S [--seed 1] [--out DIR] [--sample 50000] [--append]

--sample maps only the first N records of each file and scales the count up to all its records (say so).
"""

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from agrs.loaders.bundled import SYNTHETIC_SURVEY_SALT
from agrs.loaders.demo import SIZES, write_france
from agrs.loaders.registry import LOADERS, make_loader

REPO = Path(__file__).resolve().parent.parent
FORM = REPO / "data" / "survey" / "questionnaire.xlsx"
RESULTS = REPO / "benchmarks" / "RESULTS.md"
ROLLUP_TERRITORIES = 1_400
DISTINCT_SAMPLE = 100_000  # EPCI (1,255) + départements (101) + régions (18) + France, rounded up


def count_triples(kind: str, files: list[Path], options: dict, sample: int | None) -> tuple[int, int, int, int]:
    """Return (records read, records mapped, triples mapped, distinct triples) for one source.

    Distinct triples (what the store keeps: the period and unit nodes records share count once) are counted on
    the first DISTINCT_SAMPLE mapped records and scaled to all of them.
    """
    loader = make_loader(kind, **options)
    read = mapped = triples = 0
    seen: set = set()
    seen_triples = 0
    for path in files:
        for raw in loader.read(path):
            read += 1
            if sample is None or mapped < sample:
                record = loader.map(raw)
                mapped += 1
                found = list(record.triples or ())
                triples += len(found)
                if mapped <= DISTINCT_SAMPLE:
                    seen.update(found)
                    seen_triples += len(found)
    distinct = round(triples * len(seen) / seen_triples) if seen_triples else 0
    return read, mapped, triples, distinct


def main() -> None:
    """Generate, time, count; print (and append) the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="S", choices=sorted(SIZES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--sample", type=int, default=None)
    parser.add_argument("--per-diagnostic", type=int, default=700)
    parser.add_argument("--append", action="store_true")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix=f"agrs-demo-{args.size}-"))
    started = time.perf_counter()
    counts = write_france(out, args.size, args.seed)
    generated = time.perf_counter() - started
    rows = []
    sources = [
        ("indicators", [out / "indicators" / "definitions.csv", out / "indicators" / "series.csv"], {}),
        ("risks", [out / "risks" / "catnat.csv"], {}),
        ("survey", [FORM, out / "survey" / "responses.csv"], {"form": FORM, "salt": SYNTHETIC_SURVEY_SALT}),
    ]
    total = total_distinct = 0
    for kind, files, options in sources:
        read, mapped, triples, distinct = count_triples(kind, files, options, args.sample)
        scaled = round(triples * read / mapped) if mapped else 0
        scaled_distinct = round(distinct * read / mapped) if mapped else 0
        how = "mapped" if mapped == read else f"mapped {mapped:,} of {read:,} records, scaled"
        rows.append((kind, read, scaled, scaled_distinct, how))
        total += scaled
        total_distinct += scaled_distinct
    per_observation = rows[0][2] / max(1, counts["observations"])
    distinct_per_observation = rows[0][3] / max(1, counts["observations"])
    derived = ROLLUP_TERRITORIES * SIZES[args.size].years * SIZES[args.size].indicators
    rows.append(("rollup (estimate)", derived, round(derived * per_observation),
                 round(derived * distinct_per_observation), "territories above the communes × series × years"))
    total += rows[-1][2]
    total_distinct += rows[-1][3]
    diagnostics = counts["diagnostics"]
    if "diagnostic" in LOADERS:
        read, mapped, triples, distinct = count_triples("diagnostic", [out / "diagnostics"], {}, args.sample)
        rows.append(("diagnostic", read, triples, distinct, "mapped"))
    else:
        estimate = diagnostics * args.per_diagnostic
        rows.append(("diagnostic (estimate)", diagnostics, estimate, estimate,
                     f"loader not merged: {args.per_diagnostic} triples per diagnostic"))
    total += rows[-1][2]
    total_distinct += rows[-1][3]
    lines = [
        f"## Synthetic observatory, size {args.size} (`agrs demo generate --size {args.size} --seed {args.seed}`)",
        "",
        f"{date.today()}, {sys.version.split()[0]}; generation {generated:.1f} s wall clock into {out}",
        "",
        "| source | records | triples mapped | distinct triples | how counted |",
        "|---|---:|---:|---:|---|",
        *(f"| {kind} | {read:,} | {triples:,} | {distinct:,} | {how} |" for kind, read, triples, distinct, how in rows),
        f"| **total** | | **{total:,}** | **{total_distinct:,}** | |",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.append:
        with RESULTS.open("a", encoding="utf-8") as results:
            results.write("\n" + text)


if __name__ == "__main__":
    main()
