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
@click.option("--threads", default=16, show_default=True, type=click.IntRange(min=1), help="Request threads.")
@click.option(
    "--connection-limit",
    default=1000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Open connections accepted at once (capped below the process's open-file limit).",
)
@click.option(
    "--channel-timeout",
    default=30,
    show_default=True,
    type=click.IntRange(min=1),
    help="Seconds an idle (or stalled) connection is kept open.",
)
@click.option(
    "--max-query-body",
    default=1024 * 1024,
    show_default=True,
    type=click.IntRange(min=1),
    help="Bytes a query, update or form body may have (413 past it).",
)
@click.option(
    "--max-write-body",
    default=32 * 1024 * 1024,
    show_default=True,
    type=click.IntRange(min=1),
    help="Bytes a Graph Store PUT/POST body may have (413 past it).",
)
@click.option(
    "--update-timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds an update may take, and a writer may wait for another's.",
)
@click.option(
    "--queue-wait",
    default=5.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Seconds a query waits for a busy worker before 503.",
)
@click.option(
    "--client-queries",
    default=0,
    show_default=True,
    type=click.IntRange(min=0),
    help="Worker queries one client address may have running or waiting (429 past it); 0: no limit.",
)
@click.option(
    "--light-workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=0),
    help="Extra workers kept for light queries while the others are busy.",
)
@click.option(
    "--light-timeout",
    default=2.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds a query may run in a light worker.",
)
@click.option(
    "--access-log",
    default="-",
    show_default=True,
    help="Where the JSON access log goes: - (stderr), a file (appended to), or off.",
)
@click.option(
    "--metrics/--no-metrics",
    default=False,
    show_default=True,
    help="Serve Prometheus-style metrics at /metrics (to loopback clients only, unless --metrics-token).",
)
@click.option(
    "--metrics-token",
    envvar="AGRS_METRICS_TOKEN",
    help="Bearer token /metrics then needs from every client, loopback too ($AGRS_METRICS_TOKEN).",
)
@click.option(
    "--slow-query-log",
    default="off",
    show_default=True,
    help="Where queries slower than --slow-query-ms are logged as JSON lines (query text included): "
    "- (stderr), a file (appended to), or off.",
)
@click.option(
    "--slow-query-ms",
    default=2000.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Milliseconds from which a query is slow (for --slow-query-log).",
)
@click.option(
    "--access",
    "access_file",
    envvar="AGRS_ACCESS",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Access file: restricted/public graphs and read tokens ($AGRS_ACCESS; diagnostics are restricted anyway).",
)
def serve(store_path, host, port, write_token, query_timeout, max_rows, cors_origins, federation_allowlist,
          max_response_bytes, query_workers, questions_dir, threads, access_log, connection_limit, channel_timeout,
          max_query_body, max_write_body, update_timeout, queue_wait, client_queries, light_workers,
          light_timeout, metrics, metrics_token, slow_query_log, slow_query_ms, access_file) -> None:  # fmt: skip
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
        query_workers=query_workers, questions_dir=questions_dir, max_query_body=max_query_body,
        max_write_body=max_write_body, update_timeout=update_timeout, queue_wait=queue_wait,
        client_queries=client_queries, light_workers=light_workers, light_timeout=light_timeout, threads=threads,
        connection_limit=_connection_limit(connection_limit), channel_timeout=channel_timeout,
        metrics=metrics, metrics_token=metrics_token or None,
        slow_query_log=None if slow_query_log == "off" else slow_query_log, slow_query_ms=slow_query_ms,
        access=access,
    )  # fmt: skip
    if config.slow_query_log not in (None, "-"):
        _check_log_file(config.slow_query_log, "slow-query log")
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
        waitress.serve(app, **waitress_options(config))
    finally:
        close_app(app)
        if log_file is not None:
            log_file.close()


def waitress_options(config) -> dict:
    """The waitress settings of `config`: threads, connection limit, idle timeout, and a body cap that lets the
    app's per-route caps (agrs.server.limits) answer (waitress itself cuts a body far past the larger one, before
    the app sees it: waitress spools a body to a temporary file while it arrives)."""
    return {
        "host": config.host, "port": config.port, "threads": config.threads, "ident": "agrs",
        "connection_limit": config.connection_limit, "channel_timeout": config.channel_timeout,
        # waitress looks for idle connections every cleanup_interval (30 s by default): often enough to honour
        # the channel timeout
        "cleanup_interval": max(1, min(30, config.channel_timeout // 2)),
        # twice the larger cap: a body a little over its cap gets the app's message, naming the option to raise
        "max_request_body_size": 2 * max(config.max_query_body, config.max_write_body) + 64 * 1024,
    }  # fmt: skip


def _connection_limit(wanted: int) -> int:
    """Return `wanted`, lowered to leave 64 file descriptors of the process's limit for the store and the log."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):
        return wanted
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, soft - 64))


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


def _check_log_file(where: str, what: str) -> None:
    """Exit 2 with a message unless `where` can be appended to (its folder is created when missing)."""
    try:
        Path(where).parent.mkdir(parents=True, exist_ok=True)
        with open(where, "a", encoding="utf-8"):
            pass
    except OSError as error:
        click.echo(f"agrs serve: cannot write the {what} {where}: {error.strerror or error}", err=True)
        sys.exit(2)
