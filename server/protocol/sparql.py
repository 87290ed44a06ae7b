"""`/sparql`: the SPARQL 1.1 Protocol — queries by GET, POST form and POST direct; updates are handed to update.py.

Queries
  `GET /sparql?query=…`, `POST` with `application/x-www-form-urlencoded` (`query=…`), or `POST` with
  `application/sparql-query` (the query as the UTF-8 body). `default-graph-uri` and `named-graph-uri`
  (repeatable) set the dataset and, when either is given, override the query's FROM / FROM NAMED, as the
  Protocol says. SELECT and ASK answer as SPARQL JSON, XML, CSV or TSV; CONSTRUCT and DESCRIBE as Turtle,
  N-Triples, RDF/XML, JSON-LD, N-Quads or TriG; chosen by `Accept` (q-values, lists, wildcards) or by a
  `format` (or `output`) parameter such as `json`, `csv`, `ttl`, `jsonld` or a media type, which wins over
  `Accept`. Relative IRIs in a query resolve against the endpoint's URL.

The default dataset
  A query that names no dataset (no FROM, no default-graph-uri, no named-graph-uri) sees as its default graph
  the union of every current graph, the inferred graphs (under https://w3id.org/agrs/graph/inferred)
  included; add `infer=false` to the request to leave them out of that union (they stay reachable with
  `GRAPH`). That union is a set (a triple several graphs hold counts once), and so is the default graph of
  several FROM or default-graph-uri. Every current graph is a named graph; a data graph is named by its current version
  (`<graph>/v<n>`), and `default-graph-uri=<graph>` (or FROM) may use the graph's own IRI.

Statuses
  400 malformed query (the parser's message), several `query` parameters, both `query` and `update`, an
  update sent by GET, an unknown `infer` value, a result over the row cap (`--max-rows`) or over the response
  size cap (never a truncated result); 403 a `SERVICE` whose endpoint is not on the federation allowlist
  (`--allow-federation`), or `SERVICE ?variable` — checked before anything runs, so the server makes no
  outgoing request; 405 other methods; 406 no acceptable format; 413 a body over `--max-query-body`
  (agrs.server.limits); 415 a POST body of another media type (or a charset other than UTF-8); 429 the client
  already has `--client-queries` queries running or waiting; 503 the query ran past the timeout
  (`--query-timeout`; its worker is killed, as Fuseki answers 503 to a timed-out query) or every worker stayed
  busy (`--queue-wait`; see QueryExecutor.run for the light lane that keeps small queries answered meanwhile).

`GET /sparql` without a query answers the SPARQL Service Description (RDF by `Accept`) or, to a browser that
prefers HTML, the query UI.
"""

from flask import Blueprint, Response, g, request

from agrs.server import access
from agrs.server.conneg import negotiate
from agrs.server.protocol.executor import GRAPH_TYPES, Job, execute, is_small
from agrs.server.protocol.federation import FederationRefused, FederationUnchecked, check_query
from agrs.server.responses import text_response
from agrs.server.runtime import runtime
from agrs.store.base import Dataset

blueprint = Blueprint("sparql", __name__)

FORM = "application/x-www-form-urlencoded"
DIRECT_QUERY = "application/sparql-query"
DIRECT_UPDATE = "application/sparql-update"
FALSE = {"false", "0", "no", "off"}
TRUE = {"true", "1", "yes", "on", ""}

#: rdflib's serialiser names for the service description
RDFLIB_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "application/n-quads": "nquads",
    "application/trig": "trig",
}


