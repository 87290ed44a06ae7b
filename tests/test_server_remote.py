"""`agrs serve --store URL` in front of real remote SPARQL servers (tests/servers.py): the endpoint, the questions
API, a linked-data page, VoID and writes, on each server the fixtures can start.

The remote store holds the fixture knowledge graph of the stored questions (tests/data/kg, with the ontology and
the inferred graph), loaded through the library; a real `agrs serve --store URL` child process serves it on
loopback. What it answers is compared with the expected answers (tests/data/cq) and with the same data in an
embedded store. `serve_remote` is shared with test_w3c_remote.py and test_remote_questions.py.
"""

import contextlib
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from conftest import DATA, LiveServer, http_get

pytestmark = pytest.mark.remote

#: the remote kinds and their session fixtures (tests/servers.py); a kind whose server is missing is skipped there
REMOTE_KINDS = {"oxigraph-server": "oxigraph_server", "virtuoso": "virtuoso_server", "fuseki": "fuseki_server"}
FIXTURE_GRAPH = "https://w3id.org/agrs/graph/fixture/"
ID = "https://w3id.org/agrs/id/"
ALPHAVILLE = ID + "commune/99001"
JSON_RESULTS = "application/sparql-results+json"
TOKEN = "test-token"


def remote_server(request, kind: str):
    """Return the ServerInfo of the remote `kind` (its session fixture), emptied (`reset`)."""
    info = request.getfixturevalue(REMOTE_KINDS[kind])
    info.reset()
    return info


@contextlib.contextmanager
def _environment(values: dict[str, str | None]):
    """Set (or remove, for None) environment variables for the block: the child process inherits them."""
    before = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def remote_options(location) -> list[str]:
    """The `agrs serve` options naming a RemoteLocation (secrets go by the environment: see serve_remote)."""
    options = []
    if location.update_url:
        options += ["--update-url", location.update_url]
    if location.graph_store_url:
        options += ["--graph-store-url", location.graph_store_url]
    if location.user:
        options += ["--store-user", location.user]
    if location.auth:
        options += ["--store-auth", location.auth]
    return options


def serve_remote(location, *options: str, token: str | None = TOKEN) -> LiveServer:
    """Start `agrs serve --store URL` on the remote store at `location` (a RemoteLocation), as a user would:
    URLs and user on the command line, the password and bearer token in AGRS_STORE_PASSWORD / AGRS_STORE_TOKEN."""
    secrets = {"AGRS_STORE_PASSWORD": location.password, "AGRS_STORE_TOKEN": location.token, "AGRS_STORE": None}
    with _environment(secrets):
        return LiveServer(location.query_url, *remote_options(location), *options, token=token)


def fill_with_fixture(store) -> None:
    """Load the ontology, the fixture knowledge graph (one graph per file) and the inferred graph into `store`."""
    from agrs.derived.reason import materialise
    from agrs.ontology_graph import ensure_ontology
    from agrs.resources import Resources

    ensure_ontology(store, Resources.load())
    for source in sorted((DATA / "kg").glob("*.ttl")):
        store.replace_graph(FIXTURE_GRAPH + source.stem, ox.parse(path=str(source), format=ox.RdfFormat.TURTLE))
    materialise(store)


def copy_store(source, target) -> None:
    """Copy every current graph and plain graph of `source` into `target` through the store interface, as
    `agrs push` does: the remote store then holds what the embedded one does, inferred graph included (computed
    once, on the embedded store: the comparisons are about serving, not about reasoning on each server)."""
    from agrs.graphs import REGISTRY_GRAPH

    for info in source.graphs():
        target.replace_graph(info.graph, source.triples(info.graph))
    for name in source.plain_graphs():
        if name != REGISTRY_GRAPH:
            construct = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}"
            target.write_plain_graph(name, [tuple(triple) for triple in source.query(construct, graphs=())])


