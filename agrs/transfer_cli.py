"""`agrs export`, `agrs push` and `agrs import`: a store's graphs out to a dump, to another store, back from a dump."""

import os
import sys
import time
from pathlib import Path

import click

from agrs.cli import EXIT_CODES
from agrs.cli_options import quiet_option, remote_options, store_option

EXPORT_EPILOG = (
    EXIT_CODES
    + """

\b
What the dump holds:
  every current data graph under its logical name (https://w3id.org/agrs/
  graph/<kind>/<key>, never the .../v<n> version the store keeps it in),
  the plain graphs (provenance, graphs HTTP clients wrote) and the VoID
  description of the dataset in the graph https://w3id.org/agrs/graph/void.
  Not the registry of versions nor the push records (how this store keeps
  its graphs), nor the union graphs (derived from the others), nor the
  restricted graphs (every diagnostic, what --access restricts, what was
  derived from them, then the provenance) unless --include-restricted.
  agrs import DUMP loads it back, graph by graph."""
)

PUSH_EPILOG = (
    EXIT_CODES.replace("faults found (a check failed, records were rejected)", "(not used)")
    + """

\b
The target:
  --to a store folder, or a SPARQL endpoint URL (with --to-update-url and
  --to-graph-store-url where the server separates them). Secrets come from
  the environment only: AGRS_PUSH_PASSWORD, AGRS_PUSH_TOKEN (also
  AGRS_PUSH_USER, AGRS_PUSH_AUTH).
\b
Each current graph goes through the target's own graph replacement (it
keeps its versions and registry: agrs serve --store TARGET works on it),
the provenance as a plain graph. A graph whose content digest, size and
target version match what the last push recorded on the target (graph
https://w3id.org/agrs/graph/push) is not sent again; --force sends all."""
)


def _fail(command: str, message: str) -> None:
    click.echo(f"agrs {command}: {message}", err=True)
    sys.exit(2)


def _progress(quiet: bool):
    from agrs.progress import ProgressBars

    return ProgressBars(enabled=not quiet and sys.stderr.isatty())


@click.command("export", epilog=EXPORT_EPILOG)
@click.option("--format", "dump_format", type=click.Choice(("nquads", "trig")), default=None,
              help="Dump syntax (default: from the output's suffix, .nq[.gz] or .trig[.gz]; else nquads).")  # fmt: skip
@click.option("--graph", "graphs", multiple=True, metavar="IRI",
              help="Export this graph only (logical IRI; repeatable). Default: every graph.")  # fmt: skip
@click.option("--output", "-o", default="-", show_default=True, metavar="FILE|-",
              help="Where to write the dump (a name ending in .gz is gzipped); - is standard output.")  # fmt: skip
@click.option("--base-url", metavar="URL", envvar="AGRS_BASE_URL", show_envvar=True,
              help="The server's public root: the VoID then names its SPARQL endpoint and dump there.")  # fmt: skip
