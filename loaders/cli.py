"""`agrs load KIND FILE...`: run the load pipeline from the command line."""

import sys
from pathlib import Path

import click

from agrs.cli import EXIT_CODES
from agrs.cli_options import keep_versions_option, quarantine_option, quiet_option, store_option
from agrs.loaders.registry import LOADERS, make_loader
from agrs.loaders.report import ProgressBars, print_summary

EPILOG = (
    EXIT_CODES.replace(
        "faults found (a check failed, records were rejected)",
        "some or all records were rejected, or no record was valid (the graph\n     then keeps its current version)",
    )
    + """

\b
Graphs and keys:
  All the FILEs of one call are one source, stored in the named graph
  https://w3id.org/agrs/graph/<KIND>/<KEY> (KEY: --key, else the loader's
  default: territories "cog", partners and rdf "default"). The graph is
  named by kind and key, never by file name: loading a renamed file under
  the same key replaces the graph's content, it does not duplicate it.
  A source whose files have the same content (SHA-256) as at its last load,
  which rejected no record and used the same shapes, is reported unchanged
  and skipped (--force loads it again). A source that had rejected records
  is always loaded again: what it lacked may have been loaded since.
\b
  rdf: Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD (by suffix). The
  graph names inside quad files are ignored: all their triples are merged
  into the target graph.
\b
  survey: agrs load survey --form FORM.xlsx RESPONSES... reads KoboToolbox
  (CSV, XLSX) and ODK Central (CSV) exports of an XLSForm that has an
  agrs_term column; the graph key defaults to the form's form_id. The salt
  of the respondents' pseudonyms comes from --salt or $AGRS_SURVEY_SALT:
  without one the load is refused (exit 2); after changing it, use --force.
\b
  diagnostic: agrs load diagnostic FILE-or-FOLDER... reads resilience-
  diagnostic workbooks (template agrs-diagnostic/1): a .xlsx, a CSV sheet
  <stem>.<sheet>.csv (its sibling sheets join it) or a folder of them. Each
  diagnostic is one source, its graph key the diagnostic's key (about sheet).
  An unknown template version refuses the file (exit 2). A diagnostic whose
  about sheet says synthetic=yes is marked synthetic in its load's provenance.
  agrs load diagnostic --template OUT.xlsx writes the empty template.
\b
  Rejected records go to QUARANTINE/<KIND>-<KEY>.jsonl with their file,
  line, fields and the SHACL messages.
\b
  A load whose records describe fewer than half of the records (subject
  IRIs) of the graph's current version is refused (exit 2) unless
  --allow-shrink. The previous versions are kept (--keep-versions N,
  default $AGRS_KEEP_VERSIONS, else 5): `agrs history GRAPH` lists them,
  `agrs rollback GRAPH [VERSION]` makes one current again."""
)