def http(url: str, *, method: str = "GET", data: bytes | None = None, headers: dict | None = None,
         timeout: float = 60):  # fmt: skip
    """Send a request; return (status, headers with lower-case names, body bytes), for error statuses too."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def sparql(server: LiveServer, query: str, accept: str = JSON_RESULTS, **parameters):
    """POST `query` to the server's /sparql as a form; return (status, headers, body bytes)."""
    form = urllib.parse.urlencode({"query": query, **parameters}).encode()
    return http(server.url + "/sparql", method="POST", data=form,
                headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": accept})  # fmt: skip


def rows_of(body: bytes) -> list[tuple]:
    """The rows of a SPARQL JSON result as sorted tuples of (type, value, datatype or language)."""
    results = json.loads(body)
    names = results["head"]["vars"]

    def term(binding):
        if binding is None:
            return None
        return binding["type"].replace("typed-literal", "literal"), binding["value"], binding.get("datatype") or (
            "@" + binding["xml:lang"].lower() if "xml:lang" in binding else None)  # fmt: skip

    return sorted((tuple(term(row.get(name)) for name in names) for row in results["results"]["bindings"]), key=repr)


# --- the fixtures ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    """The same data in an embedded store, read-only: what the remote answers are compared with."""
    from agrs.store import open_store

    path = tmp_path_factory.mktemp("embedded-reference") / "store"
    with open_store(path) as store:
        fill_with_fixture(store)
    reference = open_store(path, read_only=True)
    yield reference
    reference.close()


class Served:
    """A remote server holding the fixture (`info`: its ServerInfo) and the `agrs serve` in front of it (`live`)."""

    def __init__(self, kind: str, info):
        self.kind, self.info = kind, info
        self.live = serve_remote(info.location)

    def __iter__(self):
        return iter((self.kind, self.info, self.live))


@pytest.fixture(scope="module", params=list(REMOTE_KINDS))
def remote(request, embedded):
    """A remote server holding the fixture (copied from `embedded`), served with the write token (a Served)."""
    from agrs.store import open_store

    info = remote_server(request, request.param)
    with open_store(info.location) as store:
        copy_store(embedded, store)
    served = Served(request.param, info)
    yield served
    served.live.stop()


# --- the tests -------------------------------------------------------------------------------------------------


#: the registry (a plain graph: the default graph includes it) is each store's own bookkeeping (version history,
#: a remote store's lock): its triples are left out of the comparisons
NOT_REGISTRY = ('FILTER(isBlank(?s) || (!STRSTARTS(STR(?s), "https://w3id.org/agrs/graph/") '
                '&& !STRSTARTS(STR(?s), "https://w3id.org/agrs/store/")))')  # fmt: skip
QUERIES = {
    "select": "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }",
    "count": f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o {NOT_REGISTRY} }}",
    "inferred": f"SELECT ?t WHERE {{ <{ALPHAVILLE}> <https://w3id.org/agrs/within> ?t }}",
    "named": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
    "FILTER(?g != <https://w3id.org/agrs/graph/registry>) } GROUP BY ?g",
}


@pytest.mark.parametrize("name", list(QUERIES))
def test_sparql_select_answers_as_the_embedded_store(remote, embedded, name):
    """SELECT through /sparql on the remote store gives the rows the embedded store gives (as sets; the union
    default graph counts a triple once, named graphs are the current versions)."""
    from agrs.questions.answer import answer_of

    kind, _, live = remote
    status, headers, body = sparql(live, QUERIES[name])
    assert status == 200, body.decode()
    assert headers["content-type"].startswith(JSON_RESULTS)
    expected = json.dumps(answer_of(embedded.query(QUERIES[name])).to_json()).encode()
    got, want = rows_of(body), rows_of(expected)
    assert want, f"{name}: the reference answer is empty (the fixture did not load?)"
    assert got == want, f"{kind} /sparql {name}: {len(got)} rows, expected {len(want)}"


