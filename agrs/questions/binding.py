"""Binding: a caller's typed value → a checked RDF term → a VALUES block opening the WHERE group; and paging.

A value is never spliced into the query as text: it becomes an RDF term of the parameter's type (anything that
is not a well-formed one is refused), serialised here, in a `VALUES` block inserted as the first element of the
outermost WHERE group — before any GROUP BY (a trailing VALUES would be joined after the aggregation).
"""

import datetime
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

from agrs.ns import XSD as XSD_NS
from agrs.questions.errors import ParameterError
from agrs.questions.sparql_scan import shape_of

XSD = str(XSD_NS)
TYPES = ("iri", "literal", "integer", "decimal", "boolean", "date", "en", "fr")
#: characters an IRI value may not hold (besides controls and spaces): they could close the term in SPARQL
IRI_FORBIDDEN = set('<>"{}|^`\\')
IRI_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20]*")
INTEGER_PATTERN = re.compile(r"[+-]?[0-9]+")
DECIMAL_PATTERN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
BOOLEANS = {"true": True, "false": False, "1": True, "0": False}


def term_of(value, type_: str) -> ox.NamedNode | ox.Literal:
    """Return the RDF term of `value` for a parameter of `type_`; ValueError (with the reason) when it is not one."""
    if isinstance(value, ox.NamedNode | ox.Literal):
        value = value.value
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif isinstance(value, datetime.date):
        value = value.isoformat()
    elif isinstance(value, int | float | Decimal):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(f"a {type(value).__name__} is not a {type_} value")
    text = value.strip() if type_ not in ("literal", "en", "fr") else value
    if type_ == "iri":
        bad = sorted({c for c in text if c in IRI_FORBIDDEN or ord(c) <= 0x20})
        if bad or not IRI_PATTERN.fullmatch(text):
            reason = f"it holds {' '.join(repr(c) for c in bad)}" if bad else "it has no scheme (http:, https:, urn:…)"
            raise ValueError(f"{value!r} is not an absolute IRI: {reason}")
        return ox.NamedNode(text)  # pyoxigraph checks the IRI syntax too
    if type_ == "integer":
        if not INTEGER_PATTERN.fullmatch(text):
            raise ValueError(f"{value!r} is not an integer")
        return ox.Literal(str(int(text)), datatype=ox.NamedNode(XSD + "integer"))
    if type_ == "decimal":
        if not DECIMAL_PATTERN.fullmatch(text):
            raise ValueError(f"{value!r} is not a decimal number")
        try:
            number = Decimal(text)
        except InvalidOperation as error:
            raise ValueError(f"{value!r} is not a decimal number") from error
        return ox.Literal(format(number, "f"), datatype=ox.NamedNode(XSD + "decimal"))
    if type_ == "boolean":
        if text.lower() not in BOOLEANS:
            raise ValueError(f"{value!r} is not a boolean (true or false)")
        return ox.Literal("true" if BOOLEANS[text.lower()] else "false", datatype=ox.NamedNode(XSD + "boolean"))
    if type_ == "date":
        try:
            if not DATE_PATTERN.fullmatch(text):
                raise ValueError
            day = datetime.date.fromisoformat(text)
        except ValueError as error:
            raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from error
        return ox.Literal(day.isoformat(), datatype=ox.NamedNode(XSD + "date"))
    if type_ in ("en", "fr"):
        return ox.Literal(value, language=type_)
    return ox.Literal(value)


def sparql_term(term: ox.NamedNode | ox.Literal) -> str:
    """Serialise a term for a SPARQL query: pyoxigraph writes N-Triples, whose escapes SPARQL reads the same."""
    return str(term)


def insert_values(sparql: str, bindings: Iterable[tuple[str, ox.NamedNode | ox.Literal]]) -> str:
    """Return `sparql` with a `VALUES ?variable { term }` block per (variable, term) opening its WHERE group."""
    blocks = "".join(f"\n  VALUES ?{variable} {{ {sparql_term(term)} }}" for variable, term in bindings)
    if not blocks:
        return sparql
    cut = shape_of(sparql).group_open + 1
    rest = sparql[cut:]
    return sparql[:cut] + blocks + ("" if rest.startswith(("\n", "\r\n")) else "\n  ") + rest


def paginate(sparql: str, limit: int | None, offset: int = 0) -> str:
    """Return a SELECT query restricted to `limit` rows from `offset` (wrapped when it has a LIMIT of its own)."""
    if limit is not None and (not isinstance(limit, int) or limit < 0):
        raise ParameterError(f"limit must be a non-negative integer, not {limit!r}")
    if not isinstance(offset, int) or offset < 0:
        raise ParameterError(f"offset must be a non-negative integer, not {offset!r}")
    modifiers = ("" if limit is None else f"LIMIT {limit} ") + (f"OFFSET {offset}" if offset else "")
    shape = shape_of(sparql)
    if not shape.has_limit:
        cut = len(sparql) if shape.trailing_values is None else shape.trailing_values
        # A newline first: the query may end with a comment line.
        return f"{sparql[:cut]}\n{modifiers}\n{sparql[cut:]}"
    prologue, body = sparql[: shape.form_start], sparql[shape.form_start :]
    return f"{prologue}SELECT * WHERE {{\n{{\n{body}\n}}\n}}\n{modifiers}\n"


def describe_terms(terms: Iterable[tuple[str, object]]) -> str:
    """Return `name=term` pairs as text (for messages and logs)."""
    return ", ".join(f"{name}={sparql_term(term)}" for name, term in terms)
