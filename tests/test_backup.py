"""`agrs backup` and `agrs restore`: checkpoints and dumps, every graph kept, atomic restore, backups while served.

Real components only: on-disk stores in temporary folders, `agrs serve` on loopback (the live_server fixture), the
Oxigraph server fixture for the remote store's dump.
"""

import gzip
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from agrs import backup as backups
from agrs.backup_cli import served_by
from agrs.cli import cli
from agrs.graphs import REGISTRY_GRAPH, UNION_GRAPH
from agrs.store.embedded import EmbeddedStore

EX = "http://example.org/backup/"
DATA = "https://w3id.org/agrs/graph/test/backup"
OTHER = "https://w3id.org/agrs/graph/test/other"
PLAIN = EX + "plain"
EMPTY = EX + "empty"
TOKEN = "test-token"


def triples(tag: str, count: int) -> list[tuple]:
    """`count` triples whose subjects and values carry `tag`; one with a blank node object."""
    p = ox.NamedNode(EX + "p")
    made = [(ox.NamedNode(f"{EX}{tag}/{i}"), p, ox.Literal(f"{tag} {i}")) for i in range(count)]
    made.append((ox.NamedNode(f"{EX}{tag}/0"), ox.NamedNode(EX + "q"), ox.BlankNode(f"b{tag}")))
    return made


def every_quad(folder) -> tuple[set[str], set[str]]:
    """The graph names and the quads (as N-Quads text) of the store in `folder`, read as stored."""
    raw = ox.Store.read_only(str(folder))
    names = {name.value for name in raw.named_graphs() if isinstance(name, ox.NamedNode)}
    quads = {str(quad) for quad in raw}
    del raw
    return names, quads


@pytest.fixture
def filled(tmp_path):
    """A closed store: a data graph replaced twice, another data graph, a plain graph and an EMPTY plain graph."""
    path = tmp_path / "store"
    with EmbeddedStore(path) as store:
        store.replace_graph(DATA, triples("one", 20))
        store.replace_graph(DATA, triples("two", 30))
        store.replace_graph(OTHER, triples("other", 5))
        store.update(f'INSERT DATA {{ GRAPH <{PLAIN}> {{ <{EX}s> <{EX}p> "plain" }} }}')
        store.update(f"CREATE GRAPH <{EMPTY}>")
    names, _ = every_quad(path)
    assert EMPTY in names and DATA + "/v2" in names and REGISTRY_GRAPH in names
    return path