def test_sparql_ask_and_construct(remote, embedded):
    kind, _, live = remote
    status, _, body = sparql(live, f"ASK {{ <{ALPHAVILLE}> ?p ?o }}")
    assert status == 200 and json.loads(body)["boolean"] is True
    status, _, body = sparql(live, "ASK { <http://example.org/nothing> ?p ?o }")
    assert status == 200 and json.loads(body)["boolean"] is False
    construct = f"CONSTRUCT {{ <{ALPHAVILLE}> ?p ?o }} WHERE {{ <{ALPHAVILLE}> ?p ?o }}"
    status, headers, body = sparql(live, construct, accept="text/turtle")
    assert status == 200 and headers["content-type"].startswith("text/turtle")
    got = Graph().parse(data=body, format="turtle")
    want = Graph().parse(data=embedded.query(construct).serialize(format=ox.RdfFormat.TURTLE), format="turtle")
    assert len(want) > 5 and isomorphic(got, want), f"{kind}: CONSTRUCT differs ({len(got)} vs {len(want)})"


def test_bad_query_is_400(remote):
    _, _, live = remote
    status, _, body = sparql(live, "SELECT WHERE {")
    assert status == 400, body.decode()


def test_questions_api_gives_the_expected_answers(remote):
    """Every expected answer of tests/data/cq through /api/<question> on the remote store; on Virtuoso, all but the
    engine's known gaps (tests/data/cq/virtuoso-gaps.tsv), and those must still differ."""
    from test_cq_answers import EXPECTED, _compare, _http_answer

    kind, _, live = remote
    assert EXPECTED
    failures = {}
    for path in EXPECTED:
        try:
            expected, variables, rows = _http_answer(live, path, "GET")
            _compare(expected, variables, rows, f"{path.name} ({kind})")
        except AssertionError as error:
            failures[path.stem] = " ".join(str(error).split())[:300]
    known = KNOWN_GAPS.get(kind, {})
    unexpected = {stem: message for stem, message in failures.items() if stem not in known}
    assert not unexpected, f"{len(unexpected)} of {len(EXPECTED)} expected answers differ:\n" + "\n".join(
        f"{stem}: {message}" for stem, message in unexpected.items())
    steady = {stem for stem, what in known.items() if not what.startswith("varies:")}
    assert steady <= set(failures), f"listed as {kind} gaps but now equal: {sorted(steady - set(failures))}"


def _known_gaps(path: Path) -> dict[str, str]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    return dict(line.split("\t", 1) for line in lines)


#: expected answers a server is known not to give (its engine's bugs: not fixable in the client or configuration)
KNOWN_GAPS = {"virtuoso": _known_gaps(DATA / "cq" / "virtuoso-gaps.tsv")}


def test_linked_data_page_and_document(remote, embedded):
    kind, _, live = remote
    path = "/id/commune/99001"
    status, headers, body = http_get(live.url + path, "text/html")
    assert status == 200, body
    assert headers["content-type"].startswith("text/html") and "Alphaville" in body
    status, headers, body = http_get(live.url + path, "text/turtle")
    assert status == 200 and headers["content-type"].startswith("text/turtle")
    got = Graph().parse(data=body, format="turtle")
    assert (URIRef(ALPHAVILLE), None, None) in got
    local = Graph().parse(data=embedded.query(f"DESCRIBE <{ALPHAVILLE}>").serialize(format=ox.RdfFormat.TURTLE))
    missing = [triple for triple in local if triple not in got]
    assert not missing, f"{kind}: the page's document lacks {missing[:3]}"


def test_void_counts_the_current_graphs(remote, embedded):
    kind, _, live = remote
    deadline = time.monotonic() + 30
    while True:  # the statistics are counted in the background after the server starts
        status, _, body = http_get(live.url + "/.well-known/void", "text/turtle")
        assert status == 200, body
        void = Graph().parse(data=body, format="turtle")
        counted = {str(s): int(o) for s, o in void.subject_objects(URIRef("http://rdfs.org/ns/void#triples"))}
        if counted or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    for info in embedded.graphs():
        if info.graph.startswith(FIXTURE_GRAPH):
            assert info.triples in counted.values(), f"{kind}: VoID lacks {info.graph} ({info.triples} triples)"


