"""The store contract: what every kind of store does — versioned graphs, replace/drop, query datasets, updates.

Every test here takes the `store` fixture (conftest.py), which runs it on each kind of store in STORE_KINDS: the
embedded Oxigraph store, and the remote stores on Oxigraph server, Virtuoso and Fuseki (marked `remote`). What only
the embedded store does (one writer per folder, read-only opens, kill-safety on disk) is in test_store_embedded.py;
what only the remote store does, in test_store_remote.py.
"""

import itertools
import threading

import pyoxigraph as ox
import pytest
from rdflib import BNode, Literal, URIRef

from agrs.graphs import INFERRED_GRAPH, PROVENANCE_GRAPH, REGISTRY_GRAPH, UNION_GRAPH, UNION_INFERRED_GRAPH
from agrs.store import Dataset, QueryError, StoreError, VersionConflict
from agrs.store.results import is_boolean, is_solutions, is_triples
from agrs.store.terms import to_oxigraph, triple_to_rdflib

from storekit import ALL_TRIPLES, A, B, P, data_rows, make_triples, rows

# --- replace, drop, statistics ----------------------------------------------------------------------------------


def test_replace_twice_same_content_new_version(store):
    first = store.replace_graph(A, make_triples("a", 50))
    assert (first.version, first.triples) == (A + "/v1", 50)
    second = store.replace_graph(A, iter(make_triples("a", 50)))
    assert (second.version, second.triples) == (A + "/v2", 50)
    assert set(store.triples(A)) == set(make_triples("a", 50))
    assert store.current_version(A) == A + "/v2"


def test_replace_changes_content_and_counts_distinct_triples(store):
    store.replace_graph(A, make_triples("a", 10))
    info = store.replace_graph(A, make_triples("x", 7) * 3)  # repeated triples are stored once
    assert info.triples == 7
    assert set(store.triples(A)) == set(make_triples("x", 7))


def test_replace_accepts_triples_and_quads(store):
    triples = [ox.Triple(*t) for t in make_triples("t", 3)]
    quads = [ox.Quad(*t, ox.NamedNode("http://elsewhere/")) for t in make_triples("q", 3)]
    assert store.replace_graph(A, triples + quads).triples == 6
    assert set(store.triples(A)) == set(make_triples("t", 3) + make_triples("q", 3))


def test_replace_from_rdflib_terms(store):
    rdflib_triples = [
        (URIRef("https://w3id.org/agrs/id/x/1"), URIRef(P.value), Literal("un", lang="fr")),
        (URIRef("https://w3id.org/agrs/id/x/1"), URIRef(P.value), Literal(3)),
        (URIRef("https://w3id.org/agrs/id/x/1"), URIRef(P.value), BNode("b1")),
    ]
    store.replace_graph(A, (to_oxigraph(t) for t in rdflib_triples))
    assert {triple_to_rdflib(t) for t in store.triples(A)} == set(rdflib_triples)


def test_replace_refuses_rdflib_terms_and_keeps_the_current_version(store, tmp_path):
    store.replace_graph(A, make_triples("a", 5))
    with pytest.raises(TypeError, match="to_oxigraph"):
        store.replace_graph(A, [(URIRef("http://s"), URIRef("http://p"), Literal("o"))])
    assert store.current_version(A) == A + "/v1"
    assert set(store.triples(A)) == set(make_triples("a", 5))


def test_failing_generator_leaves_no_trace(store):
    store.replace_graph(A, make_triples("a", 5))

    def failing():
        yield from make_triples("x", 250)
        raise RuntimeError("mapper failed")

    with pytest.raises(RuntimeError, match="mapper failed"):
        store.replace_graph(A, failing())
    assert [(g.graph, g.version, g.triples) for g in store.graphs()] == [(A, A + "/v1", 5)]
    named = rows(store.query("SELECT ?g WHERE { GRAPH ?g { } }"))
    assert (ox.NamedNode(A + "/v2"),) not in named
    # The failed version is forgotten: the next load takes its number.
    assert store.replace_graph(A, make_triples("a", 1)).version == A + "/v2"


def test_expected_version(store):
    store.replace_graph(A, make_triples("a", 3))
    with pytest.raises(VersionConflict, match="v7"):
        store.replace_graph(A, make_triples("a", 4), expected_version=A + "/v7")
    assert store.replace_graph(A, make_triples("a", 4), expected_version=A + "/v1").version == A + "/v2"


