"""The question library (agrs/questions/): strict headers, parameters, binding by VALUES, running, pages.

Header cases are files: tests/data/questions/valid/*.rq must parse, and each tests/data/questions/invalid/
<case>--<words>.rq must fail with a message naming the file and containing <words> (hyphens read as spaces).
Binding is checked on a real embedded store: the VALUES block must restrict the answer (aggregates included),
and injection attempts must be refused or match nothing while the store stays as it was.
"""

import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from agrs.questions import Answer, ParameterError, QuestionError, load_library, paginate, parse_question
from agrs.sparql_text import parse_query

DATA = Path(__file__).parent / "data" / "questions"
VALID = sorted((DATA / "valid").glob("*.rq"))
INVALID = sorted((DATA / "invalid").glob("*.rq"))
REAL = sorted((Path(__file__).parent.parent / "queries" / "cq").glob("*.rq"))

AGRS = "https://w3id.org/agrs/"
ID = AGRS + "id/"
GRAPH = "https://w3id.org/agrs/graph/test/questions"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
BORDEAUX, LYON = ID + "commune/33063", ID + "commune/69123"
SAMPLES = {"iri": BORDEAUX, "integer": "1", "decimal": "1.5", "boolean": "true", "date": "2020-01-01", "fr": "x",
           "en": "x", "literal": "x"}  # fmt: skip

