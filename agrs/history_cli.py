"""`agrs history GRAPH`, `agrs rollback GRAPH [VERSION]`, `agrs purge`: a graph's kept versions, undo, and erasure.

GRAPH is a graph IRI, or `<kind>/<key>` for https://w3id.org/agrs/graph/<kind>/<key> (`territories/cog`).
VERSION is a version IRI, or its number (`3` or `v3`).
"""

import json
import sys

import click

from agrs.cli import EXIT_CODES
from agrs.cli_options import keep_versions_option, store_option

HISTORY_EPILOG = (
    EXIT_CODES
    + """

\b
A graph keeps its previous versions (--keep-versions N on the writing
commands, default $AGRS_KEEP_VERSIONS, else 5; 0 keeps none). They are never
read by queries; `agrs rollback` makes one current again."""
)

PURGE_EPILOG = (
    EXIT_CODES
    + """

\b
What a purge reaches: the current version and every kept version of every
graph, and the plain graphs (the provenance included). What it does not
reach: backups already taken (`agrs backup`), exports and pushed copies,
the source files, and the quarantine files. Loading the same source file
again brings the record back: correct the file first."""
)


def graph_argument(value: str) -> str:
    """Return the graph IRI a GRAPH argument names (an IRI, or `<kind>/<key>`)."""
    from agrs.graphs import graph_iri

    if "://" in value or value.startswith("urn:"):
        return value
    kind, _, key = value.partition("/")
    if not kind or not key:
        raise click.BadParameter(f"give a graph IRI or KIND/KEY (e.g. territories/cog), not {value!r}")
    return graph_iri(kind, key)


def _short(version: str | None) -> str:
    return version.rsplit("/", 1)[-1] if version else "-"


@click.command("history", epilog=HISTORY_EPILOG)
@click.argument("graph")
@store_option
@click.option("--json", "as_json", is_flag=True, help="Print the versions as JSON (a list of objects).")
def history(graph, store_path, as_json) -> None:
    """List the versions of GRAPH that hold data: the current one and the kept previous ones, newest first."""
    from agrs.store import StoreError, open_store
    from agrs.store.location import store_location

    iri = graph_argument(graph)
    try:
        with open_store(store_location(store_path), read_only=True) as store:
            versions = store.history(iri)
    except StoreError as error:
        click.echo(f"agrs history: {error}", err=True)
        sys.exit(2)
    if as_json:
        rows = [
            {"version": v.version, "created": v.created, "triples": v.triples, "current": v.current,
             "activity": v.activity}
            for v in versions
        ]  # fmt: skip
        click.echo(json.dumps({"graph": iri, "versions": rows}, indent=2, ensure_ascii=False))
        return
    if not versions:
        click.echo(f"{iri}: no version (never loaded, or purged)", err=True)
        return
    click.echo(iri)
    table = [("version", "time", "triples", "current", "activity")]
    for v in versions:
        current = "*" if v.current else ""
        table.append((_short(v.version), v.created or "-", f"{v.triples:,}", current, v.activity or "-"))
    widths = [max(len(row[column]) for row in table) for column in range(len(table[0]))]
    for row in table:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


@click.command("rollback", epilog=HISTORY_EPILOG)
@click.argument("graph")
@click.argument("version", required=False)
@store_option
@keep_versions_option
def rollback(graph, version, store_path) -> None:
    """Make a kept VERSION of GRAPH current again, atomically (default: the version before the current one).

    The version current until then is kept in turn (roll forward with `agrs rollback GRAPH vN`). The rollback is
    recorded in the provenance graph as a PROV-O activity.
    """
    from agrs.commit import commit_rollback
    from agrs.store import StoreError, open_store
    from agrs.store.location import store_location

    iri = graph_argument(graph)
    try:
        with open_store(store_location(store_path)) as store:
            done = commit_rollback(store, iri, version)
    except StoreError as error:
        click.echo(f"agrs rollback: {error}", err=True)
        sys.exit(2)
    click.echo(
        f"{iri}: {_short(done.previous)} → {_short(done.info.version)} is current ({done.info.triples:,} triples); "
        f"provenance: {done.activity}"
    )


@click.command("purge", epilog=PURGE_EPILOG)
@click.option("--record", "records", multiple=True, metavar="IRI",
              help="Erase every triple with IRI as subject or object (repeatable).")  # fmt: skip
@click.option("--source", "sources", multiple=True, metavar="GRAPH",
              help="Erase a whole source: its graph's current and kept versions, its provenance (repeatable).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@store_option
@keep_versions_option
def purge(records, sources, yes, store_path) -> None:
    """Erase personal data: a record or a whole source, from the current AND every kept version, and from the
    provenance where it names it. Prints what it erased."""
    from agrs.commit import commit_purge_record, commit_purge_source
    from agrs.store import StoreError, open_store
    from agrs.store.location import store_location

    if not records and not sources:
        raise click.UsageError("name what to erase: --record IRI and/or --source GRAPH")
    graphs = [graph_argument(source) for source in sources]
    if not yes:
        what = ", ".join([*records, *graphs])
        if not sys.stdin.isatty():
            click.echo("agrs purge: refused without --yes (no terminal to confirm on)", err=True)
            sys.exit(2)
        click.confirm(f"Erase {what} from every version, for good?", abort=True, err=True)
    total = 0
    try:
        with open_store(store_location(store_path)) as store:
            for iri in records:
                erased, activity = commit_purge_record(store, iri)
                total += _report(f"record {iri}", erased, activity)
            for graph in graphs:
                erased, activity = commit_purge_source(store, graph)
                total += _report(f"source {graph}", erased, activity)
    except StoreError as error:
        click.echo(f"agrs purge: {error}", err=True)
        sys.exit(2)
    click.echo(
        f"{total:,} triples erased. Backups taken before now still hold them (a purge does not reach backups, "
        "exports, pushed copies, source files or quarantine files)."
    )


def _report(what: str, erased, activity) -> int:
    """Print what a purge erased; return the triples erased."""
    if not erased:
        click.echo(f"{what}: nothing names it (nothing erased)")
        return 0
    click.echo(f"{what}:")
    for entry in erased:
        replaced = f" (was current; now {_short(entry.replaced_by)})" if entry.replaced_by else ""
        click.echo(f"  {entry.triples:,} triples from {entry.stored}{replaced}")
    if activity is not None:
        click.echo(f"  provenance: {activity}")
    return sum(entry.triples for entry in erased)