def test_graph_store_write_needs_the_token_and_reaches_the_remote_store(remote):
    from agrs.store import open_store

    _, info, live = remote
    graph = "http://example.org/remote-write"
    target = live.url + "/graph-store?graph=" + urllib.parse.quote(graph, safe="")
    turtle = b"<http://example.org/a> <http://example.org/p> 'written through agrs serve' ."
    status, _, _ = http(target, method="PUT", data=turtle, headers={"Content-Type": "text/turtle"})
    assert status in (401, 403)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    status, _, body = http(target, method="PUT", data=turtle, headers={"Content-Type": "text/turtle", **auth})
    assert status == 201, body.decode()
    status, _, body = http(target, headers={"Accept": "text/turtle"})
    assert status == 200 and len(Graph().parse(data=body, format="turtle")) == 1
    ask = f"ASK {{ GRAPH <{graph}> {{ <http://example.org/a> ?p 'written through agrs serve' }} }}"
    assert json.loads(sparql(live, ask)[2])["boolean"] is True
    with open_store(info.location, read_only=True) as reader:  # the write is in the remote server itself
        assert bool(reader.query(ask, union=False))
    status, _, _ = http(target, method="DELETE", headers=auth)
    assert status == 204
    assert json.loads(sparql(live, ask)[2])["boolean"] is False


def test_sparql_update_with_the_token(remote):
    _, _, live = remote
    graph = "http://example.org/remote-update"
    update = f"INSERT DATA {{ GRAPH <{graph}> {{ <http://example.org/u> <http://example.org/p> 1 }} }}"
    form = urllib.parse.urlencode({"update": update}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    status, _, _ = http(live.url + "/sparql", method="POST", data=form, headers=headers)
    assert status in (401, 403)
    status, _, body = http(live.url + "/sparql", method="POST", data=form,
                           headers={**headers, "Authorization": f"Bearer {TOKEN}"})  # fmt: skip
    assert status == 204, body.decode()
    status, _, body = sparql(live, f"SELECT ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    assert [row[0][1] for row in rows_of(body)] == ["1"]


def test_read_only_server_follows_another_writer(remote):
    """Without a token the server takes no lock: another process writes the remote store meanwhile, and the
    server's ETag and answers follow within the registry's refresh interval (agrs.server.runtime.REGISTRY_TTL)."""
    from agrs.server.runtime import REGISTRY_TTL
    from agrs.store import open_store

    kind, info, serving = remote
    graph = "https://w3id.org/agrs/graph/test/other-writer"
    query = f"SELECT ?o WHERE {{ ?s <{ID}test/p> ?o }}"  # the union default graph: what a new graph joins
    serving.stop()  # the writer's lock is released: the library may write while a read-only server runs
    reader = serve_remote(info.location, token=None)
    url = reader.url + "/sparql?" + urllib.parse.urlencode({"query": query})
    try:
        status, headers, body = http(url, headers={"Accept": JSON_RESULTS})
        assert status == 200 and rows_of(body) == [], body.decode()
        first = headers["etag"]
        status, _, _ = http(url, headers={"Accept": JSON_RESULTS, "If-None-Match": first})
        assert status == 304
        with open_store(info.location) as writer:  # a second writer: the read-only server holds no lock
            writer.replace_graph(graph, [(ox.NamedNode(ID + "x"), ox.NamedNode(ID + "test/p"), ox.Literal("new"))])
        deadline = time.monotonic() + REGISTRY_TTL + 5
        while True:
            status, headers, body = http(url, headers={"Accept": JSON_RESULTS, "If-None-Match": first})
            if status != 304 or time.monotonic() > deadline:
                break
            time.sleep(0.25)
        assert status == 200, f"{kind}: the ETag did not change after another writer's commit"
        assert headers["etag"] != first
        assert [row[0][1] for row in rows_of(body)] == ["new"]
        refused = http(reader.url + "/graph-store?graph=http://example.org/x", method="PUT", data=b"",
                       headers={"Content-Type": "text/turtle", "Authorization": f"Bearer {TOKEN}"})  # fmt: skip
        assert refused[0] in (401, 403)
    finally:
        reader.stop()
        with open_store(info.location) as writer:
            writer.drop_graph(graph)
        remote.live = serve_remote(info.location)  # the module's server, for the tests after this one
