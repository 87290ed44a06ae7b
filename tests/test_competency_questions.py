"""The competency questions of queries/README.md: bilingual, crossing domains, naming real terms."""

import re

import pytest
from rdflib import URIRef
from rdflib.namespace import RDF

from agrs.closure import load_closure
from agrs.ns import prefixes
from agrs.paths import ontology_dir, queries_dir

MODULES = {
    "scale",
    "territory",
    "actor",
    "commons",
    "mutation",
    "resilience",
    "project",
    "observatory",
    "survey",
    "ademe-commons",
    "sdg",
}


def _rows() -> list[list[str]]:
    text = (queries_dir() / "README.md").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if re.match(r"^\|\s*CQ\d+", line)]
    return [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines]


ROWS = _rows()


@pytest.fixture(scope="module")
def declared() -> set[URIRef]:
    graph = load_closure(ontology_dir()).union()
    return set(graph.subjects(RDF.type, None))


def test_at_least_twenty_questions():
    assert len(ROWS) >= 20
    assert [row[0] for row in ROWS] == [f"CQ{n:02d}" for n in range(1, len(ROWS) + 1)]


@pytest.mark.parametrize("row", ROWS, ids=[row[0] for row in ROWS])
def test_question_is_bilingual_and_crosses_domains(row, declared):
    cq, french, english, terms, domains = row
    assert french.endswith("?") and english.endswith("?"), cq
    assert french != english
    named = {d.strip() for d in domains.split(",")}
    assert named <= MODULES and len(named) >= 2, (cq, named)
    table = prefixes()
    for curie in (t.strip() for t in terms.split(",")):
        prefix, local = curie.split(":", 1)
        assert URIRef(table[prefix] + local) in declared, f"{cq}: {curie} is not declared in the ontology"