@click.command("load", epilog=EPILOG)
@click.argument("kind", type=click.Choice(sorted(LOADERS)))
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@store_option
@click.option("--graph", help="Target graph IRI (default https://w3id.org/agrs/graph/<KIND>/<KEY>).")
@click.option("--key", help="Source key naming the graph and the quarantine file.")
@quarantine_option()
@click.option("--force", is_flag=True, help="Load even when the content is unchanged since the last load.")
@click.option(
    "--synthetic",
    is_flag=True,
    help="The source is synthetic (invented, not observed): its provenance says so (agrs:synthetic true), and the "
    "pages and /api answers that show its records mark them.",
)
@click.option(
    "--allow-shrink",
    is_flag=True,
    help="Replace the graph even when the new content describes fewer than half of its current records (without it "
    "such a load is refused, exit 2; the previous version is kept either way: `agrs rollback` undoes a load).",
)
@keep_versions_option
@quiet_option()
@click.option(
    "--form",
    "form_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="survey: the XLSForm questionnaire (with its agrs_term column) the responses answer.",
)
@click.option(
    "--salt",
    envvar="AGRS_SURVEY_SALT",
    show_envvar=True,
    help="survey: the secret salt of the respondents' pseudonyms (keep it: the same salt gives the same IRIs).",
)
@click.option(
    "--template",
    "template_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="diagnostic: write the empty workbook template (drop-downs from the ontology) to this path, load nothing.",
)
def load(
    kind, files, store_path, graph, key, quarantine_dir, force, synthetic, allow_shrink, quiet, form_path, salt,
    template_out,
) -> None:  # fmt: skip
    """Validate FILE... with the SHACL shapes and load the valid records into the store."""
    if template_out is not None:
        if kind != "diagnostic":
            raise click.UsageError("--template is an option of the diagnostic kind only")
        from agrs.loaders.diagnostic_template import write_workbook

        click.echo(f"template written: {write_workbook(template_out)}")
        return
    if not files:
        raise click.UsageError("missing argument FILES...")
    if kind == "diagnostic":
        _load_diagnostics(files, store_path, graph, key, quarantine_dir, force, synthetic, quiet, allow_shrink)
        return
    from agrs.loaders.pipeline import run_load
    from agrs.records import ReadError
    from agrs.store import StoreError, open_store
    from agrs.store.location import store_location

    if key and graph:
        raise click.UsageError("give --graph or --key, not both")
    if kind != "survey" and form_path:  # not the salt: $AGRS_SURVEY_SALT may be set for every command
        raise click.UsageError("--form is an option of the survey kind only")
    if kind == "survey":
        files = _survey_files(form_path, salt, files)
    location = store_location(store_path)
    try:
        loader = make_loader(kind) if kind != "survey" else make_loader(kind, form=form_path, salt=salt)
        with open_store(location) as store, ProgressBars(enabled=not quiet and sys.stderr.isatty()) as progress:
            summary = run_load(
                loader, files, store, graph=graph, key=key, quarantine_dir=quarantine_dir, force=force,
                progress=progress, synthetic=synthetic, allow_shrink=allow_shrink,
            )  # fmt: skip
    except ReadError as error:
        click.echo(f"agrs load: cannot read {error}", err=True)
        sys.exit(2)
    except StoreError as error:  # StoreBusy included: its message says how to proceed
        click.echo(f"agrs load: {error}", err=True)
        sys.exit(2)
    print_summary(summary, quiet)
    sys.exit(1 if summary.faulty else 0)


def _load_diagnostics(files, store_path, graph, key, quarantine_dir, force, synthetic, quiet, allow_shrink) -> None:
    """Load each diagnostic the paths hold as its own source (graph key: the diagnostic's key)."""
    from agrs.loaders.bundled import SYNTHETIC_NOTES
    from agrs.loaders.diagnostic import diagnostic_sources
    from agrs.loaders.pipeline import run_load
    from agrs.records import ReadError
    from agrs.store import StoreError, open_store
    from agrs.store.location import store_location

    faulty = False
    try:
        sources = diagnostic_sources(files)
        if (key or graph) and len(sources) > 1:
            raise click.UsageError(f"--key and --graph name one graph: these paths hold {len(sources)} diagnostics")
        with open_store(store_location(store_path)) as store:
            for source in sources:
                with ProgressBars(enabled=not quiet and sys.stderr.isatty()) as progress:
                    summary = run_load(
                        make_loader("diagnostic"), source.files, store, graph=graph,
                        key=None if graph else key or source.key, quarantine_dir=quarantine_dir, force=force,
                        progress=progress, notes=SYNTHETIC_NOTES if source.synthetic else (),
                        synthetic=synthetic or source.synthetic, allow_shrink=allow_shrink,
                    )  # fmt: skip
                print_summary(summary, quiet)
                faulty = faulty or summary.faulty
    except ReadError as error:
        click.echo(f"agrs load: cannot read {error}", err=True)
        sys.exit(2)
    except StoreError as error:
        click.echo(f"agrs load: {error}", err=True)
        sys.exit(2)
    sys.exit(1 if faulty else 0)


def _survey_files(form_path: Path | None, salt: str | None, files: tuple[Path, ...]) -> tuple[Path, ...]:
    """Check the survey options; the form is loaded first, as one more file of the source (its digest counts)."""
    if form_path is None:
        raise click.UsageError("the survey kind needs the questionnaire: --form FORM.xlsx (an XLSForm)")
    if not salt:
        click.echo(
            "agrs load: refused: respondents are pseudonymised with a salted hash and no salt is set. Set one, and "
            "keep it, with --salt SECRET or the environment variable AGRS_SURVEY_SALT "
            "(e.g. export AGRS_SURVEY_SALT=$(python -c 'import secrets; print(secrets.token_hex(16))')).",
            err=True,
        )
        sys.exit(2)
    return (form_path, *(path for path in files if path != form_path))
