"""Federated questions (queries/federated/): apart from the others, off by default, run only under an allowlist.

The second endpoints are real SPARQL servers on loopback: the oxigraph server binary (`oxigraph serve`), one
holding the ADEME wiki's Semantic MediaWiki export (tests/data/federation/ademe-wiki-export.rdf), one standing in
for Wikidata (tests/data/federation/wikidata.ttl). The observatory is an embedded store filled by the real commons
loader (its links out, owl:sameAs to the wiki's subjects, are what fed01 joins on) and a few territories. The
answers are checked exactly through the library, `agrs query` and `/api`.
"""

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest

from agrs.questions import FederationNotAllowed, QuestionError, load_federated, load_library, parse_question

from conftest import REPO, LiveServer, free_port

HERE = Path(__file__).parent / "data" / "federation"
FEDERATED = REPO / "queries" / "federated"
COMMONS_PAGE = REPO / "data" / "commons" / "approche-globale-resiliente-solidaire.txt"
TERRITORIES_GRAPH = "https://w3id.org/agrs/graph/fixture/territories"
ID = "https://w3id.org/agrs/id/"
WIKI = "https://wiki.resilience-territoire.ademe.fr/wiki/"
XSD = "http://www.w3.org/2001/XMLSchema#"
WIKI_QUESTION = "fed01-ademe-wiki-commons-pages"
WIKIDATA_QUESTION = "fed02-territories-in-wikidata"


def oxigraph_binary() -> str:
    """The oxigraph server binary: this venv's (pip install oxigraph), else the main checkout's, else PATH's."""
    for candidate in (Path(sys.executable).parent / "oxigraph", Path("/work/main/.venv/bin/oxigraph")):
        if candidate.exists():
            return str(candidate)
    found = shutil.which("oxigraph")
    if not found:
        pytest.skip("the oxigraph server binary is not installed (pip install oxigraph)")
    return found


