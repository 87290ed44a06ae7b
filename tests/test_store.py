"""The store: versioned graphs, replace/drop, query datasets, update refusals, one writer, kill-safety, location."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Literal, URIRef

from agrs.store import QueryError, StoreBusy, StoreError, VersionConflict
from agrs.store.base import PROVENANCE_GRAPH, REGISTRY_GRAPH
from agrs.store.embedded import EmbeddedStore
from agrs.store.location import default_store_location, store_location
from agrs.store.terms import to_oxigraph, to_rdflib, triple_to_rdflib

from conftest import REPO

A = "https://w3id.org/agrs/graph/test/a"
B = "https://w3id.org/agrs/graph/test/b"
P = ox.NamedNode("https://w3id.org/agrs/test/p")
XSD = "http://www.w3.org/2001/XMLSchema#"
ALL_TRIPLES = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"


def make_triples(prefix: str, count: int, start: int = 0) -> list[tuple]:
    return [(ox.NamedNode(f"https://w3id.org/agrs/id/{prefix}/{i}"), P, ox.Literal(f"{prefix} {i}")) for i in
            range(start, start + count)]


def rows(result) -> set[tuple]:
    return {tuple(solution) for solution in result}


def stored_graph_names(path: Path) -> set[str]:
    """The named graphs on disk, read behind the store's back (a read-only Oxigraph, no garbage collection)."""
    return {name.value for name in ox.Store.read_only(str(path)).named_graphs()}


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


def data_rows(result) -> set[tuple]:
    return {row for row in rows(result) if row[1] == P}


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


class SwitchAfterReadingTheRegistry(EmbeddedStore):
    """Replaces A (switch, then deletion of the old version) between a query's registry read and its start."""

    race = False

    def _dataset(self, *args):
        dataset = super()._dataset(*args)
        if self.race:
            self.race = False
            self.replace_graph(A, make_triples("new", 5))
        return dataset


def test_query_retries_when_its_version_was_switched(tmp_path):
    with SwitchAfterReadingTheRegistry(tmp_path / "store") as store:
        store.replace_graph(A, make_triples("old", 5))
        store.race = True
        assert rows(store.query(ALL_TRIPLES, graphs=[A])) == set(make_triples("new", 5))
        assert store.race is False


def test_construct_and_ask_keep_pyoxigraph_results(two_graphs):
    result = two_graphs.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", graphs=[B])
    assert isinstance(result, ox.QueryTriples)
    assert {tuple(t) for t in result} == set(make_triples("b", 2))
    assert isinstance(two_graphs.query("ASK { ?s ?p ?o }"), ox.QueryBoolean)
    assert isinstance(two_graphs.query(ALL_TRIPLES), ox.QuerySolutions)


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


# --- terms ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "term",
    [
        URIRef("https://w3id.org/agrs/id/x"), BNode("b7"), Literal("texte"), Literal("texte", lang="fr"),
        Literal(42), Literal(2.5), Literal("2024-01-31", datatype=XSD + "date"),
    ],
    ids=repr,
)
def test_terms_round_trip(term):
    assert to_rdflib(to_oxigraph((term, term, term))[0]) == term


def test_ill_typed_literal_keeps_its_lexical_form():
    term = Literal("not a number", datatype=XSD + "integer")  # rdflib logs a warning; the form must survive
    assert to_oxigraph((term, term, term))[2] == ox.Literal("not a number", datatype=ox.NamedNode(XSD + "integer"))
    assert to_rdflib(to_oxigraph((term, term, term))[2]) == term


def test_xsd_string_is_a_plain_literal():
    assert to_rdflib(to_oxigraph((Literal("x", datatype=XSD + "string"),) * 3)[2]) == Literal("x")


# --- one writer, read-only opens, folders (embedded only) -------------------------------------------------------