def agrs(*args: str):
    """Run `agrs ARGS` in this process; return the click Result."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("dump", [False, True], ids=["checkpoint", "dump"])
def test_backup_and_restore_keep_every_quad_and_every_graph_name(filled, tmp_path, dump):
    backup, restored = tmp_path / "backup", tmp_path / "restored"
    result = agrs("backup", str(backup), "--store", str(filled), *(["--dump"] if dump else []))
    assert result.exit_code == 0, result.output
    manifest = backups.Manifest.read(backup)
    assert manifest.kind == ("dump" if dump else "checkpoint")
    assert manifest.pyoxigraph_version == ox.__version__ and manifest.agrs_version
    names, quads = every_quad(filled)
    assert manifest.quads == len(quads) and set(manifest.graphs) == names  # the empty graph's name too
    result = agrs("restore", str(backup), "--store", str(restored))
    assert result.exit_code == 0, result.output
    assert every_quad(restored) == (names, quads)  # blank node labels kept, every version and system graph
    with EmbeddedStore(restored, read_only=True) as store:
        assert store.current_versions() == {DATA: DATA + "/v2", OTHER: OTHER + "/v1"}
        assert set(store.triples(DATA)) == set(triples("two", 30))
        assert EMPTY in store.plain_graphs()
    assert not list(tmp_path.glob(".restored.restore-*"))  # the staging folder is gone


def test_a_dump_carries_the_default_graph_and_gz_n_quads(filled, tmp_path):
    raw = ox.Store(str(filled))
    raw.add(ox.Quad(ox.NamedNode(EX + "d"), ox.NamedNode(EX + "p"), ox.Literal("in the default graph")))
    del raw
    manifest = backups.dump(EmbeddedStore(filled, read_only=True), tmp_path / "dump")
    text = gzip.decompress((tmp_path / "dump" / backups.DUMP_FILE).read_bytes()).decode()
    assert f'<{EX}d> <{EX}p> "in the default graph" .' in text.splitlines()
    assert len(text.splitlines()) == manifest.quads
    backups.restore(tmp_path / "dump", tmp_path / "restored")
    assert every_quad(tmp_path / "restored") == every_quad(filled)


def test_restore_refuses_a_non_empty_target_unless_forced_and_replaces_it_whole(filled, tmp_path):
    backup, target = tmp_path / "backup", tmp_path / "target"
    assert agrs("backup", str(backup), "--dump", "--store", str(filled)).exit_code == 0
    with EmbeddedStore(target) as other:
        other.replace_graph(OTHER, triples("elsewhere", 3))
    before = every_quad(target)
    result = agrs("restore", str(backup), "--store", str(target))
    assert result.exit_code == 2 and "not empty" in result.output and "--force" in result.output
    assert every_quad(target) == before
    with EmbeddedStore(target):  # a process holds the target: even --force waits for it
        result = agrs("restore", str(backup), "--store", str(target), "--force")
        assert result.exit_code == 2 and "open for writing" in result.output
    assert every_quad(target) == before
    result = agrs("restore", str(backup), "--store", str(target), "--force")
    assert result.exit_code == 0, result.output
    assert every_quad(target) == every_quad(filled)  # nothing of the old store is left
    assert sorted(path.name for path in tmp_path.iterdir()) == ["backup", "store", "target"]


def test_a_damaged_dump_is_refused_and_the_target_untouched(filled, tmp_path):
    backup = tmp_path / "backup"
    backups.dump(EmbeddedStore(filled, read_only=True), backup)
    data = backup / backups.DUMP_FILE
    lines = gzip.decompress(data.read_bytes()).decode().splitlines()
    data.write_bytes(gzip.compress("\n".join(lines[:-1]).encode()))  # one quad lost
    result = agrs("restore", str(backup), "--store", str(tmp_path / "target"))
    assert result.exit_code == 2 and "damaged" in result.output
    assert not (tmp_path / "target").exists() and not list(tmp_path.glob(".target.*"))
    manifest = backups.Manifest.read(backup)
    manifest.file_sha256 = None  # the file's checksum skipped: the content digest still catches it
    manifest.write(backup)
    result = agrs("restore", str(backup), "--store", str(tmp_path / "target"))
    assert result.exit_code == 2 and "damaged" in result.output


def test_a_dump_from_another_pyoxigraph_is_checked_by_its_file_and_count(filled, tmp_path):
    backup = tmp_path / "backup"
    manifest = backups.dump(EmbeddedStore(filled, read_only=True), backup)
    manifest.pyoxigraph_version, manifest.digest = "0.4.0", "0" * 64  # as if printed by another version
    manifest.write(backup)
    backups.restore(backup, tmp_path / "target")
    assert every_quad(tmp_path / "target") == every_quad(filled)
    manifest.quads += 1  # but a count that differs is damage whatever the version
    manifest.write(backup)
    with pytest.raises(backups.BackupError, match="damaged"):
        backups.restore(backup, tmp_path / "other")


def test_backup_of_a_store_another_process_writes_says_who_and_exits_2(filled, tmp_path):
    with EmbeddedStore(filled):  # this process holds the lock: not a server
        result = agrs("backup", str(tmp_path / "backup"), "--store", str(filled))
    assert result.exit_code == 2 and "open for writing by pid" in result.output
    assert not (tmp_path / "backup").exists()


def test_served_by_reads_the_server_address_from_the_lock(tmp_path):
    command = "/usr/bin/python -m agrs serve --store s --host 0.0.0.0 --port 8123"
    (tmp_path / "agrs.lock").write_text(f'{{"pid": 1, "command": "{command}"}}')
    assert served_by(tmp_path) == "http://127.0.0.1:8123"
    (tmp_path / "agrs.lock").write_text('{"pid": 1, "command": "agrs serve --store s"}')
    assert served_by(tmp_path) == "http://127.0.0.1:8000"
    (tmp_path / "agrs.lock").write_text('{"pid": 1, "command": "agrs serve --host=::1 --port=9001 --store s"}')
    assert served_by(tmp_path) == "http://[::1]:9001"
    (tmp_path / "agrs.lock").write_text('{"pid": 1, "command": "agrs load partners p.csv"}')
    assert served_by(tmp_path) is None


# --- while `agrs serve` holds the store and writes -------------------------------------------------------------

ROUNDS = 10


def put(server, graph: str, body: str) -> int:
    """Graph Store PUT of Turtle `body` into `graph` with the write token; return the status."""
    url = f"{server.url}/graph-store?graph={urllib.parse.quote(graph, safe='')}"
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/turtle"}
    request = urllib.request.Request(url, data=body.encode(), method="PUT", headers=headers)
    with urllib.request.urlopen(request, timeout=60) as answer:
        return answer.status


def content(round_: int) -> str:
    return "".join(f'<{EX}r{round_}/{i}> <{EX}p> "round {round_} #{i}" .\n' for i in range(15))


def state_of(folder) -> tuple:
    """What a copy holds: the data graph's version and triples, the plain graph's triples; and its union's triples."""
    with EmbeddedStore(folder, read_only=True) as store:
        version = store.current_version(DATA)
        data = frozenset(str(ox.Triple(*t)) for t in store.triples(DATA)) if version else frozenset()
        rows = store.query(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{PLAIN}> {{ ?s ?p ?o }} }}", union=False)
        plain = frozenset(str(ox.Triple(r["s"], r["p"], r["o"])) for r in rows)
    raw = ox.Store.read_only(str(folder))  # the union graph is the store's own: no query names it
    union = frozenset(str(ox.Triple(q.subject, q.predicate, q.object)) for q in raw.quads_for_pattern(
        None, None, None, ox.NamedNode(UNION_GRAPH)))  # fmt: skip
    del raw
    return (version, data, plain), union


