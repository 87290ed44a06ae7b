"""The diagnostic loader (`agrs-diagnostic/1`): hand-filled workbooks and CSV sheets mapped to the expected graphs,
a messy CSV diagnostic (Windows-1252, `;`) quarantined by sheet, row and column, an unknown template version
refused, idempotent re-loads, the synthetic flag in the provenance, and the template regenerated from the ontology.

Expected graphs live in tests/data/loaders/diagnostic/expected/<fixture>.ttl, and the shipped template in
data/diagnostic/template.xlsx; run with AGRS_REGENERATE=1 to rewrite them from the current code and ontology, then
review the diff. The fixtures are written by tests/data/loaders/diagnostic/make_fixtures.py.
"""

import json
import shutil
from pathlib import Path

import pytest
from rdflib import URIRef
from rdflib.namespace import RDF

from agrs.graphs import PROVENANCE_GRAPH
from agrs.loaders.diagnostic import (
    SCHEME_COLUMNS,
    TEMPLATE_VERSION,
    DiagnosticLoader,
    Vocabulary,
    diagnostic_sources,
    expand_files,
    load_diagnostics,
    scheme_concepts,
)
from agrs.loaders.diagnostic_template import lists, workbook_content, write_csv, write_workbook
from agrs.loaders.pipeline import run_load
from agrs.loaders.rdf import RdfLoader
from agrs.loaders.territories import TerritoriesLoader
from agrs.ns import AGRS, BASE, ID
from agrs.records import ReadError
from agrs.resources import Resources

from conftest import DATA, REGENERATE, REPO, assert_graph_file, assert_same_graph, graph_of, run_agrs

HERE = DATA / "loaders" / "diagnostic"
EXPECTED = HERE / "expected"
GOOD = {"ouessant": HERE / "ouessant.xlsx", "brasserie": HERE / "brasserie"}
MESSY, MINIMAL, UNKNOWN_VERSION = HERE / "messy", HERE / "minimal", HERE / "unknown-version"
TEMPLATE = REPO / "data" / "diagnostic" / "template.xlsx"
EXISTING_ORGANISATIONS = HERE / "existing-organisations.ttl"
ETALAB = [
    DATA / "loaders" / "territories" / f"etalab-{name}.json" for name in ("communes", "epci", "departements", "regions")
]


@pytest.fixture(scope="module")
def resources() -> Resources:
    return Resources.load()


@pytest.fixture(scope="module")
def vocabulary(resources) -> Vocabulary:
    """The diagnostic vocabulary, built from the merged ontology as the pipeline builds it."""
    return Vocabulary.from_graph(resources.ontology)


def mapped(vocabulary: Vocabulary, path: Path):
    """Read and map every file of a diagnostic (outside the pipeline): its records."""
    loader = DiagnosticLoader(vocabulary)
    [files] = expand_files([path])
    return [loader.map(raw) for file in files for raw in loader.read(file)]


def load(store, tmp_path, resources, vocabulary, path: Path, **options):
    [source] = diagnostic_sources([path])
    return run_load(
        DiagnosticLoader(vocabulary), source.files, store, key=source.key, quarantine_dir=tmp_path / "q",
        resources=resources, **options,
    )  # fmt: skip


def territories(store, tmp_path, resources) -> None:
    run_load(TerritoriesLoader(), ETALAB, store, quarantine_dir=tmp_path / "q", resources=resources)


def organisations(store, tmp_path, resources) -> None:
    """The existing organisation the fixtures name as `org:cerema` (as the partners loader would write it)."""
    run_load(RdfLoader(), [EXISTING_ORGANISATIONS], store, quarantine_dir=tmp_path / "q", resources=resources)


# --- Reading and mapping -----------------------------------------------------------------------------------------


def test_fixtures_found():
    assert all(path.exists() for path in (*GOOD.values(), MESSY, MINIMAL, UNKNOWN_VERSION, TEMPLATE))


@pytest.mark.parametrize("name", sorted(GOOD))
def test_good_fixture_maps_to_the_expected_graph(vocabulary, name):
    records = mapped(vocabulary, GOOD[name])
    problems = [(record.raw.file, record.raw.line, record.problems) for record in records if record.problems]
    assert not problems
    assert_graph_file(graph_of(records), EXPECTED / f"{name}.ttl")


def test_every_record_links_its_diagnostic(vocabulary):
    for name, path in GOOD.items():
        records = mapped(vocabulary, path)
        diagnostic = records[0].raw.fields["diagnostic"]
        for record in records[1:]:
            graph = graph_of([record])
            assert (None, AGRS.inDiagnostic, ID[f"diagnostic/{diagnostic}"]) in graph, (name, record.raw.line)


