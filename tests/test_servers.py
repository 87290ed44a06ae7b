"""The test servers themselves (tests/servers.py): each starts, answers, takes authenticated updates only, empties.

These talk to the servers in plain HTTP (urllib), not through AGRS's remote store: they check the fixtures and the
shipped configuration (config/virtuoso/virtuoso.ini, config/fuseki/agrs-tdb2.ttl), on which every remote test rests.
"""

import dataclasses
import os
import urllib.parse

import pytest
import servers
from servers import ServerInfo, ServerUnavailable, _send, start_server

pytestmark = pytest.mark.remote

KINDS = ["oxigraph_server", "virtuoso_server", "fuseki_server"]
#: The servers that check credentials (Oxigraph server has no authentication: it belongs behind a proxy).
AUTHENTICATING = ["virtuoso_server", "fuseki_server"]


@pytest.fixture(params=KINDS)
def server(request) -> ServerInfo:
    info = request.getfixturevalue(request.param)
    info.reset()
    return info


def test_answers_a_query(server):
    answer = server.query("ASK { }")
    assert answer["boolean"] is True
    assert server.started_in < 120


def test_authenticated_update_is_applied(server):
    status, body = server.update('INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/s> '
                                 '<http://example.org/p> "é ünïcode"@fr } }')  # fmt: skip
    assert status in (200, 204), body
    answer = server.query('SELECT ?o WHERE { GRAPH <http://example.org/g> { <http://example.org/s> ?p ?o } }')
    [row] = answer["results"]["bindings"]
    assert row["o"]["value"] == "é ünïcode" and row["o"]["xml:lang"].lower() == "fr"


@pytest.mark.parametrize("kind", AUTHENTICATING)
def test_anonymous_update_is_refused(request, kind):
    info = request.getfixturevalue(kind)
    info.reset()
    status, _ = info.update("INSERT DATA { GRAPH <http://example.org/anon> { <http://example.org/s> "
                            "<http://example.org/p> 1 } }", authenticated=False)  # fmt: skip
    assert status in (401, 403), status
    assert info.count("http://example.org/anon") == 0
    # Wrong password: refused as well.
    wrong = dataclasses.replace(info, password="not-the-password")
    status, _ = wrong.update("INSERT DATA { GRAPH <http://example.org/anon> { <http://example.org/s> "
                             "<http://example.org/p> 2 } }")  # fmt: skip
    assert status in (401, 403), status
    assert info.count("http://example.org/anon") == 0


def test_graph_store_upload(server):
    triples = "".join(f'<http://example.org/s{i}> <http://example.org/p> "value {i}" .\n' for i in range(3000))
    url = server.graph_store_url + "?" + urllib.parse.urlencode({"graph": "http://example.org/gsp"})
    status, body = _send(server.opener(), url, triples.encode(), {"Content-Type": "application/n-triples"}, 120)
    assert status in (200, 201, 204), body
    assert server.count("http://example.org/gsp") == 3000


def test_reset_empties_the_server(server):
    for name in ("http://example.org/a", "http://example.org/b"):
        status, body = server.update(f"INSERT DATA {{ GRAPH <{name}> {{ <http://example.org/s> "
                                     "<http://example.org/p> <http://example.org/o> } }")  # fmt: skip
        assert status in (200, 204), body
    assert {"http://example.org/a", "http://example.org/b"} <= server.graphs()
    server.reset()
    left = server.graphs() - server.system_graphs
    assert left == set()
    answer = server.query("ASK { GRAPH ?g { <http://example.org/s> ?p ?o } }")
    assert answer["boolean"] is False


def test_oxigraph_reset_empties_the_default_graph_too(oxigraph_server):
    status, body = oxigraph_server.update("INSERT DATA { <http://example.org/s> <http://example.org/p> 1 }")
    assert status in (200, 204), body
    assert oxigraph_server.query("ASK { <http://example.org/s> ?p ?o }")["boolean"] is True
    oxigraph_server.reset()
    assert oxigraph_server.query("ASK { ?s ?p ?o }")["boolean"] is False


def test_virtuoso_keeps_only_its_system_graphs_after_reset(virtuoso_server):
    virtuoso_server.reset()
    assert "http://www.openlinksw.com/schemas/virtrdf#" in virtuoso_server.graphs()
    assert virtuoso_server.graphs() == virtuoso_server.system_graphs


def test_virtuoso_answers_past_the_default_row_cap(virtuoso_server):
    # Debian's ResultSetMaxRows (10,000) truncates silently; config/virtuoso/virtuoso.ini raises it.
    virtuoso_server.reset()
    triples = "".join(f"<http://example.org/s{i}> <http://example.org/p> {i} .\n" for i in range(12_000))
    url = virtuoso_server.graph_store_url + "?" + urllib.parse.urlencode({"graph": "http://example.org/big"})
    headers = {"Content-Type": "application/n-triples"}
    status, body = _send(virtuoso_server.opener(), url, triples.encode(), headers, 120)
    assert status in (200, 201), body
    answer = virtuoso_server.query("SELECT ?s WHERE { GRAPH <http://example.org/big> { ?s ?p ?o } }")
    assert len(answer["results"]["bindings"]) == 12_000


def test_virtuoso_service_reaches_another_endpoint(virtuoso_server, oxigraph_server):
    # The grants of the setup script let an anonymous /sparql query use SERVICE (federated questions).
    oxigraph_server.reset()
    status, body = oxigraph_server.update('INSERT DATA { <http://example.org/x> <http://example.org/p> "far" }')
    assert status in (200, 204), body
    answer = virtuoso_server.query(f"SELECT ?o WHERE {{ SERVICE <{oxigraph_server.query_url}> {{ ?s ?p ?o }} }}")
    assert [row["o"]["value"] for row in answer["results"]["bindings"]] == ["far"]


@pytest.mark.parametrize("kind", ["oxigraph-server", "virtuoso"])
def test_stop_leaves_no_process(kind, tmp_path):
    try:
        info = start_server(kind, tmp_path)
    except ServerUnavailable as missing:
        pytest.skip(str(missing))
    assert info.query("ASK { }")["boolean"] is True
    leaders = [process for process in servers._RUNNING if process.poll() is None]
    assert leaders
    group = leaders[-1].pid
    info.stop()
    with pytest.raises(ProcessLookupError):
        os.killpg(group, 0)
