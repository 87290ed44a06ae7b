"""`agrs rollup`: materialise the derived observations of the stored indicators (see agrs.derived.rollup)."""

import sys

import click

from agrs.cli import EXIT_CODES
from agrs.cli_options import keep_versions_option, quarantine_option, quiet_option, store_option

EPILOG = (
    EXIT_CODES.replace("faults found (a check failed, records were rejected)", "derived observations were rejected")
    + """

\b
  Every indicator whose aggregation method is not aggregation:none is rolled
  up from the observations of current communes to the EPCI, départements,
  régions, overseas collectivities and France, into the graph
  https://w3id.org/agrs/graph/rollup/<KEY>. Running it again on the same
  data gives the same graph. Observations left out (a unit other than the
  indicator's, a commune without population for a weighted mean) are
  printed as warnings."""
)
MAX_PRINTED = 50


@click.command("rollup", epilog=EPILOG)
@store_option
@keep_versions_option
@click.option("--key", default="default", show_default=True, help="Key naming the roll-up graph.")
@click.option(
    "--indicator", "indicators", multiple=True, metavar="IRI",
    help="Roll up this indicator only (repeatable); the graph then holds only theirs.",
)  # fmt: skip
@quarantine_option("the rejected derived observations")
@quiet_option("No summary; problems only.")
def rollup(store_path, key, indicators, quarantine_dir, quiet) -> None:
    """Roll the stored indicators up from communes to EPCI, départements, régions and France."""
    from agrs.derived.rollup import run_rollup
    from agrs.store import StoreError, open_store
    from agrs.store.location import store_location

    try:
        with open_store(store_location(store_path)) as store:
            summary = run_rollup(store, key=key, quarantine_dir=quarantine_dir, indicators=list(indicators) or None)
    except StoreError as error:  # StoreBusy included: its message says how to proceed
        click.echo(f"agrs rollup: {error}", err=True)
        sys.exit(2)
    print_rollup_summary(summary, quiet)
    sys.exit(1 if summary.rejected else 0)


def print_rollup_summary(summary, quiet: bool) -> None:
    """Print what a roll-up did (stdout, unless quiet), its rejections and warnings (stderr, always)."""
    if not quiet:
        click.echo(f"{summary.graph}: {summary.loaded} derived observations, {summary.rejected} rejected")
    rejected = [record for record in summary.records if record.rejected]
    for record in rejected[:MAX_PRINTED]:
        for problem in record.problems:
            click.echo(f"rejected: {record.raw.fields['derived']}: {problem.field}: {problem.message}", err=True)
    for warning in summary.warnings[:MAX_PRINTED]:
        click.echo(f"warning: {warning}", err=True)
    if len(summary.warnings) > MAX_PRINTED:
        click.echo(f"warning: … and {len(summary.warnings) - MAX_PRINTED} more", err=True)
    if summary.quarantine:
        click.echo(f"quarantine: {summary.quarantine}", err=True)
