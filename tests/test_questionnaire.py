"""The shipped questionnaire: generated from the ontology's concept schemes, valid XLSForm, its logic read.

data/survey/questionnaire.xlsx is written by data/survey/make_questionnaire.py (choice lists of concepts generated
from the ontology, never copied by hand): a test regenerates it and compares cells. pyxform, the reference XLSForm
implementation (ODK, KoboToolbox), is the oracle for the form's structure when it is installed (test extra).
Repeat groups and `or` in `relevant` are read by loaders/xlsform.py and mapped by loaders/survey.py.
"""

import csv
import importlib.util
import sys
from pathlib import Path

import openpyxl
import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SKOS

from agrs.loaders.survey import SurveyLoader
from agrs.loaders.xlsform import clauses, read_form
from agrs.ns import AGRS, ID

from conftest import REPO

SURVEY_DIR = REPO / "data" / "survey"
FORM = SURVEY_DIR / "questionnaire.xlsx"
SAMPLE = SURVEY_DIR / "synthetic-pilot-responses.csv"
SALT = "test-salt"
CONCEPT_LISTS = {"need": "need", "mutation": "mutation", "capacity": "capacity", "lever": "lever", "hazard": "hazard"}


def _generator():
    """Import data/survey/make_questionnaire.py as a module."""
    spec = importlib.util.spec_from_file_location("make_questionnaire", SURVEY_DIR / "make_questionnaire.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cells(path: Path) -> dict[str, list[tuple]]:
    workbook = openpyxl.load_workbook(path)
    return {sheet.title: [tuple(row) for row in sheet.iter_rows(values_only=True)] for sheet in workbook}


def test_shipped_questionnaire_is_the_generated_one(tmp_path):
    """Regenerate the workbook and compare cells (not bytes): the choice lists follow the ontology."""
    fresh = _generator().build(tmp_path / "questionnaire.xlsx")
    assert _cells(fresh) == _cells(FORM), "run python data/survey/make_questionnaire.py"


def test_concept_choice_lists_are_the_ontology_concepts():
    """need, mutation, capacity, lever, hazard: key = the concept's local name, agrs_term = the concept."""
    form = read_form(FORM)
    ontology = Graph()
    for module in sorted((REPO / "ontology" / "modules").glob("*.ttl")):
        ontology.parse(module, format="turtle")
    for list_name, prefix in CONCEPT_LISTS.items():
        choices = form.choices[list_name]
        assert choices, list_name
        for choice in choices:
            assert choice.term == URIRef(f"https://w3id.org/agrs/{prefix}/{choice.name}"), choice
            assert (choice.term, SKOS.inScheme, URIRef(f"https://w3id.org/agrs/{prefix}")) in ontology
            assert set(choice.labels) == {"fr", "en"}
    levers = {c.term for c in form.choices["lever"]}
    assert levers == set(ontology.subjects(RDF.type, AGRS.Lever))
    # The lever question exists, in the survey point "projects".
    question = form.questions["leviers_prioritaires"]
    assert (question.type, question.list_name, question.point) == (
        "select_multiple", "lever", AGRS["survey-point/projects"])  # fmt: skip


def test_pyxform_reads_the_same_structure():
    """pyxform (the reference implementation) accepts the form; its questions, types and lists are ours."""
    xls2json = pytest.importorskip("pyxform.xls2json")
    parsed = xls2json.parse_file_to_json(str(FORM))
    theirs = {}

    def walk(node):
        for child in node.get("children", []) or []:
            if child.get("type") in ("group", "repeat"):
                walk(child)
            elif "name" in child and child.get("type") not in ("start", "end", "calculate"):
                theirs[child["name"]] = (child["type"], child.get("itemset") or child.get("list_name"))

    walk(parsed)
    ours = read_form(FORM)
    kinds = {"select one": "select_one", "select all that apply": "select_multiple"}
    assert {name: (kinds.get(t, t), lst) for name, (t, lst) in theirs.items()} == {
        q.name: (q.type, q.list_name) for q in ours.questions.values()
    }
    assert set(parsed["choices"]) == set(ours.choices)


# --- relevant with `or`, repeat groups -------------------------------------------------------------------------


def test_clauses_split_or_and_and():
    found = clauses("${a} = 'x' or (${b} = 'y' and selected(${c}, 'z'))")
    assert [[(m["q"] or m["sq"]) for m in chain] for chain in found] == [["a"], ["b", "c"]]
    assert clauses("") == [[]]
    assert clauses("${a} + 1 > 2") is None
    assert clauses("(${a} = 'x' or ${b} = 'y') and ${c} = 'z'") is None  # or inside and: not understood


SMALL_SURVEY = [
    ("type", "name", "label::French (fr)", "label::English (en)", "relevant", "required", "agrs_term"),
    ("text", "rid", "Identifiant", "Identifier", "", "yes", "agrs:Respondent"),
    ("select_one actor_type", "acteur", "Acteur", "Actor", "", "yes", "agrs:actorType"),
    ("begin_group", "p", "Projets", "Projects", "", "", "survey-point:projects"),
    ("select_multiple lever", "leviers", "Leviers", "Levers", "${acteur} = 'entreprise' or ${acteur} = 'societe'",
     "yes", "agrs:Lever"),
    ("begin repeat", "projet", "Projet", "Project", "", "", ""),
    ("select_one capacity", "capacite", "Capacité", "Capacity", "", "yes", "agrs:ResilienceCapacity"),
    ("end repeat", "", "", "", "", "", ""),
    ("end_group", "", "", "", "", "", ""),
]  # fmt: skip
SMALL_CHOICES = [
    ("list_name", "name", "label::French (fr)", "label::English (en)", "agrs_term"),
    ("actor_type", "entreprise", "Entreprise", "Enterprise", "actor-type:enterprise"),
    ("actor_type", "territoire", "Territoire", "Territory", "actor-type:territory"),
    ("actor_type", "societe", "Société", "Society", "actor-type:society"),
    ("lever", "anticipate", "Anticiper", "Anticipate", "lever:anticipate"),
    ("lever", "cooperate", "Coopérer", "Cooperate", "lever:cooperate"),
    ("capacity", "adaptive", "Adaptation", "Adaptive", "capacity:adaptive"),
    ("capacity", "transformative", "Transformation", "Transformative", "capacity:transformative"),
]


def _small_form(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    workbook.active.title = "survey"
    for row in SMALL_SURVEY:
        workbook["survey"].append(row)
    workbook.create_sheet("choices")
    for row in SMALL_CHOICES:
        workbook["choices"].append(row)
    workbook.create_sheet("settings")
    workbook["settings"].append(["form_id", "default_language"])
    workbook["settings"].append(["small", "French (fr)"])
    workbook.save(path)
    return path


def _mapped(form: Path, *files: Path) -> tuple[Graph, list]:
    loader = SurveyLoader(form, SALT)
    graph, problems = Graph(), []
    for file in (form, *files):
        for raw in loader.read(file):
            record = loader.map(raw)
            problems += [(raw.line, p.field, p.rule) for p in record.problems]
            for triple in record.triples:
                graph.add(triple)
    return graph, problems


def test_form_reads_repeats_and_or(tmp_path):
    form = read_form(_small_form(tmp_path / "small.xlsx"))
    assert form.repeats == {"projet": {"fr": "Projet", "en": "Project"}}
    assert form.questions["capacite"].repeat == "projet" and form.questions["leviers"].repeat is None
    # `or` in relevant: the lever question is put to enterprises and society, not territories.
    asked = ID["question/small/leviers"]
    graph, _ = _mapped(tmp_path / "small.xlsx")
    assert set(graph.objects(asked, AGRS.askedOf)) == {AGRS["actor-type/enterprise"], AGRS["actor-type/society"]}


def test_or_relevant_decides_when_a_required_answer_is_due(tmp_path):
    """The lever question is required where relevant: for society and enterprises (`or`), not for territories."""
    form = _small_form(tmp_path / "small.xlsx")
    export = tmp_path / "answers.csv"
    export.write_text("rid,acteur,leviers\nA,societe,anticipate cooperate\nB,territoire,\nC,entreprise,\n", "utf-8")
    graph, problems = _mapped(form, export)
    assert [(line, field, rule) for line, field, rule in problems] == [(4, "leviers", "required")]
    assert set(graph.objects(None, AGRS.answerConcept)) >= {AGRS["lever/anticipate"], AGRS["lever/cooperate"]}


def test_repeat_instances_from_a_kobo_xlsx_sheet(tmp_path):
    """Kobo puts a repeat group on its own sheet, joined by _parent_index to the main sheet's _index."""
    form = _small_form(tmp_path / "small.xlsx")
    workbook = openpyxl.Workbook()
    main = workbook.active
    main.title = "small"
    main.append(["rid", "acteur", "p/leviers", "_index", "_uuid"])
    main.append(["A", "entreprise", "anticipate", 1, "u-1"])
    main.append(["B", "territoire", "", 2, "u-2"])
    repeat = workbook.create_sheet("projet")
    repeat.append(["p/projet/capacite", "_index", "_parent_index", "_parent_table_name", "_submission__uuid"])
    repeat.append(["adaptive", 1, 1, "small", "u-1"])
    repeat.append(["transformative", 2, 1, "small", "u-1"])
    repeat.append(["", 3, 2, "small", "u-2"])  # B's one project has no capacity: required, a problem
    export = tmp_path / "export.xlsx"
    workbook.save(export)
    graph, problems = _mapped(form, export)
    assert [(field, rule) for _, field, rule in problems] == [("capacite", "required")]
    question = ID["question/small/capacite"]
    responses = sorted(str(s) for s in graph.subjects(AGRS.answers, question))
    assert len(responses) == 2 and [r.rsplit("/", 1)[1] for r in responses] == ["1", "2"]
    assert set(graph.objects(None, AGRS.answerConcept)) >= {AGRS["capacity/adaptive"], AGRS["capacity/transformative"]}


def test_repeat_instances_from_an_odk_central_csv_beside_the_main_one(tmp_path):
    """ODK Central exports a repeat as `<form>-<repeat>.csv`, joined by PARENT_KEY to the main file's KEY."""
    form = _small_form(tmp_path / "small.xlsx")
    (tmp_path / "small.csv").write_text("rid,acteur,p-leviers,KEY\nA,entreprise,cooperate,uuid:1\n", "utf-8")
    (tmp_path / "small-projet.csv").write_text(
        "p-projet-capacite,PARENT_KEY,KEY\nadaptive,uuid:1,uuid:1/projet[1]\n", "utf-8"
    )
    graph, problems = _mapped(form, tmp_path / "small.csv")
    assert problems == []
    assert AGRS["capacity/adaptive"] in set(graph.objects(None, AGRS.answerConcept))


# --- the synthetic sample answers CQ36 -------------------------------------------------------------------------


def test_sample_is_the_generated_one_and_answers_cq36(tmp_path):
    """The sample's lever answers are concepts: CQ36 answers rows on the form and the sample alone."""
    sys.path.insert(0, str(SURVEY_DIR))
    try:
        spec = importlib.util.spec_from_file_location("make_sample", SURVEY_DIR / "make_sample.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(SURVEY_DIR))
    with SAMPLE.open(encoding="utf-8", newline="") as shipped:
        assert list(csv.reader(shipped)) == module.table(), "run python data/survey/make_sample.py"

    from agrs.ontology_graph import ensure_ontology
    from agrs.questions import load_library
    from agrs.resources import Resources
    from agrs.store.embedded import EmbeddedStore

    graph, problems = _mapped(FORM, SAMPLE)
    assert problems == []
    with EmbeddedStore(tmp_path / "store") as store:
        ensure_ontology(store, Resources.load())
        triples = ox.parse(graph.serialize(format="nt").encode(), format=ox.RdfFormat.N_TRIPLES)
        store.replace_graph("https://w3id.org/agrs/graph/survey/test", triples)
        answer = load_library()["cq36-priority-levers-vs-projects"].run(store, {})
        rows = list(answer.rows)
    assert len(rows) >= 20
    assert all(str(row["lever"].value).startswith("https://w3id.org/agrs/lever/") for row in rows)
    assert all(row["lever_label_fr"] is not None for row in rows)
