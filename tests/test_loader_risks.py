"""The risks loader: GASPAR CatNat fixtures in both layouts mapped to the expected graphs, messy and unreadable
files, the SHACL gate on unknown communes, the pipeline and the CLI.

Expected graphs live in tests/data/loaders/risks/expected/ (<stem>.ttl and <stem>.problems.json); run with
AGRS_REGENERATE=1 to rewrite them from the loader's output, then review the diff.
"""

import json
import time
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import SKOS

from agrs.loaders.pipeline import run_load
from agrs.loaders.risks import HAZARD_LABELS, RISK_CODES, RISK_LABELS, RisksLoader
from agrs.loaders.territories import TerritoriesLoader
from agrs.ns import BASE
from agrs.paths import ontology_dir
from agrs.records import ReadError, Record
from agrs.resources import Resources

from conftest import DATA, REGENERATE, REPO, assert_graph_file, graph_of, problems_of, run_agrs

HERE = DATA / "loaders" / "risks"
EXPECTED = HERE / "expected"
FIXTURES = sorted(HERE.glob("*.csv"))
UNREADABLE = sorted((HERE / "unreadable").glob("*.csv"))
ETALAB = [
    DATA / "loaders" / "territories" / f"etalab-{name}.json" for name in ("communes", "epci", "departements", "regions")
]
SAMPLE = sorted((REPO / "data" / "risks").glob("*.csv"))


def load(path: Path) -> tuple[list[Record], RisksLoader]:
    loader = RisksLoader()
    return [loader.map(raw) for raw in loader.read(path)], loader




def test_fixtures_found():
    assert FIXTURES
    assert UNREADABLE
    assert SAMPLE


