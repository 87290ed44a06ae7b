"""`/api/<name>`: the stored questions (queries/cq/*.rq) as a REST API, with its OpenAPI document and a docs page.

`GET` or `POST` (form or JSON body) `/api/<name>?param=value…` binds the parameters (agrs.questions: typed RDF
terms in a VALUES block, never spliced text) and runs the question through the server's own query path (the
killable workers of executor.py, with the timeout, row cap and federation allowlist of `/sparql`). A SELECT
answers SPARQL JSON results (`Accept: text/csv` or `format=csv`: CSV), one page at a time: `page` (from 1) and
`per_page` (default: the question's `pagination`, else 100); the page is fetched with one row more than asked, so
that the `Link` header (RFC 8288) has `rel="next"` only when another page exists, plus `first`, `prev`, and `last`
on the last page only (elsewhere it would cost a count of the whole answer). `infer=false` leaves the inferred
graphs out. ASK answers a SPARQL JSON boolean; CONSTRUCT answers RDF by `Accept`, unpaged.

Statuses: 400 a bad parameter (unknown, repeated, ill-typed, a required one missing) with the reason in plain
text; 404 no such question; 500 a stored question that does not parse (the message names file and line);
and the statuses of `/sparql` (503 timeout…).

`/api/openapi.json` is an OpenAPI 3.1 document made from the library: one path per question, parameters with
schema types and defaults, enums for the `enumerate` parameters (their values in the store, cached until the next
write), and the response schema (the SPARQL JSON results object, its variables named). `/api/` is a docs page
rendered here (no CDN): every question, its parameters, a form to try it, and a link opening it in YASGUI.
The question folder is the config's `questions_dir` (`agrs serve --questions DIR`, $AGRS_QUESTIONS; tests use a small
one), else the packaged queries/cq/.
"""

import json
import threading
import urllib.parse

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, g, redirect, render_template, request

from agrs.server.conneg import negotiate
from agrs.server.protocol.sparql import answer_response, infer_flag
from agrs.server.responses import text_response
from agrs.server.runtime import runtime
from agrs.store import StoreError

blueprint = Blueprint("api", __name__)

EXTENSION = "agrs_api"  # app.extensions key of the library and the enum cache
DEFAULT_PER_PAGE = 100
ENUM_LIMIT = 500  # values listed at most for an `enumerate` parameter
#: request parameters the API reads itself; a question parameter may not take these names
RESERVED = ("page", "per_page", "infer", "format")
JSON_RESULTS = "application/sparql-results+json"
#: response header: how many records of the page are synthetic (CSV answers have no room for the JSON fields)
SYNTHETIC_HEADER = "X-AGRS-Synthetic-Records"
SYNTHETIC_NOTE = (
    "Some rows name records of a source declared synthetic (agrs:synthetic true in its load's provenance): invented "
    "for the demonstration, not observed. / Certaines lignes nomment des enregistrements d'une source déclarée "
    "synthétique (inventée pour la démonstration, non observée)."
)
SELECT_TYPES = (JSON_RESULTS, "application/json", "text/csv")
SCALAR_SCHEMAS = {
    "iri": {"type": "string", "format": "uri"},
    "literal": {"type": "string"},
    "en": {"type": "string"},
    "fr": {"type": "string"},
    "integer": {"type": "integer"},
    "decimal": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
}


class ApiError(Exception):
    """An answer other than 200: status and plain-text message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


# --- the library -------------------------------------------------------------------------------------------------


def _state() -> dict:
    """Return this app's API state (library, enum cache), made on first use."""
    state = current_app.extensions.get(EXTENSION)
    if state is None:
        state = current_app.extensions.setdefault(EXTENSION, {"lock": threading.Lock(), "enums": {}})
    return state


def library() -> dict:
    """Return the question library {name: Question}, loaded once per app; ApiError 500 when a file is broken."""
    from agrs.questions import QuestionError, load_library

    state = _state()
    with state["lock"]:
        if "library" not in state:
            try:
                config = runtime().config
                loaded = load_library(config.questions_dir, allowlist=config.federation_allowlist)
                for question in loaded.values():
                    clash = [p.name for p in question.parameters if p.name in RESERVED]
                    if clash:
                        raise QuestionError(f"parameter name {clash[0]!r} is reserved by the API", question.path)
                state["library"] = loaded
            except QuestionError as error:
                state["library"] = error
        loaded = state["library"]
    if isinstance(loaded, Exception):
        raise ApiError(500, f"the question library cannot be read: {loaded}")
    return loaded


