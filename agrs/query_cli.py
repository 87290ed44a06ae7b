"""`agrs query NAME`: run a stored question (queries/cq/NAME.rq) on the store, read-only; `--list` lists them."""

import difflib
import json
import sys
from pathlib import Path

import click

from agrs.cli import EXIT_CODES
from agrs.cli_options import store_option


@click.command("query", epilog=EXIT_CODES)
@click.argument("name", required=False)
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
              help="A parameter value (repeatable); see --list or --describe for the parameters.")  # fmt: skip
@click.option("--format", "output_format", type=click.Choice(("table", "csv", "json")), default="table",
              show_default=True, help="table: aligned, IRIs as CURIEs; csv, json: SPARQL results.")  # fmt: skip
@store_option
@click.option("--limit", type=click.IntRange(min=0), help="At most this many rows.")
@click.option("--offset", type=click.IntRange(min=0), default=0, help="Skip this many rows first.")
@click.option("--infer/--no-infer", default=True, show_default=True,
              help="Whether the inferred graph (agrs reason) joins the data queried.")  # fmt: skip
@click.option("--list", "list_questions", is_flag=True, help="List the questions (English and French summaries).")
@click.option("--describe", is_flag=True, help="Print the question's description and parameters, run nothing.")
@click.option("--show-sparql", is_flag=True, help="Print the SPARQL with the parameters bound, run nothing.")
@click.option("--questions", "questions_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of *.rq questions (default: the packaged queries/cq/).")  # fmt: skip
@click.option("--allow-federation", "allow", multiple=True, metavar="IRI", envvar="AGRS_FEDERATION_ALLOWLIST",
              help="IRI (or prefix ending with /) a federated question's SERVICE may reach; the federated questions "
              "(queries/federated/) are listed only with it.")  # fmt: skip
def query(name, params, output_format, store_path, limit, offset, infer, list_questions, describe, show_sparql,
          questions_dir, allow) -> None:  # fmt: skip
    """Run the stored question NAME (e.g. cq01-commons-hit-by-mutation) on the store, read-only."""
    from agrs.questions import QuestionError, load_library

    # Only when given: the federated questions (agrs.questions, H4's branch) take an allowlist.
    federation = {"allowlist": list(allow)} if allow else {}
    try:
        library = load_library(questions_dir, **federation)
    except QuestionError as error:
        _fail(f"a stored question is broken: {error}")
    if list_questions:
        _print_list(library, output_format)
        return
    if not name:
        _fail("give a question NAME, or --list to see them")
    question = library.get(name)
    if question is None:
        close = difflib.get_close_matches(name, library, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; `agrs query --list` lists them"
        _fail(f"no question named {name!r}{hint}")
    if describe:
        _print_description(question)
        return
    values = _parse_params(params)
    try:
        sparql = question.sparql_for(values, limit=limit, offset=offset)
    except QuestionError as error:
        _fail(str(error))
    if show_sparql:
        click.echo(sparql)
        return
    answer = _run(question, values, store_path, limit, offset, infer, federation)
    if output_format == "json":
        click.echo(json.dumps(answer.to_json(), ensure_ascii=False, indent=1))
    elif output_format == "csv":
        click.echo(answer.to_csv(), nl=False)
    else:
        _print_table(answer)


def _fail(message: str) -> None:
    click.echo(f"agrs query: {message}", err=True)
    sys.exit(2)


def _parse_params(params: tuple[str, ...]) -> dict[str, str]:
    """Return {name: value} of the NAME=VALUE options (exit 2 on a malformed or repeated one)."""
    values: dict[str, str] = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            _fail(f"--param wants NAME=VALUE, not {item!r}")
        if key.strip() in values:
            _fail(f"--param {key.strip()} given twice")
        values[key.strip()] = value
    return values


def _run(question, values, store_path, limit, offset, infer, federation):
    """Open the store read-only (a running server keeps it) and run the question."""
    from agrs.questions import QuestionError
    from agrs.store import StoreError, open_store
    from agrs.store.location import store_location

    try:
        with open_store(store_location(store_path), read_only=True) as store:
            return question.run(store, values, limit=limit, offset=offset, infer=infer, **federation)
    except QuestionError as error:
        _fail(str(error))
    except StoreError as error:
        _fail(str(error))


def _print_list(library, output_format: str) -> None:
    if output_format == "json":
        listing = [
            {"name": q.name, "summary": q.summary, "summary_fr": q.summary_fr, "tags": q.tags,
             "parameters": [{"name": p.name, "type": p.type, "required": p.required, "default": p.default}
                            for p in q.parameters]}
            for q in library.values()
        ]  # fmt: skip
        click.echo(json.dumps(listing, ensure_ascii=False, indent=1))
        return
    if output_format == "csv":
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["name", "tags", "parameters", "summary", "summary_fr"])
        for q in library.values():
            writer.writerow([q.name, " ".join(q.tags), " ".join(_param_label(p) for p in q.parameters), q.summary,
                             q.summary_fr])  # fmt: skip
        return
    if not library:
        click.echo("no stored question", err=True)
        return
    for q in library.values():
        params = " ".join(_param_label(p) for p in q.parameters)
        click.echo(click.style(q.name, bold=True) + (f"  {params}" if params else ""))
        click.echo(f"  en: {q.summary}")
        click.echo(f"  fr: {q.summary_fr}")
        click.echo(f"  tags: {', '.join(q.tags)}")


def _param_label(parameter) -> str:
    label = f"{parameter.name}:{parameter.type}"
    return label if parameter.required and parameter.default is None else f"[{label}]"


def _print_description(question) -> None:
    click.echo(f"{question.name} ({question.form})")
    click.echo(f"en: {question.summary}\n    {question.description}")
    click.echo(f"fr: {question.summary_fr}\n    {question.description_fr}")
    click.echo(f"tags: {', '.join(question.tags)}")
    for p in question.parameters:
        need = "required" if p.required else "optional"
        default = f", default {p.default}" if p.default is not None else ""
        click.echo(f"  --param {p.name}=…  ({p.type}, {need}{default})")
        for text in (p.description, p.description_fr):
            if text:
                click.echo(f"      {text}")


def _print_table(answer) -> None:
    """Print rows as aligned columns, IRIs shortened with the AGRS prefixes."""
    if answer.boolean is not None:
        click.echo("true" if answer.boolean else "false")
        return
    names = answer.variables
    cells = [[_short(row.get(name)) for name in names] for row in answer.rows]
    widths = [max([len(name), *(len(row[i]) for row in cells)]) for i, name in enumerate(names)]
    click.echo("  ".join(name.ljust(width) for name, width in zip(names, widths, strict=True)).rstrip())
    click.echo("  ".join("-" * width for width in widths))
    for row in cells:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    click.echo(f"({len(cells)} row{'s' if len(cells) != 1 else ''})", err=True)


def _short(term) -> str:
    import pyoxigraph as ox

    from agrs.ns import prefixes

    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        best = max((iri for iri in prefixes().values() if term.value.startswith(iri)), key=len, default=None)
        if best is None:
            return f"<{term.value}>"
        name = next(name for name, iri in prefixes().items() if iri == best)
        return f"{name}:{term.value[len(best) :]}"
    if isinstance(term, ox.Literal):
        return term.value.replace("\n", " ")
    return str(term)
