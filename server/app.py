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
    """Open the store named by `config` for writing, start the query workers, and return the app.

    Call `close_app(app)` when done (the `agrs serve` command does): it stops the workers and closes the store.
    """
    from agrs.server.protocol.executor import QueryExecutor
    from agrs.store import open_store

    app = Flask("agrs.server")
    app.config["AGRS"] = config
    store = open_store(config.store)
    try:
        store.settle()  # before the read-only workers open their view (see EmbeddedStore.settle)
        queries = QueryExecutor(config)
    except BaseException:
        store.close()
        raise
    app.extensions["agrs"] = Runtime(config=config, store=store, queries=queries)
    for name in BLUEPRINTS:
        module = importlib.import_module(f"agrs.server.{name}")
        app.register_blueprint(module.blueprint)
    from agrs.server import access_log

    access_log.install(app)
    app.after_request(_cors)
    return app


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
    finally:
        runtime.store.close()
