"""The HTML documentation of the whole ontology at /ontology: its header, then every AGRS class, property and
concept scheme with its French and English labels and definitions, each linked to its term page (/def/<Term>).

A page of our own rather than pyLODE's (`agrs ontology docs`): it is built from whatever ontology the server serves
(the store's or the files'), in a fraction of a second, and needs no generated folder to keep in step.
"""

from dataclasses import dataclass

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, SKOS

from agrs.labels import DEFINITION_PROPERTIES, LABEL_PROPERTIES
from agrs.ns import BASE, ID, ONTOLOGY_IRI
from agrs.server.pages import render
from agrs.server.pages.ontology_source import OntologySource

SECTIONS = (
    ("classes", "Classes", (OWL.Class,)),
    ("object-properties", "Propriétés d'objet / Object properties", (OWL.ObjectProperty,)),
    ("datatype-properties", "Propriétés de données / Datatype properties", (OWL.DatatypeProperty,)),
    ("annotation-properties", "Propriétés d'annotation / Annotation properties", (OWL.AnnotationProperty,)),
    ("schemes", "Schémas de concepts / Concept schemes", (SKOS.ConceptScheme,)),
)


@dataclass
class TermEntry:
    """One documented term: its link, labels and definitions (language, text), and a count for schemes."""

    link: render.Link
    labels: list[tuple[str | None, str]]
    definitions: list[tuple[str | None, str]]
    members: int | None = None


def ontology_context(source: OntologySource) -> dict:
    """Return the template variables of the ontology page."""
    graph = source.graph
    umbrella = URIRef(ONTOLOGY_IRI)
    sections = []
    for anchor, title, types in SECTIONS:
        terms = sorted({term for kind in types for term in graph.subjects(RDF.type, kind) if _ours(term)}, key=str)
        entries = [_entry(graph, term, kind_is_scheme=anchor == "schemes") for term in terms]
        sections.append((anchor, title, sorted(entries, key=lambda entry: entry.link.text.casefold())))
    return {
        "title": render.texts(graph, umbrella, (DCTERMS.title,)),
        "description": render.texts(graph, umbrella, (DCTERMS.description,)),
        "version": next((str(value) for value in graph.objects(umbrella, OWL.versionInfo)), None),
        "iri": str(umbrella),
        "origin": source.origin,
        "sections": sections,
        "triples": len(graph),
        "downloads": [(name, render.href(f"/ontology/agrs.{ext}")) for name, ext in
                      (("Turtle", "ttl"), ("JSON-LD", "jsonld"), ("RDF/XML", "rdf"), ("N-Triples", "nt"))],
    }  # fmt: skip


def _ours(term) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(BASE) and not str(term).startswith(str(ID))


def _entry(graph: Graph, term: URIRef, kind_is_scheme: bool) -> TermEntry:
    members = len(set(graph.subjects(SKOS.inScheme, term))) if kind_is_scheme else None
    return TermEntry(render.link(graph, term), render.texts(graph, term, LABEL_PROPERTIES),
                     render.texts(graph, term, DEFINITION_PROPERTIES), members)  # fmt: skip
