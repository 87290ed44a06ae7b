"""What the HTML pages show, built from rdflib graphs: labels, links (local for AGRS IRIs), values, incoming links.

The mapping of IRIs to local paths (documented in server/README.md's linked-data section):
`https://w3id.org/agrs/id/<rest>` → `/id/<rest>`; `https://w3id.org/agrs/ontology` → `/ontology`; any other
`https://w3id.org/agrs/<rest>` (classes, properties, concept schemes and concepts, graphs, sources) → `/def/<rest>`;
an IRI elsewhere links to itself.
"""

from dataclasses import dataclass, field

from flask import request
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF

from agrs.labels import DEFINITION_PROPERTIES, LABEL_PROPERTIES, best_label, language_rank, texts
from agrs.ns import BASE, ID, ONTOLOGY_IRI
from agrs.ns import curie as prefixed
from agrs.server.pages.iri_path import to_path

ID_BASE = str(ID)


@dataclass
class Link:
    """A link to a resource: where it goes, what it says, the IRI it stands for."""

    href: str
    text: str
    iri: str
    local: bool
    #: the resource is a record of a synthetic load (agrs.provenance.synthetic_subjects): the link says so
    synthetic: bool = False


@dataclass
class Value:
    """One value of a property: a link, a literal (text, language, datatype), or a blank node's own properties."""

    link: Link | None = None
    text: str | None = None
    language: str | None = None
    datatype: Link | None = None
    nested: list["PropertyRow"] = field(default_factory=list)


@dataclass
class PropertyRow:
    """A property and its values, in the order shown."""

    property: Link
    values: list[Value]


def local_path(iri: str) -> str | None:
    """Return the path this server serves `iri` at, or None for an IRI outside https://w3id.org/agrs/."""
    if iri.startswith(ID_BASE) and len(iri) > len(ID_BASE):
        return "/id/" + quote_path(iri[len(ID_BASE) :])
    if iri == ONTOLOGY_IRI:
        return "/ontology"
    if iri.startswith(BASE) and len(iri) > len(BASE):
        return "/def/" + quote_path(iri[len(BASE) :])
    return None


def quote_path(rest: str) -> str:
    """Return the part of an IRI after https://w3id.org/agrs/ as a URL path: the IRI's own `%XX` kept as they are,
    non-ASCII and unsafe characters encoded (`agrs.server.pages.iri_path`)."""
    return to_path(rest)


def href(path: str) -> str:
    """Return a local path prefixed with the app's mount point (SCRIPT_NAME)."""
    return request.script_root + path


def curie(iri: str) -> str:
    """Return `iri` shortened with the project's prefixes (the longest namespace that matches), else itself."""
    return prefixed(iri) or iri


def merged(*graphs: Graph):
    """A read-only view of `graphs` as one (`graph + labels` copied every triple of both into a new graph)."""
    from rdflib.graph import ReadOnlyGraphAggregate

    return ReadOnlyGraphAggregate(list(graphs))


def link(graph: Graph, iri: URIRef) -> Link:
    """Return the link to `iri`, named by its label when `graph` has one, else by its CURIE."""
    path = local_path(str(iri))
    text = best_label(graph, iri) or curie(str(iri))
    return Link(href(path) if path else str(iri), text, str(iri), path is not None)


def property_rows(graph: Graph, subject, labels: Graph, depth: int = 2, skip=(RDF.type,)) -> list[PropertyRow]:
    """Return `subject`'s properties and values from `graph`, names taken from `graph` + `labels`."""
    names = merged(graph, labels)
    rows: dict[URIRef, list[Value]] = {}
    for prop, value in graph.predicate_objects(subject):
        if prop in skip:
            continue
        rows.setdefault(prop, []).append(_value(graph, names, value, labels, depth))
    ordered = sorted(rows.items(), key=lambda item: curie(str(item[0])))
    return [PropertyRow(link(names, prop), sorted(values, key=_value_key)) for prop, values in ordered]


def _value(graph: Graph, names: Graph, value, labels: Graph, depth: int) -> Value:
    if isinstance(value, URIRef):
        return Value(link=link(names, value))
    if isinstance(value, Literal):
        datatype = link(names, value.datatype) if value.datatype else None
        return Value(text=str(value), language=value.language, datatype=datatype)
    if isinstance(value, BNode) and depth > 0:
        return Value(text="", nested=property_rows(graph, value, labels, depth - 1, skip=()))
    return Value(text="[…]")


def _value_key(value: Value) -> tuple:
    if value.link is not None:
        return (0, value.link.text)
    return (1, language_rank(value.language), value.text or "")


__all__ = [
    "DEFINITION_PROPERTIES", "LABEL_PROPERTIES", "Link", "PropertyRow", "Value", "best_label", "curie", "href", "link",
    "local_path", "property_rows", "quote_path", "texts",
]  # fmt: skip
