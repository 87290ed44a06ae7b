"""Read access per graph (agrs.access, agrs.server.access): restricted graphs stay out of every read path of a
caller who may not read them — tested path by path on a real `agrs serve` on loopback, and on the store itself.

The store: a public graph; a diagnostic (restricted by default) sharing one triple with it and pointing at one of
its IRIs; an inferred graph and a roll-up derived from the diagnostic (restricted too); a diagnostic the access
file opens; a graph the access file restricts. Callers: anonymous, a reader token (read-restricted), the write
token (both roles), a token with the write role only, an unknown token.
"""

import gc
import gzip
import hashlib
import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime

import pyoxigraph as ox
import pytest

from agrs.graphs import INFERRED_GRAPH, PROVENANCE_GRAPH, REGISTRY_GRAPH, graph_iri

from conftest import LiveServer, run_agrs

ID = "https://w3id.org/agrs/id/"
P = ox.NamedNode("https://w3id.org/agrs/test/p")
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
PUBLIC = graph_iri("test", "public")
SECRET = graph_iri("diagnostic", "acme")
OPENED = graph_iri("diagnostic", "published")
HR = graph_iri("test", "hr")
ROLLUP = graph_iri("rollup", "acme")
TOWN = ox.NamedNode(ID + "test/town")
ACME = ox.NamedNode(ID + "diagnostic/acme")
SHARED = (TOWN, P, ox.Literal("shared fact"))
READER, WRITER_ONLY, WRITE_TOKEN = "reader-secret", "writer-only", "test-token"
#: what no anonymous answer may hold: the restricted graphs' names, IRIs and literals
SECRETS = ("acme", "Acme", "hr-person", "HR secret", "rolled secret")


