"""agrs push: a store copied into another in AGRS's layout, idempotently (an unchanged graph is not sent again)."""

import pyoxigraph as ox
import pytest
from rdflib.compare import isomorphic
from test_export import ID, LINKS, NOTES, PROVENANCE, A, B, fill, graphs_of

from conftest import run_agrs

# Not isIRI(?s): a remote store keeps blank nodes as skolem IRIs, which isIRI matches (the answer turns them back).
QUESTION = """SELECT ?s ?o WHERE { ?s <https://w3id.org/agrs/id/p> ?o
  FILTER(STRSTARTS(STR(?s), "https://w3id.org/agrs/id/")) } ORDER BY ?s ?o"""
LITERALS = QUESTION.replace("FILTER(", "FILTER(isLiteral(?o) && ")


def _versions(store) -> dict[str, str]:
    return store.current_versions()


@pytest.fixture
def pair(tmp_path, store):
    """A filled embedded source store, and an empty target of each store kind (conftest's `store`: embedded, and
    each remote server, marked remote)."""
    from agrs.store import open_store

    source = open_store(tmp_path / "source")
    fill(source)
    yield source, store
    source.close()


def test_push_copies_the_graphs_in_the_targets_own_layout(pair):
    from agrs.push import push

    source, target = pair
    report = push(source, target)
    assert {graph for graph, _count in report.sent} == {A, B, LINKS, NOTES, PROVENANCE}
    assert set(target.current_versions()) == {A, B, LINKS}  # versioned on the target, registry and all
    assert {NOTES, PROVENANCE} <= set(target.plain_graphs())
    copied, original = graphs_of(target), graphs_of(source)
    assert set(copied) == set(original)
    for name in original:
        assert isomorphic(copied[name], original[name]), name
    # The pushed store answers a question as the source does (union default graph, set semantics).
    assert [tuple(row) for row in target.query(QUESTION)] == [tuple(row) for row in source.query(QUESTION)]


def test_a_second_push_sends_nothing(pair):
    from agrs.push import push

    source, target = pair
    push(source, target)
    versions = _versions(target)
    again = push(source, target)
    assert again.sent == []
    assert set(again.unchanged) == {A, B, LINKS, NOTES, PROVENANCE}
    assert _versions(target) == versions  # no new version on the target


def test_a_changed_graph_is_sent_again_and_only_it(pair):
    from agrs.push import push

    source, target = pair
    push(source, target)
    versions = _versions(target)
    source.replace_graph(A, [(ox.NamedNode(ID + "a/new"), ox.NamedNode(ID + "p"), ox.Literal("new"))])
    report = push(source, target)
    assert [graph for graph, _count in report.sent] == [A]
    assert report.sent == [(A, 1)]
    after = _versions(target)
    assert after[A] != versions[A] and after[B] == versions[B] and after[LINKS] == versions[LINKS]
    assert isomorphic(graphs_of(target)[A], graphs_of(source)[A])


def test_a_graph_replaced_on_the_target_is_sent_again(pair):
    from agrs.push import push

    source, target = pair
    push(source, target)
    target.replace_graph(B, [(ox.NamedNode(ID + "x"), ox.NamedNode(ID + "p"), ox.Literal("someone else's"))])
    report = push(source, target)
    assert [graph for graph, _count in report.sent] == [B]
    assert isomorphic(graphs_of(target)[B], graphs_of(source)[B])


def test_digests_ignore_blank_node_labels_and_see_content():
    from agrs.push import graph_digest

    p = ox.NamedNode(ID + "p")
    first, second = ox.BlankNode("x1"), ox.BlankNode("y2")
    one = [(ox.NamedNode(ID + "s"), p, first), (first, p, ox.Literal("v"))]
    relabelled = [(second, p, ox.Literal("v")), (ox.NamedNode(ID + "s"), p, second)]
    changed = [(ox.NamedNode(ID + "s"), p, first), (first, p, ox.Literal("w"))]
    assert graph_digest(one) == graph_digest(relabelled)
    assert graph_digest(one)[0] != graph_digest(changed)[0]
    assert graph_digest(one)[1] == 2


def test_push_command_reports_and_is_idempotent(tmp_path):
    from agrs.store import open_store

    with open_store(tmp_path / "source") as store:
        fill(store)
    first = run_agrs("push", "--store", str(tmp_path / "source"), "--to", str(tmp_path / "target"))
    assert first.returncode == 0, first.stderr
    assert "5 graph(s) sent" in first.stdout
    second = run_agrs("push", "--store", str(tmp_path / "source"), "--to", str(tmp_path / "target"), "--graph", A)
    assert second.returncode == 0, second.stderr
    assert "0 graph(s) sent" in second.stdout and "1 unchanged" in second.stdout
    forced = run_agrs("push", "--store", str(tmp_path / "source"), "--to", str(tmp_path / "target"), "--graph", A,
                      "--force", "--quiet")  # fmt: skip
    assert forced.returncode == 0 and forced.stdout == ""
    with open_store(tmp_path / "target", read_only=True) as target:
        assert target.current_version(A).endswith("/v2")  # forced: a second version


def test_push_to_a_locked_target_says_who_holds_it(tmp_path):
    from agrs.store import open_store

    with open_store(tmp_path / "source") as store:
        fill(store)
    with open_store(tmp_path / "target"):  # this process holds the target's write lock
        result = run_agrs("push", "--store", str(tmp_path / "source"), "--to", str(tmp_path / "target"))
    assert result.returncode == 2
    assert "agrs push:" in result.stderr and "pid" in result.stderr.lower()


