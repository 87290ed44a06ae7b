"""`agrs observatory`: load the ontology, every French territory and the bundled observatory, in order."""

import sys
from pathlib import Path

import click

from agrs.cli import EXIT_CODES
from agrs.cli_options import keep_versions_option, quarantine_option, quiet_option, store_option

EPILOG = (
    EXIT_CODES.replace("faults found (a check failed, records were rejected)", "some records were rejected")
    + """

\b
Sources, in loading order (each one an ordinary `agrs load`, with its own
graph, provenance and quarantine file; an unchanged source is skipped):
  territories/cog      communes, epci, departements, regions .json of
                       @etalab/decoupage-administratif (--etalab, default
                       $AGRS_ETALAB_DIR, else node_modules/ of the repository)
  rdf/observatory      data/observatory/*.ttl: projects, commons, pilot types
  commons/ademe-wiki   data/commons/*.txt: the ADEME wiki page of seed 004
  partners/default     data/partners.csv: organisations and their roles
  indicators/population  data/indicators/: the population of every commune
                       (INSEE, COG 2026), then `agrs rollup` derives it
                       for EPCI, départements, régions and France
  survey/pilot-sample  data/survey/: the questionnaire and a SYNTHETIC
                       sample of answers from the pilot territories
  risks/gaspar-sample  data/risks/: a SYNTHETIC GASPAR CatNat sample
  rdf/demo-territory-types  data/demo/territory-types.ttl: the types the
                       demonstration assigns (rural Lagrasse, Picardie Verte…)
  diagnostic/demo-*    data/demo/diagnostics/: SYNTHETIC resilience
                       diagnostics of the pilot territories and of an
                       enterprise (agrs-diagnostic/1, XLSX and CSV), one
                       graph each
  indicators/demo-series  data/demo/indicators/: SYNTHETIC indicators (themes,
                       a composite) and yearly series 2019-2025 of the pilot
                       territories' communes
  survey/demo          data/demo/survey/: SYNTHETIC answers from every pilot
                       territory (`agrs demo pilot` writes data/demo/)
Then `agrs rollup` and `agrs reason`, when a source changed (or --force)."""
)


@click.command("observatory", epilog=EPILOG)
@store_option
@click.option(
    "--data", "data_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Folder of the observatory's sources (default: the repository's data/).",
)  # fmt: skip
@click.option(
    "--etalab", "etalab_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Folder of the etalab JSON files (communes.json, epci.json, departements.json, regions.json).",
)  # fmt: skip
@quarantine_option()
@click.option("--force", is_flag=True, help="Load every source, even those unchanged since their last load.")
@keep_versions_option
@quiet_option("No progress bars, no summaries; problems only.")
def observatory(store_path, data_dir, etalab_dir, quarantine_dir, force, quiet) -> None:
    """Load the ontology, all French territories and the bundled observatory into the store."""
    from agrs.derived.reason import materialise
    from agrs.derived.reason_cli import print_summary as print_reason_summary
    from agrs.derived.rollup import rollup_missing, run_rollup
    from agrs.derived.rollup_cli import print_rollup_summary
    from agrs.graphs import INFERRED_GRAPH
    from agrs.loaders.bundled import NoBundledData, bundled_sources, missing_files
    from agrs.loaders.pipeline import run_load
    from agrs.loaders.registry import make_loader
    from agrs.loaders.report import ProgressBars, print_summary
    from agrs.records import ReadError
    from agrs.resources import Resources
    from agrs.store import StoreError, open_store
    from agrs.store.location import store_location

    try:
        sources = bundled_sources(data_dir, etalab_dir)
    except NoBundledData as error:
        click.echo(f"agrs observatory: {error}", err=True)
        sys.exit(2)
    missing = missing_files(sources)
    if missing:
        click.echo("agrs observatory: missing source files (run `make setup`):", err=True)
        for path in missing:
            click.echo(f"  {path}", err=True)
        sys.exit(2)
    show = not quiet and sys.stderr.isatty()
    faulty, changed = False, False
    try:
        resources = Resources.load()
        with open_store(store_location(store_path)) as store:
            for source in sources:
                if not quiet:
                    click.echo(f"== {source.label}")
                with ProgressBars(enabled=show, prefix=f"{source.label} ") as progress:
                    summary = run_load(
                        make_loader(source.kind, **source.options), source.files, store, key=source.key,
                        quarantine_dir=quarantine_dir, force=force, progress=progress, resources=resources,
                        notes=source.notes, synthetic=source.synthetic,
                    )  # fmt: skip
                print_summary(summary, quiet)
                faulty = faulty or summary.faulty
                changed = changed or not summary.unchanged
            if changed or force or rollup_missing(store):
                if not quiet:
                    click.echo("== rollup/default")
                rolled = run_rollup(store, quarantine_dir=quarantine_dir, resources=resources)
                print_rollup_summary(rolled, quiet)
                faulty = faulty or bool(rolled.rejected)
            if changed or force or store.current_version(INFERRED_GRAPH) is None:
                if not quiet:
                    click.echo("== reason")
                with ProgressBars(enabled=show, prefix="reason ") as progress:
                    inferred = materialise(store, progress=progress)
                if not quiet:
                    print_reason_summary(inferred)
    except ReadError as error:
        click.echo(f"agrs observatory: cannot read {error}", err=True)
        sys.exit(2)
    except StoreError as error:
        click.echo(f"agrs observatory: {error}", err=True)
        sys.exit(2)
    sys.exit(1 if faulty else 0)
