"""The OWL 2 DL profile check (OWL API) and the consistency check (HermiT) on tiny ontologies."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS

from agrs.checks import profile
from agrs.checks.faults import CheckCannotRun
from agrs.checks.profile import check_dl_profile
from agrs.checks.reasoner import check_consistency

EX = Namespace("http://example.org/test#")
ONTOLOGY = URIRef("http://example.org/test")
# Spelled out: pytest probes every module attribute, and rdflib's XSD namespace warns on unknown names.
XSD_STRING = URIRef("http://www.w3.org/2001/XMLSchema#string")
XSD_NON_NEGATIVE_INTEGER = URIRef("http://www.w3.org/2001/XMLSchema#nonNegativeInteger")

needs_java = pytest.mark.skipif(shutil.which("java") is None, reason="no Java runtime")
needs_owlapi = pytest.mark.skipif(
    shutil.which("java") is None or not (profile.JAVA_LIB_DIR / "owlapi-distribution.jar").is_file(),
    reason="no Java runtime or no libowlapi-java",
)


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """Compile the Java helper once per test session, never into the user's ~/.cache."""
    monkeypatch.setenv("AGRS_CACHE", str(tmp_path_factory.getbasetemp() / "agrs-cache"))


def ontology() -> Graph:
    """Return a small clean OWL 2 DL ontology: A ⊑ B, a property p with a cardinality, an individual."""
    g = Graph()
    g.add((ONTOLOGY, RDF.type, OWL.Ontology))
    for cls in (EX.A, EX.B, EX.C):
        g.add((cls, RDF.type, OWL.Class))
    g.add((EX.A, RDFS.subClassOf, EX.B))
    g.add((EX.A, RDFS.label, Literal("A, with an accent: é", lang="fr")))
    g.add((EX.p, RDF.type, OWL.ObjectProperty))
    g.add((EX.name, RDF.type, OWL.DatatypeProperty))
    g.add((EX.name, RDFS.range, XSD_STRING))
    add_restriction(g, EX.B, EX.p, OWL.maxCardinality, 2)
    g.add((EX.a, RDF.type, OWL.NamedIndividual))
    g.add((EX.a, RDF.type, EX.A))
    return g


def add_restriction(g: Graph, cls: URIRef, prop: URIRef, kind: URIRef, n: int) -> None:
    restriction = BNode()
    g.add((restriction, RDF.type, OWL.Restriction))
    g.add((restriction, OWL.onProperty, prop))
    g.add((restriction, kind, Literal(n, datatype=XSD_NON_NEGATIVE_INTEGER)))
    g.add((cls, RDFS.subClassOf, restriction))


def add_disjoint(g: Graph, *classes: URIRef) -> None:
    if len(classes) == 2:
        g.add((classes[0], OWL.disjointWith, classes[1]))
        return
    node = BNode()
    g.add((node, RDF.type, OWL.AllDisjointClasses))
    members = BNode()
    Collection(g, members, list(classes))
    g.add((node, OWL.members, members))


def write(g: Graph, path: Path) -> Path:
    g.serialize(path, format="xml")
    return path


@pytest.mark.slow
@needs_owlapi
def test_clean_ontology_is_in_owl2_dl(tmp_path):
    assert check_dl_profile(write(ontology(), tmp_path / "clean.owl")) == []


@pytest.mark.slow
@needs_owlapi
def test_undeclared_class_is_reported(tmp_path):
    g = ontology()
    g.add((EX.A, RDFS.subClassOf, EX.Undeclared))
    faults = check_dl_profile(write(g, tmp_path / "undeclared.owl"))
    expected = [("owl2-dl", "UseOfUndeclaredClass", str(EX.Undeclared))]
    assert [(f.check, f.rule, f.term) for f in faults] == expected
    assert "undeclared class" in faults[0].message
    assert "OntologyID" not in faults[0].message


@pytest.mark.slow
@needs_owlapi
def test_transitive_property_in_cardinality_is_reported(tmp_path):
    g = ontology()
    g.add((EX.p, RDF.type, OWL.TransitiveProperty))
    faults = check_dl_profile(write(g, tmp_path / "transitive.owl"))
    rules = {(f.rule, f.term) for f in faults}
    assert ("UseOfNonSimplePropertyInCardinalityRestriction", str(EX.p)) in rules


@pytest.mark.slow
@needs_owlapi
def test_property_both_object_and_datatype_is_reported(tmp_path):
    g = ontology()
    g.add((EX.p, RDF.type, OWL.DatatypeProperty))
    faults = check_dl_profile(write(g, tmp_path / "punned.owl"))
    assert faults, "an object property that is also a datatype property is not OWL 2 DL"
    assert all(f.check == "owl2-dl" for f in faults)
    assert any(f.term == str(EX.p) for f in faults)


