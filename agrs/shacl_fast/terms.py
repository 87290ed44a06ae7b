"""Terms as keys: the engine handles every data term as the string Oxigraph writes for it in SPARQL TSV results.

Hashing a pyoxigraph term costs about a microsecond (it goes through Rust), a Python string's hash a few tens of
nanoseconds, and a validation hashes terms millions of times. So the engine reads the store through SELECT
queries serialised as TSV by Oxigraph (in Rust, fast) and keys everything by those strings: `<iri>`, `_:id`,
`"lexical"`, `"lexical"@lang`, `"lexical"^^<datatype>`, or a bare `42`, `4.2`, `true` for canonical integers,
decimals and booleans. Two equal terms of the store give the same string, so string equality is term equality.
Keys are turned back into rdflib terms (results, literal checks) or pyoxigraph terms (query bindings) on demand.
"""

import re
from functools import lru_cache

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_ESCAPES = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")


def is_iri(key: str) -> bool:
    """Whether a key is an IRI."""
    return key[0] == "<"


def is_blank(key: str) -> bool:
    """Whether a key is a blank node."""
    return key[:2] == "_:"


def is_literal(key: str) -> bool:
    """Whether a key is a literal."""
    return key[0] != "<" and key[:2] != "_:"


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    return _ESCAPE.sub(_unescape_one, text)


def _unescape_one(match: re.Match) -> str:
    if match.group(3) is None:
        return chr(int(match.group(1) or match.group(2), 16))
    return _ESCAPES.get(match.group(3), match.group(3))


@lru_cache(maxsize=200_000)
def parse_literal(key: str) -> tuple[str, str, str | None]:
    """Return (lexical form, datatype IRI, language) of a literal key."""
    if key[0] == '"':
        end = key.rfind('"')
        lexical = _unescape(key[1:end])
        rest = key[end + 1 :]
        if not rest:
            return lexical, XSD_STRING, None
        if rest[0] == "@":
            return lexical, RDF_LANG_STRING, rest[1:]
        return lexical, rest[3:-1], None
    if key in ("true", "false"):
        return key, XSD + "boolean", None
    if "e" in key or "E" in key:
        return key, XSD + "double", None
    if "." in key:
        return key, XSD + "decimal", None
    return key, XSD + "integer", None


def datatype_of(key: str) -> str:
    """Return the datatype IRI of a literal key, cheaply for the common forms."""
    if key[-1] == '"':
        return XSD_STRING
    return parse_literal(key)[1]


def to_rdflib(key: str) -> Node:
    """Return the rdflib term of a key (xsd:string literals plain, as rdflib's parsers give them)."""
    if key[0] == "<":
        return URIRef(key[1:-1])
    if key[:2] == "_:":
        return BNode(key[2:])
    lexical, datatype, language = parse_literal(key)
    if language is not None:
        return Literal(lexical, lang=language)
    if datatype == XSD_STRING:
        return Literal(lexical)
    return Literal(lexical, datatype=URIRef(datatype))


def to_oxigraph(key: str):
    """Return the pyoxigraph term of a key."""
    if key[0] == "<":
        return ox.NamedNode(key[1:-1])
    if key[:2] == "_:":
        return ox.BlankNode(key[2:])
    lexical, datatype, language = parse_literal(key)
    if language is not None:
        return ox.Literal(lexical, language=language)
    return ox.Literal(lexical, datatype=ox.NamedNode(datatype))


_scratch_cache: dict = {}


def key_of(term) -> str:
    """Return the key of a pyoxigraph term (a literal goes through a scratch store, to be written as the store does)."""
    if isinstance(term, ox.NamedNode):
        return f"<{term.value}>"
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    found = _scratch_cache.get(term)
    if found is None:
        scratch = ox.Store()
        scratch.add(ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), term))
        found = rows(scratch, "SELECT ?o WHERE { ?s ?p ?o }")[0][0]
        _scratch_cache[term] = found
    return found


def rows(store: ox.Store, query: str, **options) -> list[list[str]]:
    """Run a SELECT on a store and return its rows as lists of keys ('' for an unbound variable)."""
    return rows_with_header(store, query, **options)[1]


def columns(store: ox.Store, query: str, width: int, **options) -> list[list[str]]:
    """Run a SELECT of `width` variables, all bound in every row; return its columns (lists of keys).

    One split of the whole TSV text: a key never holds a raw tab or newline (TSV escapes them).
    """
    text = store.query(query, **options).serialize(format=ox.QueryResultsFormat.TSV).decode("utf-8")
    cells = text.replace("\t", "\n").split("\n")[width:-1]
    return [cells[i::width] for i in range(width)]


def rows_with_header(store: ox.Store, query: str, **options) -> tuple[list[str], list[list[str]]]:
    """Like `rows`, with the variable names (without '?') first."""
    text = store.query(query, **options).serialize(format=ox.QueryResultsFormat.TSV).decode("utf-8")
    lines = text.split("\n")
    header = [name[1:] for name in lines[0].split("\t")] if lines[0] else []
    body = lines[1:-1] if lines[-1] == "" else lines[1:]  # every row ends with a newline
    return header, [line.split("\t") for line in body]
