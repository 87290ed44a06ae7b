"""The survey loader: the shipped XLSForm, Kobo and ODK Central exports of it, pseudonyms, the gate, `agrs load survey`.

Fixtures are written by tests/data/loaders/survey/make_fixtures.py; every export holds the same respondents, so
each maps to expected/respondents.ttl, with its own expected/<stem>.problems.json (lines differ). Run with
AGRS_REGENERATE=1 to rewrite the expected files, then review the diff.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from agrs.loaders.pipeline import run_load
from agrs.loaders.survey import SurveyLoader
from agrs.loaders.territories import TerritoriesLoader
from agrs.ns import AGRS, ID, bind_all
from agrs.records import ReadError
from agrs.resources import Resources
from agrs.store.terms import triple_to_rdflib

from conftest import DATA, REGENERATE, REPO, assert_graph_file, run_agrs

FIXTURES = DATA / "loaders" / "survey"
EXPECTED = FIXTURES / "expected"
EXPORTS = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".csv", ".xlsx"))
FORM = REPO / "data" / "survey" / "questionnaire.xlsx"
ETALAB = [
    DATA / "loaders" / "territories" / f"etalab-{n}.json" for n in ("communes", "epci", "departements", "regions")
]
SALT = "test-salt"
PERSONAL = ("Émilie", "emilie@example.org", "06 12 34 56 78", "Paul Martin")


def mapped(path: Path, salt: str = SALT) -> tuple[Graph, list[dict]]:
    """Read and map the form and one export: the graph of the accepted records, and the problems by line."""
    loader = SurveyLoader(FORM, salt)
    graph, problems = Graph(), []
    bind_all(graph)
    for file in (FORM, path):
        for raw in loader.read(file):
            record = loader.map(raw)
            problems += [{"line": raw.line, "field": p.field, "rule": p.rule} for p in record.problems]
            if not record.rejected:
                for triple in record.triples:
                    graph.add(triple)
    return graph, problems


def test_fixtures_found():
    assert len(EXPORTS) >= 4 and FORM.is_file()


@pytest.mark.parametrize("path", EXPORTS, ids=[p.name for p in EXPORTS])
def test_export_maps_to_the_expected_graph_and_problems(path: Path):
    graph, problems = mapped(path)
    turtle, problems_file = EXPECTED / "respondents.ttl", EXPECTED / f"{path.stem}.problems.json"
    assert_graph_file(graph, turtle, f"{path.name} differs from respondents.ttl")
    if REGENERATE:
        problems_file.write_text(json.dumps(problems, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        pytest.skip("regenerated: review the diff")
    assert problems == json.loads(problems_file.read_text(encoding="utf-8"))


def test_every_bad_row_has_its_reason():
    _, problems = mapped(FIXTURES / "kobo.csv")
    rules = {(p["field"], p["rule"]) for p in problems}
    assert {("besoins_vitaux", "unknown-choice"), ("impact_gravite", "constraint"),
            ("mutations_subies", "required"), ("projet_description", "required"),
            ("respondent_id", "duplicate-respondent"), ("budget_resilience", "not-decimal"),
            ("projet_debut", "date")} <= rules  # fmt: skip
    # The out-of-range severity is reported once, as out of range, not also as missing.
    assert ("impact_gravite", "required") not in rules


def test_no_name_email_or_phone_in_graph_nor_quarantine_fields():
    loader = SurveyLoader(FORM, SALT)
    for raw in loader.read(FIXTURES / "kobo.csv"):
        text = json.dumps(raw.fields, ensure_ascii=False) + (raw.original or "")
        assert not any(value in text for value in PERSONAL)
        record = loader.map(raw)
        assert not any(value in str(node) for value in PERSONAL for triple in record.triples for node in triple)


def test_respondent_iri_is_a_salted_hash_stable_across_loads():
    first, _ = mapped(FIXTURES / "kobo.csv")
    again, _ = mapped(FIXTURES / "kobo.csv")
    other, _ = mapped(FIXTURES / "kobo.csv", salt="another-salt")
    respondents = {s for s in first.subjects(predicate=None, object=AGRS.Respondent)}
    assert respondents and all(str(s).startswith(str(ID["respondent/"])) for s in respondents)
    assert isomorphic(first, again)
    assert respondents.isdisjoint(set(other.subjects(predicate=None, object=AGRS.Respondent)))


def test_questions_carry_points_actor_types_and_scales():
    graph, _ = mapped(FIXTURES / "kobo.csv")
    question = ID["question/agrs_resilience/interruptions"]
    # Its relevant names enterprises only.
    assert list(graph.objects(question, AGRS.askedOf)) == [AGRS["actor-type/enterprise"]]
    needs = ID["question/agrs_resilience/besoins_vitaux"]
    assert (needs, AGRS.asksSpatialScale, None) in graph
    assert graph.value(needs, AGRS.surveyPoint) == AGRS["survey-point/commons-needs"]
    # Profile and scale questions are not survey questions.
    assert (ID["question/agrs_resilience/territoire"], None, None) not in graph
    assert (ID["question/agrs_resilience/besoins_vitaux_echelle"], None, None) not in graph


def test_label_headers_and_label_values_are_read(tmp_path: Path):
    """A Kobo export "with labels": headers are the questions' labels, select_one values the choices' labels."""
    header = ["Identifiant du répondant", "Vous répondez au titre de", "Code INSEE de votre commune",
              "Quels besoins vitaux de votre territoire vous semblent menacés ?", "À quelle échelle ?",
              "Quelles grandes mutations vous affectent déjà ?", "À quelle échelle ?", "À quel horizon ?",
              "Gravité de leur impact, de 1 (faible) à 5 (critique)", "À quels aléas êtes-vous exposé ?",
              "Portez-vous un projet de résilience ?", "_uuid"]  # fmt: skip
    row = ["X-1", "Une entreprise", "13055", "Eau", "Échelle locale", "Changement climatique", "Échelle régionale",
           "Échelle des décennies", "3", "Sécheresse", "Non", "u-1"]  # fmt: skip
    path = tmp_path / "labels.csv"
    path.write_text(";".join(header) + "\n" + ";".join(row) + "\n", encoding="utf-8")
    graph, problems = mapped(path)
    assert problems == []
    scales = set(graph.objects(None, AGRS.spatialScale))
    assert scales == {AGRS["scale/local"], AGRS["scale/regional"]}
    assert AGRS["temporal-scale/decades"] in set(graph.objects(None, AGRS.timeHorizon))


def test_form_with_an_unknown_term_is_a_read_error(tmp_path: Path):
    import openpyxl  # a dependency of the package (XLSX input)
    workbook = openpyxl.load_workbook(FORM)
    sheet = workbook["choices"]
    sheet.cell(row=5, column=5, value="need:petrol")
    broken = tmp_path / "form.xlsx"
    workbook.save(broken)
    with pytest.raises(ReadError) as caught:
        list(SurveyLoader(broken, SALT).read(broken))
    assert (caught.value.line, caught.value.field) == (5, "agrs_term")


def test_responses_without_a_respondent_column_are_a_read_error(tmp_path: Path):
    path = tmp_path / "r.csv"
    path.write_text("profil/type_acteur,communs/besoins_vitaux\nentreprise,water\n", encoding="utf-8")
    with pytest.raises(ReadError) as caught:
        list(SurveyLoader(FORM, SALT).read(path))
    assert caught.value.line == 1 and caught.value.field == "respondent_id"


@pytest.fixture(scope="module")
def resources() -> Resources:
    return Resources.load()


def test_pipeline_stores_the_same_graph_from_csv_cp1252_and_xlsx(store, tmp_path, resources):
    run_load(TerritoriesLoader(), ETALAB, store, quarantine_dir=tmp_path / "q", resources=resources)
    graphs = []
    for name in ("kobo.csv", "kobo-cp1252-semicolon.csv", "kobo-export.xlsx"):
        loader = SurveyLoader(FORM, SALT)
        summary = run_load(loader, [FORM, FIXTURES / name], store, quarantine_dir=tmp_path / "q",
                           resources=resources, force=True)  # fmt: skip
        assert (summary.read, summary.loaded, summary.rejected) == (11, 5, 6)
        graph = Graph()
        for triple in store.triples(summary.graph):
            graph.add(triple_to_rdflib(triple))
        graphs.append(graph)
        entries = [json.loads(line) for line in summary.quarantine.read_text(encoding="utf-8").splitlines()]
        # The territory 99999 is not loaded: the gate rejects that respondent.
        assert any(p["rule"].endswith("Respondent-territory") for e in entries for p in e["problems"])
    assert isomorphic(graphs[0], graphs[1]) and isomorphic(graphs[0], graphs[2])


def test_cli_refuses_without_salt_then_loads_and_quarantines(tmp_path):
    store, quarantine = str(tmp_path / "store"), str(tmp_path / "q")
    loaded = run_agrs("load", "territories", *map(str, ETALAB), "--store", store, "--quarantine", quarantine)
    assert loaded.returncode == 0, loaded.stderr
    export = str(FIXTURES / "kobo-cp1252-semicolon.csv")
    environment = {k: v for k, v in os.environ.items() if k != "AGRS_SURVEY_SALT"}
    refused = subprocess.run([sys.executable, "-m", "agrs", "load", "survey", "--form", str(FORM), export, "--store",
                              store, "--quarantine", quarantine], capture_output=True, text=True, env=environment,
                             cwd=REPO)  # fmt: skip
    assert refused.returncode == 2 and "AGRS_SURVEY_SALT" in refused.stderr
    no_form = run_agrs("load", "survey", export, "--salt", SALT, "--store", store, "--quarantine", quarantine)
    assert no_form.returncode == 2 and "--form" in no_form.stderr
    result = run_agrs("load", "survey", "--form", str(FORM), export, "--salt", SALT, "--store", store,
                      "--quarantine", quarantine)  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "loaded 5" in result.stdout and "rejected 6" in result.stdout
    lines = (tmp_path / "q" / "survey-agrs-resilience.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 6 and not any(value in "".join(lines) for value in PERSONAL)