QUESTION_HEADER = """#+ summary: S
#+ summary_fr: S
#+ description: D
#+ description_fr: D
#+ tags: [project]
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""


def _sha(token: str) -> str:
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()


def fill(store) -> None:
    """Write the graphs of the module's docstring into `store`, with provenance for the derived ones."""
    from agrs.commit import Source, commit_graph

    store.replace_graph(PUBLIC, [(TOWN, LABEL, ox.Literal("Townville")), SHARED])
    secret = commit_graph(store, Source("diagnostic", "acme", SECRET), [
        (ACME, LABEL, ox.Literal("Acme secret dependency")), (ACME, P, TOWN), SHARED,
    ], started=datetime.now(UTC)).version  # fmt: skip
    inferred = ox.NamedNode("https://w3id.org/agrs/test/InferredKind")
    commit_graph(store, Source("reason", "inferred", INFERRED_GRAPH), [(ACME, P, inferred)],
                 started=datetime.now(UTC), used=[secret])  # fmt: skip
    activity = ox.NamedNode(ID + "test/rollup-activity")
    store.replace_graph(ROLLUP, [
        (activity, ox.NamedNode("http://www.w3.org/ns/prov#used"), ox.NamedNode(secret)),
        (ox.NamedNode(ID + "test/rollup-obs"), P, ox.Literal("rolled secret")),
    ])  # fmt: skip
    store.replace_graph(OPENED, [(ox.NamedNode(ID + "diagnostic/published"), LABEL, ox.Literal("Published one"))])
    store.replace_graph(HR, [(ox.NamedNode(ID + "test/hr-person"), LABEL, ox.Literal("HR secret"))])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One `agrs serve --access FILE` on the store of `fill`, with the write token "test-token"."""
    from agrs.store import open_store

    folder = tmp_path_factory.mktemp("access")
    with open_store(folder / "store") as store:
        fill(store)
    gc.collect()
    rules = folder / "access.txt"
    rules.write_text(
        f"# who reads what\npublic {OPENED}\nrestricted {HR}\ntoken {_sha(READER)} read-restricted\n"
        f"token {_sha(WRITER_ONLY)} write   # may write, may not read restricted graphs\n"
    )
    questions = folder / "questions"
    questions.mkdir()
    (questions / "labels.rq").write_text(QUESTION_HEADER + "SELECT ?s ?label WHERE { ?s rdfs:label ?label }\n")
    live = LiveServer(folder / "store", "--access", str(rules), "--questions", str(questions))
    yield live
    live.stop()


def get(server, path: str, token: str | None = None, accept: str | None = None, method: str = "GET"):
    """Send a request; return (status, headers with lower-case names, body bytes)."""
    headers = {"Accept": accept} if accept else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(server.url + path, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def sparql(server, query: str, token: str | None = None, **parameters) -> list[dict]:
    """Run a SELECT on /sparql; return its bindings (values only)."""
    pairs = [("query", query), *[(key.replace("_", "-"), value) for key, value in parameters.items()]]
    status, _, body = get(server, "/sparql?" + urllib.parse.urlencode(pairs, doseq=True), token,
                          "application/sparql-results+json")  # fmt: skip
    assert status == 200, body
    return [{k: v["value"] for k, v in row.items()} for row in json.loads(body)["results"]["bindings"]]


def assert_no_secret(body: bytes | str) -> None:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    leaked = [word for word in SECRETS if word in text]
    assert not leaked, f"restricted data leaked: {leaked}"


# --- the policy ------------------------------------------------------------------------------------------------


def test_policy_rules_most_specific_wins_and_diagnostics_are_restricted_by_default(tmp_path):
    from agrs.access import AccessFileError, load_policy

    default = load_policy(None)
    assert default.rule(SECRET) is True and default.rule(PUBLIC) is None
    rules = tmp_path / "access.txt"
    rules.write_text(f"public {OPENED}\nrestricted https://example.org/hr/\n")
    policy = load_policy(rules)
    assert policy.rule(OPENED) is False and policy.rule(SECRET) is True
    assert policy.rule("https://example.org/hr/people") is True
    for bad in ("token hunter2 read-restricted", f"token {_sha('x')} admin", "restricted not-an-iri", "open x"):
        rules.write_text(bad + "\n")
        with pytest.raises(AccessFileError, match="line 1"):
            load_policy(rules)


def test_the_demo_access_file_publishes_the_synthetic_demo_diagnostics_only():
    """scripts/demo.sh serves with config/access/demo.txt: a prefix ending with * opens the demo-* diagnostics."""
    from agrs.access import load_policy

    from conftest import REPO

    policy = load_policy(REPO / "config" / "access" / "demo.txt")
    assert policy.rule("https://w3id.org/agrs/graph/diagnostic/demo-lagrasse") is False
    assert policy.rule("https://w3id.org/agrs/graph/diagnostic/acme-sa") is True
    assert policy.rule("https://w3id.org/agrs/graph/partners/partners") is None


def test_a_token_is_known_by_its_hash_only_and_the_write_token_has_both_roles(tmp_path):
    from agrs.access import READ_RESTRICTED, WRITE, load_policy

    rules = tmp_path / "access.txt"
    rules.write_text(f"token {_sha(READER)} read-restricted\n")
    policy = load_policy(rules)
    assert READER not in rules.read_text()
    assert policy.roles_of(READER, None) == {READ_RESTRICTED}
    assert policy.roles_of("guess", None) is None
    assert policy.roles_of(WRITE_TOKEN, WRITE_TOKEN) == {READ_RESTRICTED, WRITE}


# --- the store: Dataset.hidden, on each store kind --------------------------------------------------------------


def read_or_refused(store, query: str, dataset) -> list:
    """The rows of `query`, or [] when a Virtuoso store refuses it (it reads graphs a query names in its text
    whatever the dataset: a query that may not read every graph may not name graphs there)."""
    from agrs.store import QueryError

    try:
        return list(store.query(query, dataset=dataset))
    except QueryError as error:
        assert "Virtuoso" in str(error) and store.quirks.virtuoso, error
        return []


def test_hidden_graphs_are_out_of_every_part_of_the_dataset(store):
    from agrs.access import load_policy, restricted_graphs
    from agrs.store import Dataset

    fill(store)
    hidden = restricted_graphs(store, load_policy(None))
    assert {SECRET, INFERRED_GRAPH, ROLLUP, HR, OPENED} & hidden == {SECRET, INFERRED_GRAPH, ROLLUP, OPENED}
    assert {PROVENANCE_GRAPH, REGISTRY_GRAPH} <= hidden  # they name the restricted graphs
    seen = Dataset(hidden=hidden)
    everything = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    rows = [tuple(row) for row in store.query(everything, dataset=seen)]
    assert rows.count(SHARED) == 1, "the default graph is still a set"
    assert not [row for row in rows if ACME in row], "the restricted triples are out of the default graph"
    assert [tuple(row) for row in store.query(everything)].count(SHARED) == 1
    version = store.current_version(SECRET)
    for query in (f"SELECT * FROM <{SECRET}> WHERE {{ ?s ?p ?o }}", f"SELECT * FROM <{version}> WHERE {{ ?s ?p ?o }}",
                  f"SELECT * FROM NAMED <{SECRET}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
                  f"SELECT * WHERE {{ GRAPH <{version}> {{ ?s ?p ?o }} }}"):  # fmt: skip
        assert read_or_refused(store, query, seen) == [], query
        assert list(store.query(query)), f"the check must be able to fail: {query}"
    graphs = {row[0].value for row in store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", dataset=seen)}
    assert graphs and not [name for name in graphs if "diagnostic" in name or name in (PROVENANCE_GRAPH,)]
    named = Dataset(default=(SECRET,), named=(SECRET, PUBLIC), hidden=hidden)
    assert list(store.query("SELECT * WHERE { ?s ?p ?o }", dataset=named)) == []
    assert read_or_refused(store, f"SELECT * WHERE {{ GRAPH <{version}> {{ ?s ?p ?o }} }}", named) == []
    inferred = "ASK { ?s ?p <https://w3id.org/agrs/test/InferredKind> }"
    opened = hidden - {INFERRED_GRAPH}  # the inferred graph readable: in the default graph unless infer=false
    assert bool(store.query(inferred, dataset=Dataset(hidden=opened)))
    assert not bool(store.query(inferred, dataset=Dataset(infer=False, hidden=opened)))


def test_the_virtuoso_guard_spots_queries_that_may_name_a_hidden_graph():
    from agrs.store.base import _may_name_hidden

    hidden = frozenset({SECRET, PROVENANCE_GRAPH})
    named = [f"SELECT * FROM <{SECRET}/v3> {{}}", f"SELECT * {{ GRAPH <{PROVENANCE_GRAPH}> {{}} }}",
             "PREFIX g: <https://w3id.org/agrs/graph/> SELECT * { GRAPH g:x {} }", "SELECT * FROM NAMED <v1> {}",
             f"SELECT * {{ GRAPH <{SECRET}\\u002Fv1> {{}} }}"]  # fmt: skip
    safe = ["SELECT * { GRAPH ?g { ?s ?p ?o } }", f"BASE <https://x/> SELECT * FROM <{PUBLIC}/v1> {{}}",
            "SELECT ?graph WHERE { ?graph ?p ?o }"]  # fmt: skip
    assert [query for query in named if not _may_name_hidden(query, hidden)] == []
    assert [query for query in safe if _may_name_hidden(query, hidden)] == []


def test_the_materialised_view_answers_as_the_merge_and_follows_the_versions(tmp_path):
    from agrs.access import load_policy, restricted_graphs
    from agrs.store import Dataset
    from agrs.store.base import VIEW_PREFIX, materialise_view
    from agrs.store.embedded import EmbeddedStore

    store = EmbeddedStore(tmp_path / "store")
    fill(store)
    # the inferred graph public: the views hold it apart from the asserted triples (infer=false leaves it out)
    hidden = restricted_graphs(store, load_policy(None)) - {INFERRED_GRAPH}
    everything = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    datasets = [Dataset(hidden=hidden), Dataset(infer=False, hidden=hidden)]
    merged = [sorted(tuple(row) for row in store.query(everything, dataset=seen)) for seen in datasets]
    assert len(merged[0]) == len(merged[1]) + 1, "the check can fail: the inferred triple is in one only"
    views = materialise_view(store, hidden)
    assert views is not None and all(store.holds_view(view) for view in views)
    for seen, expected, used in zip(datasets, merged, (list(views), [views[0]]), strict=True):
        default, named = store.resolve(seen, everything)
        assert (
            default[: len(used)] == used and not set(views) & set(named) and not set(views) & set(store.plain_graphs())
        )
        assert sorted(tuple(row) for row in store.query(everything, dataset=seen)) == expected
    assert list(store.query(f"SELECT * FROM <{views[0]}> WHERE {{ ?s ?p ?o }}", dataset=datasets[0])) == []
    store.replace_graph(PUBLIC, [(TOWN, LABEL, ox.Literal("Townville 2"))])
    assert views[0] not in store.resolve(datasets[0], everything)[0], "views name their versions: a new one is needed"
    fresh = materialise_view(store, hidden)
    assert fresh[0] != views[0] and not store.holds_view(views[0]) and store.holds_view(fresh[0])
    assert "Townville 2" in {row[2].value for row in store.query(everything, dataset=datasets[0])}
    assert sorted(node.value for node in store._store.named_graphs() if node.value.startswith(VIEW_PREFIX)) == sorted(
        fresh
    )
    assert materialise_view(store, frozenset()) is None and not store.holds_view(fresh[0])
    store.close()


# --- the server, path by path ------------------------------------------------------------------------------------


def test_sparql_default_graph_is_the_merge_of_the_readable_graphs(server):
    everything = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    public = sparql(server, everything)
    assert_no_secret(json.dumps(public))
    shared = {"s": TOWN.value, "p": P.value, "o": "shared fact"}
    assert public.count(shared) == 1 and {"s": ID + "diagnostic/published", "p": LABEL.value, "o": "Published one"} \
        in public  # fmt: skip
    full = sparql(server, everything, READER)
    assert full.count(shared) == 1
    assert {"s": ACME.value, "p": LABEL.value, "o": "Acme secret dependency"} in full
    assert sparql(server, everything, WRITE_TOKEN) == full
    assert_no_secret(json.dumps(sparql(server, everything, WRITER_ONLY)))


def test_sparql_naming_a_restricted_graph_sees_nothing_of_it(server):
    version = sparql(server, f"SELECT ?v WHERE {{ GRAPH ?v {{ <{ACME.value}> ?p ?o }} }} LIMIT 1", READER)[0]["v"]
    queries = [
        f"SELECT * FROM <{SECRET}> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM <{version}> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <{SECRET}> FROM NAMED <{version}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ GRAPH <{version}> {{ ?s ?p ?o }} }}",
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
        f"SELECT * WHERE {{ GRAPH <{PROVENANCE_GRAPH}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ GRAPH <{REGISTRY_GRAPH}> {{ ?s ?p ?o }} }}",
    ]
    for query in queries:
        rows = sparql(server, query)
        assert_no_secret(json.dumps(rows))
        assert "diagnostic/acme" not in json.dumps(rows) and PROVENANCE_GRAPH not in json.dumps(rows), query
    assert sparql(server, queries[0], READER), "the reader sees it: the checks can fail"
    for parameters in ({"named_graph_uri": [SECRET, version]}, {"default_graph_uri": [SECRET, version]}):
        rows = sparql(server, "SELECT * WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }", **parameters)
        assert rows == [], parameters
        assert sparql(server, "SELECT * WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }", READER, **parameters)


def test_derived_graphs_are_restricted_like_their_inputs(server):
    inferred = f"SELECT * WHERE {{ ?s <{P.value}> <https://w3id.org/agrs/test/InferredKind> }}"
    assert sparql(server, inferred) == [] and sparql(server, inferred, READER)
    rolled = 'SELECT * WHERE { ?s ?p "rolled secret" }'
    assert sparql(server, rolled) == [] and sparql(server, rolled, READER)


def test_an_unknown_token_is_refused_not_taken_for_anonymous(server):
    status, headers, body = get(server, "/sparql?query=" + urllib.parse.quote("ASK {}"), "nobody-knows-me")
    assert status == 401 and "invalid_token" in headers.get("www-authenticate", ""), body


def test_stored_questions_api(server):
    status, _, body = get(server, "/api/labels", accept="application/json")
    assert status == 200 and b"Townville" in body and b"Published one" in body
    assert_no_secret(body)
    status, _, body = get(server, "/api/labels", READER, accept="application/json")
    assert status == 200 and b"Acme secret dependency" in body and b"HR secret" in body


def test_pages_of_an_iri_described_only_in_a_restricted_graph_are_404(server):
    for path in ("/id/diagnostic/acme", "/page/id/diagnostic/acme", "/data/id/diagnostic/acme.ttl"):
        status, _, body = get(server, path, accept="text/turtle")
        assert status == 404, (path, status)
        assert get(server, path, READER, accept="text/turtle")[0] == 200, path
    status, _, body = get(server, "/data/id/test/town.ttl")
    assert status == 200 and b"Townville" in body
    assert_no_secret(body)  # the incoming link from the diagnostic is not shown
    assert b"diagnostic/acme" in get(server, "/data/id/test/town.ttl", READER)[2]
    status, _, body = get(server, "/id/test/hr-person", accept="text/html")
    assert status == 404
    status, _, body = get(server, "/search?q=Acme&format=json")
    assert status == 200 and json.loads(body)["results"] == []  # the index holds no restricted label
    assert json.loads(get(server, "/search?q=Acme&format=json", READER)[2])["results"]


def test_graph_store_get_and_head_of_a_restricted_graph_are_404(server):
    for iri in (SECRET, INFERRED_GRAPH, ROLLUP, HR, REGISTRY_GRAPH, PROVENANCE_GRAPH):
        path = "/graph-store?graph=" + urllib.parse.quote(iri, safe="")
        for method in ("GET", "HEAD"):
            status, _, body = get(server, path, accept="text/turtle", method=method)
            assert status == 404, (iri, method, status)
            assert body in (b"", f"there is no graph <{iri}> in the store\n".encode()), "as for a missing graph"
        assert get(server, path, READER, accept="text/turtle")[0] == 200, iri
    version = sparql(server, f"SELECT ?v WHERE {{ GRAPH ?v {{ <{ACME.value}> ?p ?o }} }} LIMIT 1", READER)[0]["v"]
    assert get(server, "/graph-store?graph=" + urllib.parse.quote(version, safe=""), accept="text/turtle")[0] == 404
    status, _, body = get(server, "/graph-store?graph=" + urllib.parse.quote(PUBLIC, safe=""), accept="text/turtle")
    assert status == 200 and b"Townville" in body


def test_void_service_description_and_health_name_no_restricted_graph(server):
    status, _, body = get(server, "/.well-known/void", accept="text/turtle")
    assert status == 200 and PUBLIC.encode() in body
    assert_no_secret(body)
    assert SECRET.encode() not in body and HR.encode() not in body and INFERRED_GRAPH.encode() not in body
    assert SECRET.encode() in get(server, "/.well-known/void", READER, accept="text/turtle")[2]
    status, _, body = get(server, "/sparql", accept="text/turtle")
    assert status == 200 and SECRET.encode() not in body and PROVENANCE_GRAPH.encode() not in body
    assert SECRET.encode() in get(server, "/sparql", READER, accept="text/turtle")[2]
    public, full = (json.loads(get(server, "/health", token)[2]) for token in (None, READER))
    assert public["graphs"] < full["graphs"] and public["triples"] < full["triples"]


def test_dump_holds_the_readable_graphs_only(server):
    status, _, body = get(server, "/dump.nq.gz")
    assert status == 200
    text = gzip.decompress(body).decode()
    assert "Townville" in text and "Published one" in text
    assert_no_secret(text)
    assert "Acme secret dependency" in gzip.decompress(get(server, "/dump.nq.gz", READER)[2]).decode()


def test_an_answer_cached_for_a_reader_is_never_served_to_anonymous(server):
    path = "/sparql?query=" + urllib.parse.quote('SELECT ?o WHERE { ?s ?p ?o FILTER(CONTAINS(STR(?o), "Acme")) }')
    status, headers, body = get(server, path, READER, accept="application/sparql-results+json")
    assert status == 200 and b"Acme" in body and headers["cache-control"].startswith("private")
    status, headers, body = get(server, path, accept="application/sparql-results+json")
    assert status == 200 and b"Acme" not in body and headers["cache-control"].startswith("public")


def test_write_role_tokens_write_and_read_only_tokens_do_not(server):
    body = "INSERT DATA { GRAPH <https://example.org/written> { <https://example.org/a> <https://example.org/b> 1 } }"
    # the writer-only token may not run an update (its WHERE could copy a restricted graph), the write token may
    for token, expected in ((READER, 403), (WRITER_ONLY, 403), (WRITE_TOKEN, 200)):
        request = urllib.request.Request(server.url + "/sparql", data=body.encode(), method="POST", headers={
            "Content-Type": "application/sparql-update", "Authorization": f"Bearer {token}"})  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                status = answer.status
        except urllib.error.HTTPError as error:
            status = error.code
        assert (status == expected) or (expected == 200 and status == 204), (token, status)
    turtle = b"<https://example.org/a> <https://example.org/b> 2 ."
    request = urllib.request.Request(server.url + "/graph-store?graph=" + urllib.parse.quote("https://example.org/w2"),
                                     data=turtle, method="PUT", headers={"Content-Type": "text/turtle",
                                     "Authorization": f"Bearer {WRITER_ONLY}"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=60) as answer:
        assert answer.status in (200, 201, 204), "a write-role token writes through the Graph Store"


# --- agrs export --------------------------------------------------------------------------------------------------


def test_export_leaves_restricted_graphs_out_unless_asked(tmp_path):
    from agrs.store import open_store

    with open_store(tmp_path / "store") as store:
        fill(store)
    gc.collect()
    public, full = tmp_path / "public.nq", tmp_path / "full.nq"
    rules = tmp_path / "access.txt"
    rules.write_text(f"restricted {HR}\n")
    run = run_agrs("export", "--store", str(tmp_path / "store"), "--access", str(rules), "-o", str(public), "--quiet")
    assert run.returncode == 0, run.stderr
    text = public.read_text()
    assert "Townville" in text and PUBLIC in text
    assert_no_secret(text)
    assert "Published one" not in text  # no access file: every diagnostic is restricted
    run = run_agrs("export", "--store", str(tmp_path / "store"), "-o", str(full), "--include-restricted", "--quiet")
    assert run.returncode == 0, run.stderr
    assert "Acme secret dependency" in full.read_text() and "rolled secret" in full.read_text()
    run = run_agrs("export", "--store", str(tmp_path / "store"), "--graph", SECRET, "-o", str(public), "--quiet")
    assert run.returncode == 2 and "--include-restricted" in run.stderr


def test_reason_skip_restricted_makes_a_public_inferred_graph(tmp_path):
    from agrs.access import load_policy, restricted_graphs
    from agrs.store import open_store

    with open_store(tmp_path / "store") as store:
        fill(store)
    gc.collect()
    for options, restricted in (((), True), (("--skip-restricted",), False)):
        run = run_agrs("reason", "--store", str(tmp_path / "store"), "--quiet", *options)
        assert run.returncode == 0, run.stderr
        with open_store(tmp_path / "store", read_only=True) as store:
            assert (INFERRED_GRAPH in restricted_graphs(store, load_policy(None))) is restricted, options
        gc.collect()
