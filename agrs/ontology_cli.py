"""`agrs ontology …`: check, document, merge and stamp the ontology."""

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from agrs import __version__, paths
from agrs.cli import EXIT_CODES

CHECK_EPILOG = EXIT_CODES.replace(
    "faults found (a check failed, records were rejected)", "faults found, each printed with its check, rule and term"
)


@click.group(epilog=EXIT_CODES)
def ontology() -> None:
    """Check, document, merge and version the AGRS ontology."""


def _dir_option(name: str, help_text: str):
    return click.option(
        name,
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        default=None,
        help=help_text,
    )


ROOT_HELP = (
    "Source tree (a clone or a copy of the repository) whose ontology/, shapes/ and queries/ to use. "
    "Default: the checkout holding the current directory, if any, else the installed package's copy."
)
_root_option = click.option(
    "--root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None, help=ROOT_HELP
)


@dataclass
class Folders:
    """The folders a command works on, and where they come from (a checkout or the installed package)."""

    origin: str
    ontology: Path
    shapes: Path
    qc: Path

    def describe(self) -> str:
        """Return the folders as the lines the check prints first."""
        return (
            f"agrs ontology check: checking {self.origin}\n"
            f"  ontology         {self.ontology}\n"
            f"  shapes           {self.shapes}\n"
            f"  quality queries  {self.qc}"
        )


def resolve_folders(
    root: Path | None, ontology_dir: Path | None = None, shapes_dir: Path | None = None, qc_dir: Path | None = None
) -> Folders:
    """Choose the folders: each explicit option, else those of --root, else of the checkout around the current
    directory, else the installed package's. A --root that is not a source tree is a usage error (exit 2)."""
    if root is not None:
        if not paths.is_checkout(root):
            raise click.BadParameter(
                f"{root} is not a source tree: it needs ontology/agrs.ttl, ontology/catalog-v001.xml, shapes/ "
                "and queries/",
                param_hint="--root",
            )
        base: Path | None = root.resolve()
        origin = f"the source tree {base} (--root)"
    else:
        base = paths.find_checkout()
        origin = f"the checkout {base} (found from the current directory)" if base else "the installed package"
    if base is not None:
        defaults = (base / "ontology", base / "shapes", base / "queries" / "qc")
    else:
        defaults = (paths.ontology_dir(), paths.shapes_dir(), paths.queries_dir() / "qc")
    chosen = (ontology_dir, shapes_dir, qc_dir)
    if any(chosen):
        origin += "; given on the command line: " + ", ".join(
            name for name, value in zip(("--ontology-dir", "--shapes-dir", "--qc-dir"), chosen, strict=True) if value
        )
    return Folders(origin, *(value or default for value, default in zip(chosen, defaults, strict=True)))


