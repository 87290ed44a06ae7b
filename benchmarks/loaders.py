"""Throughput of every loader of issue 5 on its largest input, against rdflib + pyshacl on the same triples.

For each source (the largest test fixture of each loader, and the bundled files the observatory loads), in one
process: `run_load` into a copy of a store that holds the territories (the gate checks what records point to),
timed over --runs runs (median); then the baseline on the triples that load produced: rdflib parsing them as
Turtle plus pyshacl validating them with the merged ontology (one pyshacl run over everything, what a user
without AGRS would do), also a median. The ratio is pipeline records/s over baseline records/s.

    .venv/bin/python benchmarks/loaders.py --base-store STORE [--runs 3] [--only indicators] [--append]

STORE is a store with the territories loaded (`agrs observatory --store STORE` makes one); it is copied, never
written. `--append` adds the table to benchmarks/RESULTS.md.
"""

import argparse
import shutil
import sys
import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from rdflib import Graph

# territories.py is a sibling script (benchmarks/ is not a package): its timing and table helpers are shared.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from territories import RESULTS, Row, environment, timed

from agrs.loaders.bundled import SYNTHETIC_SURVEY_SALT
from agrs.loaders.pipeline import run_load
from agrs.loaders.registry import make_loader
from agrs.ns import bind_all
from agrs.resources import Resources
from agrs.shacl import validate
from agrs.store.embedded import EmbeddedStore

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "data" / "loaders"
DATA = REPO / "data"
FORM = DATA / "survey" / "questionnaire.xlsx"

#: (label, kind, files, loader options)
SOURCES = [
    ("partners: fixture good.csv", "partners", [FIXTURES / "partners" / "good.csv"], {}),
    ("partners: data/partners.csv", "partners", [DATA / "partners.csv"], {}),
    ("survey: fixture kobo.csv", "survey", [FORM, FIXTURES / "survey" / "kobo.csv"], {"form": FORM, "salt": "b"}),
    ("survey: synthetic-pilot-responses.csv", "survey", [FORM, DATA / "survey" / "synthetic-pilot-responses.csv"],
     {"form": FORM, "salt": SYNTHETIC_SURVEY_SALT}),
    ("indicators: fixture observations-messy.csv", "indicators",
     [FIXTURES / "indicators" / "definitions.csv", FIXTURES / "indicators" / "observations-messy.csv"], {}),
    ("indicators: population-2026.csv", "indicators",
     [DATA / "indicators" / "indicators.csv", DATA / "indicators" / "population-2026.csv"], {}),
    ("risks: fixture gaspar-2026.csv", "risks", [FIXTURES / "risks" / "gaspar-2026.csv"], {}),
    ("commons: fixture export-rdf.rdf", "commons", [FIXTURES / "commons" / "export-rdf.rdf"], {}),
    ("commons: fixture page-seed-004.txt", "commons", [FIXTURES / "commons" / "page-seed-004.txt"], {}),
]  # fmt: skip