def test_drop_graph(store):
    store.replace_graph(A, make_triples("a", 5))
    store.replace_graph(B, make_triples("b", 6))
    assert store.drop_graph(A) is True
    assert store.drop_graph(A) is False
    assert store.current_version(A) is None
    assert list(store.triples(A)) == []
    assert [g.graph for g in store.graphs()] == [B]
    assert rows(store.query(ALL_TRIPLES, graphs=[A])) == set()
    # Version IRIs are never reused: provenance may name the dropped one.
    assert store.replace_graph(A, make_triples("a", 1)).version == A + "/v2"


def test_graphs_statistics(store):
    assert store.graphs() == []
    store.replace_graph(B, make_triples("b", 12))
    store.replace_graph(A, make_triples("a", 30))
    store.replace_graph(A, make_triples("a", 31))
    assert [(g.graph, g.version, g.triples) for g in store.graphs()] == [(A, A + "/v2", 31), (B, B + "/v1", 12)]


def test_replace_refuses_system_and_bad_graph_names(store):
    for name in (REGISTRY_GRAPH, PROVENANCE_GRAPH, "not an iri", "https://x/a>b", A + "/v2"):
        with pytest.raises(StoreError):
            store.replace_graph(name, make_triples("a", 1))



# --- queries ----------------------------------------------------------------------------------------------------


@pytest.fixture
def two_graphs(store):
    store.replace_graph(A, make_triples("a", 3))
    store.replace_graph(A, make_triples("a", 4))  # v1 is gone, v2 current
    store.replace_graph(B, make_triples("b", 2))
    store.update(f"INSERT DATA {{ GRAPH <{PROVENANCE_GRAPH}> {{ <https://w3id.org/agrs/id/load/1> "
                 f"<http://www.w3.org/ns/prov#generated> <{A}/v2> }} }}")
    return store



def test_union_query_sees_current_versions_and_system_graphs(two_graphs):
    assert data_rows(two_graphs.query(ALL_TRIPLES)) == set(make_triples("a", 4) + make_triples("b", 2))
    assert bool(two_graphs.query(f"ASK {{ ?load <http://www.w3.org/ns/prov#generated> <{A}/v2> }}"))
    assert bool(two_graphs.query(f"ASK {{ <{A}> <https://w3id.org/agrs/currentVersion> <{A}/v2> }}"))


def test_query_restricted_to_graphs(two_graphs):
    assert rows(two_graphs.query(ALL_TRIPLES, graphs=[B])) == set(make_triples("b", 2))
    assert rows(two_graphs.query(ALL_TRIPLES, graphs=["https://w3id.org/agrs/graph/test/none"])) == set()
    assert rows(two_graphs.query(ALL_TRIPLES, union=False)) == set()


def test_query_from_clauses_name_logical_graphs(two_graphs):
    assert rows(two_graphs.query(f"SELECT ?s ?p ?o FROM <{B}> WHERE {{ ?s ?p ?o }}")) == set(make_triples("b", 2))
    named = two_graphs.query(f"SELECT DISTINCT ?g FROM NAMED <{A}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}")
    assert rows(named) == {(ox.NamedNode(A + "/v2"),)}