@ontology.command("check", epilog=CHECK_EPILOG)
@_root_option
@_dir_option("--ontology-dir", "Folder with agrs.ttl and catalog-v001.xml (default: ROOT/ontology).")
@_dir_option("--shapes-dir", "Folder with the SHACL shapes, meta/ holding the meta-shapes (default: ROOT/shapes).")
@_dir_option("--qc-dir", "Folder with the *-violation.rq quality queries (default: ROOT/queries/qc).")
@click.option(
    "--include",
    "extra",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Extra file checked with the rest: NAME.ttl joins the ontology, NAME.shapes.ttl the shapes "
    "(meta-shapes--*.shapes.ttl the meta-shapes), NAME-violation.rq the quality queries. Repeatable.",
)
@click.option(
    "--skip",
    multiple=True,
    type=click.Choice(("syntax", "imports", "version", "owl2-dl", "hermit", "meta-shapes", "qc", "shacl")),
    help="Do not run this check. Repeatable.",
)
@click.option("--format", "output_format", type=click.Choice(("text", "json")), default="text", show_default=True)
@click.option("--quiet", is_flag=True, help="Print the faults only: no progress, no summary.")
def check(
    root: Path | None,
    ontology_dir: Path | None,
    shapes_dir: Path | None,
    qc_dir: Path | None,
    extra: tuple[Path, ...],
    skip: tuple[str, ...],
    output_format: str,
    quiet: bool,
) -> None:
    """Check that the ontology is sound: syntax, imports, version stamps, OWL 2 DL profile (OWL API),
    consistency and satisfiability (HermiT), meta-shapes, quality queries, and valid SHACL.

    Run inside a checkout (or a copy of the repository), it checks that checkout's ontology/, shapes/ and
    queries/qc/; elsewhere, the installed package's. It always says which folders it checks (on stderr). Each
    fault names its file and line."""
    from agrs.checks.runner import CHECK_NAMES, Inputs, run_checks

    folders = resolve_folders(root, ontology_dir, shapes_dir, qc_dir)
    click.echo(folders.describe(), err=True)
    inputs = Inputs(folders.ontology, folders.shapes, folders.qc, __version__, extra)
    todo = [name for name in CHECK_NAMES if name not in skip]
    show_bar = not quiet and output_format == "text" and sys.stderr.isatty()
    with click.progressbar(
        length=len(todo), label="checking", file=sys.stderr, item_show_func=lambda name: name, hidden=not show_bar
    ) as bar:
        report = run_checks(inputs, skip, on_start=lambda name: bar.update(1, name))
    if output_format == "json":
        click.echo(
            json.dumps(
                {
                    "exit_code": report.exit_code,
                    "folders": {
                        "origin": folders.origin,
                        "ontology": str(folders.ontology),
                        "shapes": str(folders.shapes),
                        "qc": str(folders.qc),
                    },
                    "checks": [
                        {
                            "name": r.name,
                            "skipped": r.skipped,
                            "note": r.note,
                            "seconds": round(r.seconds, 3),
                            "error": r.error,
                            "faults": [vars(f) for f in r.faults],
                        }
                        for r in report.results
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for fault in report.faults:
            click.echo(fault.render())
        for result in report.results:
            if result.error:
                click.echo(f"agrs ontology check: {result.name} could not run: {result.error}", err=True)
        if not quiet:
            for result in report.results:
                status = (
                    result.note or "skipped"
                    if result.skipped
                    else "COULD NOT RUN"
                    if result.error
                    else f"{len(result.faults)} fault(s)"
                    if result.faults
                    else "ok"
                )
                click.echo(f"{result.name:<12} {status:<16} {result.seconds:6.1f} s", err=True)
    sys.exit(report.exit_code)


@ontology.command("merge", epilog=EXIT_CODES)
@_root_option
@_dir_option("--ontology-dir", "Folder with agrs.ttl and catalog-v001.xml (default: ROOT/ontology).")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="File to write; .owl/.rdf/.xml give RDF/XML, .ttl Turtle, .nt N-Triples.",
)
def merge_command(root: Path | None, ontology_dir: Path | None, output: Path) -> None:
    """Write the whole ontology (every import inlined, no owl:imports) as one document."""
    from agrs.closure import load_closure, merge, rdf_format

    ontology_dir = resolve_folders(root, ontology_dir).ontology

    closure = load_closure(ontology_dir)
    if closure.faults:
        for fault in closure.faults:
            click.echo(fault.render(), err=True)
        sys.exit(2)
    graph = merge(closure)
    _bind(graph)
    output.parent.mkdir(parents=True, exist_ok=True)
    fmt = rdf_format(output)
    graph.serialize(destination=output, format="pretty-xml" if fmt == "xml" else fmt)
    click.echo(f"{output}: {len(graph)} triples")


@ontology.command("docs", epilog=EXIT_CODES)
@_root_option
@_dir_option("--ontology-dir", "Folder with agrs.ttl and catalog-v001.xml (default: ROOT/ontology).")
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("build/docs"),
    show_default=True,
    help="Folder to write the HTML pages and the class diagram into.",
)
@click.option("--quiet", is_flag=True, help="Print nothing on success.")
def docs(root: Path | None, ontology_dir: Path | None, output: Path, quiet: bool) -> None:
    """Write HTML documentation (pyLODE) and a class diagram (Graphviz) of the ontology."""
    from agrs.checks.faults import CheckCannotRun
    from agrs.closure import load_closure, merge
    from agrs.docs import write_docs

    ontology_dir = resolve_folders(root, ontology_dir).ontology

    closure = load_closure(ontology_dir)
    if closure.faults:
        for fault in closure.faults:
            click.echo(fault.render(), err=True)
        sys.exit(2)
    try:
        written = write_docs(merge(closure), output)
    except CheckCannotRun as error:
        click.echo(f"agrs ontology docs: {error}", err=True)
        sys.exit(2)
    if not quiet:
        for path in written:
            click.echo(str(path))
        click.echo(f"open {output / 'index.html'} in a browser", err=True)


@ontology.command("stamp", epilog=EXIT_CODES)
@_root_option
@_dir_option("--ontology-dir", "Folder with agrs.ttl and catalog-v001.xml (default: ROOT/ontology).")
@click.option(
    "--version",
    "version",
    default=__version__,
    show_default=True,
    help="Version to stamp (default: the installed package's version, from pyproject.toml).",
)
def stamp(root: Path | None, ontology_dir: Path | None, version: str) -> None:
    """Write the package version into owl:versionInfo and owl:versionIRI of every AGRS document."""
    from agrs.checks.version import stamp_file

    ontology_dir = resolve_folders(root, ontology_dir).ontology

    imports_dir = (ontology_dir / "imports").resolve()
    for path in sorted(ontology_dir.rglob("*.ttl")):
        if imports_dir not in path.resolve().parents and stamp_file(path, version):
            click.echo(f"stamped {path}")


def _bind(graph) -> None:
    from agrs.ns import bind_all

    bind_all(graph)
