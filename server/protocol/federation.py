"""The federation guard: refuse SERVICE and LOAD whose target is not on the allowlist, before anything runs.

pyoxigraph executes `SERVICE <iri>` (queries and updates) and `LOAD <iri>` (updates) by itself, to any host. The
server must never make an outgoing request a client did not get allowed, so every query and update is parsed here
(rdflib's SPARQL parser) and each SERVICE / LOAD target is checked: an allowlist entry is an exact IRI, or a
prefix when it ends with "/". `SERVICE ?variable` is always refused (its target is only known while running).

A text rdflib cannot parse is not a federation matter: when it holds no SERVICE or LOAD keyword nothing is
raised (the real parser reports the syntax error); when it does, `FederationUnchecked` is raised (the caller
answers 400 with the parser's message), so an unparseable SERVICE never reaches pyoxigraph.

The stored federated questions (queries/federated/, agrs.questions.federated) go through this same guard when
served by /api: the allowlist decides for them as for any client's query.
"""

import re
from collections.abc import Iterator, Sequence

# One definition of "on the allowlist" for the server's guard and the federated questions (agrs query).
from agrs.questions.federated import allowed

#: SPARQL codepoint escapes, which are undone before parsing (SPARQL 1.1 §19.2), so `\u0053ERVICE` is SERVICE
CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
#: what cannot hold a keyword: comments, strings, IRIs between < and > (blanked before looking for keywords)
INERT = re.compile(
    r"#[^\n]*"
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'(?:[^'\\\n]|\\.)*'"
    r'|"(?:[^"\\\n]|\\.)*"'
    r'|<[^<>"{}|^`\\\x00-\x20]*>'
)
#: SERVICE or LOAD as a keyword: not part of a variable, a prefixed name or a longer word
KEYWORDS = re.compile(r"(?<![\w?$:])(?:service|load)(?![\w:-])", re.IGNORECASE)


class FederationRefused(Exception):
    """A SERVICE or LOAD targets an IRI not on the allowlist (or a variable); `iri` names it."""

    def __init__(self, message: str, iri: str | None = None):
        super().__init__(message)
        self.iri = iri


class FederationUnchecked(ValueError):
    """The text mentions SERVICE or LOAD but does not parse, so its targets cannot be checked (a syntax error)."""


def check_query(sparql: str, allowlist: Sequence[str]) -> None:
    """Raise FederationRefused when the query has a SERVICE whose target is not allowed; else return None."""
    from agrs.sparql_text import parse_query

    if not _mentions_federation(sparql):
        return
    try:
        parsed = parse_query(sparql)
    except Exception as error:  # pyparsing's ParseException and rdflib's own errors alike
        raise FederationUnchecked(f"the query does not parse: {error}") from error
    prologue = _prologue(parsed[0], None)
    for kind, term in _targets(parsed[1]):
        _check(kind, term, prologue, allowlist)


def check_update(sparql: str, allowlist: Sequence[str]) -> None:
    """Raise FederationRefused when the update has a SERVICE or LOAD whose target is not allowed."""
    from agrs.sparql_text import parse_update

    if not _mentions_federation(sparql):
        return
    try:
        parsed = parse_update(sparql)
    except Exception as error:
        raise FederationUnchecked(f"the update does not parse: {error}") from error
    prologue = None
    # Each operation of an update sees the prefixes and base declared so far (rdflib's translateUpdate does so).
    for declarations, operation in zip(parsed.prologue, parsed.request, strict=False):
        prologue = _prologue(declarations, prologue)
        for kind, term in _targets(operation):
            _check(kind, term, prologue, allowlist)


def _mentions_federation(sparql: str) -> bool:
    """Whether the text, escapes undone, holds SERVICE or LOAD at all (most queries do not: no parse needed)."""
    text = CODEPOINT.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), sparql)
    return KEYWORDS.search(INERT.sub(" ", text)) is not None


def _prologue(declarations, previous):
    from rdflib.plugins.sparql.algebra import translatePrologue

    return translatePrologue(declarations, None, None, previous)


def _targets(node) -> Iterator[tuple[str, object]]:
    """Yield ("SERVICE" | "LOAD", term) for every service pattern and load in a parse tree."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(node, CompValue):
        if node.name == "ServiceGraphPattern":
            yield "SERVICE", node.get("term")
        elif node.name == "Load":
            yield "LOAD", node.get("iri")
        for value in node.values():
            yield from _targets(value)
    elif isinstance(node, ParseResults | list | tuple):
        for value in node:
            yield from _targets(value)


def _check(kind: str, term, prologue, allowlist: Sequence[str]) -> None:
    from rdflib import Variable

    if isinstance(term, Variable):
        raise FederationRefused(
            f"{kind} ?{term} is refused: this server only calls endpoints on its allowlist "
            "(`agrs serve --allow-federation IRI`), and a variable target is only known while the query runs: "
            "name the endpoint",
            f"?{term}",
        )
    try:
        iri = str(prologue.absolutize(term))
    except Exception as error:  # an undeclared prefix: the real parser will say so
        raise FederationUnchecked(f"the {kind} target cannot be read: {error}") from error
    if not allowed(iri, allowlist):
        where = (
            "this server's federation allowlist is empty"
            if not allowlist
            else "it is not on this server's federation allowlist (" + ", ".join(allowlist) + ")"
        )
        raise FederationRefused(
            f"{kind} <{iri}> is refused: {where}; the server makes no outgoing request a client did not get "
            "allowed (`agrs serve --allow-federation IRI`)",
            iri,
        )