TRY_TO_WRITE = """
import sys, time
from agrs.store import StoreBusy
from agrs.store.embedded import EmbeddedStore
start = time.monotonic()
try:
    EmbeddedStore(sys.argv[1]).close()
except StoreBusy as error:
    print(f"busy after {time.monotonic() - start:.3f}s: {error}")
else:
    print("opened")
"""

READ = """
import sys
from agrs.store.embedded import EmbeddedStore
with EmbeddedStore(sys.argv[1], read_only=True) as store:
    print(store.current_version(sys.argv[2]), len(list(store.triples(sys.argv[2]))))
    print(bool(store.query("ASK { ?s ?p ?o }")))
"""


def run_python(code: str, *args: str, timeout: int = 60) -> str:
    done = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_second_writer_is_told_at_once(tmp_path):
    path = tmp_path / "store"
    with EmbeddedStore(path) as writer:
        writer.replace_graph(A, make_triples("a", 10))
        output = run_python(TRY_TO_WRITE, path)
        assert output.startswith("busy after 0."), output  # no waiting
        assert f"pid {os.getpid()}" in output and "pytest" in output
        assert "run this command again" in output
        # Read-only opens take no lock and see the committed data.
        assert run_python(READ, path, A).split() == [A + "/v1", "10", "True"]
    assert run_python(TRY_TO_WRITE, path).strip() == "opened"


def test_second_writer_in_the_same_process(tmp_path):
    with EmbeddedStore(tmp_path / "store"), pytest.raises(StoreBusy, match=f"pid {os.getpid()}"):
        EmbeddedStore(tmp_path / "store")


def test_oxigraph_lock_is_store_busy(tmp_path):
    path = tmp_path / "store"
    EmbeddedStore(path).close()
    other_program = ox.Store(str(path))  # e.g. `oxigraph serve` on the folder: it knows nothing of agrs.lock
    with pytest.raises(StoreBusy, match="Oxigraph's own lock"):
        EmbeddedStore(path)
    del other_program
    EmbeddedStore(path).close()  # our lock was released on the way out


def test_read_only_store_refuses_writes(tmp_path):
    path = tmp_path / "store"
    with EmbeddedStore(path) as writer:
        writer.replace_graph(A, make_triples("a", 3))
    with EmbeddedStore(path, read_only=True) as reader:
        assert [g.triples for g in reader.graphs()] == [3]
        with pytest.raises(StoreError, match="read-only"):
            reader.replace_graph(A, [])
        with pytest.raises(StoreError, match="read-only"):
            reader.update(f"INSERT DATA {{ GRAPH <{PROVENANCE_GRAPH}> {{ <http://s> <http://p> 1 }} }}")


def test_read_only_needs_a_store(tmp_path):
    with pytest.raises(StoreError, match="no store"):
        EmbeddedStore(tmp_path / "nothing", read_only=True)