class BadRequest(Exception):
    """A request the Protocol refuses; `status` and the message are the answer."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@blueprint.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response:
    """Answer a SPARQL Protocol request: a query, an update (POST only), or the service description."""
    try:
        if request.method == "POST":
            return _post()
        return _get()
    except BadRequest as error:
        return text_response(error.status, str(error))


def _get() -> Response:
    if "update" in request.args:
        raise BadRequest(400, "a SPARQL Update must be sent by POST (form field update=, or application/sparql-update)")
    queries = request.args.getlist("query")
    if not queries:
        return _description()
    if len(queries) > 1:
        raise BadRequest(400, f"give one query parameter, not {len(queries)}")
    return _query(queries[0], request.args)


def _post() -> Response:
    media_type = request.mimetype
    if media_type == FORM:
        _check_charset("form")
        form = request.form
        if "query" in form and "update" in form:
            raise BadRequest(400, "give either query= or update=, not both")
        if "update" in form:
            return _update()
        queries = form.getlist("query")
        if len(queries) > 1:
            raise BadRequest(400, f"give one query field, not {len(queries)}")
        if not queries:
            raise BadRequest(400, "the form has no query= (or update=) field")
        if "query" in request.args:
            raise BadRequest(400, "give the query in the form body or the URL, not both")
        return _query(queries[0], _Merged(request.args, form))
    if media_type == DIRECT_QUERY:
        _check_charset("query")
        if "update" in request.args:
            raise BadRequest(400, "give either a query or an update, not both")
        return _query(_body_text(), request.args)
    if media_type == DIRECT_UPDATE:
        if "query" in request.args:
            raise BadRequest(400, "give either a query or an update, not both")
        return _update()
    sent = f"`{media_type}`" if media_type else "no Content-Type"
    raise BadRequest(
        415,
        f"a POST to /sparql must be {FORM} (query= or update=), {DIRECT_QUERY} or {DIRECT_UPDATE}; got {sent}",
    )


def _update() -> Response:
    from agrs.server.protocol.update import handle_update

    g.agrs_query_kind = "update"
    return handle_update()


def _check_charset(what: str) -> None:
    charset = request.mimetype_params.get("charset")
    if charset is not None and charset.strip().lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise BadRequest(415, f"the {what} must be UTF-8 encoded, not {charset} (SPARQL 1.1 Protocol)")


def _body_text() -> str:
    try:
        return request.get_data(cache=True).decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadRequest(400, f"the body is not UTF-8: {error}") from error


class _Merged:
    """The URL parameters and form fields of a form POST, read as one: `getlist(name)`, `get(name)`."""

    def __init__(self, *sources):
        self.sources = sources

    def getlist(self, name: str) -> list[str]:
        """Return every value of `name`, URL parameters first."""
        return [value for source in self.sources for value in source.getlist(name)]

    def get(self, name: str, default=None):
        """Return the first value of `name`, or `default`."""
        values = self.getlist(name)
        return values[0] if values else default


def _query(sparql: str, parameters) -> Response:
    config = runtime().config
    g.agrs_query_kind = "query"
    try:
        check_query(sparql, config.federation_allowlist)
    except FederationRefused as error:
        return text_response(403, str(error))
    except FederationUnchecked as error:
        return text_response(400, str(error))
    dataset = Dataset.protocol(
        parameters.getlist("default-graph-uri"), parameters.getlist("named-graph-uri"),
        infer=_infer(parameters.get("infer")),
    )  # fmt: skip
    dataset = access.restrict(dataset)  # the graphs this caller may not read are in no part of the dataset
    job = Job(
        sparql=sparql,
        dataset=dataset,
        accept=request.headers.get("Accept"),
        format=parameters.get("format") or parameters.get("output"),
        max_rows=config.max_rows,
        max_bytes=config.max_response_bytes,
        base_iri=request.base_url,
    )
    answer = _run(job)
    g.agrs_query_kind = answer.kind or "query"
    g.agrs_query = (job, answer)  # for the slow-query log and the metrics (server/slow_log.py, metrics.py)
    return answer_response(answer)


def _run(job: Job):
    """Answer a small question in this thread, on the pages' checkpoint; anything else in a killable worker (on a
    remote store, every query: the HTTP request is what takes time, and only a worker stops at the timeout)."""
    if is_small(job.sparql) and not runtime().remote:
        return execute(runtime().reader, job)  # the job's dataset hides what the caller may not read
    return runtime().queries.run(job, client_of(request))


def client_of(req) -> str:
    """Who a request counts as for the per-client query limit: its address (behind a reverse proxy, the proxy's:
    set the proxy's own per-client limits, or raise --client-queries)."""
    return req.remote_addr or "unknown"


def answer_response(answer) -> Response:
    """Turn a query worker's answer into the HTTP response (errors are never cached)."""
    response = Response(answer.body, status=answer.status, content_type=answer.media_type)
    response.headers.update(answer.headers)
    response.headers["Vary"] = "Accept"
    if answer.status >= 400:
        response.headers["Cache-Control"] = "no-store"
    return response


def infer_flag(value: str | None) -> bool:
    """Return the `infer` parameter's value (absent or empty: true); ValueError for a word that is neither."""
    if value is None or not value.strip():
        return True
    if value.strip().lower() in FALSE:
        return False
    if value.strip().lower() in TRUE:
        return True
    raise ValueError(f"infer must be true or false, not {value!r}")


def _infer(value: str | None) -> bool:
    try:
        return infer_flag(value)
    except ValueError as error:
        raise BadRequest(400, str(error)) from None


def _description() -> Response:
    """Answer GET /sparql without a query: the query UI to a browser, else the service description as RDF."""
    offered = (*GRAPH_TYPES, "text/html")
    chosen = negotiate(request.headers.get("Accept"), offered, request.args.get("format"))
    if chosen == "text/html":
        from agrs.server.ui.query_page import query_page

        return query_page()
    if chosen is None:
        return text_response(406, "the service description is RDF: accept one of " + ", ".join(offered))
    graph = _service_description(request.base_url)
    body = graph.serialize(format=RDFLIB_FORMATS[chosen], encoding="utf-8")
    response = Response(body, content_type=chosen + ("" if chosen == "application/rdf+xml" else "; charset=utf-8"))
    response.headers["Vary"] = "Accept"
    return response


def _service_description(endpoint_url: str):
    from agrs.server.discovery.routes import service_description_graph

    return service_description_graph(endpoint_url)