def test_push_to_itself_or_with_remote_options_on_a_folder_is_refused(tmp_path):
    from agrs.store import open_store

    with open_store(tmp_path / "source") as store:
        fill(store)
    itself = run_agrs("push", "--store", str(tmp_path / "source"), "--to", str(tmp_path / "source"))
    assert itself.returncode == 2 and "itself" in itself.stderr
    options = run_agrs("push", "--store", str(tmp_path / "source"), "--to", str(tmp_path / "t"),
                       "--to-update-url", "http://127.0.0.1:9/update")  # fmt: skip
    assert options.returncode == 2 and "only go with a remote store" in options.stderr


def test_pushed_provenance_is_a_plain_graph_with_the_sources_records(pair):
    from agrs.push import push

    source, target = pair
    push(source, target)
    rows = target.query(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{PROVENANCE}> {{ ?s ?p ?o }} }}", union=False)
    graph = {(row[0].value, row[1].value, row[2].value) for row in rows}
    assert (ID + "load/a", "http://www.w3.org/ns/prov#generated", source.current_version(A)) in graph


@pytest.mark.remote
@pytest.mark.parametrize("kind", ["oxigraph_server", "virtuoso_server"])
def test_push_command_to_a_server_then_export_from_it(tmp_path, request, kind):
    """`agrs push --to URL` (secrets from AGRS_PUSH_*), again (nothing sent), then `agrs export --store URL`."""
    import os
    import subprocess
    import sys

    from test_export import dataset_graphs

    from agrs.store import open_store

    from conftest import REPO

    server = request.getfixturevalue(kind)
    server.reset()
    with open_store(tmp_path / "source") as store:
        fill(store)
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("AGRS_PUSH", "AGRS_STORE"))}
    if server.user:
        environment |= {"AGRS_PUSH_USER": server.user, "AGRS_PUSH_PASSWORD": server.password or ""}
    if server.auth:
        environment["AGRS_PUSH_AUTH"] = server.auth

    def agrs(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "agrs", *args], capture_output=True, text=True, timeout=600,
                              cwd=REPO, env=environment)  # fmt: skip

    target = ["--to", server.query_url, "--to-update-url", server.update_url]
    if server.graph_store_url:
        target += ["--to-graph-store-url", server.graph_store_url]
    first = agrs("push", "--store", str(tmp_path / "source"), *target)
    assert first.returncode == 0, first.stderr
    assert "5 graph(s) sent" in first.stdout
    second = agrs("push", "--store", str(tmp_path / "source"), *target)
    assert second.returncode == 0, second.stderr
    assert "0 graph(s) sent" in second.stdout and "5 unchanged" in second.stdout
    exported = agrs("export", "--store", server.query_url, "--quiet", "--no-void")
    assert exported.returncode == 0, exported.stderr
    copied = dataset_graphs(exported.stdout.encode(), "nquads")
    from agrs.store import open_store as reopen

    with reopen(tmp_path / "source", read_only=True) as store:
        original = graphs_of(store)
    assert set(copied) == set(original)
    for name in original:
        assert isomorphic(copied[name], original[name]), name


def test_push_to_an_unreachable_server_fails_clearly(tmp_path):
    from agrs.store import open_store

    from conftest import free_port

    with open_store(tmp_path / "source") as store:
        fill(store)
    url = f"http://127.0.0.1:{free_port()}/query"
    result = run_agrs("push", "--store", str(tmp_path / "source"), "--to", url)
    assert result.returncode == 2
    assert result.stderr.startswith("agrs push:") and "127.0.0.1" in result.stderr


@pytest.mark.remote
def test_push_with_a_wrong_password_is_refused_clearly(tmp_path, virtuoso_server):
    import os
    import subprocess
    import sys

    from agrs.store import open_store

    from conftest import REPO

    virtuoso_server.reset()
    with open_store(tmp_path / "source") as store:
        fill(store)
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("AGRS_PUSH", "AGRS_STORE"))}
    environment |= {"AGRS_PUSH_USER": virtuoso_server.user, "AGRS_PUSH_PASSWORD": "not-the-password",
                    "AGRS_PUSH_AUTH": "digest"}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "agrs", "push", "--store", str(tmp_path / "source"), "--to", virtuoso_server.query_url,
         "--to-update-url", virtuoso_server.update_url], capture_output=True, text=True, timeout=600, cwd=REPO,
        env=environment,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith("agrs push: the target store:"), result.stderr
    assert "401" in result.stderr and "AGRS_PUSH_PASSWORD" in result.stderr  # the target's own variables
    assert virtuoso_server.count() == 0 or not (virtuoso_server.graphs() & {A, B, LINKS})


@pytest.mark.remote
def test_agrs_serve_answers_on_a_pushed_oxigraph_server_as_on_the_source(tmp_path, oxigraph_server):
    import json
    import urllib.parse
    import urllib.request

    from agrs.push import push
    from agrs.store import open_store

    from conftest import LiveServer

    oxigraph_server.reset()
    with open_store(tmp_path / "source") as source, open_store(oxigraph_server.location) as target:
        fill(source)
        push(source, target)
        expected = [[term.value for term in row] for row in source.query(LITERALS)]
    server = LiveServer(oxigraph_server.query_url, "--update-url", oxigraph_server.update_url, "--graph-store-url",
                        oxigraph_server.graph_store_url)  # fmt: skip
    try:
        request = urllib.request.Request(
            server.url + "/sparql", data=urllib.parse.urlencode({"query": LITERALS}).encode(),
            headers={"Accept": "application/sparql-results+json"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=60) as answer:
            bindings = json.load(answer)["results"]["bindings"]
    finally:
        server.stop()
    assert [[row["s"]["value"], row["o"]["value"]] for row in bindings] == expected
    assert len(expected) == 50
