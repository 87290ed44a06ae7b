"""`/api/<name>` over real HTTP: parameters (GET, POST form, POST JSON), pages and Link headers, formats, errors,
injection attempts, the OpenAPI document (validated, and every operation answering its documented schema), and
the docs page. A small question folder (`agrs serve --questions`) serves most tests; the real library (queries/cq/) gets
its own server, whose document must validate and whose every operation must answer its schema.
"""

import json
import shutil
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import jsonschema
import pyoxigraph as ox
import pytest
from openapi_spec_validator import validate
from test_questions import BORDEAUX, GRAPH, HEADER, ID, LYON, project_triples

from agrs.store import open_store

from conftest import LiveServer

VALID = Path(__file__).parent / "data" / "questions" / "valid"
REAL = sorted((Path(__file__).parent.parent / "queries" / "cq").glob("*.rq"))
INFERRED = "https://w3id.org/agrs/graph/inferred/test"
TERRITORY = "https://w3id.org/agrs/territory"


def fill(path: Path) -> Path:
    with open_store(path) as store:
        store.replace_graph(GRAPH, project_triples())
        extra = ox.NamedNode(ID + "project/inferred")
        store.replace_graph(INFERRED, [(extra, ox.NamedNode(TERRITORY), ox.NamedNode(LYON))])
    return path


def question_folder(folder: Path) -> Path:
    for path in VALID.glob("*.rq"):
        shutil.copy(path, folder / path.name)
    (folder / "by-label.rq").write_text(HEADER + "SELECT ?p WHERE { ?p rdfs:label ?_label }\n", encoding="utf-8")
    (folder / "located.rq").write_text(HEADER + "SELECT ?p WHERE { ?p agrs:territory ?_territory_iri }\n")
    return folder


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = question_folder(tmp_path_factory.mktemp("questions"))
    live = LiveServer(fill(tmp_path_factory.mktemp("api") / "store"), "--questions", str(folder))
    yield live
    live.stop()


