"""agrs.derived.reason and `agrs reason`: each rule kind on a small case, fixpoint, no stale or duplicate inference."""

from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Graph, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from agrs.derived.reason import PENDING_GRAPH, materialise
from agrs.graphs import INFERRED_GRAPH, PROVENANCE_GRAPH
from agrs.store.terms import to_oxigraph, to_rdflib

CASES = Path(__file__).parent / "data" / "reason"
CASE_FILES = sorted(path for path in CASES.glob("*.ttl") if not path.name.endswith(".expected.ttl"))
EX = "http://example.org/"


def test_cases_exist():
    assert CASE_FILES, f"no reasoner case in {CASES}"
    for path in CASE_FILES:
        assert path.with_suffix(".expected.ttl").is_file(), f"{path.name} has no expected file"


def load(store, path: Path, key: str | None = None) -> str:
    """Load a Turtle file into its own data graph; return the graph's IRI."""
    graph = f"https://w3id.org/agrs/graph/rdf/{key or path.stem}"
    store.replace_graph(graph, (to_oxigraph(triple) for triple in Graph().parse(path, format="turtle")))
    return graph


def load_text(store, turtle: str, key: str) -> str:
    """Load Turtle text into the data graph named by `key`; return its IRI."""
    graph = f"https://w3id.org/agrs/graph/rdf/{key}"
    store.replace_graph(graph, (to_oxigraph(triple) for triple in Graph().parse(data=turtle, format="turtle")))
    return graph


def inferred(store) -> Graph:
    """Return the inferred graph's triples as an rdflib graph."""
    graph = Graph()
    for triple in store.triples(INFERRED_GRAPH):
        graph.add(tuple(to_rdflib(term) for term in triple))
    return graph


def diff(expected: Graph, found: Graph) -> str:
    _, missing, extra = graph_diff(to_isomorphic(expected), to_isomorphic(found))
    return "missing:\n" + missing.serialize(format="nt") + "unexpected:\n" + extra.serialize(format="nt")


@pytest.mark.parametrize("path", CASE_FILES, ids=[path.stem for path in CASE_FILES])
def test_case(store, path):
    graph = load(store, path)
    materialise(store)
    found = inferred(store)
    expected = Graph().parse(path.with_suffix(".expected.ttl"), format="turtle")
    assert isomorphic(expected, found), diff(expected, found)
    # Nothing the data assert is repeated in the inferred graph.
    asserted = {triple for triple in store.triples(graph)}
    assert not asserted & set(store.triples(INFERRED_GRAPH))


def test_has_value_needs_a_second_round(store):
    load(store, CASES / "has-value.ttl")
    summary = materialise(store)
    assert summary.rounds == 2
    assert summary.rules[f"hasValue {EX}actorType {EX}enterprise"] == 1
    assert summary.rules[f"property {EX}category"] == 2


def test_rerun_gives_the_same_graph(store):
    for path in CASE_FILES:
        load(store, path)
    first = materialise(store)
    triples = set(store.triples(INFERRED_GRAPH))
    second = materialise(store)
    assert set(store.triples(INFERRED_GRAPH)) == triples
    assert second.triples == first.triples == len(triples)
    assert second.rules == first.rules
    assert (first.unchanged, second.unchanged) == (False, True)
    assert second.version == first.version  # nothing to write: no new version


def test_a_change_makes_a_new_version(store):
    graph = load(store, CASES / "symmetric.ttl")
    first = materialise(store)
    symmetric = "<http://www.w3.org/2002/07/owl#SymmetricProperty>"
    load_text(store, f"<{EX}near> a {symmetric} . <{EX}e> <{EX}near> <{EX}f> .", "symmetric")
    second = materialise(store)
    assert second.version != first.version and not second.unchanged
    assert second.triples == 1 and store.current_version(graph)


def test_a_removed_premise_removes_its_inference(store):
    """The previous inferred graph is not read: what a deleted triple entailed goes away."""
    graph = load(store, CASES / "transitive.ttl")
    materialise(store)
    within = URIRef(EX + "within")
    assert (URIRef(EX + "a"), within, URIRef(EX + "d")) in inferred(store)
    data = Graph().parse(CASES / "transitive.ttl", format="turtle")
    data.remove((URIRef(EX + "b"), URIRef(EX + "directlyWithin"), URIRef(EX + "c")))
    store.replace_graph(graph, (to_oxigraph(triple) for triple in data))
    materialise(store)
    after = inferred(store)
    assert (URIRef(EX + "a"), within, URIRef(EX + "d")) not in after
    assert (URIRef(EX + "b"), within, URIRef(EX + "c")) not in after