def test_named_graphs_are_current_versions(two_graphs):
    named = rows(two_graphs.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"))
    expected = {A + "/v2", B + "/v1", REGISTRY_GRAPH, PROVENANCE_GRAPH}
    assert named == {(ox.NamedNode(name),) for name in expected}
    by_logical = two_graphs.query(
        f"PREFIX agrs: <https://w3id.org/agrs/> SELECT ?s WHERE {{ ?v agrs:versionOf <{B}> . "
        f"<{B}> agrs:currentVersion ?v GRAPH ?v {{ ?s ?p ?o }} }}"
    )
    assert rows(by_logical) == {(t[0],) for t in make_triples("b", 2)}
    assert rows(two_graphs.query(f"SELECT ?s WHERE {{ GRAPH <{A}/v1> {{ ?s ?p ?o }} }}")) == set()


def test_queries_during_replacements_see_whole_versions(store):
    """A reader thread never sees a partial load, nor an old version being deleted, nor two versions at once."""
    size = 10_000
    store.replace_graph(A, make_triples("v0", size))
    summary = "SELECT (COUNT(*) AS ?n) (MIN(STR(?o)) AS ?low) (MAX(STR(?o)) AS ?high) WHERE { ?s ?p ?o }"
    done, seen, failures = threading.Event(), set(), []

    def read():
        while not done.is_set():
            n, low, high = next(iter(store.query(summary, graphs=[A])))
            tag = low.value.split()[0]
            if int(n.value) != size or high.value.split()[0] != tag:
                failures.append((n, low, high))
            seen.add(tag)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for version in range(1, 5):
            store.replace_graph(A, make_triples(f"v{version}", size))
    finally:
        done.set()
        reader.join()
    assert failures == []
    assert len(seen) > 1, "the reader saw only one version: the test proved nothing"


def test_construct_and_ask_keep_pyoxigraph_results(two_graphs):
    result = two_graphs.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", graphs=[B])
    assert is_triples(result) and not is_solutions(result) and not is_boolean(result)
    assert {tuple(t) for t in result} == set(make_triples("b", 2))
    result = two_graphs.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", graphs=[B])
    parsed = ox.parse(result.serialize(format=ox.RdfFormat.N_TRIPLES), format=ox.RdfFormat.N_TRIPLES)
    assert {(q.subject, q.predicate, q.object) for q in parsed} == set(make_triples("b", 2))
    assert isinstance(two_graphs.query("ASK { ?s ?p ?o }"), ox.QueryBoolean)
    assert is_boolean(two_graphs.query("ASK { ?s ?p ?o }"))
    assert isinstance(two_graphs.query(ALL_TRIPLES), ox.QuerySolutions)
    assert is_solutions(two_graphs.query(ALL_TRIPLES))


def test_bad_query_is_a_query_error(store):
    with pytest.raises(QueryError):
        store.query("SELECT WHERE nonsense")


# --- updates ----------------------------------------------------------------------------------------------------


REFUSED_UPDATES = {
    "version-graph": f"INSERT DATA {{ GRAPH <{A}/v1> {{ <http://s> <http://p> <http://o> }} }}",
    "future-version": f"INSERT DATA {{ GRAPH <{A}/v9> {{ <http://s> <http://p> <http://o> }} }}",
    "registry": f"DELETE WHERE {{ GRAPH <{REGISTRY_GRAPH}> {{ ?s ?p ?o }} }}",
    "data-graph": f"INSERT DATA {{ GRAPH <{A}> {{ <http://s> <http://p> <http://o> }} }}",
    "drop-version": f"DROP GRAPH <{A}/v1>",
    "drop-all": "DROP ALL",
    "clear-named": "CLEAR NAMED",
    "graph-variable": "DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } }",
    "default-graph": "INSERT DATA { <http://s> <http://p> <http://o> }",
    "with-version": f"WITH <{A}/v1> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
    "move-from-version": f"MOVE <{A}/v1> TO <https://w3id.org/agrs/graph/elsewhere>",
    "prefixed-version": f"PREFIX g: <{A}/> INSERT DATA {{ GRAPH g:v1 {{ <http://s> <http://p> <http://o> }} }}",
    "syntax": "INSERT nonsense",
}


@pytest.mark.parametrize("update", REFUSED_UPDATES.values(), ids=REFUSED_UPDATES.keys())
def test_update_refused(store, update):
    store.replace_graph(A, make_triples("a", 2))
    with pytest.raises(QueryError):
        store.update(update)
    assert store.graphs()[0].version == A + "/v1"
    assert set(store.triples(A)) == set(make_triples("a", 2))


def test_update_refusal_says_why(store):
    with pytest.raises(QueryError, match="replace_graph"):
        store.update(REFUSED_UPDATES["version-graph"])


def test_update_plain_graphs(store):
    store.replace_graph(A, make_triples("a", 1))
    # Mentioning a version graph is fine (provenance does it); only writing into one is refused.
    store.update(f"INSERT DATA {{ GRAPH <{PROVENANCE_GRAPH}> {{ <http://load> <http://gen> <{A}/v1> }} }}")
    store.update("INSERT DATA { GRAPH <https://w3id.org/agrs/graph/notes> { <http://n> <http://says> 'hi' } }")
    assert rows(store.query("SELECT ?o WHERE { <http://load> <http://gen> ?o }")) == {(ox.NamedNode(A + "/v1"),)}
    assert rows(store.query("SELECT ?o WHERE { <http://n> <http://says> ?o }")) == {(ox.Literal("hi"),)}
    store.update(f"DELETE WHERE {{ GRAPH <{PROVENANCE_GRAPH}> {{ ?s ?p ?o }} }}")
    assert not bool(store.query("ASK { <http://load> ?p ?o }"))


def test_plain_graph_exists_after_create_and_not_after_drop(store):
    """The Graph Store's 201/204 and 404 rest on this: an empty created graph exists, a dropped one does not."""
    notes, empty = "https://w3id.org/agrs/graph/notes", "https://w3id.org/agrs/graph/empty"
    assert not store.plain_graph_exists(notes)
    store.update(f"INSERT DATA {{ GRAPH <{notes}> {{ <http://n> <http://says> 'hi' }} }}")
    store.update(f"CREATE SILENT GRAPH <{empty}>")
    assert store.plain_graph_exists(notes) and store.plain_graph_exists(empty)
    store.update(f"DROP GRAPH <{notes}> ; DROP SILENT GRAPH <{empty}> ; CREATE SILENT GRAPH <{empty}>")
    assert not store.plain_graph_exists(notes)
    assert store.plain_graph_exists(empty)  # dropped, then created again in the same request


# --- dataset resolution ---------------------------------------------------------------------------------------


@pytest.fixture
def with_inferred(two_graphs):
    """A, B, the provenance graph, and an inferred graph (with a graph below it) holding triples of their own."""
    two_graphs.replace_graph(INFERRED_GRAPH, make_triples("inferred", 3))
    two_graphs.replace_graph(INFERRED_GRAPH + "/part", make_triples("part", 1))
    return two_graphs


def test_union_includes_the_inferred_graphs_unless_infer_is_false(with_inferred):
    everything = set(make_triples("a", 4) + make_triples("b", 2))
    inferred = set(make_triples("inferred", 3) + make_triples("part", 1))
    assert data_rows(with_inferred.query(ALL_TRIPLES)) == everything | inferred
    assert data_rows(with_inferred.query(ALL_TRIPLES, dataset=Dataset())) == everything | inferred
    assert data_rows(with_inferred.query(ALL_TRIPLES, dataset=Dataset(infer=False))) == everything
    # Left out of the default graph, still a named graph.
    named = f"SELECT ?s ?p ?o WHERE {{ GRAPH <{INFERRED_GRAPH}/v1> {{ ?s ?p ?o }} }}"
    assert rows(with_inferred.query(named, dataset=Dataset(infer=False))) == set(make_triples("inferred", 3))


def test_protocol_default_graph_uri_names_logical_graphs(two_graphs):
    dataset = Dataset.protocol([B])
    assert rows(two_graphs.query(ALL_TRIPLES, dataset=dataset)) == set(make_triples("b", 2))
    # The protocol's default-graph-uri alone leaves no named graph.
    assert rows(two_graphs.query("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", dataset=dataset)) == set()


def test_protocol_named_graph_uri_alone_leaves_the_default_graph_empty(two_graphs):
    dataset = Dataset.protocol(named=[A])
    assert rows(two_graphs.query(ALL_TRIPLES, dataset=dataset)) == set()
    found = rows(two_graphs.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", dataset=dataset))
    assert found == {(ox.NamedNode(A + "/v2"),)}


def test_protocol_dataset_overrides_the_from_clauses(two_graphs):
    query = f"SELECT ?s ?p ?o FROM <{A}> WHERE {{ ?s ?p ?o }}"
    assert rows(two_graphs.query(query)) == set(make_triples("a", 4))
    assert rows(two_graphs.query(query, dataset=Dataset.protocol([B]))) == set(make_triples("b", 2))


def test_from_named_alone_leaves_the_default_graph_empty(two_graphs):
    query = "SELECT ?s WHERE { ?s ?p ?o }"
    assert rows(two_graphs.query(query.replace("WHERE", f"FROM NAMED <{B}> WHERE"))) == set()


def test_unknown_graphs_are_empty_and_plain_graphs_are_named_by_their_iri(two_graphs):
    unknown = "https://w3id.org/agrs/graph/test/unknown"
    assert rows(two_graphs.query(ALL_TRIPLES, dataset=Dataset.protocol([unknown]))) == set()
    provenance = two_graphs.query("SELECT ?o WHERE { ?s ?p ?o }", dataset=Dataset.protocol([PROVENANCE_GRAPH]))
    assert rows(provenance) == {(ox.NamedNode(A + "/v2"),)}


def test_graphs_keeps_every_named_graph_visible(two_graphs):
    result = two_graphs.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", graphs=[B])
    assert rows(result) == {(ox.NamedNode(name),) for name in (A + "/v2", B + "/v1", REGISTRY_GRAPH, PROVENANCE_GRAPH)}


def test_base_iri_resolves_relative_iris(two_graphs):
    assert bool(two_graphs.query("ASK { <a/0> ?p ?o }", base_iri="https://w3id.org/agrs/id/"))
    assert not bool(two_graphs.query("ASK { <a/0> ?p ?o }", base_iri="https://example.org/"))


def test_resolve_names_stored_graphs(two_graphs):
    default, named = two_graphs.resolve(Dataset.protocol([A, PROVENANCE_GRAPH], [B]), ALL_TRIPLES)
    assert (default, named) == ([A + "/v2", PROVENANCE_GRAPH], [B + "/v1"])
    # The union default graph is the store's merge of the current graphs, then the plain graphs.
    default, named = two_graphs.resolve(Dataset(), ALL_TRIPLES)
    assert default[:2] == [UNION_GRAPH, UNION_INFERRED_GRAPH]
    assert set(default[2:]) == {REGISTRY_GRAPH, PROVENANCE_GRAPH}
    assert set(named) == {A + "/v2", B + "/v1", REGISTRY_GRAPH, PROVENANCE_GRAPH}
    default, _ = two_graphs.resolve(Dataset(infer=False), ALL_TRIPLES)
    assert default[0] == UNION_GRAPH and UNION_INFERRED_GRAPH not in default


def test_current_versions_and_visible_graphs(two_graphs):
    assert two_graphs.current_versions() == {A: A + "/v2", B: B + "/v1"}
    assert set(two_graphs.plain_graphs()) == {REGISTRY_GRAPH, PROVENANCE_GRAPH}
    visible = {(entry.name, entry.graph, entry.versioned): entry.triples for entry in two_graphs.visible_graphs()}
    assert visible[(A + "/v2", A, True)] == 4 and visible[(B + "/v1", B, True)] == 2
    assert visible[(PROVENANCE_GRAPH, PROVENANCE_GRAPH, False)] == 1
    assert (REGISTRY_GRAPH, REGISTRY_GRAPH, False) in visible


# --- set semantics: the default graph is the merge of its graphs -------------------------------------------------

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
COUNT_P = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{P.value}> ?o }}"
C = "https://w3id.org/agrs/graph/test/c"