@click.option("--no-void", is_flag=True, help="Leave out the VoID description.")
@click.option("--access", "access_file", envvar="AGRS_ACCESS", metavar="FILE",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Access file naming restricted graphs, as for agrs serve ($AGRS_ACCESS).")  # fmt: skip
@click.option("--include-restricted", is_flag=True,
              help="Export the restricted graphs too (diagnostics, what --access restricts, what derives from them).")
@store_option
@quiet_option("No progress bar, no summary.")
def export(dump_format, graphs, output, base_url, no_void, access_file, include_restricted, store_path,
           quiet) -> None:  # fmt: skip
    """Write the store's current graphs, under their logical names, as N-Quads or TriG (streamed).

    Restricted graphs (every diagnostic, what an access file restricts, what was derived from them, and then the
    provenance) are left out unless --include-restricted: a dump is usually published."""
    from agrs.access import AccessFileError, RestrictedView, load_policy, restricted_graphs
    from agrs.export import ExportError, write_dump
    from agrs.store import StoreError, open_store
    from agrs.store.location import store_location

    compress = output.endswith(".gz")
    if dump_format is None:
        stem = output[:-3] if compress else output
        dump_format = "trig" if stem.endswith(".trig") else "nquads"
    started = time.monotonic()
    try:
        policy = load_policy(access_file)
        with open_store(store_location(store_path), read_only=True) as store, _progress(quiet) as progress:
            hidden = frozenset() if include_restricted else restricted_graphs(store, policy)
            asked = sorted(set(graphs) & hidden)
            if asked:
                raise ExportError(f"{', '.join(asked)}: restricted; add --include-restricted to export it")
            if hidden and not quiet:
                click.echo(f"left out {len(hidden)} restricted graphs (--include-restricted exports them)", err=True)
            source = RestrictedView(store, hidden) if hidden else store
            options = dict(format=dump_format, graphs=graphs or None, void=not no_void, base_url=base_url,
                           compress=compress, progress=progress)  # fmt: skip
            if output == "-":
                count = write_dump(source, sys.stdout.buffer, **options)
                sys.stdout.buffer.flush()
            else:
                partial = Path(output + ".partial")
                with open(partial, "wb") as stream:
                    count = write_dump(source, stream, **options)
                os.replace(partial, output)  # never a half-written dump under the final name
    except (ExportError, AccessFileError) as error:
        _fail("export", str(error))
    except (StoreError, OSError) as error:
        _fail("export", str(error))
    if not quiet:
        where = "standard output" if output == "-" else output
        click.echo(f"exported {count:,} quads to {where} in {time.monotonic() - started:.1f} s", err=True)


@click.command("push", epilog=PUSH_EPILOG)
@click.option("--to", "to", required=True, metavar="URL|PATH",
              help="The target store: the URL of a SPARQL query endpoint, or a store folder.")  # fmt: skip
@remote_options("to", "AGRS_PUSH", target="to")
@click.option("--graph", "graphs", multiple=True, metavar="IRI", help="Push this graph only (repeatable).")
@click.option("--force", is_flag=True, help="Send every graph, even those the target holds unchanged.")
@store_option
@quiet_option("No progress bar, no summary.")
def push(to, graphs, force, store_path, quiet) -> None:
    """Copy the store's graphs into another store (its own versions and registry), sending only what changed."""
    from agrs.export import ExportError
    from agrs.push import push as push_graphs
    from agrs.store import StoreError, open_store
    from agrs.store.location import store_location

    source_location = store_location(store_path)
    if isinstance(to, Path) and isinstance(source_location, Path) and to.resolve() == source_location.resolve():
        _fail("push", "the target is the source store itself")
    stage = "the source store"
    try:
        with open_store(source_location, read_only=True) as source:
            stage = "the target store"
            with open_store(to) as destination, _progress(quiet) as progress:
                stage = "sending"
                report = push_graphs(source, destination, graphs=graphs or None, force=force, progress=progress)
    except ExportError as error:
        _fail("push", str(error))
    except StoreError as error:  # unreachable, refused, locked (StoreBusy says who holds it and how to proceed)
        message = str(error) if stage == "the source store" else _target_options(str(error))
        if stage == "sending":
            _fail("push", f"{message}\n(what was sent before this is recorded on the target: run again to go on)")
        _fail("push", f"{stage}: {message}")
    _summary("push", report, quiet)


def _target_options(message: str) -> str:
    """Name the target's options in a store error's advice (the remote store names --store's, its usual role)."""
    for store_name, target_name in (("--store-", "--to-"), ("--update-url", "--to-update-url"),
                                    ("--graph-store-url", "--to-graph-store-url"), ("AGRS_STORE_", "AGRS_PUSH_")):
        message = message.replace(store_name, target_name)  # fmt: skip
    return message


@click.command("import", epilog=EXIT_CODES)
@click.argument("dumps", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace every graph, even those the store holds unchanged.")
@store_option
@quiet_option("No progress bar, no summary.")
def import_(dumps, force, store_path, quiet) -> None:
    """Load dumps (agrs export's N-Quads or TriG, .gz or not) into the store, each named graph as its own graph."""
    from agrs.push import import_dump
    from agrs.store import StoreError, open_store
    from agrs.store.location import store_location

    try:
        with open_store(store_location(store_path)) as store, _progress(quiet) as progress:
            report = import_dump(dumps, store, force=force, progress=progress)
    except (StoreError, SyntaxError, OSError) as error:
        _fail("import", str(error))
    _summary("import", report, quiet)


def _summary(command: str, report, quiet: bool) -> None:
    if quiet:
        return
    for graph, count in report.sent:
        click.echo(f"sent      {graph} ({count:,} triples)")
    for graph in report.unchanged:
        click.echo(f"unchanged {graph}")
    click.echo(
        f"agrs {command}: {len(report.sent)} graph(s) sent ({report.triples_sent:,} triples), "
        f"{len(report.unchanged)} unchanged, in {report.seconds:.1f} s"
    )
