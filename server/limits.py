"""Request-body caps: a body past its route's cap is refused (413) before any of it is read by the app.

Two caps (ServerConfig): `max_query_body` for every route but the Graph Store's writes (a SPARQL query, an update,
a form: 1 MiB by default, far above any real query), and `max_write_body` for Graph Store PUT/POST (RDF parsed in
memory, about ten times its size: 32 MiB by default). waitress reads a whole body before the app sees it (to disk
past a small buffer), and cuts it itself past the larger cap (agrs.server.serve_cli.waitress_options); the app then
checks the declared length (waitress sets it for chunked bodies too) and sets Flask's own cap on the request, so a
body is never parsed past its cap whatever the server in front.
"""

from flask import Flask, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from agrs.server.responses import text_response

WRITE_METHODS = ("PUT", "POST")


def body_cap() -> tuple[int, str]:
    """Return the current request's body cap in bytes, and the `agrs serve` option that sets it."""
    config = current_app.config["AGRS"]
    if request.path.startswith("/graph-store") and request.method in WRITE_METHODS:
        return config.max_write_body, "--max-write-body"
    return config.max_query_body, "--max-query-body"


def install(app: Flask) -> None:
    """Refuse (413) the requests of `app` whose body is over their route's cap."""
    app.before_request(_check)
    app.register_error_handler(RequestEntityTooLarge, _too_large)


def _check():
    cap, _ = body_cap()
    request.max_content_length = cap  # Flask then refuses to read more (a body without a declared length too)
    length = request.content_length
    if length is not None and length > cap:
        return _too_large(None)
    return None


def _too_large(error):
    cap, option = body_cap()
    length = request.content_length
    sent = f"{length} bytes" if length is not None else "a body"
    return text_response(
        413,
        f"{sent} is over this server's cap of {cap} bytes for a {request.method} to {request.path} "
        f"(agrs serve {option}); send less: a shorter query, or a graph in several POSTs"
    )