class Endpoint:
    """`oxigraph serve` on loopback over a folder filled by `oxigraph load`; `url` is its query endpoint."""

    def __init__(self, folder: Path, files: list[Path]):
        binary = oxigraph_binary()
        folder.mkdir(parents=True)
        for path in files:
            if path.suffix == ".rdf":
                # oxigraph's RDF/XML reader refuses the single-quoted ENTITY values SMW's export writes: rdflib reads
                # the export as the wiki writes it, and the server gets N-Triples.
                import rdflib

                converted = folder / (path.stem + ".nt")
                rdflib.Graph().parse(path, format="xml").serialize(converted, format="nt", encoding="utf-8")
                path = converted
            subprocess.run([binary, "load", "--location", str(folder / "db"), "--file", str(path)], check=True,
                           capture_output=True)  # fmt: skip
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/"
        self.url = self.base + "query"
        self.process = subprocess.Popen(
            [binary, "serve", "--location", str(folder / "db"), "--bind", f"127.0.0.1:{self.port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.url + "?query=ASK%7B%7D", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("oxigraph serve did not answer within 30 s") from None
                time.sleep(0.1)

    def stop(self) -> None:
        """Stop the server this object started."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def wiki(tmp_path_factory):
    """A loopback SPARQL endpoint holding the ADEME wiki's SMW export in its default graph."""
    endpoint = Endpoint(tmp_path_factory.mktemp("wiki") / "server", [HERE / "ademe-wiki-export.rdf"])
    yield endpoint
    endpoint.stop()


@pytest.fixture(scope="module")
def wikidata(tmp_path_factory):
    """A loopback stand-in for Wikidata's SPARQL endpoint."""
    endpoint = Endpoint(tmp_path_factory.mktemp("wikidata") / "server", [HERE / "wikidata.ttl"])
    yield endpoint
    endpoint.stop()


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:
    """The observatory: the AGRS commons page through the real commons loader, and the territories fixture."""
    from agrs.loaders.commons import CommonsLoader
    from agrs.loaders.pipeline import run_load
    from agrs.ontology_graph import ensure_ontology
    from agrs.resources import Resources
    from agrs.store.embedded import EmbeddedStore

    folder = tmp_path_factory.mktemp("observatory")
    with EmbeddedStore(folder / "store") as store:
        resources = Resources.load()
        ensure_ontology(store, resources)
        summary = run_load(CommonsLoader(), [COMMONS_PAGE], store, quarantine_dir=folder / "quarantine",
                           resources=resources)  # fmt: skip
        assert summary.rejected == 0
        store.replace_graph(TERRITORIES_GRAPH, ox.parse(path=str(HERE / "territories.ttl"), format=ox.RdfFormat.TURTLE))
    return folder / "store"


@pytest.fixture(scope="module")
def store(store_path):
    """The observatory, open read-only (the CLI and a live server read it too)."""
    from agrs.store.embedded import EmbeddedStore

    opened = EmbeddedStore(store_path, read_only=True)
    yield opened
    opened.close()


# --- the expected answers ----------------------------------------------------------------------------------------


def iri(value: str) -> dict:
    return {"type": "uri", "value": value}


def text(value: str, language: str | None = None, datatype: str | None = None) -> dict:
    term = {"type": "literal", "value": value}
    if language:
        term["xml:lang"] = language
    if datatype:
        term["datatype"] = datatype
    return term


AGRS_TITLE = "Approche Globale Résiliente et Solidaire pour les territoires et les entreprises"
AGRS_PAGE = "Approche_Globale_R%C3%A9siliente_et_Solidaire_pour_les_territoires_et_les_entreprises"
WIKI_ANSWER = [
    {
        "commons": iri(ID + "resilience-commons/approche-globale-resiliente-solidaire"),
        "commons_label_fr": text(AGRS_TITLE, "fr"),
        "wikiPage": text(WIKI + AGRS_PAGE),
        "wikiModified": text("2021-06-18T14:02:11Z", datatype=XSD + "dateTime"),
        "wikiLevel": text("Idée"),
        "level": iri("https://w3id.org/agrs/development-level/idea"),
        "level_label_fr": text("idée", "fr"),
        "level_label_en": text("idea", "en"),
    },
    {
        # A related commons: the observatory knows it from the AGRS page's « Autre commun proche » only (its
        # title, its wiki subject), so its development level is the wiki's alone.
        "commons": iri(ID + "resilience-commons/diagnostic-360-resilience-territoriale"),
        "commons_label_fr": text("Diagnostic 360° de résilience territoriale", "fr"),
        "wikiPage": text(WIKI + "Diagnostic_360%C2%B0_de_r%C3%A9silience_territoriale"),
        "wikiModified": text("2022-01-27T10:15:40Z", datatype=XSD + "dateTime"),
        "wikiLevel": text("Idée"),
    },
]

WIKIDATA_ANSWER = [
    {
        "territory": iri(ID + "commune/33063"),
        "territory_label_fr": text("Bordeaux", "fr"),
        "inseeCode": text("33063"),
        "item": iri("http://www.wikidata.org/entity/Q1479"),
        "item_label_fr": text("Bordeaux", "fr"),
        "item_label_en": text("Bordeaux", "en"),
    },
    {
        "territory": iri(ID + "commune/69123"),
        "territory_label_fr": text("Lyon", "fr"),
        "inseeCode": text("69123"),
        "item": iri("http://www.wikidata.org/entity/Q456"),
        "item_label_fr": text("Lyon", "fr"),
        "item_label_en": text("Lyon", "en"),
    },
]


def bindings(results: dict) -> list[dict]:
    """The rows of SPARQL JSON results, with `xsd:string` datatypes dropped (RDF 1.1: the same literal)."""
    rows = []
    for row in results["results"]["bindings"]:
        rows.append({name: {k: v for k, v in term.items() if (k, v) != ("datatype", XSD + "string")}
                     for name, term in row.items()})  # fmt: skip
    return rows


# --- the library: apart, off by default ----------------------------------------------------------------------------


def test_federated_questions_are_apart_and_off_by_default():
    library = load_library()
    federated = load_federated()
    assert {WIKI_QUESTION, WIKIDATA_QUESTION} <= set(federated)
    assert all(question.federated for question in federated.values())
    assert not any(question.federated for question in library.values())
    assert not set(federated) & set(library)
    with_federation = load_library(allowlist=["http://127.0.0.1:9/"])
    assert set(with_federation) == set(library) | set(federated)


def test_endpoints_are_parameters_with_documented_constants():
    question = load_federated()[WIKIDATA_QUESTION]
    (endpoint,) = question.endpoints
    assert (endpoint.name, endpoint.iri) == ("wikidata", "https://query.wikidata.org/sparql")
    parameter = question.parameter("wikidata_endpoint")
    assert (parameter.type, parameter.required, parameter.default) == ("iri", False, endpoint.iri)
    assert "SERVICE <https://query.wikidata.org/sparql>" in question.sparql  # runs as it is anywhere
    bound = question.bind({"wikidata_endpoint": "http://127.0.0.1:9/query"})
    assert "SERVICE <http://127.0.0.1:9/query>" in bound and "SERVICE <https://query.wikidata.org" not in bound
    assert "VALUES ?__wikidata" not in bound  # an endpoint is written in place, never a VALUES variable
    assert question.endpoints_for({"wikidata_endpoint": "http://127.0.0.1:9/query"}) == ["http://127.0.0.1:9/query"]


def test_a_federated_question_does_not_run_without_the_allowlist(store, monkeypatch):
    monkeypatch.delenv("AGRS_FEDERATION_ALLOWLIST", raising=False)
    question = load_federated()[WIKIDATA_QUESTION]
    values = {"wikidata_endpoint": "http://127.0.0.1:9/query"}
    with pytest.raises(FederationNotAllowed) as refused:
        question.run(store, values)
    assert "http://127.0.0.1:9/query" in str(refused.value) and "--allow-federation" in str(refused.value)
    with pytest.raises(FederationNotAllowed) as refused:
        question.run(store, values, allowlist=["http://127.0.0.1:8/"])
    assert "http://127.0.0.1:8/" in str(refused.value)
    with pytest.raises(FederationNotAllowed):  # the default endpoint is not allowed by the loopback entry
        question.run(store, allowlist=["http://127.0.0.1:9/"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("SELECT * { SERVICE <http://a.example/q> { ?s ?p ?o } }", "not a declared endpoint"),
        ("SELECT * { VALUES ?e { <http://a.example/q> } SERVICE ?e { ?s ?p ?o } }", "names its endpoints"),
    ],
)
def test_a_service_must_name_a_declared_endpoint(tmp_path, body, message):
    path = tmp_path / "q.rq"
    path.write_text("#+ summary: s\n#+ summary_fr: s\n#+ description: d\n#+ description_fr: d\n#+ tags: [x]\n" + body)
    with pytest.raises(QuestionError, match=message):
        parse_question(path)


def test_a_declared_endpoint_must_be_called(tmp_path):
    path = tmp_path / "q.rq"
    path.write_text(
        "#+ summary: s\n#+ summary_fr: s\n#+ description: d\n#+ description_fr: d\n#+ tags: [x]\n#+ endpoints:\n"
        "#+   other:\n#+     iri: http://b.example/q\n#+     description: d\n#+     description_fr: d\n"
        "SELECT * { SERVICE <http://a.example/q> { ?s ?p ?o } }"
    )
    with pytest.raises(QuestionError, match="not a declared endpoint"):
        parse_question(path)


def test_the_server_guard_and_the_library_share_the_allowlist_rule():
    from agrs.questions.federated import allowed
    from agrs.server.protocol import federation

    assert federation.allowed is allowed


# --- the answers: library, CLI, /api -------------------------------------------------------------------------------


def test_wiki_question_answer(store, wiki):
    question = load_federated()[WIKI_QUESTION]
    answer = question.run(store, {"wiki_endpoint": wiki.url}, allowlist=[wiki.base], infer=False)
    assert bindings(answer.to_json()) == WIKI_ANSWER


def test_wiki_question_for_one_commons(store, wiki):
    question = load_federated()[WIKI_QUESTION]
    values = {"wiki_endpoint": wiki.url, "commons": ID + "resilience-commons/diagnostic-360-resilience-territoriale"}
    answer = question.run(store, values, allowlist=[wiki.url], infer=False)
    assert bindings(answer.to_json()) == WIKI_ANSWER[1:]


def test_wikidata_question_answer(store, wikidata):
    question = load_federated()[WIKIDATA_QUESTION]
    answer = question.run(store, {"wikidata_endpoint": wikidata.url}, allowlist=[wikidata.base], infer=False)
    assert bindings(answer.to_json()) == WIKIDATA_ANSWER


def agrs_query(store_path: Path, *arguments: str, allowlist: str | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "AGRS_FEDERATION_ALLOWLIST"}
    if allowlist is not None:
        environment["AGRS_FEDERATION_ALLOWLIST"] = allowlist
    return subprocess.run(
        [sys.executable, "-m", "agrs", "query", "--store", str(store_path), "--questions", str(FEDERATED), *arguments],
        capture_output=True, text=True, cwd=REPO, env=environment, timeout=300,
    )  # fmt: skip


def test_cli_runs_a_federated_question_only_under_the_allowlist(store_path, store, wikidata):
    arguments = (WIKIDATA_QUESTION, "--param", f"wikidata_endpoint={wikidata.url}", "--no-infer", "--format", "json")
    refused = agrs_query(store_path, *arguments)
    assert refused.returncode == 2 and refused.stdout == ""
    assert "federated question" in refused.stderr and "--allow-federation" in refused.stderr
    answered = agrs_query(store_path, *arguments, allowlist=wikidata.base)
    assert answered.returncode == 0, answered.stderr
    assert bindings(json.loads(answered.stdout)) == WIKIDATA_ANSWER


def api(server: LiveServer, name: str, **values: str) -> tuple[int, bytes]:
    url = f"{server.url}/api/{name}?" + urllib.parse.urlencode({**values, "infer": "false"})
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_api_serves_a_federated_question_only_under_the_allowlist(store_path, store, wikidata, wiki):
    questions = ("--questions", str(FEDERATED))
    closed = LiveServer(store_path, *questions, token=None)
    try:
        status, body = api(closed, WIKIDATA_QUESTION, wikidata_endpoint=wikidata.url)
    finally:
        closed.stop()
    assert status == 403 and b"--allow-federation" in body, body
    server = LiveServer(store_path, *questions, "--allow-federation", wikidata.base, "--allow-federation", wiki.url,
                        token=None)  # fmt: skip
    try:
        status, body = api(server, WIKIDATA_QUESTION, wikidata_endpoint=wikidata.url)
        assert status == 200, body
        assert bindings(json.loads(body)) == WIKIDATA_ANSWER
        status, body = api(server, WIKI_QUESTION, wiki_endpoint=wiki.url)
        assert status == 200, body
        assert bindings(json.loads(body)) == WIKI_ANSWER
        status, body = api(server, WIKIDATA_QUESTION)  # its default endpoint, Wikidata itself, is not allowed
        assert status == 403 and b"query.wikidata.org" in body
    finally:
        server.stop()