def test_an_asserted_entailment_is_left_out(store):
    """Once the data assert what was inferred, the inferred graph drops it."""
    load(store, CASES / "subclass.ttl")
    materialise(store)
    x_is_b = (URIRef(EX + "x"), URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), URIRef(EX + "B"))
    assert x_is_b in inferred(store)
    load_text(store, f"<{EX}x> a <{EX}B> .", "more")
    materialise(store)
    assert x_is_b not in inferred(store)


def test_pending_graph_is_dropped_even_if_left_by_a_killed_run(store):
    bogus = (ox.NamedNode(EX + "stale"), ox.NamedNode(EX + "p"), ox.NamedNode(EX + "o"))
    store.replace_graph(PENDING_GRAPH, [bogus])  # what a killed run could leave
    load(store, CASES / "has-value.ttl")
    summary = materialise(store)
    graphs = [info.graph for info in store.graphs()]
    assert PENDING_GRAPH not in graphs and INFERRED_GRAPH in graphs
    assert PENDING_GRAPH not in summary.graphs
    assert bogus not in set(store.triples(INFERRED_GRAPH))
    assert summary.triples == 4  # has-value.expected.ttl


def test_provenance_names_the_versions_read(store):
    graph = load(store, CASES / "symmetric.ttl")
    summary = materialise(store)
    ask = f"""PREFIX prov: <http://www.w3.org/ns/prov#>
    ASK {{ GRAPH <{PROVENANCE_GRAPH}> {{
        ?run prov:generated <{summary.version}> ; prov:used <{store.current_version(graph)}> ;
             prov:startedAtTime ?start ; prov:endedAtTime ?end }} }}"""
    assert bool(store.query(ask))


def test_the_ontology_entailments_the_questions_rely_on(store):
    """With the real ontology: agrs:within closed over directlyWithin, its alignments, types, hasValue."""
    from agrs.graphs import is_inferred
    from agrs.resources import load_ontology

    ontology, _ = load_ontology()
    store.replace_graph("https://w3id.org/agrs/graph/ontology", (to_oxigraph(t) for t in ontology))
    load_text(
        store,
        """@prefix agrs: <https://w3id.org/agrs/> . @prefix id: <https://w3id.org/agrs/id/> .
        id:commune agrs:directlyWithin id:departement . id:departement agrs:directlyWithin id:region .
        id:org a agrs:Enterprise .
        id:project agrs:carriedBy id:org .""",
        "sample",
    )
    summary = materialise(store)
    assert not any(is_inferred(graph) for graph in summary.graphs)
    found = inferred(store)
    agrs, ident = "https://w3id.org/agrs/", "https://w3id.org/agrs/id/"
    expected = [
        (ident + "commune", agrs + "within", ident + "region"),
        (ident + "commune", "http://www.opengis.net/ont/geosparql#sfWithin", ident + "region"),
        (ident + "commune", "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", agrs + "Territory"),
        (ident + "org", agrs + "actorType", agrs + "actor-type/enterprise"),
        (ident + "org", "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", agrs + "Actor"),
        (ident + "project", agrs + "involves", ident + "org"),
        (ident + "project", "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", agrs + "Endeavour"),
    ]
    for triple in expected:
        assert tuple(map(URIRef, triple)) in found, triple


# --- the command ------------------------------------------------------------------------------------------------


def _cli(*args):
    from agrs.cli import cli

    return CliRunner().invoke(cli, ["reason", *args], catch_exceptions=False)


def _prepared(tmp_path) -> Path:
    from agrs.store.embedded import EmbeddedStore

    folder = tmp_path / "cli-store"
    store = EmbeddedStore(folder)
    try:
        load(store, CASES / "transitive.ttl")
    finally:
        store.close()
    return folder


def test_cli_prints_a_summary(tmp_path):
    folder = _prepared(tmp_path)
    result = _cli("--store", str(folder))
    assert result.exit_code == 0, result.output
    assert f"inferred 11 triples: {INFERRED_GRAPH}" in result.stdout
    assert "closure http://example.org/within" in result.stdout
    assert result.stderr == ""
    again = _cli("--store", str(folder))
    assert again.exit_code == 0
    assert again.stdout.startswith("unchanged: the inferred graph already holds these 11 triples")