def question_named(name: str):
    """Return the named question; ApiError 404 when there is none."""
    question = library().get(name)
    if question is None:
        raise ApiError(404, f"no question named {name!r}; the list is at {request.script_root}/api/")
    return question


# --- running a question ------------------------------------------------------------------------------------------


@blueprint.route("/api/<name>", methods=["GET", "POST"])
def run_question(name: str) -> Response:
    """Answer one question: bind the request's parameters, run it through the query workers, page the answer."""
    g.agrs_query_kind = "query"  # a POST here reads, like a POSTed query (CORS lets other origins read it)
    try:
        question = question_named(name)
        given = _request_values()
        return _answer(question, given)
    except ApiError as error:
        return text_response(error.status, str(error))


def _request_pairs() -> list[tuple[str, str]]:
    """Return the (name, value) pairs of the URL parameters and of a form or JSON body, in order."""
    pairs = [(name, value) for name in request.args for value in request.args.getlist(name)]
    if request.method != "POST":
        return pairs
    if request.mimetype == "application/json":
        try:
            body = json.loads(request.get_data(cache=True) or b"{}")
        except ValueError as error:
            raise ApiError(400, f"the JSON body is not valid JSON: {error}") from None
        if not isinstance(body, dict):
            raise ApiError(400, "the JSON body must be an object of parameter values")
        for name, value in body.items():
            if isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, int | float):
                value = str(value)
            elif value is None:
                value = ""
            elif not isinstance(value, str):
                raise ApiError(400, f"parameter {name} must be a single value, not a {type(value).__name__}")
            pairs.append((name, value))
    elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        pairs += [(name, value) for name in request.form for value in request.form.getlist(name)]
    elif request.get_data(cache=True):
        raise ApiError(415, "POST the parameters as application/x-www-form-urlencoded or application/json")
    return pairs


def _request_values() -> dict[str, str]:
    """Return {name: value} of the request's parameters; ApiError 400 when one is given twice."""
    values: dict[str, str] = {}
    for name, value in _request_pairs():
        if name in values:
            raise ApiError(400, f"parameter {name} is given more than once")
        values[name] = value
    return values


def _answer(question, given: dict[str, str]) -> Response:
    from agrs.questions import QuestionError

    config = runtime().config
    infer = _infer(given.pop("infer", None))
    format_param = given.pop("format", None) or None
    page = _positive("page", given.pop("page", None), 1)
    per_page = _positive("per_page", given.pop("per_page", None), question.pagination or DEFAULT_PER_PAGE)
    if per_page > config.max_rows:
        raise ApiError(400, f"per_page is at most {config.max_rows} (this server's row cap)")
    try:
        if question.form == "SELECT":
            sparql = question.sparql_for(given, limit=per_page + 1, offset=(page - 1) * per_page)
        else:
            sparql = question.sparql_for(given)
    except QuestionError as error:
        raise ApiError(400, str(error)) from None
    if question.form != "SELECT":
        answer = _execute(sparql, infer, request.headers.get("Accept"), format_param)
        return answer_response(answer)
    media_type = negotiate(request.headers.get("Accept"), SELECT_TYPES, format_param)
    if media_type is None:
        raise ApiError(406, "this question answers " + ", ".join(SELECT_TYPES))
    answer = _execute(sparql, infer, JSON_RESULTS, None)
    if answer.status != 200:
        return answer_response(answer)
    results = json.loads(answer.body)
    bindings = results["results"]["bindings"]
    more = len(bindings) > per_page
    del bindings[per_page:]
    synthetic = _synthetic_records(bindings)
    if media_type == "text/csv":
        parsed = ox.parse_query_results(json.dumps(results).encode(), format=ox.QueryResultsFormat.JSON)
        body, content_type = parsed.serialize(format=ox.QueryResultsFormat.CSV), "text/csv; charset=utf-8"
    else:
        results["synthetic"] = bool(synthetic)
        if synthetic:
            results["synthetic_records"] = synthetic
            results["synthetic_note"] = SYNTHETIC_NOTE
        body, content_type = json.dumps(results, ensure_ascii=False).encode(), media_type + "; charset=utf-8"
    response = Response(body, content_type=content_type)
    response.headers.update(answer.headers)
    response.headers[SYNTHETIC_HEADER] = str(len(synthetic))
    response.headers["Link"] = _links(page, more, len(bindings))
    response.headers["Vary"] = "Accept"
    return response


