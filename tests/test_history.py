"""Undo and history from the command line: `agrs history`, `agrs rollback`, `agrs purge`, `--keep-versions`, and a
rollback killed midway (the store contract for every store kind is in test_store.py)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from agrs.cli import cli
from agrs.graphs import PROVENANCE_GRAPH, graph_iri
from agrs.store.embedded import EmbeddedStore

from conftest import DATA, REPO
from storekit import ALL_TRIPLES, A, data_rows, make_triples

TERRITORIES = DATA / "loaders" / "territories"
ETALAB = [TERRITORIES / f"etalab-{name}.json" for name in ("communes", "epci", "departements", "regions")]
COG = graph_iri("territories", "cog")
PARTNERS = graph_iri("partners", "default")
HEADER = "id,name,territory,actor_type,source\n"
PROV = "http://www.w3.org/ns/prov#"


def agrs(*args, env: dict | None = None):
    """Run `agrs ARGS` in this process (click's runner): the result has exit_code, stdout and stderr."""
    return CliRunner(env=env).invoke(cli, [str(arg) for arg in args], catch_exceptions=False)


def partners_file(folder: Path, name: str, rows: range) -> Path:
    path = folder / name
    lines = "".join(f"partner-{n},Partenaire {n},75056,territory,seed-004\n" for n in rows)
    path.write_text(HEADER + lines, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def territories_store(tmp_path_factory) -> Path:
    """A closed store holding the fixture territories, built once for the module (tests work on copies)."""
    folder = tmp_path_factory.mktemp("territories")
    assert all(path.is_file() for path in ETALAB)
    result = agrs("load", "territories", *ETALAB, "--store", folder / "store", "--quarantine", folder / "q")
    assert result.exit_code == 0, result.stderr
    return folder / "store"


@pytest.fixture(scope="module")
def loaded_store(territories_store, tmp_path_factory) -> Path:
    """The territories, then three loads of the partners (4, 5, then 6 partners): closed, built once."""
    folder = tmp_path_factory.mktemp("loaded")
    shutil.copytree(territories_store, folder / "store")
    for count in (4, 5, 6):
        path = partners_file(folder, f"partners-{count}.csv", range(count))
        result = agrs("load", "partners", path, "--store", folder / "store", "--quarantine", folder / "q", "--quiet")
        assert result.exit_code == 0, result.stderr
    return folder / "store"


@pytest.fixture
def loaded(loaded_store, tmp_path) -> tuple[Path, Path]:
    """A copy of `loaded_store` for one test, a quarantine folder, and the partner files in tmp_path."""
    shutil.copytree(loaded_store, tmp_path / "store")
    for count in (4, 5, 6):
        partners_file(tmp_path, f"partners-{count}.csv", range(count))
    return tmp_path / "store", tmp_path / "q"


def test_history_lists_versions_with_time_triples_current_and_activity(loaded):
    store, _ = loaded
    table = agrs("history", "partners/default", "--store", store)
    assert table.exit_code == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0] == PARTNERS and lines[1].split() == ["version", "time", "triples", "current", "activity"]
    assert [line.split()[0] for line in lines[2:]] == ["v3", "v2", "v1"]
    assert lines[2].split()[3] == "*" and lines[2].split()[4] == "https://w3id.org/agrs/id/load/partners/default/v3"
    listed = json.loads(agrs("history", PARTNERS, "--store", store, "--json").stdout)
    assert listed["graph"] == PARTNERS
    assert [(v["version"].rsplit("/", 1)[-1], v["current"]) for v in listed["versions"]] == [
        ("v3", True), ("v2", False), ("v1", False)]  # fmt: skip
    assert listed["versions"][0]["triples"] > listed["versions"][2]["triples"] > 0
    assert all(v["created"].startswith("20") and v["activity"].endswith(v["version"][-3:]) for v in listed["versions"])
    unknown = agrs("history", "partners/none", "--store", store)
    assert unknown.exit_code == 0 and "no version" in unknown.stderr


def test_rollback_is_recorded_in_the_provenance(loaded):
    store, _ = loaded
    result = agrs("rollback", "partners/default", "--store", store)
    assert result.exit_code == 0, result.stderr
    assert "v3 → v2 is current" in result.stdout
    with EmbeddedStore(store, read_only=True) as opened:
        assert opened.current_version(PARTNERS) == PARTNERS + "/v2"
        organisations = "SELECT ?s WHERE { ?s a <https://w3id.org/agrs/Organisation> }"
        partners = {row[0].value for row in opened.query(organisations)}
        assert len([iri for iri in partners if "/partner-" in iri]) == 5
        activity = result.stdout.split("provenance: ")[1].strip()
        facts = {(row["p"].value, row["o"].value) for row in opened.query(
            f"SELECT ?p ?o WHERE {{ <{activity}> ?p ?o }}", graphs=[PROVENANCE_GRAPH])}  # fmt: skip
    assert (PROV + "used", PARTNERS + "/v2") in facts and (PROV + "invalidated", PARTNERS + "/v3") in facts
    assert (str(PROV) + "startedAtTime") in {p for p, _ in facts}
    assert any("Rollback" in o and "v3 → v2" in o for _, o in facts)
    # An explicit version, by number; a version that is not kept is refused with exit 2.
    assert agrs("rollback", PARTNERS, "3", "--store", store).exit_code == 0
    refused = agrs("rollback", PARTNERS, "v9", "--store", store)
    assert refused.exit_code == 2 and "not a kept version" in refused.stderr and "Traceback" not in refused.stderr


def test_a_reload_after_a_rollback_of_the_same_file_is_not_skipped(loaded, tmp_path):
    store, quarantine = loaded
    assert agrs("rollback", "partners/default", "--store", store).exit_code == 0
    again = agrs("load", "partners", tmp_path / "partners-6.csv", "--store", store, "--quarantine", quarantine)
    assert again.exit_code == 0 and "unchanged" not in again.stdout + again.stderr
    with EmbeddedStore(store, read_only=True) as opened:
        assert opened.current_version(PARTNERS) == PARTNERS + "/v4"


def test_keep_versions_option_and_environment(territories_store, tmp_path):
    store, quarantine = tmp_path / "store", tmp_path / "q"
    shutil.copytree(territories_store, store)
    for count in (4, 5, 6):
        path = partners_file(tmp_path, f"p{count}.csv", range(count))
        result = agrs("load", "partners", path, "--store", store, "--quarantine", quarantine, "--keep-versions", 1)
        assert result.exit_code == 0, result.stderr
    listed = json.loads(agrs("history", PARTNERS, "--store", store, "--json").stdout)["versions"]
    assert [v["version"][-2:] for v in listed] == ["v3", "v2"]
    path = partners_file(tmp_path, "p7.csv", range(7))
    zero = agrs("load", "partners", path, "--store", store, "--quarantine", quarantine,
                env={"AGRS_KEEP_VERSIONS": "0"})  # fmt: skip
    assert zero.exit_code == 0, zero.stderr
    assert [v["version"][-2:] for v in json.loads(agrs("history", PARTNERS, "--store", store, "--json").stdout)[
        "versions"]] == ["v4"]  # fmt: skip
    bad = agrs("load", "partners", path, "--store", store, "--quarantine", quarantine, "--force",
               env={"AGRS_KEEP_VERSIONS": "many"})  # fmt: skip
    assert bad.exit_code == 2 and "AGRS_KEEP_VERSIONS" in bad.stderr
    assert agrs("load", "partners", path, "--store", store, "--keep-versions", "-1").exit_code == 2


def test_purge_a_record_from_every_version(loaded):
    store, _ = loaded
    person = "https://w3id.org/agrs/id/organisation/partner-0"
    with EmbeddedStore(store, read_only=True) as opened:
        assert bool(opened.query(f"ASK {{ <{person}> ?p ?o }}")), "the fixture's IRI scheme changed: fix `person`"
    refused = agrs("purge", "--record", person, "--store", store)  # no terminal to confirm on
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    result = agrs("purge", "--record", person, "--store", store, "--yes")
    assert result.exit_code == 0, result.stderr
    for version in ("v3", "v2", "v1"):
        assert f"{PARTNERS}/{version}" in result.stdout
    assert "was current; now v4" in result.stdout and "Backups taken before now still hold them" in result.stdout
    with EmbeddedStore(store) as opened:
        versions = opened.history(PARTNERS)
        assert [v.version[-2:] for v in versions][:4] == ["v4", "v3", "v2", "v1"]
        assert versions[0].activity.startswith("https://w3id.org/agrs/id/purge/")
        for version in ("v1", "v2", "v3", "v4"):  # every version, brought back one by one, lacks the record
            if opened.current_version(PARTNERS) != f"{PARTNERS}/{version}":
                opened.rollback(PARTNERS, version)
            assert not bool(opened.query(f"ASK {{ {{ <{person}> ?p ?o }} UNION {{ ?s ?p <{person}> }} }}"))
            assert not bool(opened.query(f"ASK {{ GRAPH ?g {{ <{person}> ?p ?o }} }}"))
        # The purge's own activity does not name the record.
        purge = versions[0].activity
        named = {row["o"].value for row in opened.query(f"SELECT ?o WHERE {{ <{purge}> ?p ?o }}")}
        assert not any(person in value for value in named)


def test_purge_a_whole_source(loaded):
    store, _ = loaded
    result = agrs("purge", "--source", "partners/default", "--store", store, "--yes")
    assert result.exit_code == 0, result.stderr
    assert f"{PARTNERS}/v1" in result.stdout and PROVENANCE_GRAPH in result.stdout
    with EmbeddedStore(store, read_only=True) as opened:
        assert opened.history(PARTNERS) == [] and PARTNERS not in opened.current_versions()
        mentions = f"ASK {{ GRAPH <{PROVENANCE_GRAPH}> {{ {{ ?s ?p ?o FILTER(CONTAINS(STR(?s), '/partners/')) }} " \
                   f"UNION {{ ?s ?p ?o FILTER(CONTAINS(STR(?o), '/partners/')) }} }} }}"
        assert not bool(opened.query(mentions))
        assert opened.current_version(COG) == COG + "/v1"  # other sources untouched
    usage = agrs("purge", "--store", store)
    assert usage.exit_code == 2 and "--record" in usage.stderr


# --- a rollback killed while the union graphs are being brought up to date ----------------------------------------

ROLLBACK_IN_CHILD = """
import os, sys
from agrs.store.embedded import EmbeddedStore

class Store(EmbeddedStore):
    def _during_union_update(self):
        print("union", flush=True)
        os._exit(0)  # as if killed: no cleanup, no close

Store(sys.argv[1]).rollback(sys.argv[2])
"""


def test_a_rollback_killed_midway_is_the_rolled_back_state_after_the_next_write_open(tmp_path):
    path = tmp_path / "store"
    with EmbeddedStore(path) as store:
        store.replace_graph(A, make_triples("old", 50))
        store.replace_graph(A, make_triples("new", 60))
    child = subprocess.run([sys.executable, "-c", ROLLBACK_IN_CHILD, str(path), A], capture_output=True, text=True,
                           timeout=120, cwd=REPO)  # fmt: skip
    assert child.stdout.split() == ["union"], child.stderr
    with EmbeddedStore(path) as store:  # the switch was made: the write-open rebuilds the union from it
        assert store.current_version(A) == A + "/v1"
        assert data_rows(store.query(ALL_TRIPLES)) == set(make_triples("old", 50))
        assert [(v.version, v.current) for v in store.history(A)] == [(A + "/v2", False), (A + "/v1", True)]


def test_virtuoso_rewrite_hides_only_non_current_versions_named_in_full():
    from agrs.store.remote.store import HIDDEN_GRAPH, _virtuoso_hide

    kept, current = A + "/v3", A + "/v4"
    query = (
        f"SELECT ?s FROM <{kept}> FROM NAMED <{kept}> WHERE {{ GRAPH <{kept}> {{ ?s ?p ?o }} "
        f"GRAPH\n    <{current}> {{ ?s ?p ?o }} FILTER(?o < 3 && STR(?s) != \"GRAPH <{kept}>\") }} "
        f"# GRAPH <{kept}>"
    )
    rewritten = _virtuoso_hide(query, {current})
    assert rewritten.count(f"<{HIDDEN_GRAPH}>") == 3  # FROM, FROM NAMED, GRAPH
    assert f"GRAPH\n    <{current}>" in rewritten  # a current version is left alone
    assert f'"GRAPH <{kept}>"' in rewritten and rewritten.endswith(f"# GRAPH <{kept}>")  # strings and comments too
    assert _virtuoso_hide(f"SELECT * WHERE {{ <{kept}> ?p ?o }}", {current}) == f"SELECT * WHERE {{ <{kept}> ?p ?o }}"
