"""What a load shows the user: progress bars on stderr while it runs (agrs.progress), then its summary."""

import click

from agrs.progress import ProgressBars

__all__ = ["ProgressBars", "print_summary"]

SHOWN_REJECTIONS = 10  # rejected records printed on stderr; the quarantine file has them all
SHOWN_LINES = 8  # line numbers named in a warning's summary line; the warnings file has every record


def print_summary(summary, quiet: bool) -> None:
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
    _print_records("rejected", rejected, lambda record: record.problems, "more rejected records")
    _print_warnings(summary)
    if summary.empty:
        kept = f"its current version {summary.version} stays" if summary.version else "it was not created"
        what = "every record was rejected" if summary.read else "the files hold no record"
        click.echo(f"not loaded: {what}, so {summary.graph} was not replaced: {kept}", err=True)
    if summary.quarantine is not None:
        click.echo(f"quarantine: {summary.quarantine}", err=True)
    for warning in summary.warnings:
        click.echo(f"warning: dangling reference: {warning}", err=True)


def _print_warnings(summary) -> None:
    """Print one line per kind of warning (how many records, which lines), and where each record's are."""
    groups: dict[tuple, list] = {}
    for record in summary.records:
        if record.rejected:
            continue
        for warning in record.warnings:
            groups.setdefault((warning.field, warning.rule, warning.summary or warning.message), []).append(record)
    for (field, rule, text), records in groups.items():
        lines = [str(record.raw.line) for record in records[:SHOWN_LINES] if record.raw.line is not None]
        more = ", …" if len(records) > SHOWN_LINES else ""
        where = f" ({'lines' if len(records) > 1 else 'line'} {', '.join(lines)}{more})" if lines else ""
        count = f"{len(records)} loaded record{'s' if len(records) > 1 else ''}"
        click.echo(f"warning: {count}{where}: {field or '-'}: {text} [{rule}]", err=True)
    if summary.warnings_file is not None:
        click.echo(f"warnings of each record: {summary.warnings_file}", err=True)


def _print_records(label: str, records, problems_of, more: str) -> None:
    """Print the first records with their file, line and reasons on stderr, then how many were left out."""
    for record in records[:SHOWN_REJECTIONS]:
        where = f"{record.raw.file}:{record.raw.line}" if record.raw.line is not None else record.raw.file
        reasons = "; ".join(f"{p.field or '-'}: {p.message}" for p in problems_of(record))
        click.echo(f"{label} {where}: {reasons}", err=True)
    if len(records) > SHOWN_REJECTIONS:
        click.echo(f"… and {len(records) - SHOWN_REJECTIONS} {more}", err=True)