def _synthetic_records(bindings: list[dict]) -> list[str]:
    """Return the IRIs of the page's rows that are records of a synthetic load (agrs.provenance), sorted."""
    from agrs.provenance import synthetic_subjects

    iris = {term["value"] for row in bindings for term in row.values() if term.get("type") == "uri"}
    if not iris:
        return []
    try:
        from agrs.server import access

        return sorted(synthetic_subjects(access.reader().query, iris))
    except StoreError as error:
        raise ApiError(503, f"the store could not be read: {error}") from None


def _execute(sparql: str, infer: bool, accept: str | None, format_param: str | None):
    """Run `sparql` the way /sparql does: federation check, then a Job in a killable worker."""
    from agrs.server.protocol.executor import Job
    from agrs.server.protocol.federation import FederationRefused, FederationUnchecked, check_query
    from agrs.store.base import Dataset

    config = runtime().config
    try:
        check_query(sparql, config.federation_allowlist)
    except FederationRefused as error:
        raise ApiError(403, str(error)) from None
    except FederationUnchecked as error:
        raise ApiError(400, str(error)) from None
    from agrs.server import access

    job = Job(sparql=sparql, dataset=access.restrict(Dataset(infer=infer)), accept=accept, format=format_param,
              max_rows=config.max_rows + 1, max_bytes=config.max_response_bytes)  # fmt: skip
    answer = runtime().queries.run(job)
    g.agrs_query = (job, answer)  # for the slow-query log and the metrics (server/slow_log.py, metrics.py)
    return answer


def _links(page: int, more: bool, rows: int) -> str:
    """Return the RFC 8288 Link header of a page: first, prev (from page 2), next (when more rows exist).

    `last` is given only when known without counting: on the last page itself (no more rows, and some rows or
    page 1).

    The links GET the same question with the request's parameters (those of a POSTed body too) and another page.
    """
    pairs = [(name, value) for name, value in _request_pairs() if name != "page"]

    def url(number: int) -> str:
        return request.base_url + "?" + urllib.parse.urlencode([*pairs, ("page", str(number))])

    links = [f'<{url(1)}>; rel="first"']
    if page > 1:
        links.append(f'<{url(page - 1)}>; rel="prev"')
    if more:
        links.append(f'<{url(page + 1)}>; rel="next"')
    elif rows or page == 1:
        links.append(f'<{url(page)}>; rel="last"')
    return ", ".join(links)


def _positive(name: str, text: str | None, default: int) -> int:
    if text is None or text == "":
        return default
    if not text.strip().isdigit() or int(text) < 1:
        raise ApiError(400, f"{name} must be a positive integer, not {text!r}")
    return int(text)


def _infer(value: str | None) -> bool:
    try:
        return infer_flag(value)
    except ValueError as error:
        raise ApiError(400, str(error)) from None


# --- OpenAPI -----------------------------------------------------------------------------------------------------


@blueprint.get("/api/openapi.json")
def openapi() -> Response:
    """Answer the OpenAPI 3.1 document of the question library."""
    try:
        document = openapi_document(library(), request.url_root.rstrip("/"), _enums())
    except ApiError as error:
        return text_response(error.status, str(error))
    response = Response(json.dumps(document, ensure_ascii=False, indent=1), content_type="application/json")
    return response


def _enums() -> dict[tuple[str, str], list[str]]:
    """Return {(question, parameter): values} of the `enumerate` parameters, cached until the store changes."""
    from agrs.server import access

    state = _state()
    # per caller scope too: the values a reader of restricted graphs sees are not a public reader's
    generation, key = runtime().queries.generation, f"enums_for {access.scope()}"
    cached = state.get(key)
    if cached is not None and cached[0] == generation:
        return cached[1]
    enums: dict[tuple[str, str], list[str]] = {}
    for question in library().values():
        for parameter in question.parameters:
            if not parameter.enumerate:
                continue
            answer = _execute(question.enumeration_query(parameter.name, ENUM_LIMIT), True, JSON_RESULTS, None)
            if answer.status != 200:
                continue  # the document stays valid without the enum
            rows = json.loads(answer.body)["results"]["bindings"]
            found = [row[parameter.variable]["value"] for row in rows if parameter.variable in row]
            typed = [value for value in found if _accepts(parameter, value)]
            if typed:
                enums[(question.name, parameter.name)] = typed
    state[key] = (generation, enums)
    return enums


def _accepts(parameter, value: str) -> bool:
    try:
        parameter.term(value)
    except ValueError:
        return False
    return True


