"""`create_app(config)`: the Flask app of one store; every route lives in a blueprint module of this package."""

import importlib
from pathlib import Path

from flask import Flask, Response, current_app, g, request

from agrs.server.config import ServerConfig
from agrs.server.runtime import Runtime

#: blueprint modules, each exposing `blueprint`; order matters only for error handlers
BLUEPRINTS = (
    "discovery.health",
    "protocol.sparql",
    "graph_store.routes",
    "discovery.routes",
    "pages.linked_data",
    "pages.search",
    "pages.map_page",
    "ui.query_page",
    "api.routes",
    "admin.routes",  # POST /admin/backup (the backup helper, issue 15)
)


def create_app(config: ServerConfig) -> Flask:
    """Open the store named by `config` for writing, checkpoint it, start the query workers, and return the app.

    `config.store` is a folder (the embedded store) or a remote store (an http(s) URL or a RemoteLocation). A remote
    store is opened read-only (it takes no lock) unless a write token is set, and it has no checkpoints: see
    `_open_remote`. Call `close_app(app)` when done (the `agrs serve` command does): it stops the workers and
    closes the store.
    """
    from agrs.store.location import is_remote

    app = Flask("agrs.server")
    if is_remote(config.store):
        runtime = _open_remote(config)
    else:
        runtime = _open_embedded(config)
    app.config["AGRS"] = runtime.config
    app.extensions["agrs"] = runtime
    runtime.count_statistics()
    for name in BLUEPRINTS:
        module = importlib.import_module(f"agrs.server.{name}")
        app.register_blueprint(module.blueprint)
    from agrs.server import access, access_log, metrics, slow_log

    metrics.install(app)  # first: its clock starts before any other hook may answer (a cached answer, a 304)
    slow_log.install(app)
    access.install(app)
    access_log.install(app)
    from agrs.server import limits

    limits.install(app)
    from agrs.server import caching

    caching.install(app)
    app.after_request(_cors)
    return app


def _open_embedded(config: ServerConfig) -> Runtime:
    """Open the embedded store for writing; the readers (workers, pages) read its checkpoints, never the store being
    written (agrs.server.snapshots)."""
    from agrs.server.protocol.executor import QueryExecutor
    from agrs.server.snapshots import Snapshots
    from agrs.store import open_store

    store = open_store(config.store)
    snapshots = None
    try:
        from agrs.server.access import checkpoint_preparer

        snapshots = Snapshots(store, prepare=checkpoint_preparer(config))
        queries = QueryExecutor(config, snapshots.path)
    except BaseException:
        if snapshots is not None:
            snapshots.close()
        store.close()
        raise
    return Runtime(config=config, store=store, queries=queries, snapshots=snapshots, origin=_origin(snapshots.reader))


def _open_remote(config: ServerConfig) -> Runtime:
    """Open a remote store: read-only (no lock taken, no update sent) without a write token, else as its writer.

    No checkpoints: the remote server isolates its readers from its writers, so the pages read the store itself
    and the ETag version follows the remote registry (Runtime.version). /sparql's queries run in the same killable
    worker processes as on the embedded store, each opening the RemoteLocation with the query timeout as its
    HTTP timeout. Running them in the request threads instead was measured (issue 14's report): the latency is
    the same (the pipe round trip is lost in the HTTP one), but a thread can only wait for the HTTP client,
    which retries and reads slow answers past its timeout — a 3 s timeout took 18.8 s in a thread, 3.1 s in a
    killed worker. Killing a worker need not stop the remote server's work (not verified per server): give the
    server a timeout of its own (`oxigraph serve --timeout-s`, Fuseki's timeout, Virtuoso's MaxQueryExecutionTime).
    """
    import dataclasses

    from agrs.server.protocol.executor import QueryExecutor
    from agrs.store import open_store
    from agrs.store.location import store_location

    location = config.store if not isinstance(config.store, (str, Path)) else store_location(str(config.store))
    config = dataclasses.replace(config, store=location)
    store = open_store(location, read_only=config.write_token is None and not getattr(config.access, "writers", False))
    try:
        # the workers give up waiting for the server at the query timeout; the pages keep the location's timeout
        queries = QueryExecutor(config, dataclasses.replace(location, timeout=config.query_timeout))
    except BaseException:
        store.close()
        raise
    return Runtime(config=config, store=store, queries=queries, remote=True)


def _origin(reader) -> str:
    """A digest of the store's registry and plain graphs when the server starts: ETags survive a restart."""
    import hashlib

    state = [(entry.name, entry.triples) for entry in reader.visible_graphs()]
    return hashlib.sha256(repr(state).encode()).hexdigest()[:16]


#: what a cross-site page may do: read (GET, HEAD, and POST of a query); no Authorization header, so no writes
CORS_METHODS = "GET, HEAD, POST, OPTIONS"
CORS_HEADERS = "Accept, Content-Type"
CORS_MAX_AGE = "600"


def _cors(response: Response) -> Response:
    """Add the CORS headers that let the configured origins read: GET, HEAD, POSTed queries, preflights."""
    origin = request.headers.get("Origin")
    if origin is None:
        return response
    is_query_post = request.method == "POST" and g.get("agrs_query_kind") not in (None, "update")
    if request.method not in ("GET", "HEAD", "OPTIONS") and not is_query_post:
        return response
    allowed = current_app.config["AGRS"].cors_origins
    if "*" in allowed:
        response.headers["Access-Control-Allow-Origin"] = "*"
    elif origin in allowed:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.vary.add("Origin")
    else:
        return response
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
        response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
        response.headers["Access-Control-Max-Age"] = CORS_MAX_AGE
    else:
        response.headers["Access-Control-Expose-Headers"] = "Content-Length, Content-Type, X-Query-Time-Ms"
    return response


def close_app(app: Flask) -> None:
    """Stop the app's query workers and close its store."""
    runtime: Runtime = app.extensions.pop("agrs", None)
    if runtime is None:
        return
    try:
        if runtime.queries is not None:
            runtime.queries.close()
        if runtime.snapshots is not None:
            runtime.snapshots.close()
    finally:
        runtime.store.close()
