"""rdflib's SPARQL parser behind one lock: its pyparsing grammar keeps state while it parses.

Two threads parsing at once fail at random ("Param.postParse2() missing 1 required positional argument"), so
every parse in the process goes through these functions. The lock is the one piece of module state this
needs: it guards a process-wide library, not data.
"""

import threading

_PARSER_LOCK = threading.Lock()


def parse_query(sparql: str):
    """Return rdflib's parse tree of a query (rdflib's exceptions propagate)."""
    from rdflib.plugins.sparql.parser import parseQuery

    with _PARSER_LOCK:
        return parseQuery(sparql)


def parse_update(sparql: str):
    """Return rdflib's parse tree of an update (rdflib's exceptions propagate)."""
    from rdflib.plugins.sparql.parser import parseUpdate

    with _PARSER_LOCK:
        return parseUpdate(sparql)


def translate_query(sparql: str):
    """Return rdflib's algebra of a query, parsed and translated under the lock."""
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    with _PARSER_LOCK:
        return translateQuery(parseQuery(sparql))


def translate_update(sparql: str):
    """Return rdflib's algebra of an update, parsed and translated under the lock."""
    from rdflib.plugins.sparql.algebra import translateUpdate
    from rdflib.plugins.sparql.parser import parseUpdate

    with _PARSER_LOCK:
        return translateUpdate(parseUpdate(sparql))