def test_cli_quiet_prints_nothing(tmp_path):
    folder = _prepared(tmp_path)
    result = _cli("--store", str(folder), "--quiet")
    assert result.exit_code == 0
    assert result.stdout == "" and result.stderr == ""


def test_cli_store_error_exits_2(tmp_path):
    not_a_store = tmp_path / "folder"
    not_a_store.mkdir()
    (not_a_store / "notes.txt").write_text("not a store")
    result = _cli("--store", str(not_a_store))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("agrs reason: ") and "holds no store" in result.stderr


def test_cli_busy_store_exits_2(tmp_path):
    from agrs.store.embedded import EmbeddedStore

    folder = _prepared(tmp_path)
    writer = EmbeddedStore(folder)
    try:
        result = _cli("--store", str(folder))
    finally:
        writer.close()
    assert result.exit_code == 2
    assert result.stderr.startswith("agrs reason: ")


def test_rules_join_triples_of_different_graphs(store):
    """A rule reads only the graphs holding its predicates, yet joins across them."""
    load_text(store, f"<{EX}within> a <http://www.w3.org/2002/07/owl#TransitiveProperty> .", "schema")
    load_text(store, f"<{EX}a> <{EX}within> <{EX}b> .", "one")
    load_text(store, f"<{EX}b> <{EX}within> <{EX}c> . <{EX}x> <{EX}other> <{EX}y> .", "two")
    load_text(store, f"<{EX}q> <{EX}unrelated> <{EX}r> .", "three")
    materialise(store)
    assert set(store.triples(INFERRED_GRAPH)) == {tuple(ox.NamedNode(EX + name) for name in ("a", "within", "c"))}


def test_progress_gives_a_total_for_every_stage(store):
    load(store, CASES / "has-value.ttl")
    calls = []
    materialise(store, progress=lambda stage, amount, total: calls.append((stage, amount, total)))
    assert all(total is not None for _, _, total in calls)  # click's progress bar needs a length
    stages = list(dict.fromkeys(stage for stage, _, _ in calls))
    assert stages == ["round 1: rules", "round 2: rules", "write"]
    for stage in stages:
        total = next(total for name, _, total in calls if name == stage)
        assert sum(amount for name, amount, _ in calls if name == stage) == total


def test_only_keeps_the_entailments_of_the_given_namespaces(store):
    load(store, CASES / "domain-range.ttl")
    summary = materialise(store, only=[EX + "E"])
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    expected = {(ox.NamedNode(EX + name), rdf_type, ox.NamedNode(EX + "E")) for name in ("x", "u", "t")}
    assert set(store.triples(INFERRED_GRAPH)) == expected
    assert set(summary.rules) == {"schema", f"type {EX}E"}


def test_only_computes_the_closures_its_rules_read_without_keeping_them(store):
    load(store, CASES / "transitive.ttl")
    summary = materialise(store, only=[EX + "locatedIn"])
    found = inferred(store)
    located_in = URIRef(EX + "locatedIn")
    assert {p for _, p, _ in found} == {located_in, URIRef("http://www.w3.org/2000/01/rdf-schema#subPropertyOf")}
    assert len(found) == 7  # the 6 locatedIn pairs (through within's closure), and directlyWithin ⊑ locatedIn
    assert summary.rules[f"closure {EX}within"] == 4 and summary.triples == 7


def test_cli_only(tmp_path):
    folder = _prepared(tmp_path)
    result = _cli("--store", str(folder), "--only", EX + "locatedIn", "--only", EX + "nothing/")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"inferred 7 triples: {INFERRED_GRAPH}")


def test_construct_gives_the_triples_of_the_select_solutions(store):
    """Each rule's CONSTRUCT (what materialise runs) makes exactly the triples `make` builds from its SELECT."""
    from agrs.derived.reason_rules import SCHEMA_QUERY, compile_rules, schema_from_rows

    graphs = [load(store, path) for path in CASE_FILES]
    closures, others = compile_rules(schema_from_rows(store.query(SCHEMA_QUERY, graphs=graphs)))
    assert closures and others
    for rule in closures + others:
        made = {rule.make(row) for row in store.query(rule.sparql, graphs=graphs)} - {None}
        assert set(store.query(rule.construct, graphs=graphs)) == made, rule.name