def generated_gaspar(folder: Path, rows: int = 2_000) -> Path:
    """Write a GASPAR 2026-layout CSV of `rows` CatNat declarations over real communes, with exact duplicates.

    The fixtures are a few rows: a load of thousands of declarations shows the loader's rate, not its fixed cost.
    """
    import json
    import random

    communes = json.loads((REPO / "node_modules/@etalab/decoupage-administratif/data/communes.json").read_text())
    codes = [entry["code"] for entry in communes if entry["type"] == "commune-actuelle" and entry["zone"] != "com"]
    draw = random.Random(5)
    hazards = [("ICB", "Inondations et/ou Coulées de Boue"), ("SEC", "Sécheresse"), ("TMP", "Tempête"),
               ("MVT", "Mouvement de Terrain")]  # fmt: skip
    lines = ["id_gaspar;code_commune;libelle_commune;num_risque_jo;lib_risque_jo;date_debut;date_fin;"
             "date_signature_arrete;date_publication_jo;date_modification"]  # fmt: skip
    for number in range(rows):
        code, (risk, label) = draw.choice(codes), draw.choice(hazards)
        year = draw.randint(1985, 2024)
        line = (f"BENCH{number:06d};{code};Commune {code};{risk};{label};{year}-06-01 00:00:00;{year}-06-03 00:00:00;"
                f"{year}-09-01 00:00:00;{year}-09-15 00:00:00;2026-01-15 09:30:00")  # fmt: skip
        lines.append(line)
        if number % 10 == 0:
            lines.append(line)  # GASPAR exports repeat rows: the loader drops exact duplicates
    path = folder / "gaspar-generated.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def bench_source(label: str, kind: str, files: Sequence[Path], options: dict, base: Path, resources: Resources,
                 runs: int, workdir: Path) -> list[Row]:  # fmt: skip
    """Time the load of one source into copies of the base store, then the rdflib + pyshacl baseline."""
    copies = iter(range(100))
    summaries = []

    def load():
        target = workdir / f"{kind}-{next(copies)}"
        shutil.copytree(base, target)
        with EmbeddedStore(target) as store:
            summaries.append(run_load(make_loader(kind, **options), files, store, quarantine_dir=workdir,
                                      force=True, resources=resources))  # fmt: skip
        shutil.rmtree(target)

    seconds, _ = timed(load, runs)
    summary = summaries[-1]
    graph = Graph()
    for record in summary.records:
        if not record.rejected:
            for triple in record.triples:
                graph.add(triple)
    bind_all(graph)
    turtle = graph.serialize(format="turtle")

    def baseline():
        parsed = Graph().parse(data=turtle, format="turtle")
        parsed += resources.ontology
        validate(parsed, resources.shapes)  # pySHACL, as the gate runs it

    baseline_seconds, _ = timed(baseline, runs)
    note = f"read {summary.read}, loaded {summary.loaded}, rejected {summary.rejected}"
    return [
        Row(f"{label}: pipeline", summary.read, len(graph), seconds, note),
        Row(f"{label}: rdflib parse + pyshacl", summary.read, len(graph), baseline_seconds, "baseline"),
    ]


def table(rows: Sequence[Row]) -> str:
    """Return the rows as Markdown: records/s and the pipeline's ratio against its baseline (the next row)."""
    lines = ["| stage | records | triples | median s | records/s | ratio | note |",
             "|---|---:|---:|---:|---:|---:|---|"]  # fmt: skip
    for index, row in enumerate(rows):
        rate = row.records / row.seconds if row.seconds else float("inf")
        ratio = ""
        if index % 2 == 0:
            baseline = rows[index + 1]
            ratio = f"{(baseline.seconds / row.seconds if row.seconds else float('inf')):.2f}×"
        lines.append(f"| {row.stage} | {row.records:,} | {row.triples:,} | {row.seconds:.2f} | {rate:,.0f} | {ratio} "
                     f"| {row.note} |")  # fmt: skip
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print the table (and append it to RESULTS.md with --append)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-store", type=Path, required=True, help="a store holding the territories")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", help="benchmark only the sources of this loader kind")
    parser.add_argument("--append", action="store_true")
    options = parser.parse_args(argv)
    resources = Resources.load()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as folder:
        generated = generated_gaspar(Path(folder))
        sources = [*SOURCES, ("risks: generated 2,000 declarations", "risks", [generated], {})]
        for label, kind, files, loader_options in sources:
            if options.only and kind != options.only:
                continue
            print(f"… {label}", file=sys.stderr)
            measured = bench_source(label, kind, files, loader_options, options.base_store, resources,
                                    options.runs, Path(folder))  # fmt: skip
            print(table(measured), file=sys.stderr, flush=True)  # a long run keeps what it measured so far
            rows += measured
    text = (f"\n## Loaders of issue 5 ({date.today().isoformat()})\n\n{environment(options.runs)}\n\n{table(rows)}\n"
            "\nratio = baseline time / pipeline time (above 1: the pipeline is faster than parsing and validating "
            "the same triples with rdflib + pyshacl).\n")  # fmt: skip
    print(text)
    if options.append:
        with RESULTS.open("a", encoding="utf-8") as out:
            out.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