@pytest.mark.parametrize("path", FIXTURES, ids=[path.stem for path in FIXTURES])
def test_fixture_gives_the_expected_graph_and_problems(path: Path):
    records, _ = load(path)
    actual, problems = graph_of(records), problems_of(records, warnings=True)
    graph_file, problems_file = EXPECTED / f"{path.stem}.ttl", EXPECTED / f"{path.stem}.problems.json"
    assert_graph_file(actual, graph_file)
    if REGENERATE:
        problems_file.write_text(json.dumps(problems, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert problems == json.loads(problems_file.read_text(encoding="utf-8"))


def test_both_layouts_and_encodings_give_the_same_graph():
    older, _ = load(HERE / "gaspar-older.csv")
    cp1252, _ = load(HERE / "gaspar-older-cp1252.csv")
    assert isomorphic(graph_of(older), graph_of(cp1252))
    assert "Sécheresse à Paris" in graph_of(cp1252).serialize(format="nt")


def test_exact_duplicates_are_removed_and_counted():
    records, loader = load(HERE / "gaspar-2026.csv")
    assert len(records) == 6
    assert loader.duplicates == {str(HERE / "gaspar-2026.csv"): 4}
    first = records[0]
    assert [w.rule for w in first.warnings] == ["duplicate-rows"] and "lines 4, 7, 11" in first.warnings[0].message


def test_time_of_day_is_kept_only_when_not_midnight():
    records, _ = load(HERE / "gaspar-2026.csv")
    nt = graph_of(records).serialize(format="nt")
    assert '"2017-02-23T18:00:00"^^<http://www.w3.org/2001/XMLSchema#dateTime>' in nt
    assert '"2008-05-30"^^<http://www.w3.org/2001/XMLSchema#date>' in nt


@pytest.mark.parametrize("path", UNREADABLE, ids=[path.stem for path in UNREADABLE])
def test_unreadable_file_names_its_line_and_field(path: Path):
    parts = dict(part.split("-", 1) for part in path.stem.split("--")[1:])
    with pytest.raises(ReadError) as caught:
        list(RisksLoader().read(path))
    assert caught.value.line == int(parts["line"])
    assert caught.value.field == parts.get("field")
    assert str(path) in str(caught.value)


def test_every_mapped_hazard_type_is_a_concept_of_the_ontology():
    ontology = Graph().parse(ontology_dir() / "modules" / "resilience.ttl", format="turtle")
    concepts = set(ontology.subjects(SKOS.inScheme, URIRef(BASE + "hazard")))
    keys = {*RISK_CODES.values(), *RISK_LABELS.values(), *HAZARD_LABELS}
    assert {URIRef(BASE + "hazard/" + key) for key in keys} <= concepts


def test_sample_is_marked_synthetic_and_loads_without_problems():
    readme = (REPO / "data" / "risks" / "README.md").read_text(encoding="utf-8")
    assert "synthetic" in readme.lower() and "synthétique" in readme.lower()
    for path in SAMPLE:
        records, _ = load(path)
        assert records and not [r for r in records if r.rejected]
        assert all(str(r.raw.fields["id"]).startswith("SYNTHETIQUE-") for r in records)


# --- Through the pipeline and the command line ----------------------------------------------------------------


@pytest.fixture(scope="module")
def resources() -> Resources:
    return Resources.load()


def test_pipeline_gate_rejects_unknown_communes_and_reversed_dates(store, tmp_path, resources):
    quarantine = tmp_path / "q"
    run_load(TerritoriesLoader(), ETALAB, store, quarantine_dir=quarantine, resources=resources)
    summary = run_load(
        RisksLoader(), [HERE / "gaspar-2026-problems.csv"], store, quarantine_dir=quarantine, resources=resources
    )
    assert (summary.read, summary.loaded, summary.rejected) == (12, 1, 11)
    rejected = {record.raw.line: record for record in summary.records if record.rejected}
    assert "agrs:actsOn" in {p.field for p in rejected[13].problems}  # 99999: well formed, not in the COG
    assert "DatedShape" in {p.rule for p in rejected[14].problems}  # its SPARQL end-before-start check
    lines = [json.loads(line) for line in summary.quarantine.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 11


def test_pipeline_loads_both_layouts_and_measures_throughput(store, tmp_path, resources):
    quarantine = tmp_path / "q"
    run_load(TerritoriesLoader(), ETALAB, store, quarantine_dir=quarantine, resources=resources)
    files = [HERE / "gaspar-2026.csv", HERE / "gaspar-older.csv"]
    started = time.perf_counter()
    summary = run_load(RisksLoader(), files, store, quarantine_dir=quarantine, resources=resources)
    elapsed = time.perf_counter() - started
    # The older file's Plouguerneau (29155) is in the fixture COG too: every distinct row loads.
    assert (summary.read, summary.rejected) == (11, 0), [r.problems for r in summary.records if r.rejected]
    triples = sum(len(record.triples) for record in summary.records)
    print(f"risks: {summary.read / elapsed:.0f} records/s, {triples / elapsed:.0f} triples/s")
    query = """PREFIX agrs: <https://w3id.org/agrs/>
        SELECT DISTINCT ?type WHERE {
            ?disaster agrs:actsOn <https://w3id.org/agrs/id/commune/69123> ; agrs:materialisesRisk ?risk .
            ?risk agrs:hasHazard/agrs:hazardType ?type }"""
    types = sorted(row["type"].value.rsplit("/", 1)[1] for row in store.query(query))
    assert types == ["clay-shrink-swell", "flood"]


def test_cli_exit_codes_and_quarantine(tmp_path):
    store, quarantine = str(tmp_path / "store"), tmp_path / "q"
    assert (
        run_agrs("load", "territories", *map(str, ETALAB), "--store", store, "--quarantine", str(quarantine)).returncode
        == 0
    )
    good = run_agrs("load", "risks", str(HERE / "gaspar-2026.csv"), "--store", store, "--quarantine", str(quarantine))
    assert good.returncode == 0, good.stderr
    assert "loaded 6" in good.stdout and "exact duplicate row(s) removed" in good.stderr
    bad = run_agrs(
        "load", "risks", str(HERE / "gaspar-2026-problems.csv"), "--key", "problems", "--store", store,
        "--quarantine", str(quarantine),
    )  # fmt: skip
    assert bad.returncode == 1, bad.stderr
    entries = (quarantine / "risks-problems.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(entries) == 11
    unreadable = UNREADABLE[0]
    broken = run_agrs("load", "risks", str(unreadable), "--store", store, "--quarantine", str(quarantine))
    assert broken.returncode == 2 and str(unreadable) in broken.stderr