def count(result) -> int:
    return int(next(iter(result))["n"].value)


def content(store, graphs) -> set:
    return {triple for graph in graphs for triple in store.triples(graph)}


def assert_sets(store):
    """Every default graph made of several graphs counts each distinct triple once (SPARQL's merge)."""
    current = store.current_versions()
    asserted = content(store, [g for g in current if not g.startswith(INFERRED_GRAPH)])
    inferred = content(store, [g for g in current if g.startswith(INFERRED_GRAPH)])
    assert count(store.query(COUNT_P, dataset=Dataset(infer=False))) == len(asserted)
    assert count(store.query(COUNT_P)) == len(asserted | inferred)
    # The whole default graph (the registry and provenance included) has no repeated triple either.
    distinct = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"
    for infer in (True, False):
        assert count(store.query(COUNT, dataset=Dataset(infer=infer))) == count(
            store.query(distinct, dataset=Dataset(infer=infer))
        )
    for first, second in itertools.combinations(sorted(current), 2):
        merged = len(content(store, [first, second]))
        assert count(store.query(COUNT.replace("WHERE", f"FROM <{first}> FROM <{second}> WHERE"))) == merged
        assert count(store.query(COUNT, dataset=Dataset.protocol([first, second]))) == merged
    if len(current) > 2:
        every = "".join(f"FROM <{graph}> " for graph in current)
        assert count(store.query(COUNT.replace("WHERE", every + "WHERE"))) == len(asserted | inferred)


