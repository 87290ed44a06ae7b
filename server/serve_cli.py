"""`agrs serve`: run the SPARQL endpoint on the store with a production WSGI server (waitress)."""

import signal
import sys
from pathlib import Path

import click

from agrs.cli import EXIT_CODES
from agrs.cli_options import store_option


@click.command("serve", epilog=EXIT_CODES)
@store_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--write-token", envvar="AGRS_WRITE_TOKEN", help="Bearer token that enables writes ($AGRS_WRITE_TOKEN).")
@click.option("--query-timeout", default=30.0, show_default=True, type=float, help="Seconds before a query is stopped.")
@click.option("--max-rows", default=100_000, show_default=True, type=int, help="Rows (or triples) a result may have.")
@click.option("--cors-origin", "cors_origins", multiple=True, help="Origin allowed to read cross-site (default any).")
@click.option(
    "--allow-federation",
    "federation_allowlist",
    multiple=True,
    help="IRI (or prefix ending with /) that SERVICE and LOAD may reach; repeatable; default none.",
)
@click.option(
    "--max-response-bytes",
    default=64 * 1024 * 1024,
    show_default=True,
    type=int,
    help="Bytes a serialised query answer may have.",
)
@click.option(
    "--query-workers",
    default=2,
    show_default=True,
    type=click.IntRange(min=1),
    help="Query worker processes (each holds a read-only view of the store).",
)
@click.option(
    "--questions",
    "questions_dir",
    envvar="AGRS_QUESTIONS",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of the stored questions (*.rq) served under /api/ ($AGRS_QUESTIONS; default the packaged ones).",
)
@click.option("--threads", default=8, show_default=True, type=int, help="Request threads.")
@click.option(
    "--access-log",
    default="-",
    show_default=True,
    help="Where the JSON access log goes: - (stderr), a file (appended to), or off.",
)
@click.option(
    "--access",
    "access_file",
    envvar="AGRS_ACCESS",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Access file: restricted/public graphs and read tokens ($AGRS_ACCESS; diagnostics are restricted anyway).",
)
def serve(store_path, host, port, write_token, query_timeout, max_rows, cors_origins, federation_allowlist,
          max_response_bytes, query_workers, questions_dir, threads, access_log, access_file) -> None:  # fmt: skip
    """Serve the store: SPARQL 1.1 Protocol on /sparql, Graph Store on /graph-store, pages under /id/."""
    import waitress

    from agrs.server.access import AccessFileError, load_policy
    from agrs.server.app import close_app, create_app
    from agrs.server.config import ServerConfig
    from agrs.store import StoreError
    from agrs.store.location import store_location

    try:
        access = load_policy(access_file)
    except AccessFileError as error:
        click.echo(f"agrs serve: {error}", err=True)
        sys.exit(2)
    config = ServerConfig(
        store=store_location(store_path), host=host, port=port, write_token=write_token or None,
        query_timeout=query_timeout, max_rows=max_rows, cors_origins=tuple(cors_origins) or ("*",),
        federation_allowlist=tuple(federation_allowlist), max_response_bytes=max_response_bytes,
        query_workers=query_workers, questions_dir=questions_dir, access=access,
    )  # fmt: skip
    try:
        app = create_app(config)
    except StoreError as error:
        click.echo(f"agrs serve: {error}", err=True)
        sys.exit(2)
    log_file = _direct_access_log(app, access_log)
    # SIGTERM (what service managers and test fixtures send) must run the `finally` below, which stops the query
    # workers: a worker busy with a long query would otherwise run on until it finished.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    click.echo(f"serving {config.store} on http://{host}:{port}/sparql", err=True)
    try:
        waitress.serve(app, host=host, port=port, threads=threads, ident="agrs")
    finally:
        close_app(app)
        if log_file is not None:
            log_file.close()


def _exit_on_signal(number, frame) -> None:
    raise SystemExit(0)


def _direct_access_log(app, where: str):
    """Point the app's access log at `where` ("-" stderr, "off", or a file); return the file opened, if any."""
    from agrs.server.access_log import KEY

    log = app.extensions[KEY]
    if where == "off":
        log.enabled = False
        return None
    if where == "-":
        return None
    log.stream = open(where, "a", encoding="utf-8")  # closed when the server stops
    return log.stream