HEADER = """#+ summary: S
#+ summary_fr: S
#+ description: D
#+ description_fr: D
#+ tags: [project]
PREFIX agrs: <https://w3id.org/agrs/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""


def n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def project_triples() -> list[tuple]:
    """Five projects: three in Bordeaux (budgets 10, 20, 30), two in Lyon (5, 50), each with a label and commons."""
    triples = []
    for index, (territory, budget) in enumerate([(BORDEAUX, 10), (BORDEAUX, 20), (BORDEAUX, 30), (LYON, 5),
                                                 (LYON, 50)]):  # fmt: skip
        project = n(f"{ID}project/p{index}")
        triples += [
            (project, n(RDF_TYPE), n(AGRS + "Project")),
            (project, n(AGRS + "territory"), n(territory)),
            (project, n(LABEL), ox.Literal(f"projet {index}")),
            (project, n(AGRS + "budgetEur"), ox.Literal(str(budget), datatype=n("http://www.w3.org/2001/XMLSchema#integer"))),
            (project, n(AGRS + "addressesCommons"), n(f"{ID}commons/c{index % 2}")),
            (n(f"{ID}commons/c{index % 2}"), n(AGRS + "commonsOf"), n(territory)),
        ]  # fmt: skip
    return triples


@pytest.fixture
def filled(store):
    store.replace_graph(GRAPH, project_triples())
    return store


def write(folder: Path, name: str, body: str) -> Path:
    path = folder / f"{name}.rq"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def all_quads(store) -> set:
    """Every quad the store holds, in every graph (the registry's included), as strings."""
    result = store.query("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    return {tuple(str(solution[name]) for name in ("s", "p", "o", "g")) for solution in result}


def values(answer: Answer, name: str) -> list[str]:
    return [row[name].value for row in answer.rows if row.get(name) is not None]


# --- header files -------------------------------------------------------------------------------------------


def test_case_folders_are_not_empty():
    assert VALID and INVALID


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_valid_question_parses_and_binds_to_valid_sparql(path):
    question = parse_question(path)
    assert question.name == path.stem and question.summary and question.summary_fr and question.tags
    sample = {p.name: SAMPLES[p.type] for p in question.parameters}
    bound = question.sparql_for(sample, limit=5, offset=5)
    parse_query(bound)
    for parameter in question.parameters:
        assert f"VALUES ?{parameter.variable} {{" in bound


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_question_is_refused_with_its_reason(path):
    expected = path.stem.split("--", 1)[1].replace("-", " ")
    with pytest.raises(QuestionError) as caught:
        parse_question(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:"), message
    assert expected in message.lower().replace("-", " "), message


def test_header_fields_and_parameters_are_read():
    question = parse_question(DATA / "valid" / "projects-of-territory.rq")
    assert question.method == "GET" and question.pagination == 2
    assert question.tags == ["project", "territory", "commons"]
    (territory,) = question.parameters
    assert (territory.name, territory.type, territory.required) == ("territory", "iri", True)
    assert territory.default == BORDEAUX and territory.enumerate
    assert territory.description.startswith("The territory") and territory.description_fr.startswith("Le territoire")
    assert "?_nope_iri" in question.sparql  # in a comment: not a parameter
    counts = parse_question(DATA / "valid" / "count-by-type.rq")
    assert {(p.name, p.type, p.required) for p in counts.parameters} == {("minimum", "integer", True),
                                                                         ("name", "fr", False)}  # fmt: skip


def test_load_library_reads_a_folder_by_stem():
    library = load_library(DATA / "valid")
    assert sorted(library) == [p.stem for p in VALID]


def test_load_library_fails_on_one_bad_file(tmp_path):
    write(tmp_path, "good", "SELECT ?p WHERE { ?p agrs:territory ?_territory_iri }\n")
    (tmp_path / "bad.rq").write_text("SELECT * WHERE { ?s ?p ?o }\n")
    with pytest.raises(QuestionError, match=r"bad\.rq:1:"):
        load_library(tmp_path)


# --- values and terms ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "value", "expected"),
    [
        ("iri", " https://w3id.org/agrs/id/x ", "<https://w3id.org/agrs/id/x>"),
        ("integer", "+042", '"42"^^<http://www.w3.org/2001/XMLSchema#integer>'),
        ("decimal", "3.50", '"3.50"^^<http://www.w3.org/2001/XMLSchema#decimal>'),
        ("boolean", "TRUE", '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>'),
        ("date", "2024-02-29", '"2024-02-29"^^<http://www.w3.org/2001/XMLSchema#date>'),
        ("fr", 'l"eau', '"l\\"eau"@fr'),
        ("literal", "a\nb }", '"a\\nb }"'),
    ],
)
def test_values_are_serialised_as_terms(tmp_path, type_, value, expected):
    path = write(tmp_path, "q", f"SELECT ?p WHERE {{ ?p rdfs:label ?_x_{type_} }}\n")
    assert f"VALUES ?_x_{type_} {{ {expected} }}" in parse_question(path).bind({"x": value})


@pytest.mark.parametrize(
    ("type_", "value"),
    [
        ("iri", "x> } ; DROP ALL ; #"),
        ("iri", "https://w3id.org/agrs/id/x> } DROP ALL"),
        ("iri", "https://example.org/a b"),
        ("iri", "relative/path"),
        ("iri", 'https://example.org/"'),
        ("iri", "https://example.org/{x}"),
        ("iri", "https://example.org/\\u003e"),
        ("integer", "1 } DROP ALL"),
        ("integer", "1.5"),
        ("decimal", "1e5"),
        ("boolean", "yes"),
        ("date", "2024-02-30"),
        ("date", "2024-1-1"),
    ],
)
def test_bad_values_are_refused(tmp_path, type_, value):
    path = write(tmp_path, "q", f"SELECT ?p WHERE {{ ?p rdfs:label ?_x_{type_} }}\n")
    with pytest.raises(ParameterError, match=f"parameter x \\({type_}\\)"):
        parse_question(path).bind({"x": value})


def test_unknown_and_missing_parameters_are_refused():
    question = parse_question(DATA / "valid" / "construct-template.rq")
    with pytest.raises(ParameterError, match="needs a value for: territory"):
        question.bind({})
    with pytest.raises(ParameterError, match="no parameter 'region'"):
        question.bind({"territory": BORDEAUX, "region": BORDEAUX})


def test_defaults_apply_when_no_value_is_given():
    question = parse_question(DATA / "valid" / "projects-of-territory.rq")
    assert f"VALUES ?_territory_iri {{ <{BORDEAUX}> }}" in question.bind({})
    assert f"VALUES ?_territory_iri {{ <{LYON}> }}" in question.bind({"territory": LYON})
    assert question.bind({"territory": ""}) == question.bind({})


def test_an_optional_parameter_left_out_binds_nothing():
    question = parse_question(DATA / "valid" / "ask-and-subquery.rq")
    assert question.bind({}) == question.sparql


# --- running on a store -------------------------------------------------------------------------------------


def test_a_bound_parameter_restricts_the_answer(filled):
    question = parse_question(DATA / "valid" / "projects-of-territory.rq")
    answer = question.run(filled, {"territory": LYON})
    assert answer.variables == ["project", "label", "commons"]
    assert values(answer, "label") == ["projet 3", "projet 4"]  # the query orders by label
    assert values(question.run(filled), "label") == ["projet 0", "projet 1", "projet 2"]  # the default: Bordeaux


def test_values_land_before_group_by(filled):
    """A trailing VALUES would be joined after the aggregation; the VALUES block in the group filters rows first."""
    question = parse_question(DATA / "valid" / "count-by-type.rq")

    def counts(answer):
        return {row["territory"].value: int(row["projects"].value) for row in answer.rows}

    assert counts(question.run(filled, {"minimum": "20"})) == {BORDEAUX: 2, LYON: 1}
    assert counts(question.run(filled)) == {BORDEAUX: 3, LYON: 2}  # the default minimum, 1


def test_ask_and_construct_questions_run(filled):
    ask = parse_question(DATA / "valid" / "ask-and-subquery.rq")
    assert ask.run(filled).boolean is True
    assert ask.run(filled, {"since": "2020-01-01"}).boolean is False  # no project has a start date
    assert ask.run(filled).to_json() == {"head": {}, "boolean": True}
    construct = parse_question(DATA / "valid" / "construct-template.rq")
    answer = construct.run(filled, {"territory": LYON})
    assert answer.variables == ["subject", "predicate", "object"]
    assert {row["object"].value for row in answer.rows} == {LYON} and len(answer.rows) == 2


def test_a_parameter_projected_by_a_subquery_is_reached(filled):
    question = parse_question(DATA / "valid" / "param-projected-by-subquery.rq")
    assert values(question.run(filled, {"territory": LYON}), "project") == [f"{ID}project/p3", f"{ID}project/p4"]


def test_unbound_parameter_matches_anything(tmp_path, filled):
    path = write(tmp_path, "optional", "SELECT ?p WHERE { ?p agrs:territory ?__territory_iri }\n")
    question = parse_question(path)
    assert len(question.run(filled).rows) == 5
    assert len(question.run(filled, {"territory": LYON}).rows) == 2


@pytest.mark.parametrize(
    "value",
    [
        "x> } ; DROP ALL ; #",
        '" } ; DROP ALL ; #',
        '" } } DELETE WHERE { ?s ?p ?o } #',
        'projet 1" || true || "',
        "') } INSERT DATA { <urn:x> <urn:y> <urn:z> } #",
        '\\" } DROP ALL #',
        '"""',
        "\n} DROP ALL\n#",
    ],
)
def test_injection_in_a_literal_binds_inertly(tmp_path, filled, value):
    path = write(tmp_path, "label", "SELECT ?p WHERE { ?p rdfs:label ?_label }\n")
    question = parse_question(path)
    before = all_quads(filled)
    bound = question.bind({"label": value})
    parse_query(bound)  # still one valid query, whatever the value
    assert question.run(filled, {"label": value}).rows == []
    assert question.run(filled, {"label": "projet 1"}).rows != []  # the same query does match a real label
    assert all_quads(filled) == before


def test_injection_in_an_iri_is_refused_and_the_store_is_unchanged(filled):
    question = parse_question(DATA / "valid" / "projects-of-territory.rq")
    before = all_quads(filled)
    for value in ("x> } ; DROP ALL ; #", f"{LYON}> }} DROP ALL", f"{LYON}>", f"<{LYON}>"):
        with pytest.raises(ParameterError):
            question.run(filled, {"territory": value})
    assert all_quads(filled) == before


# --- pages, enumerations, output ------------------------------------------------------------------------------


def test_a_comment_after_a_prefixed_name_hides_its_braces(tmp_path, filled):
    path = write(tmp_path, "comment", "SELECT ?p WHERE { ?p a agrs:Project# a comment { with braces\n"
                 "  ; agrs:territory ?_territory_iri }\n")  # fmt: skip
    assert len(parse_question(path).run(filled, {"territory": LYON}).rows) == 2


def test_limit_and_offset_page_through_an_ordered_question(filled, tmp_path):
    path = write(tmp_path, "all", "SELECT ?label WHERE { ?p rdfs:label ?label } ORDER BY ?label # a last comment")
    question = parse_question(path)
    pages = [values(question.run(filled, limit=2, offset=offset), "label") for offset in (0, 2, 4)]
    assert pages == [["projet 0", "projet 1"], ["projet 2", "projet 3"], ["projet 4"]]


def test_a_question_with_its_own_limit_is_wrapped(filled, tmp_path):
    path = write(tmp_path, "top", "SELECT ?label ?p WHERE { ?p rdfs:label ?label } ORDER BY DESC(?label) LIMIT 4\n")
    question = parse_question(path)
    assert len(question.run(filled, limit=10).rows) == 4
    answer = question.run(filled, limit=2, offset=1)
    assert answer.variables == ["label", "p"] and values(answer, "label") == ["projet 3", "projet 2"]
    assert values(question.run(filled, limit=2, offset=3), "label") == ["projet 1"]
    assert "SELECT * WHERE" in paginate(question.sparql, 2, 2)


def test_a_trailing_values_clause_stays_last(filled, tmp_path):
    path = write(tmp_path, "trailing", "SELECT ?p ?t WHERE { ?p agrs:territory ?t } ORDER BY ?p "
                 f"VALUES ?t {{ <{LYON}> }}\n")  # fmt: skip
    question = parse_question(path)
    assert len(question.run(filled, limit=1).rows) == 1


def test_enumeration_lists_the_values_in_the_data(filled):
    question = parse_question(DATA / "valid" / "projects-of-territory.rq")
    result = filled.query(question.enumeration_query("territory"))
    assert [row[0].value for row in result] == [BORDEAUX, LYON]


def test_answer_serialises_as_sparql_json_and_csv(filled):
    question = parse_question(DATA / "valid" / "projects-of-territory.rq")
    answer = question.run(filled, {"territory": LYON})
    document = answer.to_json()
    assert document["head"]["vars"] == ["project", "label", "commons"]
    first = document["results"]["bindings"][0]
    assert first["label"] == {"type": "literal", "value": "projet 3"}
    assert first["project"] == {"type": "uri", "value": f"{ID}project/p3"}
    json.dumps(document)
    lines = answer.to_csv().splitlines()
    assert lines[0] == "project,label,commons" and lines[1] == f"{ID}project/p3,projet 3,{ID}commons/c1"


# --- the real library -----------------------------------------------------------------------------------------


def test_the_real_library_is_not_empty():
    assert REAL, "queries/cq/*.rq: no stored question yet"


@pytest.mark.parametrize("path", REAL, ids=[p.stem for p in REAL])
def test_every_real_question_parses(path):
    question = parse_question(path)
    sample = {p.name: p.default or SAMPLES[p.type] for p in question.parameters}
    parse_query(question.sparql_for(sample, limit=10, offset=10))
    assert len(question.tags) >= 2, "a question crosses at least two domains"
