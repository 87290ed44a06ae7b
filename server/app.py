"""`create_app(config)`: the Flask app of one store; every route lives in a blueprint module of this package."""

import importlib

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
)


def create_app(config: ServerConfig) -> Flask:
    """Open the store named by `config` for writing, checkpoint it, start the query workers, and return the app.

    Call `close_app(app)` when done (the `agrs serve` command does): it stops the workers and closes the store.
    """
    from agrs.server.protocol.executor import QueryExecutor
    from agrs.store import open_store

    app = Flask("agrs.server")
    app.config["AGRS"] = config
    from agrs.server.snapshots import Snapshots

    store = open_store(config.store)
    snapshots = None
    try:
        snapshots = Snapshots(store)  # the readers (workers, pages) read checkpoints, never the store being written
        queries = QueryExecutor(config, snapshots.path)
    except BaseException:
        if snapshots is not None:
            snapshots.close()
        store.close()
        raise
    app.extensions["agrs"] = runtime = Runtime(config=config, store=store, queries=queries, snapshots=snapshots,
                                               origin=_origin(snapshots.reader))  # fmt: skip
    runtime.count_statistics()
    for name in BLUEPRINTS:
        module = importlib.import_module(f"agrs.server.{name}")
        app.register_blueprint(module.blueprint)
    from agrs.server import access_log

    access_log.install(app)
    from agrs.server import caching

    caching.install(app)
    app.after_request(_cors)
    return app


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
