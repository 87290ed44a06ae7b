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
from agrs.loaders.demo import SIZES, YEARS, write_france
from agrs.loaders.registry import LOADERS, make_loader

REPO = Path(__file__).resolve().parent.parent
FORM = REPO / "data" / "survey" / "questionnaire.xlsx"
RESULTS = REPO / "benchmarks" / "RESULTS.md"
ROLLUP_TERRITORIES = 1_400  # EPCI (1,255) + départements (101) + régions (18) + France, rounded up


def count_triples(kind: str, files: list[Path], options: dict, sample: int | None) -> tuple[int, int, int]:
    """Return (records read, records mapped, triples of the mapped records) for one source."""
    loader = make_loader(kind, **options)
    read = mapped = triples = 0
    for path in files:
        for raw in loader.read(path):
            read += 1
            if sample is None or mapped < sample:
                record = loader.map(raw)
                mapped += 1
                triples += len(record.triples or ())
    return read, mapped, triples


def main() -> None:
    """Generate, time, count; print (and append) the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="S", choices=sorted(SIZES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--sample", type=int, default=None)
    parser.add_argument("--per-diagnostic", type=int, default=600)
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
    total = 0
    for kind, files, options in sources:
        read, mapped, triples = count_triples(kind, files, options, args.sample)
        scaled = round(triples * read / mapped) if mapped else 0
        how = "mapped" if mapped == read else f"mapped {mapped:,} of {read:,} records, scaled"
        rows.append((kind, read, scaled, how))
        total += scaled
    observation_triples = rows[0][2] / max(1, counts["observations"])
    rollup = round(ROLLUP_TERRITORIES * len(YEARS) * SIZES[args.size].indicators * observation_triples)
    rows.append(("rollup (estimate)", ROLLUP_TERRITORIES * len(YEARS) * SIZES[args.size].indicators, rollup,
                 f"{observation_triples:.1f} triples per observation"))
    total += rollup
    diagnostics = counts["diagnostics"]
    if "diagnostic" in LOADERS:
        read, mapped, triples = count_triples("diagnostic", [out / "diagnostics"], {}, args.sample)
        rows.append(("diagnostic", read, triples, "mapped"))
        total += triples
    else:
        rows.append(("diagnostic (estimate)", diagnostics, diagnostics * args.per_diagnostic,
                     f"loader not installed: {args.per_diagnostic} triples per diagnostic"))
        total += diagnostics * args.per_diagnostic
    lines = [
        f"## Synthetic observatory, size {args.size} (`agrs demo generate --size {args.size} --seed {args.seed}`)",
        "",
        f"{date.today()}, {sys.version.split()[0]}; generation {generated:.1f} s wall clock into {out}",
        "",
        "| source | records | triples | how counted |",
        "|---|---:|---:|---|",
        *(f"| {kind} | {read:,} | {triples:,} | {how} |" for kind, read, triples, how in rows),
        f"| **total** | | **{total:,}** | |",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.append:
        with RESULTS.open("a", encoding="utf-8") as results:
            results.write("\n" + text)


if __name__ == "__main__":
    main()
