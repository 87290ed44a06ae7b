"""agrs.docs: the pyLODE page, the concept-scheme page and the class diagram, all offline."""

import socket
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from agrs.checks.faults import CheckCannotRun
from agrs.docs import write_docs

pytestmark = pytest.mark.slow

AGRS = Namespace("https://w3id.org/agrs/")
SCALE = Namespace("https://w3id.org/agrs/scale/")
MODULE = Namespace("https://w3id.org/agrs/ontology/")
SVG = "{http://www.w3.org/2000/svg}"

CLASSES = {
    # class: (module, English label, French label)
    AGRS.Territory: ("territory", "territory", "territoire"),
    AGRS.LivingArea: ("territory", "living area", "bassin de vie"),
    AGRS.Actor: ("actor", "actor", "acteur"),
}


def labelled(graph: Graph, term: URIRef, english: str, french: str, definition: bool = True) -> None:
    graph.add((term, RDFS.label, Literal(english, lang="en")))
    graph.add((term, RDFS.label, Literal(french, lang="fr")))
    if definition:
        graph.add((term, SKOS.definition, Literal(f"Definition of {english}.", lang="en")))
        graph.add((term, SKOS.definition, Literal(f"Définition de « {french} ».", lang="fr")))


@pytest.fixture
def ontology() -> Graph:
    """A merged-like ontology: two modules' classes, a property, a scheme of two concepts."""
    graph = Graph()
    header = URIRef("https://w3id.org/agrs/ontology")
    graph.add((header, RDF.type, OWL.Ontology))
    graph.add((header, DCTERMS.title, Literal("Ontologie AGRS", lang="fr")))
    graph.add((header, DCTERMS.title, Literal("AGRS ontology", lang="en")))
    for cls, (module, english, french) in CLASSES.items():
        graph.add((cls, RDF.type, OWL.Class))
        graph.add((cls, RDFS.isDefinedBy, MODULE[module]))
        labelled(graph, cls, english, french)
    graph.add((AGRS.LivingArea, RDFS.subClassOf, AGRS.Territory))
    graph.add((AGRS.actsIn, RDF.type, OWL.ObjectProperty))
    labelled(graph, AGRS.actsIn, "acts in", "agit dans")
    graph.add((AGRS.actsIn, RDFS.domain, AGRS.Actor))
    graph.add((AGRS.actsIn, RDFS.range, AGRS.Territory))
    graph.add((AGRS.actsIn, RDFS.isDefinedBy, MODULE.actor))
    scheme = URIRef("https://w3id.org/agrs/scale")
    graph.add((scheme, RDF.type, SKOS.ConceptScheme))
    graph.add((scheme, SKOS.prefLabel, Literal("spatial scales", lang="en")))
    graph.add((scheme, SKOS.prefLabel, Literal("échelles spatiales", lang="fr")))
    for concept, english, french in (
        (SCALE.local, "local scale", "échelle locale"),
        (SCALE.regional, "regional scale", "échelle régionale"),
    ):
        graph.add((concept, RDF.type, SKOS.Concept))
        graph.add((concept, SKOS.inScheme, scheme))
        graph.add((concept, SKOS.prefLabel, Literal(english, lang="en")))
        graph.add((concept, SKOS.prefLabel, Literal(french, lang="fr")))
        graph.add((concept, SKOS.definition, Literal(f"The {english}.", lang="en")))
    graph.add((SCALE.local, SKOS.broader, SCALE.regional))
    restriction = BNode()  # a living area is at the local scale: links the page to a concept
    graph.add((AGRS.LivingArea, RDFS.subClassOf, restriction))
    graph.add((restriction, RDF.type, OWL.Restriction))
    graph.add((restriction, OWL.onProperty, AGRS.spatialScale))
    graph.add((restriction, OWL.hasValue, SCALE.local))
    return graph


@pytest.fixture
def no_network(monkeypatch):
    """Make any connection or name lookup fail at once."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_write_docs_offline(ontology: Graph, tmp_path: Path, no_network) -> None:
    before = Graph()
    before += ontology
    written = write_docs(ontology, tmp_path)
    names = ["index.html", "vocabularies.html", "classes.dot", "classes.svg"]
    assert written == [tmp_path / name for name in names]
    assert all(path.stat().st_size > 0 for path in written)
    assert isomorphic(before, ontology), "write_docs changed the caller's graph"


def test_index_shows_both_languages(ontology: Graph, tmp_path: Path, no_network) -> None:
    write_docs(ontology, tmp_path)
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "bassin de vie" in page and "living area" in page
    assert "Definition of living area." in page and "Définition de « bassin de vie »." in page
    assert 'id="LivingArea"' in page  # anchors are the local names, not the glued titles
    assert 'href="#Territory"' in page  # the superclass is linked within the page
    assert 'href="vocabularies.html#scale-local"' in page  # a concept is linked to the vocabularies page


def test_vocabularies_page(ontology: Graph, tmp_path: Path, no_network) -> None:
    write_docs(ontology, tmp_path)
    page = (tmp_path / "vocabularies.html").read_text(encoding="utf-8")
    for text in ("échelles spatiales", "spatial scales", "échelle locale", "local scale", "The local scale."):
        assert text in page, text
    assert 'id="scale-local"' in page and 'href="#scale-regional"' in page


def test_class_diagram(ontology: Graph, tmp_path: Path, no_network) -> None:
    write_docs(ontology, tmp_path)
    dot = (tmp_path / "classes.dot").read_text(encoding="utf-8")
    assert '"https://w3id.org/agrs/LivingArea" -> "https://w3id.org/agrs/Territory" [arrowhead=empty' in dot
    assert 'label="acts in"' in dot
    assert '"cluster_territory"' in dot and '"cluster_actor"' in dot
    svg = ET.parse(tmp_path / "classes.svg").getroot()
    assert svg.tag == f"{SVG}svg"
    texts = {"".join(node.itertext()).strip() for node in svg.iter(f"{SVG}text")}
    for _, english, french in CLASSES.values():
        assert english in texts and french in texts
    assert {"territory", "actor", "acts in"} <= texts


def test_missing_dot_still_writes_the_dot_file(ontology: Graph, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(CheckCannotRun, match="apt-get install graphviz"):
        write_docs(ontology, tmp_path)
    assert (tmp_path / "classes.dot").exists()
    assert not (tmp_path / "classes.svg").exists()