@pytest.mark.slow
@needs_owlapi
def test_unloadable_document_cannot_run(tmp_path):
    broken = tmp_path / "broken.owl"
    broken.write_text("<rdf:RDF", encoding="utf-8")
    with pytest.raises(CheckCannotRun, match="lineNumber"):
        check_dl_profile(broken)


@pytest.mark.slow
@needs_owlapi
def test_helper_is_compiled_once_into_the_cache(tmp_path):
    clean = write(ontology(), tmp_path / "clean.owl")
    check_dl_profile(clean)
    compiled = list((Path(os.environ["AGRS_CACHE"]) / "java").glob("ProfileCheck-*/ProfileCheck.class"))
    assert len(compiled) == 1
    before = compiled[0].stat().st_mtime_ns
    check_dl_profile(clean)
    assert compiled[0].stat().st_mtime_ns == before


def test_missing_owlapi_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(profile, "JAVA_LIB_DIR", tmp_path)
    with pytest.raises(CheckCannotRun, match=r"apt-get install .*libowlapi-java"):
        profile.owlapi_classpath()


def test_missing_java_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CheckCannotRun, match="libowlapi-java"):
        check_dl_profile(tmp_path / "any.owl")
    with pytest.raises(CheckCannotRun, match="Java runtime"):
        check_consistency(tmp_path / "any.owl")


def test_report_lines_become_faults():
    report = (
        "VIOLATION\tUseOfUndeclaredClass\thttp://x#A\tSubClassOf(<http://x#B> <http://x#A>)\t"
        "Use of undeclared class: <http://x#A> [SubClassOf(<http://x#B> <http://x#A>) in OntologyID(x)]\n"
        "VIOLATION\tOntologyIRINotAbsolute\t\t\tOntology IRI not absolute: <x> [null in OntologyID(x)]\n"
        "DONE\t2\n"
    )
    faults = profile.parse_report(report)
    assert [(f.rule, f.term, f.message) for f in faults] == [
        ("OntologyIRINotAbsolute", None, "Ontology IRI not absolute: <x>"),
        (
            "UseOfUndeclaredClass",
            "http://x#A",
            "Use of undeclared class: <http://x#A> [SubClassOf(<http://x#B> <http://x#A>)]",
        ),
    ]


def test_truncated_report_is_not_a_clean_one():
    with pytest.raises(CheckCannotRun, match="incomplete"):
        profile.parse_report("VIOLATION\tUseOfUndeclaredClass\thttp://x#A\t\tUse of undeclared class\n")


@pytest.mark.slow
@needs_java
def test_clean_ontology_is_consistent(tmp_path):
    assert check_consistency(write(ontology(), tmp_path / "clean.owl")) == []


@pytest.mark.slow
@needs_java
def test_unsatisfiable_class_is_reported(tmp_path):
    g = ontology()
    g.add((EX.A, RDFS.subClassOf, EX.C))
    g.remove((EX.a, RDF.type, EX.A))  # an instance of A would make the whole ontology inconsistent
    add_disjoint(g, EX.B, EX.C)
    faults = check_consistency(write(g, tmp_path / "unsatisfiable.owl"))
    assert [(f.check, f.rule, f.term) for f in faults] == [("hermit", "unsatisfiable-class", str(EX.A))]


@pytest.mark.slow
@needs_java
def test_inconsistent_ontology_is_reported(tmp_path, capsys, monkeypatch):
    g = ontology()
    add_disjoint(g, EX.B, EX.C, EX.A)
    g.add((EX.b, RDF.type, OWL.NamedIndividual))
    g.add((EX.b, RDF.type, EX.B))
    g.add((EX.b, RDF.type, EX.C))
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    faults = check_consistency(write(g, tmp_path / "inconsistent.owl"))
    assert [(f.check, f.rule) for f in faults] == [("hermit", "inconsistent")]
    assert capsys.readouterr().out == ""
    # owlready2 leaves HermiT's input behind on an inconsistency, unless told where to write it.
    assert list(scratch.iterdir()) == []


@pytest.mark.slow
@needs_java
def test_hermit_refusal_is_reported_without_stack_trace(tmp_path):
    g = ontology()
    g.add((EX.p, RDF.type, OWL.TransitiveProperty))
    with pytest.raises(CheckCannotRun, match="Non-simple property") as refused:
        check_consistency(write(g, tmp_path / "transitive.owl"))
    assert "\tat " not in str(refused.value)


@pytest.mark.slow
@needs_java
def test_consistency_check_leaves_the_default_world_alone(tmp_path):
    import owlready2

    before = set(owlready2.default_world.ontologies)
    check_consistency(write(ontology(), tmp_path / "clean.owl"))
    assert set(owlready2.default_world.ontologies) == before


@needs_java
def test_document_with_imports_is_refused(tmp_path):
    g = ontology()
    g.add((ONTOLOGY, OWL.imports, URIRef("http://xmlns.com/foaf/0.1/")))
    with pytest.raises(CheckCannotRun, match="imports"):
        check_consistency(write(g, tmp_path / "imports.owl"))