def openapi_document(questions: dict, server_url: str, enums: dict | None = None) -> dict:
    """Return the OpenAPI 3.1 document of `questions` served at `server_url` (enums: {(question, param): values})."""
    from agrs import __version__

    enums = enums or {}
    paths = {f"/api/{name}": _path_item(question, enums) for name, question in questions.items()}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "AGRS questions API",
            "version": __version__,
            "description": "Cross-domain competency questions of the AGRS knowledge graph, as parameterised SPARQL "
            "queries (queries/cq/*.rq, grlc-style headers). Each answers SPARQL 1.1 JSON results, paged with "
            "`page` and `per_page` and RFC 8288 `Link` headers. / Les questions de compétence transverses du graphe "
            "AGRS, en requêtes SPARQL paramétrées.",
            "license": {"name": "CC-BY-4.0 (queries), MIT (code)", "identifier": "CC-BY-4.0"},
        },
        "servers": [{"url": server_url}],
        "tags": sorted(
            ({"name": tag} for tag in {t for q in questions.values() for t in q.tags}), key=lambda item: item["name"]
        ),
        "paths": paths,
        "components": {"schemas": COMPONENT_SCHEMAS, "parameters": COMMON_PARAMETERS},
    }


def _path_item(question, enums: dict) -> dict:
    parameters = [_parameter(question, p, enums) for p in question.parameters]
    common = [{"$ref": "#/components/parameters/infer"}]
    if question.form == "SELECT":
        common = [{"$ref": "#/components/parameters/page"}, _per_page(question), *common]
    responses = _responses(question)
    description = f"{question.description}\n\n{question.summary_fr}\n\n{question.description_fr}"
    get = {
        "operationId": _operation_id(question.name, "get"),
        "summary": question.summary,
        "description": description,
        "tags": list(question.tags),
        "parameters": [*parameters, *common],
        "responses": responses,
    }
    properties = {p.name: _schema(question, p, enums) for p in question.parameters}
    required = [p.name for p in question.parameters if p.required and p.default is None]
    body_schema = {"type": "object", "properties": properties, "additionalProperties": True}
    if required:
        body_schema["required"] = required
    post = {
        **get,
        "operationId": _operation_id(question.name, "post"),
        "parameters": common,
        "requestBody": {
            "required": bool(required),
            "content": {
                "application/x-www-form-urlencoded": {"schema": body_schema},
                "application/json": {"schema": body_schema},
            },
        },
    }
    return {"get": get, "post": post}


def _operation_id(name: str, method: str) -> str:
    return method + "_" + "".join(c if c.isalnum() else "_" for c in name)


def _parameter(question, parameter, enums: dict) -> dict:
    description = " / ".join(text for text in (parameter.description, parameter.description_fr) if text)
    item = {
        "name": parameter.name,
        "in": "query",
        "required": parameter.required and parameter.default is None,
        "schema": _schema(question, parameter, enums),
        "description": description or f"{parameter.type} (SPARQL variable ?{parameter.variable})",
    }
    return item


def _schema(question, parameter, enums: dict) -> dict:
    schema = dict(SCALAR_SCHEMAS[parameter.type])
    if parameter.default is not None:
        schema["default"] = _typed(parameter.type, parameter.default)
    values = enums.get((question.name, parameter.name))
    if values:
        if parameter.default is not None and parameter.default not in values:
            values = [parameter.default, *values]  # the default stays a valid value even when the data lacks it
        schema["enum"] = [_typed(parameter.type, value) for value in values]
    return schema


def _typed(type_: str, value: str):
    """Return a default or enum value as the JSON type of its schema."""
    if type_ == "integer":
        return int(value)
    if type_ == "decimal":
        return float(value)
    if type_ == "boolean":
        return value.strip().lower() in ("true", "1")
    return value


def _per_page(question) -> dict:
    return {
        "name": "per_page",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "default": question.pagination or DEFAULT_PER_PAGE},
        "description": "Rows per page / lignes par page.",
    }