@pytest.fixture
def sharing(store):
    """A and B share 6 triples; the inferred graphs repeat 3 of them and one of A's own; C shares nothing."""
    store.replace_graph(A, make_triples("shared", 6) + make_triples("a", 4))
    store.replace_graph(B, make_triples("shared", 6) + make_triples("b", 2))
    store.replace_graph(C, make_triples("c", 5))
    store.replace_graph(INFERRED_GRAPH, make_triples("shared", 3) + make_triples("a", 1) + make_triples("i", 2))
    store.replace_graph(INFERRED_GRAPH + "/part", make_triples("i", 1) + make_triples("j", 1))
    return store


def test_union_default_graph_is_a_set(sharing):
    assert count(sharing.query(COUNT_P, dataset=Dataset(infer=False))) == 6 + 4 + 2 + 5
    assert count(sharing.query(COUNT_P)) == 6 + 4 + 2 + 5 + 2 + 1
    assert len(data_rows(sharing.query(ALL_TRIPLES))) == len(rows(sharing.query(ALL_TRIPLES))) - count(
        sharing.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o FILTER(?p != <{P.value}>) }}")
    )
    assert_sets(sharing)


def test_from_lists_are_sets(sharing):
    assert count(sharing.query(COUNT.replace("WHERE", f"FROM <{A}> FROM <{B}> WHERE"))) == 12
    assert count(sharing.query(COUNT, dataset=Dataset.protocol([A, B]))) == 12
    assert count(sharing.query(COUNT, dataset=Dataset.protocol([A, A]))) == 10
    # Graphs that share nothing are read as stored: the same answer.
    assert count(sharing.query(COUNT, dataset=Dataset.protocol([A, C]))) == 15
    # Named graphs stay named graphs beside a merged default graph.
    named = f"SELECT DISTINCT ?g FROM <{A}> FROM <{B}> FROM NAMED <{C}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert rows(sharing.query(named)) == {(ox.NamedNode(C + "/v1"),)}
    joined = f"FROM <{A}> FROM <{B}> FROM NAMED <{B}> WHERE {{ ?s ?p ?o GRAPH ?g {{ ?s ?p ?o }} }}"
    joined = "SELECT (COUNT(*) AS ?n) " + joined
    assert count(sharing.query(joined)) == 6 + 2
    # Internal callers may ask for the bag (faster, for rows collected into sets).
    assert count(sharing.query(COUNT, graphs=[A, B])) == 10 + 8
    assert_sets(sharing)