def test_csv_variant_maps_like_the_workbook(vocabulary, tmp_path):
    from openpyxl import load_workbook

    book = load_workbook(GOOD["ouessant"])
    sheets, about = {}, {}
    for sheet in book.worksheets:
        rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
        if sheet.title == "about":
            about = {field: value for field, value in rows[1:] if value not in (None, "")}
        elif sheet.title not in ("instructions", "lists"):
            sheets[sheet.title] = [dict(zip(rows[0], row, strict=False)) for row in rows[1:]]
    write_csv(tmp_path, "ouessant", sheets, about=about, encoding="cp1252", delimiter=";")
    assert_same_graph(graph_of(mapped(vocabulary, tmp_path)), graph_of(mapped(vocabulary, GOOD["ouessant"])))


def test_labels_are_accepted_case_and_accent_insensitively(vocabulary):
    graph = graph_of(mapped(vocabulary, GOOD["ouessant"]))
    energy = ID["commons/ouessant-2026-energie"]  # needs: "Énergie"
    assert (energy, AGRS.meetsNeed, URIRef(BASE + "need/energy")) in graph
    group = ID["inhabitant-group/ouessant-2026-habitants"]  # kind: "Groupe d'habitants"
    assert (group, RDF.type, AGRS.InhabitantGroup) in graph


def test_project_participations_are_written_as_the_partners_loader_writes_them(vocabulary):
    graph = graph_of(mapped(vocabulary, GOOD["ouessant"]))
    project, association = ID["project/ouessant-2026-desal"], ID["organisation/ouessant-2026-asso-eau"]
    participation = ID["participation/ouessant-2026-asso-eau--carrier--project-ouessant-2026-desal"]
    assert (participation, AGRS.participant, association) in graph
    assert (participation, AGRS.participationIn, project) in graph
    assert (project, AGRS.carriedBy, association) in graph
    assert (project, AGRS.servesSDG, URIRef("http://metadata.un.org/sdg/6.4")) in graph


def test_disturbances_hazard_degree_and_existing_organisations(vocabulary):
    graph = graph_of(mapped(vocabulary, GOOD["ouessant"]))
    shock, stress = ID["disturbance/ouessant-2026-ciaran"], ID["disturbance/ouessant-2026-etes-secs"]
    assert {(shock, RDF.type, AGRS.Shock), (stress, RDF.type, AGRS.ChronicStress)} <= set(graph)
    assert (shock, RDF.type, AGRS.Disturbance) in graph and (stress, RDF.type, AGRS.Disturbance) in graph
    assert (shock, AGRS.drivenBy, ID["force/ouessant-2026-climat"]) in graph
    assert (shock, AGRS.materialisesRisk, ID["risk/ouessant-2026-submersion"]) in graph
    assert (shock, AGRS.actsOn, ID["commune/29155"]) in graph
    assert (ID["impact/ouessant-2026-tempete-liaison"], AGRS.causedBy, shock) in graph
    assert (ID["impact/ouessant-2026-secheresse-eau"], AGRS.causedBy, stress) in graph
    assert (ID["reaction/ouessant-2026-stock"], AGRS.respondsTo, shock) in graph
    assert (ID["resilience-loop/ouessant-2026-boucle-port"], AGRS.triggeredBy, shock) in graph
    assert (ID["hazard/ouessant-2026-submersion"], AGRS.degree, None) in graph
    cerema, project = ID["organisation/cerema"], ID["project/ouessant-2026-pdt"]
    assert (project, AGRS.hasPartner, cerema) in graph
    assert (ID["participation/cerema--partner--project-ouessant-2026-pdt"], AGRS.participant, cerema) in graph


def test_org_references_and_distinct_ids_are_checked(vocabulary, tmp_path):
    sheets = {
        "actors": [{"id": "mairie", "name": "Mairie", "kind": "local-authority"}],
        "commons": [{"id": "eau", "label_fr": "Eau", "needs": "water"}],
        "disturbances": [{"id": "crue", "label": "Crue", "kind": "shock"},
                         {"id": "lent", "label": "Lent", "kind": "cyclone"}],  # not a disturbance kind
        "impacts": [{"id": "crue", "label": "Même id", "commons": "eau"}],  # id of a disturbance
        "projects": [{"id": "p", "label": "P", "kind": "collective", "partners": "org:Pas Une Clé"}],
    }  # fmt: skip
    about = {"diagnostic": "refs-2026", "territory": "29155"}
    write_csv(tmp_path, "refs", sheets, about=about)
    found = {(r.raw.fields["_sheet"], r.raw.line, p.field, p.rule) for r in mapped(vocabulary, tmp_path)
             for p in r.problems}  # fmt: skip
    assert found == {("disturbances", 3, "kind", "not-in-list"), ("impacts", 2, "id", "duplicate-id"),
                     ("projects", 2, "partners", "org-ref")}  # fmt: skip