def expected(round_: int) -> frozenset:
    return frozenset(str(t) for t in ox.parse(content(round_), format=ox.RdfFormat.TURTLE))


def test_backups_while_the_server_writes_are_each_a_state_the_store_had(live_server, tmp_path):
    """10 rounds: a writer commits through the server (Graph Store PUTs to a data graph and a plain graph) while
    backups are taken — by the lock's server detection (checkpoints) and by --server (dumps); every copy opens and
    equals one of the states the writer left the store in (the union graph included)."""
    started = time.monotonic()
    server = live_server()
    states = [(None, frozenset(), frozenset())]  # the store before the first write
    stop, failures = threading.Event(), []

    def write() -> None:
        try:
            round_ = 0
            while not stop.is_set():
                put(server, DATA, content(round_))
                states.append((f"{DATA}/v{round_ + 1}", expected(round_), states[-1][2]))
                put(server, PLAIN, content(round_))
                states.append((states[-1][0], states[-1][1], expected(round_)))
                round_ += 1
        except Exception as error:  # reported by the test, not lost in the thread
            failures.append(error)

    writer = threading.Thread(target=write)
    writer.start()
    copies = []
    try:
        while len(states) < 2 and not failures:
            time.sleep(0.05)
        for round_ in range(ROUNDS):
            backup = tmp_path / f"backup-{round_}"
            if round_ % 2:
                args = ["backup", str(backup), "--dump", "--server", server.url, "--write-token", TOKEN]
            else:  # the store is locked by the server: found from the lock file
                args = ["backup", str(backup), "--store", str(server.store), "--write-token", TOKEN]
            result = agrs(*args)
            assert result.exit_code == 0, result.output
            copies.append(backup)
            time.sleep(0.1)
    finally:
        stop.set()
        writer.join(timeout=60)
    assert not failures, failures
    seen = []
    for backup in copies:
        restored = tmp_path / f"restored-{backup.name}"
        backups.restore(backup, restored)  # checks the quads against the manifest, and opens it for writing
        state, union = state_of(restored)
        assert state in states, f"{backup.name} holds a state the store never had: {state[0]}"
        assert union == state[1]  # the union graph matches the current version: not caught mid-switch
        seen.append(states.index(state))
    print(f"backups saw states {seen} of {len(states)}")
    assert len(set(seen)) >= 2, f"every backup saw the same state {seen}: the writes did not overlap them"
    assert seen == sorted(seen)  # taken one after the other, so never an older state after a newer one
    assert time.monotonic() - started < 90


