"""`agrs reason`: materialise the entailments of the ontology and the data (see agrs.derived.reason)."""

import sys

import click

from agrs.cli import EXIT_CODES
from agrs.cli_options import keep_versions_option, quiet_option, store_option

EPILOG = (
    EXIT_CODES.replace("  1  faults found (a check failed, records were rejected)\n", "")
    + """

\b
  Computes RDFS and the OWL 2 RL rules the ontology uses (sub-classes and
  sub-properties, domains and ranges, inverse, symmetric and transitive
  properties, equivalences, hasValue restrictions) over every current graph
  but the inferred ones and the system graphs, to fixpoint, and makes the
  result the content of https://w3id.org/agrs/graph/inferred (triples the
  data already assert are left out). Run it again after loading: the graph
  is computed from the asserted graphs only, so an inference whose premises
  were removed disappears. Queries include it unless they ask infer=false."""
)
SHOWN_RULES = 15  # rules listed in the summary, the most productive first


@click.command("reason", epilog=EPILOG)
@store_option
@keep_versions_option
@click.option(
    "--only", "namespaces", multiple=True, metavar="NAMESPACE",
    help="Keep only the entailments whose property (class, for rdf:type) is in NAMESPACE; repeatable. "
    "E.g. --only https://w3id.org/agrs/ leaves out those of the aligned vocabularies (geo:, schema:, sosa:…).",
)  # fmt: skip
@click.option("--skip-restricted", is_flag=True,
              help="Reason over the public graphs only (no diagnostic, nothing --access restricts): the inferred "
              "graph is then public on agrs serve; else it is restricted as soon as a restricted graph is an input.")
@click.option("--access", "access_file", envvar="AGRS_ACCESS", metavar="FILE",
              type=click.Path(exists=True, dir_okay=False), help="Access file, as for agrs serve ($AGRS_ACCESS).")
@quiet_option()
def reason(store_path, namespaces, skip_restricted, access_file, quiet) -> None:
    """Materialise the entailments of the ontology and the data into the inferred graph."""
    from agrs.access import AccessFileError, load_policy, restricted_graphs
    from agrs.derived.reason import materialise
    from agrs.progress import ProgressBars
    from agrs.store import StoreError, open_store
    from agrs.store.location import store_location

    try:
        policy = load_policy(access_file) if skip_restricted else None
    except AccessFileError as error:
        click.echo(f"agrs reason: {error}", err=True)
        sys.exit(2)
    try:
        with (
            open_store(store_location(store_path)) as store,
            ProgressBars(enabled=not quiet and sys.stderr.isatty(), prefix="reason ") as progress,
        ):
            # restricted by a rule or derived from such a graph (a roll-up of a diagnostic's indicators…)
            skip = None if policy is None else restricted_graphs(store, policy).__contains__
            summary = materialise(store, progress=progress, only=list(namespaces) or None, skip=skip)
    except StoreError as error:  # StoreBusy included: its message says how to proceed
        click.echo(f"agrs reason: {error}", err=True)
        sys.exit(2)
    if not quiet:
        print_summary(summary)


def print_summary(summary) -> None:
    """Print what was inferred, from what, in how long, and the most productive rules, on stdout."""
    rounds = "round" if summary.rounds == 1 else "rounds"
    done = "unchanged: the inferred graph already holds these" if summary.unchanged else "inferred"
    click.echo(
        f"{done} {summary.triples} triples: {summary.graph} (version {summary.version})\n"
        f"from {summary.asserted} asserted triples in {len(summary.graphs)} graphs, "
        f"{summary.rounds} {rounds}, {summary.seconds:.1f} s"
    )
    productive = sorted(((count, name) for name, count in summary.rules.items() if count), key=lambda r: (-r[0], r[1]))
    for count, name in productive[:SHOWN_RULES]:
        click.echo(f"{count:>10}  {_compact(name)}")
    if len(productive) > SHOWN_RULES:
        rest = sum(count for count, _ in productive[SHOWN_RULES:])
        click.echo(f"{rest:>10}  … {len(productive) - SHOWN_RULES} more rules")


def _compact(name: str) -> str:
    """Write the IRIs of a rule name as CURIEs where a prefix of agrs.ns fits."""
    from agrs.ns import prefixes

    table = sorted(prefixes().items(), key=lambda item: -len(item[1]))  # the longest namespace wins

    def curie(word: str) -> str:
        for prefix, namespace in table:
            if word.startswith(namespace) and word != namespace:
                return f"{prefix}:{word[len(namespace) :]}"
        return word

    return " ".join(curie(word) for word in name.split(" "))