@pytest.fixture(scope="module")
def real_server(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("AGRS_QUESTIONS", raising=False)  # the packaged library, whatever the caller's environment
        live = LiveServer(fill(tmp_path_factory.mktemp("api-real") / "store"))
    yield live
    live.stop()


def http(method: str, url: str, data: bytes | None = None, headers: dict | None = None):
    """Send one request; return (status, headers with lower-case names, body text)."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read().decode()


def get(server, path: str, params: dict | list | None = None, accept: str | None = None):
    url = f"{server.url}{path}" + ("?" + urllib.parse.urlencode(params) if params else "")
    return http("GET", url, headers={"Accept": accept} if accept else {})


def links(header: str) -> dict[str, str]:
    """Parse an RFC 8288 Link header into {rel: url}."""
    found = {}
    for part in header.split(","):
        target, _, params = part.strip().partition(";")
        rel = params.strip().removeprefix("rel=").strip('"')
        found[rel] = target.strip()[1:-1]
    return found


def labels(body: str) -> list[str]:
    return [row["label"]["value"] for row in json.loads(body)["results"]["bindings"]]


def store_size(server) -> int:
    _, _, body = get(server, "/sparql", {"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"},
                     "application/sparql-results+json")  # fmt: skip
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


# --- running questions ----------------------------------------------------------------------------------------


def test_a_question_answers_sparql_json_with_its_default(server):
    status, headers, body = get(server, "/api/projects-of-territory")
    assert status == 200 and headers["content-type"].startswith("application/sparql-results+json")
    document = json.loads(body)
    assert document["head"]["vars"] == ["project", "label", "commons"]
    assert labels(body) == ["projet 0", "projet 1"]  # the header's pagination: 2 rows a page


def test_pages_follow_next_links_to_the_end(server):
    url, seen, pages = f"{server.url}/api/projects-of-territory", [], 0
    while url:
        status, headers, body = http("GET", url)
        assert status == 200
        pages += 1
        seen += labels(body)
        found = links(headers["link"])
        assert found["first"].endswith("page=1")
        assert ("prev" in found) == (pages > 1)
        assert ("last" in found) == ("next" not in found)
        url = found.get("next")
    assert (pages, seen) == (2, ["projet 0", "projet 1", "projet 2"])


def test_next_link_keeps_the_parameters_and_the_page_size(server):
    _, headers, body = get(server, "/api/projects-of-territory", {"territory": LYON, "per_page": 1})
    assert labels(body) == ["projet 3"]
    following = links(headers["link"])["next"]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(following).query)
    assert query == {"territory": [LYON], "per_page": ["1"], "page": ["2"]}
    _status, headers, body = http("GET", following)
    assert labels(body) == ["projet 4"] and "next" not in links(headers["link"])


def test_a_page_past_the_end_is_empty(server):
    status, headers, body = get(server, "/api/projects-of-territory", {"page": 9})
    assert status == 200 and labels(body) == []
    found = links(headers["link"])
    assert found["prev"].endswith("page=8") and "next" not in found and "last" not in found


def test_post_form_and_json_answer_as_get(server):
    expected = labels(get(server, "/api/projects-of-territory", {"territory": LYON})[2])
    form = urllib.parse.urlencode({"territory": LYON}).encode()
    status, _, body = http("POST", f"{server.url}/api/projects-of-territory", form,
                           {"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert status == 200 and labels(body) == expected
    status, headers, body = http("POST", f"{server.url}/api/projects-of-territory",
                                 json.dumps({"territory": LYON, "per_page": 1}).encode(),
                                 {"Content-Type": "application/json"})  # fmt: skip
    assert status == 200 and labels(body) == expected[:1]
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(links(headers["link"])["next"]).query)["territory"] == [LYON]
    status, _, body = http("POST", f"{server.url}/api/count-by-type", json.dumps({"minimum": 20}).encode(),
                           {"Content-Type": "application/json"})  # fmt: skip
    assert status == 200 and len(json.loads(body)["results"]["bindings"]) == 2


def test_csv_by_accept_and_by_format(server):
    for params, accept in (({}, "text/csv"), ({"format": "csv"}, None)):
        status, headers, body = get(server, "/api/count-by-type", {"minimum": 20, **params}, accept)
        assert status == 200 and headers["content-type"].startswith("text/csv")
        lines = body.splitlines()
        assert lines[0] == "territory,projects" and sorted(lines[1:]) == [f"{BORDEAUX},2", f"{LYON},1"]


def test_ask_and_construct(server):
    status, _, body = get(server, "/api/ask-and-subquery")
    assert status == 200 and json.loads(body) == {"head": {}, "boolean": True}
    status, headers, body = get(server, "/api/construct-template", {"territory": LYON}, "application/n-triples")
    assert status == 200 and headers["content-type"].startswith("application/n-triples")
    assert body.count(f"<{LYON}>") == 2


def test_infer_false_leaves_the_inferred_graphs_out(server):
    def count(**extra):
        body = get(server, "/api/located", {"territory": LYON, **extra})[2]
        return len(json.loads(body)["results"]["bindings"])

    assert (count(), count(infer="false"), count(infer="true")) == (3, 2, 3)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"territory": "x> } ; DROP ALL ; #"}, "not an absolute IRI"),
        ({"territory": "relative"}, "not an absolute IRI"),
        ({"region": BORDEAUX}, "no parameter 'region'"),
        ([("territory", BORDEAUX), ("territory", LYON)], "more than once"),
        ({"page": 0}, "page must be a positive integer"),
        ({"per_page": "ten"}, "per_page must be a positive integer"),
        ({"per_page": 10**9}, "per_page is at most"),
        ({"infer": "maybe"}, "infer must be true or false"),
    ],
)
def test_bad_parameters_answer_400_with_the_reason(server, params, message):
    status, headers, body = get(server, "/api/projects-of-territory", params)
    assert status == 400 and headers["content-type"].startswith("text/plain")
    assert message in body


def test_missing_required_parameter_and_unknown_question(server):
    status, _, body = get(server, "/api/construct-template")
    assert status == 400 and "needs a value for: territory" in body
    status, _, body = get(server, "/api/no-such-question")
    assert status == 404 and "no question named" in body
    status, _, body = http("POST", f"{server.url}/api/located", b"[1]", {"Content-Type": "application/json"})
    assert status == 400 and "object" in body


@pytest.mark.parametrize(
    "value",
    ["x> } ; DROP ALL ; #", '" } ; DROP ALL ; #', '"} } DELETE WHERE { ?s ?p ?o } #', "\n} DROP ALL\n#", "\\"],
)
def test_injection_in_a_literal_matches_nothing_and_changes_nothing(server, value):
    before = store_size(server)
    status, _, body = get(server, "/api/by-label", {"label": value})
    assert status == 200 and json.loads(body)["results"]["bindings"] == []
    status, _, body = http("POST", f"{server.url}/api/by-label", json.dumps({"label": value}).encode(),
                           {"Content-Type": "application/json"})  # fmt: skip
    assert status == 200 and json.loads(body)["results"]["bindings"] == []
    assert len(json.loads(get(server, "/api/by-label", {"label": "projet 1"})[2])["results"]["bindings"]) == 1
    assert store_size(server) == before


# --- OpenAPI and the docs page --------------------------------------------------------------------------------


def openapi(server) -> dict:
    status, headers, body = get(server, "/api/openapi.json")
    assert status == 200 and headers["content-type"].startswith("application/json")
    return json.loads(body)


def schema_of(document: dict, pointer: str) -> dict:
    """A JSON Schema for the schema at `pointer` of the document; its $refs (#/components/…) resolve in it."""
    return {**document, "$ref": pointer}


def escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def walk_operations(server, document: dict) -> int:
    """Call every operation with its defaults (GET: query string; POST: JSON body); check the answer's schema."""
    called = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            values = {}
            for parameter in operation.get("parameters", []):
                if "$ref" in parameter:
                    continue
                schema = parameter["schema"]
                if "default" in schema:
                    values[parameter["name"]] = schema["default"]
                elif "enum" in schema:
                    values[parameter["name"]] = schema["enum"][0]
            if method == "post":
                body_schema = operation["requestBody"]["content"]["application/json"]["schema"]
                for name, schema in body_schema["properties"].items():
                    if "default" in schema:
                        values[name] = schema["default"]
                    elif "enum" in schema:
                        values[name] = schema["enum"][0]
                status, headers, body = http("POST", server.url + path, json.dumps(values).encode(),
                                             {"Content-Type": "application/json"})  # fmt: skip
            else:
                status, headers, body = get(server, path, {k: json.dumps(v) if isinstance(v, bool) else v
                                                           for k, v in values.items()})  # fmt: skip
            documented = operation["responses"][str(status)]
            media_type = headers["content-type"].split(";")[0]
            assert media_type in documented["content"], (path, method, status, media_type)
            pointer = "/".join(["#/paths", escape(path), method, "responses", str(status), "content",
                                escape(media_type), "schema"])  # fmt: skip
            instance = json.loads(body) if "json" in media_type else body
            jsonschema.validate(instance, schema_of(document, pointer), cls=jsonschema.Draft202012Validator)
            if status == 400:  # only for a required parameter without default and without enum
                assert any(p.get("required") for p in operation.get("parameters", [])) or operation.get(
                    "requestBody", {}
                ).get("required"), (path, method, body)
            called += 1
    return called


def test_openapi_document_validates(server):
    document = openapi(server)
    validate(document)
    names = {path.stem for path in VALID.glob("*.rq")} | {"by-label", "located"}
    assert set(document["paths"]) == {f"/api/{name}" for name in names}
    territory = document["paths"]["/api/projects-of-territory"]["get"]["parameters"][0]
    assert territory["schema"] == {"type": "string", "format": "uri", "default": BORDEAUX, "enum": [BORDEAUX, LYON]}
    minimum = next(p for p in document["paths"]["/api/count-by-type"]["get"]["parameters"] if p["name"] == "minimum")
    assert minimum["schema"] == {"type": "integer", "default": 1} and minimum["required"] is False


def test_every_operation_answers_its_documented_schema(server):
    document = openapi(server)
    assert walk_operations(server, document) == 2 * len(document["paths"])


def test_a_wrong_body_fails_the_documented_schema(server):
    """The check is not vacuous: a binding with an undeclared variable, or no head, is refused."""
    document = openapi(server)
    pointer = "#/paths/~1api~1projects-of-territory/get/responses/200/content/application~1sparql-results+json/schema"
    schema = schema_of(document, pointer)
    good = json.loads(get(server, "/api/projects-of-territory")[2])
    jsonschema.validate(good, schema, cls=jsonschema.Draft202012Validator)
    bad = {"head": {"vars": ["other"]}, "results": {"bindings": [{"other": {"type": "uri", "value": "x"}}]}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema, cls=jsonschema.Draft202012Validator)


def test_docs_page_lists_every_question_with_a_form(server):
    status, headers, body = get(server, "/api/", accept="text/html")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in headers["content-security-policy"]
    for path in VALID.glob("*.rq"):
        assert f'action="/api/{path.stem}"' in body and f'id="{path.stem}"' in body
    assert "Projets situés sur un territoire" in body and "Projects located in a territory" in body
    assert "/sparql#query=" in body and "/api/openapi.json" in body
    assert "<script" not in body and "cdn" not in body.lower()
    status, headers, _ = http("GET", f"{server.url}/api")
    assert status == 200  # urllib followed the redirect to /api/


# --- the real library -------------------------------------------------------------------------------------------


def test_the_real_library_is_served_and_validates(real_server):
    assert REAL, "queries/cq/*.rq: no stored question yet"
    document = openapi(real_server)
    validate(document)
    assert set(document["paths"]) == {f"/api/{path.stem}" for path in REAL}
    assert walk_operations(real_server, document) == 2 * len(REAL)
    status, _, body = get(real_server, "/api/")
    assert status == 200 and all(f'id="{path.stem}"' in body for path in REAL)


def test_the_question_folder_is_configuration(monkeypatch, tmp_path):
    from agrs.server.config import ServerConfig

    monkeypatch.setenv("AGRS_QUESTIONS", str(tmp_path))
    assert ServerConfig.from_environment(tmp_path / "store").questions_dir == tmp_path
    assert ServerConfig.from_environment(tmp_path / "store", questions_dir=Path("x")).questions_dir == Path("x")
    monkeypatch.delenv("AGRS_QUESTIONS")
    assert ServerConfig.from_environment(tmp_path / "store").questions_dir is None
