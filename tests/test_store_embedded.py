"""The embedded store: one writer per folder, read-only opens, folders, kill-safety on disk, and its location."""

import itertools
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from agrs.graphs import (
    INFERRED_GRAPH,
    PROVENANCE_GRAPH,
    REGISTRY_GRAPH,
    UNION_GRAPH,
    UNION_GRAPHS,
    UNION_INFERRED_GRAPH,
)
from agrs.store import Dataset, QueryError, StoreBusy, StoreError, registry
from agrs.store.embedded import EmbeddedStore
from agrs.store.location import default_store_location, store_location

from conftest import REPO
from storekit import ALL_TRIPLES, A, B, data_rows, make_triples, rows

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
DISTINCT = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"


def count(result) -> int:
    return int(next(iter(result))["n"].value)


def stored_graph_names(path: Path) -> set[str]:
    """The named graphs on disk, read behind the store's back (a read-only Oxigraph, no garbage collection)."""
    return {name.value for name in ox.Store.read_only(str(path)).named_graphs()}


# --- a query racing a replacement ----------------------------------------------------------------------------


class SwitchAfterReadingTheRegistry(EmbeddedStore):
    """Replaces A (switch, then deletion of the old version) between a query's registry read and its start."""

    race = False

    def resolve(self, *args):
        names = super().resolve(*args)
        if self.race:
            self.race = False
            self.replace_graph(A, make_triples("new", 5))
        return names


def test_query_retries_when_its_version_was_switched(tmp_path):
    with SwitchAfterReadingTheRegistry(tmp_path / "store") as store:
        store.replace_graph(A, make_triples("old", 5))
        store.race = True
        assert rows(store.query(ALL_TRIPLES, graphs=[A])) == set(make_triples("new", 5))
        assert store.race is False


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
    done = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, timeout=timeout, cwd=REPO
    )
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

    def _during_union_update(self):
        if mode == "exit-during-union":
            print("union", flush=True)
            os._exit(0)

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
    child = subprocess.Popen(
        [sys.executable, "-c", LOAD_IN_CHILD, str(path), A, str(BIG), "load"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
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
        assert [(r.version, r.current) for r in store.history(A)] == [(A + "/v2", True), (A + "/v1", False)]
    assert A + "/v1" in stored_graph_names(path)  # kept as history (the default retention count is 5)…
    with EmbeddedStore(path, keep_versions=0) as store:  # …and collected by a write-open that keeps none
        assert store.history(A)[0].version == A + "/v2" and len(store.history(A)) == 1
    assert A + "/v1" not in stored_graph_names(path)


def test_kill_during_the_union_update_is_repaired_by_the_next_write_open(loaded):
    path, before = loaded
    store_b = before["triples"][B]
    output = run_python(LOAD_IN_CHILD, path, B, 60_000, "exit-during-union")
    assert output.split() == ["started", "union"]
    with EmbeddedStore(path, read_only=True) as reader:
        reader.union_wait = 0.2
        # The switch happened: the new version is current and readable by name…
        assert reader.current_version(B) == B + "/v2"
        assert len(list(reader.triples(B))) == 60_000
        # …but the union is stale: a query needing it waits, then says why; it never answers from a half union.
        with pytest.raises(StoreBusy, match="interrupted"):
            reader.query(ALL_TRIPLES)
        # A query that reads named graphs only does not need the union: it answers at once.
        by_name = f"SELECT ?s WHERE {{ GRAPH <{B}/v2> {{ ?s ?p ?o }} }}"
        assert len(list(reader.query(by_name))) == 60_000
        assert len(rows(reader.query(ALL_TRIPLES, dataset=Dataset.protocol([A])))) == 1000
    with EmbeddedStore(path) as store:  # a write-open rebuilds the union
        assert len(data_rows(store.query(ALL_TRIPLES))) == 1000
        assert count(store.query(COUNT)) == count(store.query(DISTINCT))
    assert store_b == before["triples"][B]


def test_a_store_without_union_graphs_gets_them_at_its_first_write_open(tmp_path):
    path = tmp_path / "store"
    with EmbeddedStore(path) as store:
        store.replace_graph(A, make_triples("shared", 3) + make_triples("a", 2))
        store.replace_graph(B, make_triples("shared", 3))
    raw = ox.Store(str(path))  # as an older AGRS left it: no union graphs, no mark
    for name in UNION_GRAPHS:
        raw.remove_graph(ox.NamedNode(name))
    raw.update(f"DELETE WHERE {{ GRAPH <{REGISTRY_GRAPH}> {{ <{UNION_GRAPH}> ?p ?o }} }}")
    del raw
    with EmbeddedStore(path, read_only=True) as reader:
        reader.union_wait = 0.1
        with pytest.raises(StoreBusy):
            reader.query(ALL_TRIPLES)
    with EmbeddedStore(path) as store:
        assert len(data_rows(store.query(ALL_TRIPLES))) == 5
        assert count(store.query(COUNT, dataset=Dataset.protocol([A, B]))) == 5


def _graph_content(raw: ox.Store, name: str) -> set[tuple]:
    return {(q.subject, q.predicate, q.object) for q in raw.quads_for_pattern(None, None, None, ox.NamedNode(name))}


def test_union_graphs_follow_random_replacements_and_drops(tmp_path):
    """After every write, the union graphs are what their definition says and shared triples are recorded.

    Asserted and inferred graphs draw their triples from one small pool, so that they overlap in every way: a
    first load, a replacement and a drop each add or remove triples the other graphs hold or do not hold.
    """
    pool = make_triples("pool", 12)
    names = [A, B, INFERRED_GRAPH, INFERRED_GRAPH + "/part"]
    chance = random.Random(13)
    with EmbeddedStore(tmp_path / "store", load_batch=5) as store:
        for step in range(24):
            name = chance.choice(names)
            if chance.random() < 0.2:
                store.drop_graph(name)
            else:
                store.replace_graph(name, chance.sample(pool, chance.randint(1, 8)))
            raw = store._store
            current = store.current_versions()
            contents = {version: _graph_content(raw, version) for version in current.values()}
            asserted = set().union(*(contents[v] for g, v in current.items() if not g.startswith(INFERRED_GRAPH)))
            inferred = set().union(*(contents[v] for g, v in current.items() if g.startswith(INFERRED_GRAPH)))
            assert _graph_content(raw, UNION_GRAPH) == asserted, f"step {step}"
            assert _graph_content(raw, UNION_INFERRED_GRAPH) == inferred - asserted, f"step {step}"
            recorded = {frozenset((row["a"].value, row["b"].value)) for row in raw.query(registry.SHARING)}
            for first, second in itertools.combinations(sorted(contents), 2):
                if contents[first] & contents[second]:
                    assert frozenset((first, second)) in recorded, f"step {step}: {first} and {second} share"


def test_overlapping_from_graphs_too_large_to_merge_are_refused(tmp_path, monkeypatch):
    import agrs.store.embedded as embedded

    with EmbeddedStore(tmp_path / "store") as store:
        store.replace_graph(A, make_triples("shared", 3) + make_triples("a", 2))
        store.replace_graph(B, make_triples("shared", 3))
        monkeypatch.setattr(embedded, "MERGE_LIMIT", 7)
        with pytest.raises(QueryError, match="share triples"):
            store.query(COUNT, dataset=Dataset.protocol([A, B]))
        monkeypatch.setattr(embedded, "MERGE_LIMIT", 8)
        assert count(store.query(COUNT, dataset=Dataset.protocol([A, B]))) == 5


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
