"""`agrs demo`: write the SYNTHETIC demonstration observatory's source files (agrs.loaders.demo)."""

import sys
import time
from pathlib import Path

import click

from agrs.cli import EXIT_CODES

ETALAB_HELP = "Folder of the etalab JSON files (default: $AGRS_ETALAB_DIR, else the checkout's node_modules)."


@click.group("demo", epilog=EXIT_CODES)
def demo() -> None:
    """Write the synthetic demonstration observatory's source files (nothing in them was observed)."""


@demo.command("pilot", epilog=EXIT_CODES)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder to write (default: the checkout's data/demo/).")  # fmt: skip
@click.option("--seed", type=int, default=None, help="Seed of the draw (default: the bundled files' seed, 2026).")
@click.option("--etalab", "etalab_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help=ETALAB_HELP)  # fmt: skip
def pilot(out, seed, etalab_dir) -> None:
    """Write the bundled demonstration of the pilot territories: diagnostic workbooks, survey, indicators.

    The same seed writes the same files (workbooks: the same cells). `agrs observatory` loads data/demo/.
    """
    from agrs.loaders.bundled import NoBundledData, default_data_dir
    from agrs.loaders.demo import DEFAULT_SEED, write_pilot

    try:
        out = out or default_data_dir() / "demo"
        files = write_pilot(out, DEFAULT_SEED if seed is None else seed, etalab_dir=etalab_dir)
    except NoBundledData as error:
        click.echo(f"agrs demo pilot: {error}", err=True)
        sys.exit(2)
    click.echo(f"wrote {len(files)} synthetic files into {out}")


@demo.command("generate", epilog=EXIT_CODES + """

\b
Sizes (triples once loaded, measured or estimated in benchmarks/README.md):
  XS  a smoke test          S  ~1M          M  ~10M          L  ~50M
Load the result with the ordinary loaders:
  agrs load indicators OUT/indicators/definitions.csv OUT/indicators/series.csv --key demo-series
  agrs load risks OUT/risks/catnat.csv --key demo-catnat
  agrs load survey --form data/survey/questionnaire.xlsx OUT/survey/responses.csv --key demo-survey
  agrs load diagnostic OUT/diagnostics   (one graph per diagnostic)""")
@click.option("--size", type=click.Choice(["XS", "S", "M", "L"], case_sensitive=False), default="S",
              show_default=True, help="How large an observatory.")  # fmt: skip
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the draw: same seed, same files.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Folder to write.")
@click.option("--communes", "limit", type=int, default=None, help="Only the first N communes (code order).")
@click.option("--etalab", "etalab_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help=ETALAB_HELP)  # fmt: skip
def generate(size, seed, out, limit, etalab_dir) -> None:
    """Write a synthetic observatory of a size over all communes of France, as CSV loader inputs."""
    from agrs.loaders.bundled import NoBundledData
    from agrs.loaders.demo import write_france

    started = time.perf_counter()
    try:
        counts = write_france(out, size.upper(), seed, etalab_dir=etalab_dir, limit=limit)
    except NoBundledData as error:
        click.echo(f"agrs demo generate: {error}", err=True)
        sys.exit(2)
    elapsed = time.perf_counter() - started
    summary = ", ".join(f"{count} {name}" for name, count in counts.items())
    click.echo(f"wrote a synthetic observatory of size {size.upper()} into {out} in {elapsed:.1f} s: {summary}")