def test_sets_after_replacing_and_dropping(sharing):
    # A keeps 2 of the shared triples, gains one of B's own and one the inferred graph holds.
    sharing.replace_graph(A, make_triples("shared", 2) + make_triples("b", 1) + make_triples("i", 1, 1))
    assert count(sharing.query(COUNT_P, dataset=Dataset(infer=False))) == 6 + 2 + 5 + 1
    assert_sets(sharing)
    sharing.replace_graph(INFERRED_GRAPH, make_triples("a", 4) + make_triples("x", 3))
    assert_sets(sharing)
    assert sharing.drop_graph(B)
    assert count(sharing.query(COUNT_P, dataset=Dataset(infer=False))) == 4 + 5
    assert_sets(sharing)
    assert sharing.drop_graph(A)
    assert sharing.drop_graph(INFERRED_GRAPH + "/part")
    assert count(sharing.query(COUNT_P)) == 5 + 7
    assert_sets(sharing)


def test_union_graphs_are_not_named_graphs_nor_writable(sharing):
    named = {row[0].value for row in sharing.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")}
    assert not named & {UNION_GRAPH, UNION_INFERRED_GRAPH}
    assert UNION_GRAPH not in sharing.plain_graphs()
    for graph in (UNION_GRAPH, UNION_INFERRED_GRAPH):
        with pytest.raises(StoreError):
            sharing.replace_graph(graph, make_triples("u", 1))
        with pytest.raises(QueryError, match="union"):
            sharing.update(f"INSERT DATA {{ GRAPH <{graph}> {{ <http://s> <http://p> <http://o> }} }}")


# --- plain graphs written whole ----------------------------------------------------------------------------------

PLAIN = "https://w3id.org/agrs/graph/push"


def test_write_plain_graph_replaces_its_content_and_refuses_managed_graphs(store):
    store.replace_graph(A, make_triples("a", 2))
    node = ox.BlankNode("n")
    assert store.write_plain_graph(PLAIN, [*make_triples("p", 3), (node, P, ox.Literal("blank"))] * 2) == 4
    in_graph = f"SELECT ?s ?o WHERE {{ GRAPH <{PLAIN}> {{ ?s ?p ?o }} }}"
    assert len(rows(store.query(in_graph))) == 4
    assert PLAIN in store.plain_graphs()
    assert (ox.BlankNode("n"),) in rows(store.query(f"SELECT ?s WHERE {{ ?s <{P.value}> 'blank' }}"))
    assert store.write_plain_graph(PLAIN, iter(make_triples("q", 1))) == 1
    assert rows(store.query(in_graph)) == {(ox.NamedNode("https://w3id.org/agrs/id/q/0"), ox.Literal("q 0"))}
    for name in (REGISTRY_GRAPH, UNION_GRAPH, UNION_INFERRED_GRAPH, A, A + "/v1", A + "/v9", "not an iri"):
        with pytest.raises(StoreError):
            store.write_plain_graph(name, make_triples("x", 1))
    assert store.current_versions() == {A: A + "/v1"} and set(store.triples(A)) == set(make_triples("a", 2))


def test_graph_clause_on_an_absent_graph_matches_nothing(store):
    notes = "https://w3id.org/agrs/graph/notes"
    store.update(f"INSERT DATA {{ GRAPH <{notes}> {{ <http://n> <http://says> 'hi' }} }}")
    ask = f"ASK {{ GRAPH <{notes}> {{ ?s ?p ?o }} }}"
    assert bool(store.query(ask, union=False))
    store.update(f"DROP GRAPH <{notes}>")
    assert not bool(store.query(ask, union=False))  # Virtuoso answered true here (its GRAPH <iri> outside the list)
    assert not bool(store.query("ASK { GRAPH <https://w3id.org/agrs/graph/test/never> { ?s ?p ?o } }"))
    assert count(store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{notes}> {{ ?s ?p ?o }} }}")) == 0