def _responses(question) -> dict:
    errors = {
        "400": {"description": "A bad parameter (the reason in plain text).", "content": TEXT_CONTENT},
        "404": {"description": "No such question.", "content": TEXT_CONTENT},
        "503": {"description": "The query ran past the server's timeout.", "content": TEXT_CONTENT},
    }
    if question.form == "ASK":
        ok = {"description": "The answer, true or false.",
              "content": {JSON_RESULTS: {"schema": {"$ref": "#/components/schemas/BooleanResult"}}}}  # fmt: skip
    elif question.form == "SELECT":
        ok = {
            "description": "One page of the answer (SPARQL 1.1 JSON results), or CSV with Accept: text/csv.",
            "headers": {
                "Link": {
                    "description": "RFC 8288 links: first, prev, next (when more rows exist), last (on the last page).",
                    "schema": {"type": "string"},
                },
                SYNTHETIC_HEADER: {
                    "description": "How many IRIs of the page are records of a synthetic source (0: none).",
                    "schema": {"type": "integer", "minimum": 0},
                },
            },
            "content": {
                JSON_RESULTS: {"schema": _results_schema(question.variables)},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    else:
        ok = {"description": "The answer as RDF.",
              "content": {"text/turtle": {"schema": {"type": "string"}},
                          "application/ld+json": {"schema": {"type": ["object", "array"]}}}}  # fmt: skip
    return {"200": ok, **errors}


def _results_schema(variables: list[str]) -> dict:
    """The SPARQL JSON results object of a SELECT: with its variables named when the query names them (not `*`)."""
    term = {"$ref": "#/components/schemas/RdfTerm"}
    if variables:
        binding = {"type": "object", "properties": dict.fromkeys(variables, term), "additionalProperties": False}
        names = {"type": "array", "items": {"enum": variables}}
    else:
        binding = {"type": "object", "additionalProperties": term}
        names = {"type": "array", "items": {"type": "string"}}
    return {
        "type": "object",
        "required": ["head", "results", "synthetic"],
        "properties": {
            "synthetic": {
                "type": "boolean",
                "description": "Whether some IRI of the page is a record of a source declared synthetic (invented "
                "for the demonstration, not observed: `agrs:synthetic true` on its load and graph version in the "
                "provenance graph). / Si la page nomme des enregistrements synthétiques.",
            },
            "synthetic_records": {
                "type": "array",
                "items": {"type": "string", "format": "uri"},
                "description": "The synthetic records the page names (present when `synthetic` is true).",
            },
            "synthetic_note": {"type": "string", "description": "What `synthetic` means (present when true)."},
            "head": {"type": "object", "required": ["vars"], "properties": {"vars": names}},
            "results": {
                "type": "object",
                "required": ["bindings"],
                "properties": {"bindings": {"type": "array", "items": binding}},
            },
        },
    }


TEXT_CONTENT = {"text/plain": {"schema": {"type": "string"}}}
COMPONENT_SCHEMAS = {
    "RdfTerm": {
        "description": "An RDF term in SPARQL 1.1 JSON results.",
        "type": "object",
        "required": ["type", "value"],
        "properties": {
            "type": {"enum": ["uri", "literal", "bnode", "triple"]},
            "value": {"type": ["string", "object"]},
            "xml:lang": {"type": "string"},
            "datatype": {"type": "string", "format": "uri"},
        },
        "additionalProperties": False,
    },
    "BooleanResult": {
        "type": "object",
        "required": ["head", "boolean"],
        "properties": {"head": {"type": "object"}, "boolean": {"type": "boolean"}},
    },
}
COMMON_PARAMETERS = {
    "page": {
        "name": "page",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "default": 1},
        "description": "Page number, from 1 / numéro de page.",
    },
    "infer": {
        "name": "infer",
        "in": "query",
        "required": False,
        "schema": {"type": "boolean", "default": True},
        "description": "Whether the inferred graphs (agrs reason) are queried / avec les inférences.",
    },
}


# --- the docs page -----------------------------------------------------------------------------------------------


@blueprint.get("/api")
def api_root():
    """Redirect to the docs page."""
    return redirect(request.script_root + "/api/", code=308)


@blueprint.get("/api/")
def docs() -> Response:
    """Answer the docs page: every question with its parameters, a form to try it, a link to open it in YASGUI."""
    from agrs.server.ui.query_page import CONTENT_SECURITY_POLICY

    try:
        questions = library()
        enums = _enums()
    except ApiError as error:
        return text_response(error.status, str(error))
    root = request.script_root
    entries = []
    for question in questions.values():
        yasgui = f"{root}/sparql#" + urllib.parse.urlencode({"query": question.sparql})
        params = [{"p": p, "values": enums.get((question.name, p.name), [])} for p in question.parameters]
        entries.append({"q": question, "params": params, "yasgui": yasgui})
    html = render_template("api/index.html", title="API", entries=entries, root=root,
                           per_page_default=DEFAULT_PER_PAGE)  # fmt: skip
    response = Response(html, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response
