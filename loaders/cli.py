"""`agrs load KIND FILE...`: run the load pipeline from the command line."""

import importlib
import sys
from pathlib import Path

import click

from agrs.cli import EXIT_CODES

#: kind → "module:class"; imported only for the kind asked for
LOADERS = {
    "territories": "agrs.loaders.territories:TerritoriesLoader",
    "partners": "agrs.loaders.partners:PartnersLoader",
    "rdf": "agrs.loaders.rdf:RdfLoader",
}
SHOWN_REJECTIONS = 10  # rejected records printed on stderr; the quarantine file has them all

EPILOG = (
    EXIT_CODES.replace("faults found (a check failed, records were rejected)", "some or all records were rejected")
    + """

\b
Graphs and keys:
  All the FILEs of one call are one source, stored in the named graph
  https://w3id.org/agrs/graph/<KIND>/<KEY> (KEY: --key, else the loader's
  default: territories "cog", partners and rdf "default"). The graph is
  named by kind and key, never by file name: loading a renamed file under
  the same key replaces the graph's content, it does not duplicate it.
  A source whose files have the same content (SHA-256) as at its last load
  is reported unchanged and skipped (--force loads it again).
\b
  rdf: Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD (by suffix). The
  graph names inside quad files are ignored: all their triples are merged
  into the target graph.
\b
  Rejected records go to QUARANTINE/<KIND>-<KEY>.jsonl with their file,
  line, fields and the SHACL messages."""
)


def _make_loader(kind: str):
    module, name = LOADERS[kind].split(":")
    return getattr(importlib.import_module(module), name)()


@click.command("load", epilog=EPILOG)
@click.argument("kind", type=click.Choice(sorted(LOADERS)))
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--store", "store_path", type=click.Path(file_okay=False, path_type=Path), help="Store folder.")
@click.option("--graph", help="Target graph IRI (default https://w3id.org/agrs/graph/<KIND>/<KEY>).")
@click.option("--key", help="Source key naming the graph and the quarantine file.")
@click.option(
    "--quarantine",
    "quarantine_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("quarantine"),
    show_default=True,
    help="Folder for the rejected records.",
)
@click.option("--force", is_flag=True, help="Load even when the content is unchanged since the last load.")
@click.option("--quiet", is_flag=True, help="No progress bar, no summary; problems only.")
def load(kind, files, store_path, graph, key, quarantine_dir, force, quiet) -> None:
    """Validate FILE... with the SHACL shapes and load the valid records into the store."""
    from agrs.loaders.pipeline import run_load
    from agrs.records import ReadError
    from agrs.store import StoreError, open_store
    from agrs.store.location import store_location

    if key and graph:
        raise click.UsageError("give --graph or --key, not both")
    location = store_location(store_path)
    try:
        loader = _make_loader(kind)
        with open_store(location) as store, _Progress(enabled=not quiet and sys.stderr.isatty()) as progress:
            summary = run_load(
                loader, files, store, graph=graph, key=key, quarantine_dir=quarantine_dir, force=force,
                progress=progress,
            )  # fmt: skip
    except ReadError as error:
        click.echo(f"agrs load: cannot read {error}", err=True)
        sys.exit(2)
    except StoreError as error:  # StoreBusy included: its message says how to proceed
        click.echo(f"agrs load: {error}", err=True)
        sys.exit(2)
    _print_summary(summary, quiet)
    sys.exit(1 if summary.rejected else 0)


def _print_summary(summary, quiet: bool) -> None:
    """Print the counts on stdout and the first rejected records and warnings on stderr."""
    if summary.unchanged:
        if not quiet:
            click.echo(f"unchanged: {summary.graph} (current version {summary.version}); --force reloads")
        return
    if not quiet:
        click.echo(
            f"read {summary.read} / loaded {summary.loaded} / rejected {summary.rejected}\n"
            f"graph {summary.graph}\nversion {summary.version}"
        )
    rejected = [record for record in summary.records if record.rejected]
    for record in rejected[:SHOWN_REJECTIONS]:
        where = f"{record.raw.file}:{record.raw.line}" if record.raw.line is not None else record.raw.file
        reasons = "; ".join(f"{p.field or '-'}: {p.message}" for p in record.problems)
        click.echo(f"rejected {where}: {reasons}", err=True)
    if len(rejected) > SHOWN_REJECTIONS:
        click.echo(f"… and {len(rejected) - SHOWN_REJECTIONS} more rejected records", err=True)
    if summary.quarantine is not None:
        click.echo(f"quarantine: {summary.quarantine}", err=True)
    for warning in summary.warnings:
        click.echo(f"warning: dangling reference: {warning}", err=True)


class _Progress:
    """A progress callback drawing one bar per stage on stderr (a no-op when disabled)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None
        self.stage = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._finish()

    def __call__(self, stage: str, amount: int, total: int | None) -> None:
        """Advance the bar of `stage` by `amount`, starting a new bar when the stage changes."""
        if not self.enabled:
            return
        if stage != self.stage:
            self._finish()
            self.stage = stage
            self.bar = click.progressbar(length=total, label=stage, file=sys.stderr, show_pos=True)
            self.bar.__enter__()
        if amount:
            self.bar.update(amount)

    def _finish(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None