def test_refuses_a_folder_that_is_not_a_store(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="not empty"):
        EmbeddedStore(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_closed_store(tmp_path):
    store = EmbeddedStore(tmp_path / "store")
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.graphs()


# --- kill-safety ------------------------------------------------------------------------------------------------

BIG = 300_000

LOAD_IN_CHILD = """
import os, sys
import pyoxigraph as ox
from agrs.store.embedded import EmbeddedStore

path, graph, count, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]

class Store(EmbeddedStore):
    def _after_switch(self):
        if mode == "exit-after-switch":
            print("switched", flush=True)
            os._exit(0)  # as if killed: no cleanup, no close

def triples():
    p = ox.NamedNode("https://w3id.org/agrs/test/big")
    for i in range(count):
        if i == 50_000:  # five batches are on disk by now
            print("started", flush=True)
        yield ox.NamedNode(f"https://w3id.org/agrs/id/big/{i // 10}"), p, ox.Literal(f"value {i}")

Store(path, load_batch=10_000).replace_graph(graph, triples())
print("done", flush=True)
"""


def observe(store) -> dict:
    """Everything a reader can see of the data: graphs, their triples, union and named-graph queries."""
    data = f"SELECT ?g ?s ?p ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{REGISTRY_GRAPH}>) }}"
    return {
        "graphs": store.graphs(),
        "triples": {info.graph: set(store.triples(info.graph)) for info in store.graphs()},
        "named": rows(store.query(data)),
        "union": data_rows(store.query(ALL_TRIPLES)),
    }


@pytest.fixture
def loaded(tmp_path) -> tuple[Path, dict]:
    """A store holding version v1 of A (known content) and v1 of B, closed; and what a reader saw of it."""
    path = tmp_path / "store"
    with EmbeddedStore(path) as store:
        store.replace_graph(A, make_triples("a", 1000))
        store.replace_graph(B, make_triples("b", 10))
        before = observe(store)
    assert before["graphs"][0].version == A + "/v1"
    return path, before


def test_kill_during_load_keeps_the_previous_version(loaded):
    path, before = loaded
    child = subprocess.Popen([sys.executable, "-c", LOAD_IN_CHILD, str(path), A, str(BIG), "load"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert child.stdout.readline().strip() == "started", child.stderr.read()
        time.sleep(0.3)
        assert child.poll() is None, "the load finished before it could be killed"
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL

    assert A + "/v2" in stored_graph_names(path)  # the partial version is on disk…
    with EmbeddedStore(path, read_only=True) as reader:
        assert observe(reader) == before  # …and invisible
    with EmbeddedStore(path) as store:  # a write-open collects it
        assert observe(store) == before
        everything = rows(store.query(ALL_TRIPLES))
    assert A + "/v2" not in stored_graph_names(path)
    with EmbeddedStore(path) as store:
        assert rows(store.query(ALL_TRIPLES)) == everything
        assert store.replace_graph(A, make_triples("a", 2)).version == A + "/v2"


def test_kill_after_switch_keeps_the_new_version(loaded):
    path, before = loaded
    output = run_python(LOAD_IN_CHILD, path, A, 60_000, "exit-after-switch")
    assert output.split() == ["started", "switched"]
    assert A + "/v1" in stored_graph_names(path)  # the old version was not dropped
    with EmbeddedStore(path, read_only=True) as reader:
        graphs = [(g.graph, g.version, g.triples) for g in reader.graphs()]
        assert graphs == [(A, A + "/v2", 60_000), (B, B + "/v1", 10)]
        assert len(set(reader.triples(A))) == 60_000
        assert not bool(reader.query(f"ASK {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g = <{A}/v1>) }}"))
    with EmbeddedStore(path) as store:
        assert store.current_version(A) == A + "/v2"
        assert set(store.triples(B)) == before["triples"][B]
    assert A + "/v1" not in stored_graph_names(path)


# --- location ---------------------------------------------------------------------------------------------------


def test_location_option_wins():
    assert store_location("/opt/s", {"AGRS_STORE": "/env/s", "XDG_DATA_HOME": "/xdg"}) == Path("/opt/s")


def test_location_from_environment():
    assert store_location(None, {"AGRS_STORE": "/env/s", "XDG_DATA_HOME": "/xdg"}) == Path("/env/s")
    assert store_location(None, {"AGRS_STORE": "~/s", "HOME": "/home/u"}) == Path("~/s").expanduser()


def test_location_default():
    assert store_location(None, {"XDG_DATA_HOME": "/xdg"}) == Path("/xdg/agrs/store")
    assert store_location(None, {"HOME": "/home/u"}) == Path("/home/u/.local/share/agrs/store")
    assert default_store_location({"HOME": "/home/u", "XDG_DATA_HOME": "relative"}) == Path(
        "/home/u/.local/share/agrs/store"
    )


def test_location_default_reads_the_process_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("AGRS_STORE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert store_location() == default_store_location() == tmp_path / "agrs" / "store"
    monkeypatch.setenv("AGRS_STORE", str(tmp_path / "elsewhere"))
    assert store_location() == tmp_path / "elsewhere"
    assert store_location(tmp_path / "option") == tmp_path / "option"
