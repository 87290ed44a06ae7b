"""SPARQL Update on /sparql: auth, the protocol's statuses, dataset parameters, the default graph, serialised writes.

Over real HTTP against `agrs serve`; results are read back through the Graph Store (GET /graph-store), so that
these tests check the write side only. The text rewriting is also tested on its own.
"""

import threading
import urllib.parse

import pytest
from rdflib import Graph, Literal, URIRef
from test_server_graph_store import GATED, TURTLE, VALID, WRITE, gsp, http

from agrs.graphs import DEFAULT_WRITE_GRAPH as DEFAULT_GRAPH
from agrs.server.protocol.update import UpdateRefused, rewrite, split_operations

UPDATE = {**WRITE, "Content-Type": "application/sparql-update"}
FORM = {**WRITE, "Content-Type": "application/x-www-form-urlencoded"}
DEFAULT = f"<{DEFAULT_GRAPH}>"


def graph_of(server, iri: str | None = None) -> Graph:
    """Return a graph's content read through the Graph Store (empty when it does not exist)."""
    status, _, body = http("GET", gsp(server, iri), headers={"Accept": "application/n-triples"})
    return Graph().parse(data=body, format="nt") if status == 200 else Graph()


def update(server, text: str, query: str = "", headers: dict | None = None):
    return http("POST", f"{server.url}/sparql{query}", text, UPDATE if headers is None else headers)


# --- rewriting, on its own --------------------------------------------------------------------------------------


def rewritten(text: str, using=(), using_named=(), writable=("http://p", DEFAULT_GRAPH)) -> str:
    return rewrite(split_operations(text), using, using_named, writable)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("INSERT DATA { <x:s> <x:p> 'a;b' }", f"WITH {DEFAULT} INSERT {{ <x:s> <x:p> 'a;b' }} WHERE {{}}"),
        ("INSERT DATA { GRAPH <x:g> { <x:s> <x:p> 1 } }", "INSERT DATA { GRAPH <x:g> { <x:s> <x:p> 1 } }"),
        ("DELETE DATA { GRAPH <x:g> { <x:s> <x:p> 1 } . <x:s> <x:p> 2 }",
         f"WITH {DEFAULT} DELETE {{ GRAPH <x:g> {{ <x:s> <x:p> 1 }} . <x:s> <x:p> 2 }} WHERE {{}}"),
        ("DELETE WHERE { ?s ?p ?o }", f"WITH {DEFAULT} DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}"),
        ("INSERT { ?s a 1 } WHERE { ?s ?p ?o }", f"WITH {DEFAULT} INSERT {{ ?s a 1 }} WHERE {{ ?s ?p ?o }}"),
        ("WITH <x:w> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "WITH <x:w> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }"),
        ("CLEAR DEFAULT", f"CLEAR SILENT GRAPH {DEFAULT}"),
        ("DROP SILENT ALL", f"DROP SILENT GRAPH <http://p> ;\nDROP SILENT GRAPH {DEFAULT}"),
        ("CLEAR NAMED", "CLEAR SILENT GRAPH <http://p>"),
        ("CLEAR GRAPH <x:g>", "CLEAR GRAPH <x:g>"),
        ("LOAD <x:x>", f"LOAD <x:x> INTO GRAPH {DEFAULT}"),
        ("COPY DEFAULT TO <x:g>", f"COPY GRAPH {DEFAULT} TO <x:g>"),
        ("PREFIX ex: <http://ex/> # a comment; with a semicolon\nCREATE GRAPH ex:g ; CLEAR ALL",
         f"PREFIX ex: <http://ex/> # a comment; with a semicolon\nCREATE GRAPH ex:g ;\n"
         f"CLEAR SILENT GRAPH <http://p> ;\nCLEAR SILENT GRAPH {DEFAULT}"),
    ],
)  # fmt: skip
def test_rewrite(text, expected):
    assert rewritten(text) == expected


def test_rewrite_inserts_the_protocol_dataset_before_where():
    text = "INSERT { GRAPH <http://t> { ?s a 1 } } WHERE { ?s a <http://D> }"
    assert rewritten(text, ["http://u"], ["http://n"]) == (
        f"WITH {DEFAULT} INSERT {{ GRAPH <http://t> {{ ?s a 1 }} }} USING <http://u> USING NAMED <http://n> "
        "WHERE { ?s a <http://D> }"
    )
    for conflicting in ("WITH <http://w> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
                        "DELETE { ?s ?p ?o } USING <http://x> WHERE { ?s ?p ?o }"):  # fmt: skip
        with pytest.raises(UpdateRefused) as refused:
            rewritten(conflicting, ["http://u"])
        assert refused.value.status == 400


def test_clear_all_with_nothing_to_clear_is_empty():
    assert rewritten("CLEAR ALL", writable=()) == ""


# --- over HTTP --------------------------------------------------------------------------------------------------


@pytest.fixture
def server(live_server):
    return live_server()


def test_update_by_form_and_direct_post(server):
    assert update(server, "INSERT DATA { <http://s> <http://p> 1 }")[0] == 204
    body = "update=" + urllib.parse.quote("INSERT DATA { GRAPH <http://ex/g> { <http://s> <http://p> 2 } }")
    assert http("POST", f"{server.url}/sparql", body, FORM)[0] == 204
    assert (URIRef("http://s"), URIRef("http://p"), Literal(1)) in graph_of(server)  # the default graph of writes
    assert (URIRef("http://s"), URIRef("http://p"), Literal(2)) in graph_of(server, "http://ex/g")
    assert update(server, "CLEAR ALL")[0] == 204
    assert len(graph_of(server)) == 0 and len(graph_of(server, "http://ex/g")) == 0
    assert http("GET", gsp(server, "http://ex/g"))[0] == 200  # CLEAR empties a graph, DROP removes it
    assert update(server, "DROP ALL")[0] == 204
    assert http("GET", gsp(server, "http://ex/g"))[0] == 404