def test_an_unknown_existing_organisation_is_quarantined_by_the_gate(store, tmp_path, resources, vocabulary):
    territories(store, tmp_path, resources)
    sheets = {
        "actors": [{"id": "mairie", "name": "Mairie", "kind": "local-authority"}],
        "projects": [{"id": "p", "label": "P", "kind": "collective", "carried_by": "mairie",
                      "partners": "org:nobody-here"}],
    }  # fmt: skip
    write_csv(tmp_path / "d", "refs", sheets, about={"diagnostic": "refs-2026", "territory": "29155"})
    summary = load(store, tmp_path, resources, vocabulary, tmp_path / "d")
    rejected = {(r.raw.fields["_sheet"], p.field) for r in summary.records if r.rejected for p in r.problems}
    # the participations of both columns share their path (agrs:participant): the result names both columns
    assert rejected == {("projects", "carried_by|partners")}


def test_unknown_template_version_refuses_the_whole_file(vocabulary):
    with pytest.raises(ReadError) as error:
        mapped(vocabulary, UNKNOWN_VERSION)
    assert "agrs-diagnostic/0" in str(error.value) and TEMPLATE_VERSION in str(error.value)
    assert error.value.field == "template_version"


def test_unknown_template_version_refuses_a_workbook_too(vocabulary, tmp_path):
    from openpyxl import load_workbook

    book = load_workbook(GOOD["ouessant"])
    about = book["about"]
    row = next(row for row in about.iter_rows() if row[0].value == "template_version")
    row[1].value = "agrs-diagnostic/2"
    book.save(tmp_path / "newer.xlsx")
    with pytest.raises(ReadError, match=r"template version 'agrs-diagnostic/2' is not agrs-diagnostic/1"):
        mapped(vocabulary, tmp_path / "newer.xlsx")


# --- Through the pipeline: the gate, the quarantine, re-loads -------------------------------------------------


@pytest.mark.parametrize("name", sorted(GOOD))
def test_good_fixture_passes_the_gate(store, tmp_path, resources, vocabulary, name):
    territories(store, tmp_path, resources)
    organisations(store, tmp_path, resources)
    summary = load(store, tmp_path, resources, vocabulary, GOOD[name])
    rejected = [(r.raw.file, r.raw.line, r.problems) for r in summary.records if r.rejected]
    assert not rejected and summary.loaded == summary.read > 10


def test_messy_fixture_loads_its_good_rows_and_quarantines_the_rest(store, tmp_path, resources, vocabulary):
    territories(store, tmp_path, resources)
    summary = load(store, tmp_path, resources, vocabulary, MESSY)
    assert summary.faulty
    entries = [json.loads(line) for line in summary.quarantine.read_text(encoding="utf-8").splitlines()]
    found = {
        (entry["fields"]["_sheet"], entry["line"], problem["field"], problem["rule"])
        for entry in entries
        for problem in entry["problems"]
    }
    assert found >= {
        ("actors", 3, "kind", "not-in-list"),
        ("actors", 4, "id", "required"),
        ("commons", 3, "needs", "not-in-list"),
        ("commons", 4, "label_fr", "required"),
        ("risks", 3, "hazard", "not-in-list"),
        ("risks", 4, "exposure", "out-of-range"),
        ("projects", 3, "sdg", "sdg"),
        ("projects", 4, "based_on", "required"),
        ("values", 4, "period", "period-format"),
    }
    # The unknown commune 99999 is well formed: the gate rejects it, and the column is named.
    unknown = [entry for entry in entries if entry["fields"]["_sheet"] == "values" and entry["line"] == 3]
    assert unknown and {problem["field"] for problem in unknown[0]["problems"]} == {"territory"}
    assert all(entry["file"].endswith(f"messy.{entry['fields']['_sheet']}.csv") for entry in entries)
    loaded = {(r.raw.fields["_sheet"], r.raw.line) for r in summary.records if not r.rejected}
    assert loaded == {
        ("about", 2), ("actors", 2), ("commons", 2), ("risks", 2), ("projects", 2), ("indicators", 2), ("values", 2)
    }
    eau = ID["commons/messy-2026-eau"]  # its need written as a French label in Windows-1252: "eau"
    stored = {tuple(term.value for term in triple) for triple in store.triples(summary.graph)}
    assert (str(eau), str(AGRS.meetsNeed), BASE + "need/water") in stored


def test_reload_is_unchanged_and_force_gives_the_same_triples(store, tmp_path, resources, vocabulary):
    territories(store, tmp_path, resources)
    first = load(store, tmp_path, resources, vocabulary, GOOD["brasserie"])
    before = set(store.triples(first.graph))
    again = load(store, tmp_path, resources, vocabulary, GOOD["brasserie"])
    assert again.unchanged and again.version == first.version
    forced = load(store, tmp_path, resources, vocabulary, GOOD["brasserie"], force=True)
    assert not forced.unchanged and set(store.triples(first.graph)) == before


