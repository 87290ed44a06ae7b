"""The load pipeline: gate, commit, provenance, quarantine, unchanged sources, dangling references, `agrs load`."""

import json
from pathlib import Path

import pytest

from agrs.graphs import PROVENANCE_GRAPH, graph_iri
from agrs.loaders.partners import PartnersLoader
from agrs.loaders.pipeline import run_load
from agrs.loaders.rdf import RdfLoader
from agrs.loaders.territories import TerritoriesLoader
from agrs.records import ReadError
from agrs.resources import Resources

from conftest import DATA, run_agrs

TERRITORIES = DATA / "loaders" / "territories"
ETALAB = [TERRITORIES / f"etalab-{name}.json" for name in ("communes", "epci", "departements", "regions")]
PARTNERS = DATA / "loaders" / "pipeline" / "partners-cp1252.csv"
PREFIXES = "PREFIX agrs: <https://w3id.org/agrs/>\nPREFIX level: <https://w3id.org/agrs/level/>\n"


@pytest.fixture(scope="module")
def resources() -> Resources:
    """The shapes and ontology, parsed once for the module (as the CLI does once per process)."""
    return Resources.load()


def _triples(store, graph: str) -> set:
    return set(store.triples(graph))


def _load_territories(store, tmp_path: Path, resources: Resources, files=ETALAB, **options):
    return run_load(TerritoriesLoader(), files, store, quarantine_dir=tmp_path / "q", resources=resources, **options)


def test_territories_load_and_hierarchy_is_queryable(store, tmp_path, resources):
    summary = _load_territories(store, tmp_path, resources)
    assert (summary.read, summary.rejected, summary.unchanged) == (53, 0, False)
    assert summary.loaded == 53 and summary.graph == graph_iri("territories", "cog")
    query = (
        PREFIXES
        + """
        SELECT ?dep ?reg WHERE {
            <https://w3id.org/agrs/id/commune/75056> agrs:directlyWithin ?dep .
            ?dep agrs:hasLevel level:departement ; agrs:directlyWithin ?reg .
            ?reg agrs:hasLevel level:region .
        }"""
    )
    rows = [(row["dep"].value, row["reg"].value) for row in store.query(query)]
    assert rows == [("https://w3id.org/agrs/id/departement/75", "https://w3id.org/agrs/id/region/11")]
    assert not (tmp_path / "q" / "territories-cog.jsonl").exists()


def test_loading_twice_is_unchanged_and_force_gives_the_same_triples(store, tmp_path, resources):
    first = _load_territories(store, tmp_path, resources)
    before = _triples(store, first.graph)
    again = _load_territories(store, tmp_path, resources)
    assert again.unchanged and again.version == first.version
    forced = _load_territories(store, tmp_path, resources, force=True)
    assert not forced.unchanged and forced.version != first.version
    assert _triples(store, first.graph) == before


def test_a_renamed_file_replaces_its_graph(store, tmp_path, resources):
    copies = []
    for path in ETALAB:
        copy = tmp_path / f"renamed-{path.name}"
        copy.write_bytes(path.read_bytes())
        copies.append(copy)
    first = _load_territories(store, tmp_path, resources)
    renamed = _load_territories(store, tmp_path, resources, files=list(reversed(copies)))
    assert renamed.unchanged and renamed.graph == first.graph
    assert [info.graph for info in store.graphs()].count(first.graph) == 1


def test_provenance_records_the_load(store, tmp_path, resources):
    summary = _load_territories(store, tmp_path, resources)
    query = """
        PREFIX agrs: <https://w3id.org/agrs/>
        PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?load ?read ?loaded ?rejected (COUNT(?file) AS ?files) WHERE {
            ?load a agrs:Load , prov:Activity ; agrs:loaderKind "territories" ; prov:generated ?version ;
                agrs:recordsRead ?read ; agrs:recordsLoaded ?loaded ; agrs:recordsRejected ?rejected ;
                agrs:softwareVersion ?software ; agrs:shapesDigest ?shapes ; agrs:contentDigest ?digest ;
                prov:startedAtTime ?start ; prov:endedAtTime ?end ; prov:used ?file .
            ?file a agrs:SourceFile ; agrs:fileName ?name ; agrs:byteSize ?size ; agrs:contentDigest ?sha .
            ?version a agrs:GraphVersion ; agrs:versionOf ?graph .
        } GROUP BY ?load ?read ?loaded ?rejected"""
    rows = list(store.query(query, graphs=[PROVENANCE_GRAPH]))
    assert len(rows) == 1
    row = rows[0]
    assert row["load"].value == "https://w3id.org/agrs/id/load/territories/cog/v1"
    assert summary.version.endswith("/v1")
    assert [int(row[name].value) for name in ("read", "loaded", "rejected", "files")] == [53, 53, 0, 4]


