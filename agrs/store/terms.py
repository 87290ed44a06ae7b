"""Conversions between rdflib terms (what the mappers produce) and pyoxigraph terms (what the store takes).

Literals keep their lexical form, language and datatype exactly. A plain rdflib literal and an xsd:string
literal are the same RDF term: both become an Oxigraph xsd:string literal, which comes back as a plain rdflib
literal (what rdflib's parsers produce). Quoted triples (RDF-star) have no rdflib counterpart.
"""

import pyoxigraph as ox
from rdflib.term import BNode, Literal, Node, URIRef, Variable

from agrs.ns import RDF, XSD

XSD_STRING = str(XSD.string)
RDF_LANG_STRING = str(RDF.langString)


def term_to_oxigraph(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal | ox.Variable:
    """Return the pyoxigraph term equal to an rdflib term (URIRef, BNode, Literal or Variable)."""
    # URIRef first: it is by far the most frequent term in mapped records.
    if isinstance(term, URIRef):
        return ox.NamedNode(term)
    if isinstance(term, Literal):
        return _literal_to_oxigraph(term)
    if isinstance(term, BNode):
        return ox.BlankNode(term)
    if isinstance(term, Variable):
        return ox.Variable(term)
    raise TypeError(f"not an RDF term pyoxigraph can store: {term!r}")


def _literal_to_oxigraph(literal: Literal) -> ox.Literal:
    # str(literal) is the lexical form as written, even for typed literals rdflib could not parse.
    if literal.language:
        return ox.Literal(str(literal), language=literal.language)
    if literal.datatype is not None and str(literal.datatype) != XSD_STRING:
        return ox.Literal(str(literal), datatype=ox.NamedNode(literal.datatype))
    return ox.Literal(str(literal))


def to_oxigraph(triple: tuple[Node, Node, Node]) -> tuple:
    """Return an (s, p, o) tuple of rdflib terms as a tuple of pyoxigraph terms, ready for `replace_graph`."""
    subject, predicate, object_ = triple
    return term_to_oxigraph(subject), term_to_oxigraph(predicate), term_to_oxigraph(object_)


def to_rdflib(term) -> Node:
    """Return the rdflib term equal to a pyoxigraph term (NamedNode, BlankNode, Literal or Variable)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.Literal):
        return _literal_to_rdflib(term)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Variable):
        return Variable(term.value)
    raise TypeError(f"no rdflib term for {term!r} (quoted triples and default graphs have none)")


def _literal_to_rdflib(literal: ox.Literal) -> Literal:
    if literal.language:
        return Literal(literal.value, lang=literal.language)
    datatype = literal.datatype.value
    if datatype in (XSD_STRING, RDF_LANG_STRING):
        return Literal(literal.value)
    return Literal(literal.value, datatype=URIRef(datatype))


def triple_to_rdflib(triple) -> tuple[Node, Node, Node]:
    """Return a pyoxigraph Triple (or (s, p, o) of pyoxigraph terms) as a tuple of rdflib terms."""
    subject, predicate, object_ = triple
    return to_rdflib(subject), to_rdflib(predicate), to_rdflib(object_)