def test_load_diagnostics_keys_each_graph_by_its_diagnostic(store, tmp_path, resources):
    territories(store, tmp_path, resources)
    [summary] = load_diagnostics([MINIMAL], store, quarantine_dir=tmp_path / "q", resources=resources)
    assert summary.graph.endswith("/graph/diagnostic/minimal-2026") and summary.loaded == summary.read == 5
    with pytest.raises(ValueError):
        load_diagnostics([MINIMAL, MESSY], store, quarantine_dir=tmp_path / "q", key="both")


def test_files_of_a_csv_diagnostic_are_found_from_any_sheet_or_the_folder():
    from_folder = expand_files([MESSY])
    from_about = expand_files([MESSY / "messy.about.csv"])
    from_sheet = expand_files([MESSY / "messy.values.csv"])
    assert from_folder == from_about == from_sheet
    assert from_folder[0][0].name == "messy.about.csv"


# --- The command line -------------------------------------------------------------------------------------------


def test_cli_exit_codes_quarantine_and_synthetic_provenance(tmp_path):
    store, quarantine = str(tmp_path / "store"), tmp_path / "q"
    options = ("--store", store, "--quarantine", str(quarantine))
    assert run_agrs("load", "territories", *map(str, ETALAB), *options).returncode == 0
    good = run_agrs("load", "diagnostic", str(MINIMAL), *options)
    assert good.returncode == 0, good.stderr
    assert "graph https://w3id.org/agrs/graph/diagnostic/minimal-2026" in good.stdout
    again = run_agrs("load", "diagnostic", str(MINIMAL / "minimal.risks.csv"), *options)
    assert again.returncode == 0 and "unchanged" in again.stdout
    messy = run_agrs("load", "diagnostic", str(MESSY), *options)
    assert messy.returncode == 1, messy.stderr
    assert "messy.commons.csv:3: needs: 'lumière' is not in the list" in messy.stderr
    assert (quarantine / "diagnostic-messy-2026.jsonl").is_file()
    refused = run_agrs("load", "diagnostic", str(UNKNOWN_VERSION), *options)
    assert refused.returncode == 2 and "template version 'agrs-diagnostic/0'" in refused.stderr
    from agrs.store import open_store
    from agrs.store.location import store_location

    with open_store(store_location(store)) as opened:
        rows = list(opened.query(f"""PREFIX agrs: <https://w3id.org/agrs/>
            PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
            SELECT ?key ?comment WHERE {{ GRAPH <{PROVENANCE_GRAPH}> {{
                ?load a agrs:Load ; agrs:loaderKind "diagnostic" ; rdfs:comment ?comment .
                FILTER(LANG(?comment) = "en") }} }}"""))  # fmt: skip
    assert [row["comment"].value for row in rows] == [
        "Synthetic data: generated by a program for the demonstration, not observed."
    ]  # the minimal diagnostic says synthetic=yes; the messy one no


# --- The template -----------------------------------------------------------------------------------------------


def test_template_regenerated_from_the_ontology_matches_the_shipped_one(tmp_path, resources):
    regenerated = write_workbook(tmp_path / "template.xlsx", ontology=resources.ontology)
    if REGENERATE:
        TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(regenerated, TEMPLATE)
    shipped, fresh = workbook_content(TEMPLATE), workbook_content(regenerated)
    assert list(shipped) == list(fresh)
    for sheet in fresh:
        assert shipped[sheet]["cells"] == fresh[sheet]["cells"], f"cells of sheet {sheet} differ: AGRS_REGENERATE=1"
        assert shipped[sheet]["validations"] == fresh[sheet]["validations"], f"validations of sheet {sheet} differ"


def test_template_lists_are_the_ontology_concept_schemes(resources):
    content = workbook_content(TEMPLATE)
    cells = content["lists"]["cells"]
    rows = {}
    for coordinate, value in cells.items():
        rows.setdefault(int(coordinate[1:]), {})[coordinate[0]] = value
    listed = {(row["A"], row["B"]) for number, row in rows.items() if number > 1}
    for scheme in {scheme for columns in SCHEME_COLUMNS.values() for scheme in columns.values()}:
        keys = {concept.key for concept in scheme_concepts(resources.ontology, URIRef(BASE + scheme))}
        assert {key for name, key in listed if name == scheme} == keys, scheme
    assert lists(Vocabulary.from_graph(resources.ontology))["need"]
    # the needs column of the commons: a drop-down that lets several values through (`water|food`)
    assert next(v for v in content["commons"]["validations"] if v[2] == "D2:D500")[3] is False
