"""Conversions between rdflib terms (what mappers produce) and pyoxigraph terms (what stores take)."""

import pyoxigraph as ox
import pytest
from rdflib import BNode, Literal, URIRef

from agrs.store.terms import to_oxigraph, to_rdflib

XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.mark.parametrize(
    "term",
    [
        URIRef("https://w3id.org/agrs/id/x"), BNode("b7"), Literal("texte"), Literal("texte", lang="fr"),
        Literal(42), Literal(2.5), Literal("2024-01-31", datatype=XSD + "date"),
    ],
    ids=repr,
)
def test_terms_round_trip(term):
    assert to_rdflib(to_oxigraph((term, term, term))[0]) == term


def test_ill_typed_literal_keeps_its_lexical_form():
    term = Literal("not a number", datatype=XSD + "integer")  # rdflib logs a warning; the form must survive
    assert to_oxigraph((term, term, term))[2] == ox.Literal("not a number", datatype=ox.NamedNode(XSD + "integer"))
    assert to_rdflib(to_oxigraph((term, term, term))[2]) == term


def test_xsd_string_is_a_plain_literal():
    assert to_rdflib(to_oxigraph((Literal("x", datatype=XSD + "string"),) * 3)[2]) == Literal("x")