def test_partners_bad_rows_are_quarantined_with_reasons(store, tmp_path, resources):
    _load_territories(store, tmp_path, resources)
    summary = run_load(PartnersLoader(), [PARTNERS], store, quarantine_dir=tmp_path / "q", resources=resources)
    assert (summary.read, summary.loaded, summary.rejected) == (6, 3, 3)
    entries = [json.loads(line) for line in (tmp_path / "q" / "partners-default.jsonl").read_text().splitlines()]
    by_id = {entry["fields"]["id"]: entry for entry in entries}
    assert set(by_id) == {"territoire-inconnu", "siren-faux", "sans-nom"}
    unknown = by_id["territoire-inconnu"]
    assert unknown["line"] == 5 and unknown["original"].startswith("territoire-inconnu;")
    assert unknown["problems"][0]["field"] == "agrs:basedIn"
    assert unknown["problems"][0]["rule"] == "Actor-basedIn"
    assert " / " in unknown["problems"][0]["message"]  # English / French
    assert by_id["siren-faux"]["problems"][0]["field"] == "siren"
    assert by_id["sans-nom"]["problems"][0]["field"] == "name"
    loaded = {str(s.value) for s, _, _ in store.triples(summary.graph)}
    assert "https://w3id.org/agrs/id/organisation/ville-paris" in loaded
    assert "https://w3id.org/agrs/id/organisation/territoire-inconnu" not in loaded


def test_a_partner_without_its_territory_is_rejected_when_territories_are_missing(store, tmp_path, resources):
    summary = run_load(PartnersLoader(), [PARTNERS], store, quarantine_dir=tmp_path / "q", resources=resources)
    assert summary.loaded == 0 and summary.rejected == 6


def test_a_shacl_warning_is_reported_and_the_record_loads(store, tmp_path, resources):
    _load_territories(store, tmp_path, resources)
    untyped = tmp_path / "untyped.csv"
    untyped.write_text("id,name,territory,source\nsans-type,Sans type,75056,seed-004\n", encoding="utf-8")
    summary = run_load(PartnersLoader(), [untyped], store, quarantine_dir=tmp_path / "q", resources=resources)
    assert (summary.loaded, summary.rejected) == (1, 0)
    [record] = summary.records
    assert [(w.field, w.rule) for w in record.warnings] == [("agrs:actorType", "Organisation-actorType")]


def test_a_source_with_rejections_is_loaded_again_once_what_it_lacked_is_there(store, tmp_path, resources):
    first = run_load(PartnersLoader(), [PARTNERS], store, quarantine_dir=tmp_path / "q", resources=resources)
    assert first.rejected == 6
    again = run_load(PartnersLoader(), [PARTNERS], store, quarantine_dir=tmp_path / "q", resources=resources)
    assert not again.unchanged and again.rejected == 6
    _load_territories(store, tmp_path, resources)
    third = run_load(PartnersLoader(), [PARTNERS], store, quarantine_dir=tmp_path / "q", resources=resources)
    assert (third.unchanged, third.loaded, third.rejected) == (False, 3, 3)


def test_a_reload_dropping_a_referenced_commune_warns(store, tmp_path, resources):
    _load_territories(store, tmp_path, resources)
    run_load(PartnersLoader(), [PARTNERS], store, quarantine_dir=tmp_path / "q", resources=resources)
    communes = json.loads(ETALAB[0].read_text(encoding="utf-8"))
    fewer = tmp_path / "communes.json"
    fewer.write_text(json.dumps([entry for entry in communes if entry["code"] != "29155"]), encoding="utf-8")
    summary = _load_territories(store, tmp_path, resources, files=[fewer, *ETALAB[1:]])
    assert summary.rejected == 0
    assert any("commune/29155" in warning and "partners/default" in warning for warning in summary.warnings)


def test_rdf_loader_loads_turtle_with_blank_nodes(store, tmp_path, resources):
    source = tmp_path / "small.ttl"
    source.write_text(
        "@prefix ex: <http://example.org/> .\n"
        'ex:a ex:name "A" ; ex:address [ ex:city "Lyon" ] .\n'
        "ex:b ex:knows ex:a .\n",
        encoding="utf-8",
    )
    graph = "https://example.org/graph/small"
    summary = run_load(RdfLoader(), [source], store, graph=graph, quarantine_dir=tmp_path / "q", resources=resources)
    assert (summary.read, summary.loaded, summary.rejected) == (2, 2, 0)
    assert len(_triples(store, graph)) == 4


def test_rdf_read_error_names_the_line(tmp_path):
    broken = tmp_path / "broken.ttl"
    broken.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b .\n", encoding="utf-8")
    with pytest.raises(ReadError) as caught:
        list(RdfLoader().read(broken))
    assert caught.value.line == 3


