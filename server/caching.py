"""HTTP caching of everything that reads the store: ETag, conditional GET (If-None-Match → 304), Cache-Control.

An answer depends on the request (path, query string, `Accept`, `Accept-Language`) and the store's content, which
changes only with a write through this server (`Runtime.version`: a digest of the registry when the server started,
and a count of the writes since; on a remote store, which other processes may write, a digest of the remote registry
read again at most every couple of seconds, agrs.server.runtime.REGISTRY_TTL). So the ETag is a digest of those,
computed before any work: a client or proxy revalidating an answer it holds gets 304 at once, without the query
running. `Cache-Control: public, no-cache` lets browsers and proxies keep answers but makes them ask again each time
(a write may come any time); errors keep `no-store`. The server keeps the last ANSWERS answers of the current
version itself (`AnswerCache`), so a page or query asked again is not made again.

Cached routes: GET and HEAD of /sparql with a query, the linked-data pages and documents (/id/, /def/, /page/,
/data/, /ontology), VoID, the questions API (/api/…), maps and search. Not /health (it must always reach the
store) nor the Graph Store (its own representation of writable graphs).
"""

import hashlib
import threading
from collections import OrderedDict

from flask import Flask, Response, current_app, g, request

CACHED_PREFIXES = ("/id/", "/def/", "/page/", "/data/", "/ontology", "/.well-known/void", "/api/", "/map", "/search")
CACHE_CONTROL = "public, no-cache"
PRIVATE_CACHE_CONTROL = "private, no-cache"
KEY = "agrs.answers"  # app.extensions key of the app's AnswerCache
ANSWERS = 512  # answers kept (least recently used dropped first)
ANSWER_BYTES = 256 * 1024  # a larger answer is not kept


class AnswerCache:
    """The answers of this server's cached routes, by ETag, for the current store version only.

    The ETag already names everything an answer depends on, so a repeated request (a page opened again, the same
    query) is served from memory; a write changes the version and empties the cache.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._version: str | None = None
        self._answers: OrderedDict[str, tuple[bytes, list]] = OrderedDict()

    def get(self, version: str, tag: str):
        """Return the kept (body, headers) of `tag`, or None."""
        with self._lock:
            if version != self._version:
                return None
            answer = self._answers.get(tag)
            if answer is not None:
                self._answers.move_to_end(tag)
            return answer

    def put(self, version: str, tag: str, body: bytes, headers: list) -> None:
        """Keep an answer made at `version` (forgetting every answer of an older version)."""
        with self._lock:
            if version != self._version:
                self._answers.clear()
                self._version = version
            self._answers[tag] = (body, headers)
            while len(self._answers) > ANSWERS:
                self._answers.popitem(last=False)


def install(app: Flask) -> None:
    """Answer conditional GETs of `app`'s cached routes with 304, and give their answers an ETag."""
    app.extensions[KEY] = AnswerCache()
    app.before_request(_check)
    app.after_request(_tag)


def cached(path: str, args) -> bool:
    """Whether a GET of `path` (with its query arguments `args`) reads the store and may be cached."""
    if path == "/sparql":
        return "query" in args
    return path.startswith(CACHED_PREFIXES)


def entity_tag(version: str) -> str:
    """Return the ETag of the current request's answer when the store is at `version` (a quoted string)."""
    from agrs.server import access

    environ = request.environ
    # the caller's scope: an answer made for a reader of restricted graphs is never given to a public reader
    parts = (version, request.path, environ.get("QUERY_STRING", ""), environ.get("HTTP_ACCEPT", ""),
             environ.get("HTTP_ACCEPT_LANGUAGE", ""), access.scope())  # fmt: skip
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
        private = "Authorization" in request.headers
        response.headers["Cache-Control"] = PRIVATE_CACHE_CONTROL if private else CACHE_CONTROL
        response.headers["Vary"] = "Accept, Accept-Language"
        return response
    kept = current_app.extensions[KEY].get(version, tag)
    if kept is not None:
        g.agrs_etag = None  # already tagged
        body, headers = kept
        return Response(body, status=200, headers=headers)
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
    # an answer to a request with credentials may hold restricted graphs: no shared cache (proxy) may keep it
    headers["Cache-Control"] = CACHE_CONTROL if "Authorization" not in request.headers else PRIVATE_CACHE_CONTROL
    vary = headers.get("Vary")
    if vary in (None, "Accept"):  # the usual cases, without parsing the header
        headers["Vary"] = "Accept, Accept-Language"
    else:
        response.vary.add("Accept")
        response.vary.add("Accept-Language")
    if not response.direct_passthrough and not response.is_streamed:
        body = response.get_data()
        if len(body) <= ANSWER_BYTES:
            kept = [(name, value) for name, value in headers.items() if name != "X-Query-Time-Ms"]
            current_app.extensions[KEY].put(version, tag, body, kept)
    return response