def test_the_admin_route_needs_the_write_token_and_a_known_kind(live_server, tmp_path):
    server = live_server()
    request = urllib.request.Request(f"{server.url}/admin/backup", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 401
    headers = {"Authorization": f"Bearer {TOKEN}"}
    request = urllib.request.Request(f"{server.url}/admin/backup?kind=zip", method="POST", headers=headers)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 400
    result = agrs("backup", "unused", "--server", server.url, "--write-token", "wrong")
    assert result.exit_code == 2 and "refused the backup (403)" in result.output
    # An empty graph's name survives a backup made by the server (pyoxigraph's backup of a read-only view once
    # lost one): the checkpoint is taken of the store the server writes.
    update = urllib.parse.urlencode({"update": f"CREATE GRAPH <{EMPTY}>"}).encode()
    request = urllib.request.Request(f"{server.url}/sparql", data=update, method="POST", headers=headers)
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status in (200, 204)
    for kind in ([], ["--dump"]):
        backup = tmp_path / f"backup{len(kind)}"
        result = agrs("backup", str(backup), *kind, "--store", str(server.store), "--write-token", TOKEN)
        assert result.exit_code == 0, result.output
        assert EMPTY in backups.Manifest.read(backup).graphs
        backups.restore(backup, tmp_path / f"restored{len(kind)}")
        assert EMPTY in every_quad(tmp_path / f"restored{len(kind)}")[0]


def test_a_killed_restore_leaves_nothing_the_next_one_trips_on(filled, tmp_path):
    backups.dump(EmbeddedStore(filled, read_only=True), tmp_path / "dump")
    stale = tmp_path / ".target.restore-999999999"  # no such process
    stale.mkdir()
    (stale / "CURRENT").write_text("half a store")
    backups.restore(tmp_path / "dump", tmp_path / "target")
    assert not stale.exists() and every_quad(tmp_path / "target") == every_quad(filled)


# --- a remote store: the dump, read through the store interface ------------------------------------------------


@pytest.mark.remote
def test_a_remote_store_is_dumped_with_every_version_and_restored_into_a_folder(oxigraph_server, tmp_path):
    from agrs.store.remote import RemoteStore

    oxigraph_server.reset()
    with RemoteStore(oxigraph_server.location) as remote:
        remote.replace_graph(DATA, triples("one", 10))
        remote.replace_graph(DATA, triples("two", 12))
        remote.replace_graph(OTHER, triples("other", 3))
        remote.write_plain_graph(PLAIN, [(ox.NamedNode(EX + "s"), ox.NamedNode(EX + "p"), ox.Literal("plain"))])
        names, quads = remote.stored_dataset()
        current = remote.current_versions()
    quads = {str(quad) for quad in quads}
    assert {REGISTRY_GRAPH, UNION_GRAPH, PLAIN, DATA + "/v2"} <= set(names)
    result = agrs("backup", str(tmp_path / "dump"), "--store", oxigraph_server.query_url)
    assert result.exit_code == 0, result.output
    manifest = backups.Manifest.read(tmp_path / "dump")
    assert manifest.kind == "dump" and manifest.quads == len(quads)
    backups.restore(tmp_path / "dump", tmp_path / "restored")
    with EmbeddedStore(tmp_path / "restored", read_only=True) as store:
        assert store.current_versions() == current
        assert {str(ox.Triple(*t)) for t in store.triples(DATA)} == {str(ox.Triple(*t)) for t in triples("two", 12)}
        assert PLAIN in store.plain_graphs()


def test_a_backup_folder_is_never_written_over(filled, tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    result = agrs("backup", str(tmp_path / "busy"), "--store", str(filled))
    assert result.exit_code == 2 and "not empty" in result.output
    assert [path.name for path in (tmp_path / "busy").iterdir()] == ["notes.txt"]


@pytest.mark.remote
def test_a_server_on_a_remote_store_sends_a_dump(oxigraph_server, tmp_path):
    from agrs.store.remote import RemoteStore

    from conftest import LiveServer

    oxigraph_server.reset()
    with RemoteStore(oxigraph_server.location) as remote:
        remote.replace_graph(DATA, triples("one", 10))
    server = LiveServer(oxigraph_server.query_url, "--update-url", oxigraph_server.update_url, token=TOKEN)
    try:
        result = agrs("backup", str(tmp_path / "checkpoint"), "--server", server.url, "--write-token", TOKEN)
        assert result.exit_code == 2 and "ask for ?kind=dump" in result.output
        result = agrs("backup", str(tmp_path / "dump"), "--dump", "--server", server.url, "--write-token", TOKEN)
        assert result.exit_code == 0, result.output
    finally:
        server.stop()
    backups.restore(tmp_path / "dump", tmp_path / "restored")
    with EmbeddedStore(tmp_path / "restored", read_only=True) as store:
        assert store.current_versions() == {DATA: DATA + "/v1"}
        assert set(store.triples(DATA)) == set(triples("one", 10))