def test_cli_partners_exit_1_then_unchanged(tmp_path):
    store, quarantine = str(tmp_path / "store"), str(tmp_path / "q")
    loaded = run_agrs("load", "territories", *map(str, ETALAB), "--store", store, "--quarantine", quarantine)
    assert loaded.returncode == 0, loaded.stderr
    assert "loaded 53" in loaded.stdout
    partners = run_agrs("load", "partners", str(PARTNERS), "--store", store, "--quarantine", quarantine)
    assert partners.returncode == 1, partners.stderr
    assert "rejected 3" in partners.stdout
    assert f"{PARTNERS}:5" in partners.stderr and "agrs:basedIn" in partners.stderr
    again = run_agrs("load", "territories", *map(str, ETALAB), "--store", store, "--quarantine", quarantine)
    assert again.returncode == 0 and "unchanged" in again.stdout


def test_cli_unreadable_input_exits_2_naming_file_and_line(tmp_path):
    broken = tmp_path / "broken.ttl"
    broken.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b .\n", encoding="utf-8")
    result = run_agrs("load", "rdf", str(broken), "--store", str(tmp_path / "store"), "--quarantine", str(tmp_path))
    assert result.returncode == 2
    assert f"{broken}:3" in result.stderr


def test_cli_partners_encoding_error_names_field(tmp_path):
    bad = DATA / "loaders" / "partners" / "unreadable" / "encoding--line-3--field-name.csv"
    result = run_agrs("load", "partners", str(bad), "--store", str(tmp_path / "store"), "--quarantine", str(tmp_path))
    assert result.returncode == 2
    assert f"{bad}:3" in result.stderr and "'name'" in result.stderr


def test_cli_help_documents_exit_codes_and_keys():
    result = run_agrs("load", "--help")
    assert result.returncode == 0
    assert "Exit codes" in result.stdout and "renamed file" in result.stdout and "merged" in result.stdout


def test_cli_load_into_a_busy_store_exits_2_at_once(tmp_path):
    from agrs.store.embedded import EmbeddedStore

    with EmbeddedStore(tmp_path / "store"):
        result = run_agrs("load", "territories", *map(str, ETALAB), "--store", str(tmp_path / "store"), timeout=60)
    assert result.returncode == 2
    assert "open for writing by" in result.stderr and "run this command again" in result.stderr


def _store_state(path: Path) -> dict:
    """What a reader sees: the data graphs and their triples, and the provenance graph's triples apart.

    A load killed after its switch is complete but has no provenance (the next load of the source redoes it):
    the provenance can only grow, so it is compared apart.
    """
    from agrs.store.embedded import EmbeddedStore

    with EmbeddedStore(path, read_only=True) as store:
        graphs = [info.graph for info in store.graphs() if info.graph != PROVENANCE_GRAPH]
        return {
            "triples": {graph: set(store.triples(graph)) for graph in graphs},
            "provenance": {(str(t.subject), str(t.predicate), str(t.object)) for t in store.query(
                f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{PROVENANCE_GRAPH}> {{ ?s ?p ?o }} }}")},
        }  # fmt: skip


