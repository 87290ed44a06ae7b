"""HTTP caching of everything that reads the store: ETag, conditional GET (If-None-Match → 304), Cache-Control.

An answer depends on the request (path, query string, `Accept`, `Accept-Language`) and the store's content, which
changes only with a write through this server (`Runtime.version`: a digest of the registry when the server
started, and a count of the writes since). So the ETag is a digest of those, computed before any work: a client or
proxy revalidating an answer it holds gets 304 at once, without the query running. `Cache-Control: public,
no-cache` lets browsers and proxies keep answers but makes them ask again each time (a write may come any time);
errors keep `no-store`.

Cached routes: GET and HEAD of /sparql with a query, the linked-data pages and documents (/id/, /def/, /page/,
/data/, /ontology), VoID, the questions API (/api/…), maps and search. Not /health (it must always reach the
store) nor the Graph Store (its own representation of writable graphs).
"""

import hashlib

from flask import Flask, Response, g, request

CACHED_PREFIXES = ("/id/", "/def/", "/page/", "/data/", "/ontology", "/.well-known/void", "/api/", "/map", "/search")
CACHE_CONTROL = "public, no-cache"


def install(app: Flask) -> None:
    """Answer conditional GETs of `app`'s cached routes with 304, and give their answers an ETag."""
    app.before_request(_check)
    app.after_request(_tag)


def cached(path: str, args) -> bool:
    """Whether a GET of `path` (with its query arguments `args`) reads the store and may be cached."""
    if path == "/sparql":
        return "query" in args
    return path.startswith(CACHED_PREFIXES)


def entity_tag(version: str) -> str:
    """Return the ETag of the current request's answer when the store is at `version` (a quoted string)."""
    environ = request.environ
    parts = (version, request.path, environ.get("QUERY_STRING", ""), environ.get("HTTP_ACCEPT", ""),
             environ.get("HTTP_ACCEPT_LANGUAGE", ""))  # fmt: skip
    return '"' + hashlib.blake2b("\n".join(parts).encode(), digest_size=16).hexdigest() + '"'


def _check():
    from agrs.server.runtime import runtime

    if request.method not in ("GET", "HEAD"):
        return None
    path = request.path
    if not (path.startswith(CACHED_PREFIXES) if path != "/sparql" else "query" in request.args):
        return None
    version = runtime().version
    tag = entity_tag(version)
    g.agrs_etag = (version, tag)
    asked = request.headers.get("If-None-Match")
    if asked and (asked.strip() == "*" or tag in [item.strip().removeprefix("W/") for item in asked.split(",")]):
        response = Response(status=304)
        response.headers["ETag"] = tag
        response.headers["Cache-Control"] = CACHE_CONTROL
        response.headers["Vary"] = "Accept, Accept-Language"
        return response
    return None


def _tag(response: Response) -> Response:
    from agrs.server.runtime import runtime

    stamp = g.get("agrs_etag")
    if stamp is None or response.status_code != 200:
        return response
    version, tag = stamp
    if runtime().version != version:  # a write landed while the answer was made: it may hold either state
        return response
    if "no-store" in response.headers.get("Cache-Control", ""):
        return response
    headers = response.headers
    headers["ETag"] = tag
    headers["Cache-Control"] = CACHE_CONTROL
    vary = headers.get("Vary")
    if vary in (None, "Accept"):  # the usual cases, without parsing the header
        headers["Vary"] = "Accept, Accept-Language"
    else:
        response.vary.add("Accept")
        response.vary.add("Accept-Language")
    return response