def test_update_auth_matrix(live_server):
    text = "INSERT DATA { GRAPH <http://ex/g> { <http://s> <http://p> 1 } }"
    closed = live_server(token=None)
    status, _, body = update(closed, text)
    assert status == 403 and b"--write-token" in body and b"AGRS_WRITE_TOKEN" in body
    closed.stop()
    server = live_server()
    status, headers, _ = update(server, text, headers={"Content-Type": "application/sparql-update"})
    assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer")
    wrong = {"Content-Type": "application/sparql-update", "Authorization": "Bearer nope"}
    assert update(server, text, headers=wrong)[0] == 403
    assert http("GET", gsp(server, "http://ex/g"))[0] == 404  # nothing written by the refused updates
    assert update(server, text)[0] == 204
    assert len(graph_of(server, "http://ex/g")) == 1


def test_bad_updates(server):
    status, _, body = update(server, "CLEAR XYZ")
    assert status == 400 and b"1:10" in body  # pyoxigraph names the line and column
    status, _, body = update(server, f"INSERT DATA {{ GRAPH <{GATED}> {{ <http://s> <http://p> 1 }} }}")
    assert status == 403 and b"/graph-store" in body and b"agrs load" in body
    utf16 = {**WRITE, "Content-Type": "application/sparql-update; charset=UTF-16"}
    status, _, body = update(server, "CLEAR ALL", headers=utf16)
    assert status == 400 and b"UTF-8" in body
    status, _, body = http("POST", f"{server.url}/sparql", "update=CLEAR%20NAMED&update=CLEAR%20DEFAULT", FORM)
    assert status == 400
    conflict = "WITH <http://ex/a> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }"
    status, _, body = update(server, conflict, "?using-named-graph-uri=http%3A%2F%2Fex%2Fpeople")
    assert status == 400 and b"using-graph-uri" in body
    status, _, body = update(server, "LOAD <http://127.0.0.1:9/data.ttl>")
    assert status == 403  # not on the (empty) federation allowlist


def test_using_parameters_set_the_dataset_of_where(server):
    text = """PREFIX foaf: <http://xmlns.com/foaf/0.1/>
DROP ALL ;
INSERT DATA {
    GRAPH <http://ex/data1> { <http://ex/data1> a foaf:Document }
    GRAPH <http://ex/data2> { <http://ex/data2> a foaf:Document }
    GRAPH <http://ex/data3> { <http://ex/data3> a foaf:Document }
} ;
INSERT { GRAPH <http://ex/out> { ?s <http://ex/in> ?in } }
WHERE { { GRAPH ?g { ?s a foaf:Document } BIND(?g AS ?in) } UNION { ?s a foaf:Document . BIND("default" AS ?in) } }"""
    query = "?using-graph-uri=http%3A%2F%2Fex%2Fdata1&using-named-graph-uri=http%3A%2F%2Fex%2Fdata2"
    assert update(server, text, query)[:3:2] == (204, b"")
    out = graph_of(server, "http://ex/out")
    assert set(out) == {
        (URIRef("http://ex/data1"), URIRef("http://ex/in"), Literal("default")),
        (URIRef("http://ex/data2"), URIRef("http://ex/in"), URIRef("http://ex/data2")),
    }


def test_clear_all_leaves_the_project_data_graphs(server):
    assert http("PUT", gsp(server, GATED), VALID, TURTLE)[0] == 201
    assert update(server, "INSERT DATA { GRAPH <http://ex/g> { <http://s> <http://p> 1 } }")[0] == 204
    assert update(server, "DROP ALL")[0] == 204
    assert http("GET", gsp(server, "http://ex/g"))[0] == 404
    assert len(graph_of(server, GATED)) == 1


def test_concurrent_read_modify_write_updates_lose_nothing(server):
    assert update(server, "INSERT DATA { <http://ex/c> <http://ex/n> 0 }")[0] == 204
    increment = "DELETE { ?c <http://ex/n> ?old } INSERT { ?c <http://ex/n> ?new } WHERE { ?c <http://ex/n> ?old BIND(?old + 1 AS ?new) }"  # noqa: E501
    statuses, start = [], threading.Barrier(20)

    def bump():
        start.wait()
        status, _, body = update(server, increment)
        statuses.append((status, body))

    threads = [threading.Thread(target=bump) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [(204, b"")] * 20
    assert list(graph_of(server).objects(URIRef("http://ex/c"), URIRef("http://ex/n"))) == [Literal(20)]


def test_prologue_of_an_operation_that_becomes_nothing_moves_to_the_next():
    text = "PREFIX ex: <http://ex/> CLEAR ALL ; INSERT DATA { GRAPH ex:g { ex:s ex:p 1 } }"
    assert rewritten(text, writable=()) == "PREFIX ex: <http://ex/> INSERT DATA { GRAPH ex:g { ex:s ex:p 1 } }"


def test_relative_iris_resolve_against_the_endpoint(server):
    assert update(server, "INSERT DATA { GRAPH <http://ex/b> { <http://ex/s> <http://ex/p> <test> } }")[0] == 204
    assert list(graph_of(server, "http://ex/b").objects()) == [URIRef(f"{server.url}/test")]