@pytest.mark.slow
def test_killing_a_cli_load_at_any_moment_leaves_the_store_as_it_was(tmp_path):
    """SIGKILL a re-load of a ~120k-triple Turtle file at moments spread over its run: nothing changes."""
    import signal
    import subprocess
    import sys
    import time

    from conftest import REPO

    store, quarantine = tmp_path / "store", tmp_path / "q"
    big = tmp_path / "big.ttl"
    lines = ["@prefix ex: <http://example.org/> ."]
    lines += [f'ex:s{i} ex:p ex:o{i % 97} ; ex:n {i} ; ex:label "item {i}"@fr .' for i in range(40_000)]
    big.write_text("\n".join(lines) + "\n", encoding="utf-8")
    command = [sys.executable, "-m", "agrs", "load", "rdf", str(big), "--key", "big", "--store", str(store),
               "--quarantine", str(quarantine), "--quiet"]  # fmt: skip
    first = run_agrs(*command[3:], timeout=600)
    assert first.returncode == 0, first.stderr
    before = _store_state(store)
    started = time.monotonic()
    forced = subprocess.run([*command, "--force"], cwd=REPO, capture_output=True, text=True, timeout=600)
    duration = time.monotonic() - started
    assert forced.returncode == 0, forced.stderr
    reloaded = _store_state(store)
    assert reloaded["triples"] == before["triples"]  # a re-load gives the same triples…
    before = reloaded  # …in a new version, which is what the kills must preserve
    killed = 0
    for fraction in (0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 0.95):
        child = subprocess.Popen([*command, "--force"], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(duration * fraction)
        if child.poll() is not None:
            continue  # it finished first: a complete load, checked below like the others
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
        killed += 1
        after = _store_state(store)
        assert after["triples"] == before["triples"], f"killed at {fraction:.0%} of the load"
        assert after["provenance"] >= before["provenance"]
    assert killed >= 3  # the last moments may find the load done: those runs are checked all the same
    final = run_agrs(*command[3:], "--force", timeout=600)  # the store still takes loads
    assert final.returncode == 0, final.stderr
    assert _store_state(store)["triples"] == before["triples"]


# --- a load with no valid record never replaces the graph ------------------------------------------------------


def _partners(tmp_path: Path, name: str, rows: str) -> Path:
    path = tmp_path / name
    path.write_text("id,name,territory,actor_type,source\n" + rows, encoding="utf-8")
    return path


GOOD_ROWS = "ville-paris,Ville de Paris,75056,territory,seed-004\nsans-type,Sans type,75056,,seed-004\n"


@pytest.mark.parametrize(
    ("name", "rows", "read"),
    [("header-only.csv", "", 0), ("all-rejected.csv", "autre,Autre,99999,territory,seed-004\n", 1)],
    ids=["header-only", "all-rejected"],
)
def test_a_load_with_no_valid_record_keeps_the_current_version(store, tmp_path, resources, name, rows, read):
    _load_territories(store, tmp_path, resources)
    good = run_load(PartnersLoader(), [_partners(tmp_path, "good.csv", GOOD_ROWS)], store,
                    quarantine_dir=tmp_path / "q", resources=resources)  # fmt: skip
    before = _triples(store, good.graph)
    assert good.replaced and len(before) > 10
    empty = run_load(PartnersLoader(), [_partners(tmp_path, name, rows)], store, quarantine_dir=tmp_path / "q",
                     resources=resources)  # fmt: skip
    assert (empty.read, empty.loaded, empty.replaced, empty.empty, empty.faulty) == (read, 0, False, True, True)
    assert empty.version == good.version == store.current_version(good.graph)
    assert _triples(store, good.graph) == before
    # No load activity claims a version it did not generate.
    loads = f"SELECT ?load WHERE {{ ?load <http://www.w3.org/ns/prov#generated> ?v FILTER(?v != <{good.version}>) }}"
    generated = {row["load"].value for row in store.query(loads, graphs=[PROVENANCE_GRAPH])}
    assert not any("/partners/" in load for load in generated)


def test_cli_header_only_file_after_a_good_load_exits_1_and_keeps_the_graph(tmp_path):
    store, quarantine = str(tmp_path / "store"), str(tmp_path / "q")
    assert run_agrs("load", "territories", *map(str, ETALAB), "--store", store, "--quarantine", quarantine,
                    "--quiet").returncode == 0  # fmt: skip
    good = run_agrs("load", "partners", str(_partners(tmp_path, "good.csv", GOOD_ROWS)), "--store", store,
                    "--quarantine", quarantine)  # fmt: skip
    assert good.returncode == 0, good.stderr
    empty = run_agrs("load", "partners", str(_partners(tmp_path, "empty.csv", "")), "--store", store,
                     "--quarantine", quarantine)  # fmt: skip
    assert empty.returncode == 1, empty.stderr
    assert "not loaded: the files hold no record" in empty.stderr and "partners/default/v1 stays" in empty.stderr


def test_warnings_are_summarised_and_listed_record_by_record(tmp_path):
    store, quarantine = str(tmp_path / "store"), tmp_path / "q"
    assert run_agrs("load", "territories", *map(str, ETALAB), "--store", store, "--quarantine", str(quarantine),
                    "--quiet").returncode == 0  # fmt: skip
    rows = "".join(f"sans-type-{n},Sans type {n},75056,,seed-004\n" for n in range(12))
    loaded = run_agrs("load", "partners", str(_partners(tmp_path, "untyped.csv", rows)), "--store", store,
                      "--quarantine", str(quarantine))  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    warnings = [line for line in loaded.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1, loaded.stderr  # one line for the twelve records, not twelve lines
    assert warnings[0].startswith("warning: 12 loaded records (lines 2, 3, 4, 5, 6, 7, 8, 9, …): agrs:actorType: ")
    assert "[Organisation-actorType]" in warnings[0] and " / " not in warnings[0]  # English only: one language
    listing = quarantine / "warnings" / "partners-default.jsonl"
    listed = [json.loads(line) for line in listing.read_text().splitlines()]
    assert [entry["line"] for entry in listed] == list(range(2, 14))
    assert all(entry["warnings"][0]["rule"] == "Organisation-actorType" for entry in listed)
    assert str(listing) in loaded.stderr
    assert not list(quarantine.glob("*.jsonl"))  # nothing was rejected: the quarantine itself stays empty