# --- history: kept versions, rollback, purge -----------------------------------------------------------------------


def reopen(store, keep_versions: int):
    """Close `store` and open it again for writing (a write-open: garbage collection) keeping `keep_versions`."""
    store.close()
    return type(store)(store.location, keep_versions=keep_versions)


def test_kept_versions_are_listed_and_never_queried(store):
    store.keep_versions = 2
    for i in range(4):
        store.replace_graph(A, make_triples(f"a{i}", 3 + i))
    store.replace_graph(B, make_triples("b", 2))
    history = store.history(A)
    assert [(h.version, h.triples, h.current) for h in history] == [
        (A + "/v4", 6, True), (A + "/v3", 5, False), (A + "/v2", 4, False)]  # fmt: skip
    assert all(h.created and h.created[:4].isdigit() for h in history)
    # Never in a query's dataset: not in the union, not a named graph, not by name, FROM or the protocol.
    assert data_rows(store.query(ALL_TRIPLES)) == set(make_triples("a3", 6) + make_triples("b", 2))
    named = {row[0].value for row in store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")}
    assert named == {A + "/v4", B + "/v1", REGISTRY_GRAPH}
    kept = A + "/v3"
    assert rows(store.query(f"SELECT ?s WHERE {{ GRAPH <{kept}> {{ ?s ?p ?o }} }}")) == set()
    assert not bool(store.query(f"ASK {{ GRAPH <{kept}> {{ ?s ?p ?o }} }}", union=False))
    assert rows(store.query(f"SELECT ?s FROM <{kept}> WHERE {{ ?s ?p ?o }}")) == set()
    assert rows(store.query(ALL_TRIPLES, dataset=Dataset.protocol([kept], [kept]))) == set()
    assert kept not in store.plain_graphs() and kept not in {g.version for g in store.graphs()}
    assert_sets(store)


def test_rollback_is_a_switch_to_a_kept_version_and_can_be_undone(store):
    store.replace_graph(A, make_triples("shared", 2) + make_triples("a", 3))
    store.replace_graph(A, make_triples("x", 5))
    store.replace_graph(B, make_triples("shared", 2))
    info, previous = store.rollback(A)
    assert (info.version, info.triples, previous) == (A + "/v1", 5, A + "/v2")
    assert set(store.triples(A)) == set(make_triples("shared", 2) + make_triples("a", 3))
    assert data_rows(store.query(ALL_TRIPLES)) == set(make_triples("shared", 2) + make_triples("a", 3))
    assert [(h.version, h.current) for h in store.history(A)] == [(A + "/v2", False), (A + "/v1", True)]
    assert_sets(store)
    with pytest.raises(StoreError, match="no kept version older"):
        store.rollback(A)
    with pytest.raises(StoreError, match="not a kept version"):
        store.rollback(A, A + "/v9")
    with pytest.raises(StoreError, match="already the current"):
        store.rollback(A, "v1")
    info, previous = store.rollback(A, "v2")  # forward again, by number
    assert (info.version, previous) == (A + "/v2", A + "/v1")
    assert data_rows(store.query(ALL_TRIPLES)) == set(make_triples("x", 5) + make_triples("shared", 2))
    assert_sets(store)
    # Version numbers are never reused: the next load takes the next one.
    assert store.replace_graph(A, make_triples("y", 1)).version == A + "/v3"


def test_a_dropped_graph_is_kept_and_a_rollback_restores_it(store):
    store.replace_graph(A, make_triples("a", 3))
    assert store.drop_graph(A)
    assert store.current_versions() == {} and data_rows(store.query(ALL_TRIPLES)) == set()
    assert [(h.version, h.current) for h in store.history(A)] == [(A + "/v1", False)]
    info, previous = store.rollback(A)
    assert (info.version, previous) == (A + "/v1", None)
    assert data_rows(store.query(ALL_TRIPLES)) == set(make_triples("a", 3))


def test_retention_count_and_garbage_collection_at_a_write_open(store):
    store.keep_versions = 0
    store.replace_graph(A, make_triples("a", 1))
    store.replace_graph(A, make_triples("a", 2))
    assert [h.version for h in store.history(A)] == [A + "/v2"]  # keeping none: as before versions were kept
    with pytest.raises(StoreError, match="no kept version"):
        store.rollback(A)
    store.keep_versions = 3
    for count in range(3, 7):
        store.replace_graph(A, make_triples("a", count))
    assert [h.version for h in store.history(A)] == [A + f"/v{n}" for n in (6, 5, 4, 3)]
    store = reopen(store, 3)  # a write-open keeps what is within the count…
    try:
        assert [h.version for h in store.history(A)] == [A + f"/v{n}" for n in (6, 5, 4, 3)]
        store = reopen(store, 1)  # …and drops what is beyond it
        assert [h.version for h in store.history(A)] == [A + "/v6", A + "/v5"]
        assert store.rollback(A)[0].version == A + "/v5"
        assert set(store.triples(A)) == set(make_triples("a", 5))
    finally:
        store.close()


def test_purge_record_erases_it_from_every_version_and_the_provenance(store):
    person = ox.NamedNode("https://w3id.org/agrs/id/person/1")
    about, knows = (person, P, ox.Literal("Jeanne")), (ox.NamedNode("https://w3id.org/agrs/id/a/0"), P, person)
    store.replace_graph(A, [*make_triples("a", 3), about, knows])
    store.replace_graph(A, [*make_triples("a", 3), about])  # v1 kept
    store.replace_graph(B, [*make_triples("b", 1), about])
    store.update(f"INSERT DATA {{ GRAPH <{PROVENANCE_GRAPH}> {{ <https://w3id.org/agrs/id/load/x> "
                 f"<http://www.w3.org/ns/prov#used> {person} }} }}")
    purged = store.purge_record(person.value)
    erased = {entry.stored: (entry.graph, entry.triples, entry.replaced_by) for entry in purged}
    assert erased == {
        A + "/v2": (A, 1, A + "/v3"), A + "/v1": (A, 2, None), B + "/v1": (B, 1, B + "/v2"),
        PROVENANCE_GRAPH: (PROVENANCE_GRAPH, 1, None),
    }  # fmt: skip
    for ask in (f"ASK {{ {person} ?p ?o }}", f"ASK {{ ?s ?p {person} }}", f"ASK {{ GRAPH ?g {{ {person} ?p ?o }} }}"):
        assert not bool(store.query(ask))
    assert set(store.triples(A)) == set(make_triples("a", 3)) and set(store.triples(B)) == set(make_triples("b", 1))
    assert [(h.version, h.triples) for h in store.history(A)] == [(A + "/v3", 3), (A + "/v2", 3), (A + "/v1", 3)]
    store.rollback(A, "v1")  # the kept versions were erased too
    assert set(store.triples(A)) == set(make_triples("a", 3))
    assert_sets(store)
    with pytest.raises(StoreError, match="data graph"):
        store.purge_record(B)
    assert store.purge_record("https://w3id.org/agrs/id/person/none") == []


def test_purge_source_erases_its_versions_and_provenance(store):
    store.replace_graph(A, make_triples("a", 2))
    store.replace_graph(A, make_triples("a", 3))
    store.replace_graph(B, make_triples("b", 1))
    prov, file = "http://www.w3.org/ns/prov#", "https://w3id.org/agrs/id/file/f"
    store.update(
        f"INSERT DATA {{ GRAPH <{PROVENANCE_GRAPH}> {{\n"
        f"<https://w3id.org/agrs/id/load/a2> <{prov}generated> <{A}/v2> ; <{prov}used> <{file}> .\n"
        f"<{file}> a <https://w3id.org/agrs/SourceFile> ; <https://w3id.org/agrs/fileName> 'x.csv' .\n"
        f"<{A}/v2> <https://w3id.org/agrs/versionOf> <{A}> .\n"
        f"<https://w3id.org/agrs/id/load/b1> <{prov}generated> <{B}/v1> .\n}} }}"
    )
    erased = {entry.stored: entry.triples for entry in store.purge_graph(A)}
    assert erased == {A + "/v2": 3, A + "/v1": 2, PROVENANCE_GRAPH: 5}
    assert store.history(A) == [] and store.current_versions() == {B: B + "/v1"}
    assert data_rows(store.query(ALL_TRIPLES)) == set(make_triples("b", 1))
    left = rows(store.query(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{PROVENANCE_GRAPH}> {{ ?s ?p ?o }} }}"))
    assert left == {(ox.NamedNode("https://w3id.org/agrs/id/load/b1"), ox.NamedNode(prov + "generated"),
                     ox.NamedNode(B + "/v1"))}  # fmt: skip
    with pytest.raises(StoreError, match="no current version and no kept version"):
        store.rollback(A)
    assert store.replace_graph(A, make_triples("a", 1)).version == A + "/v3"  # numbers are never reused
    assert_sets(store)
