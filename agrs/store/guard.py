"""What a SPARQL text would touch, read with rdflib's parser: the graphs an update writes, a query's FROM clauses.

The check is on the parsed update, not on the IRIs in its text: a provenance record may well *mention* a
version graph (`prov:generated <…/v3>`); only writing *into* one is refused. Parsing with rdflib costs a few
milliseconds per small update; a text rdflib cannot parse (SPARQL 1.2 syntax, say) is refused rather than
let through unchecked.
"""

import re
from collections.abc import Callable, Iterator

from rdflib.term import URIRef, Variable

from agrs.graphs import REGISTRY_GRAPH, UNION_GRAPHS
from agrs.sparql_text import translate_query, translate_update
from agrs.store.errors import QueryError
from agrs.store.registry import is_version_iri

DEFAULT = "DEFAULT"  # the store's own default graph, as rdflib's algebra names it

# Without `FROM` (any case) followed by an IRI, a prefixed name or NAMED, outside whole-line comments, a query has
# no dataset clause and rdflib's parse (about 1 s for a stored question with label columns) is skipped. The word in
# a comment or a literal ("stemming from the…") may still trigger the parse: it only costs time.
FROM_WORD = re.compile(r"\bfrom\s+(?:named\b|<|[A-Za-z_][\w.-]*:|:)", re.IGNORECASE)


def mentions_from(sparql: str) -> bool:
    """Return whether a query may have a dataset clause (FROM or FROM NAMED), whole-line `#` comments aside."""
    return bool(FROM_WORD.search("\n".join(line for line in sparql.splitlines() if not line.lstrip().startswith("#"))))


def update_targets(sparql: str) -> list:
    """Return the graphs each operation of a SPARQL update writes into, in order.

    Items are graph IRIs (str), DEFAULT, "ALL" or "NAMED" (CLEAR/DROP ALL|NAMED), or rdflib Variables
    (a `GRAPH ?g` in an INSERT or DELETE template). Raises QueryError when the text cannot be parsed.
    """
    try:
        operations = translate_update(sparql).algebra
    except Exception as error:  # rdflib raises pyparsing errors and assorted exceptions on bad text
        raise QueryError(f"cannot read the SPARQL update: {error}") from error
    return [_normalise(target) for operation in operations for target in _operation_targets(operation)]


def dropped_graphs(sparql: str) -> list:
    """Return the graphs an update leaves not existing: dropped (DROP, MOVE's source) and not written again after.

    Items as for `update_targets`. Raises QueryError when the text cannot be parsed.
    """
    try:
        operations = translate_update(sparql).algebra
    except Exception as error:  # rdflib raises pyparsing errors and assorted exceptions on bad text
        raise QueryError(f"cannot read the SPARQL update: {error}") from error
    dropped: dict = {}
    for operation in operations:
        if operation.name == "Drop":
            dropped[_normalise(operation.graphiri)] = True
        elif operation.name == "Move":
            dropped.pop(_normalise(operation.graph[1]), None)
            dropped[_normalise(operation.graph[0])] = True
        else:
            for target in _operation_targets(operation):
                dropped.pop(_normalise(target), None)
    return list(dropped)


def _operation_targets(operation) -> Iterator:
    name = operation.name
    if name in ("InsertData", "DeleteData", "DeleteWhere"):
        yield from _template_targets(operation, DEFAULT)
    elif name == "Modify":
        implicit = _field(operation, "withClause") or DEFAULT
        for clause in (_field(operation, "delete"), _field(operation, "insert")):
            if clause is not None:
                yield from _template_targets(clause, implicit)
    elif name == "Load":
        yield _field(operation, "graphiri") or DEFAULT
    elif name in ("Clear", "Drop", "Create"):
        yield operation.graphiri
    elif name in ("Add", "Copy"):
        yield operation.graph[1]
    elif name == "Move":
        yield from operation.graph  # MOVE empties its source too
    else:
        raise QueryError(f"unknown SPARQL update operation {name}")


def _template_targets(template, implicit) -> Iterator:
    yield from (_field(template, "quads") or {}).keys()
    if _field(template, "triples"):
        yield implicit


def _field(value, key: str):
    # Not CompValue.get(key): it returns the key itself when the field is missing.
    return value[key] if key in value else None


def _normalise(target):
    if isinstance(target, URIRef):
        return str(target)
    return target


def refusal(target, is_managed: Callable[[str], bool]) -> str | None:
    """Return why an update may not write into `target` (an item of `update_targets`), or None if it may."""
    if isinstance(target, Variable):
        return f"GRAPH ?{target} in an update template could reach the versioned graphs: name the graph"
    if target in ("ALL", "NAMED"):
        return f"CLEAR/DROP {target} would touch the versioned graphs: name the graph"
    if target == DEFAULT:
        return "the store's default graph is in no query's dataset: write into a named graph (GRAPH <…>)"
    if target == REGISTRY_GRAPH:
        return f"{target} is the registry of graph versions: it changes only through replace_graph and drop_graph"
    if target in UNION_GRAPHS:
        return f"{target} is the store's union of the current graphs: it changes only with the graphs it merges"
    if is_version_iri(target):
        return f"{target} is a version graph (…/v<n>): versions are written only by replace_graph"
    if is_managed(target):
        return f"{target} is a versioned data graph: replace it with replace_graph, remove it with drop_graph"
    return None


def check_update(sparql: str, is_managed: Callable[[str], bool]) -> None:
    """Raise QueryError if the update writes into a version graph, the registry, a data graph or no named graph."""
    for target in update_targets(sparql):
        reason = refusal(target, is_managed)
        if reason is not None:
            raise QueryError(f"update refused: {reason}")


def dataset_clauses(sparql: str) -> tuple[list[str], list[str]] | None:
    """Return a query's (FROM, FROM NAMED) graph IRIs, or None when it has no dataset clause."""
    if not mentions_from(sparql):
        return None
    try:
        clauses = _field(translate_query(sparql).algebra, "datasetClause") or []
    except Exception as error:  # as above: rdflib's parse errors have no common base class
        raise QueryError(f"cannot read the query's FROM clauses: {error}") from error
    if not clauses:
        return None
    default = [str(clause["default"]) for clause in clauses if "default" in clause]
    named = [str(clause["named"]) for clause in clauses if "named" in clause]
    return default, named


def reads_default_graph(sparql: str) -> bool:
    """Return whether a query matches any pattern against the default graph (outside every GRAPH clause).

    True when in doubt (a text rdflib cannot parse, a DESCRIBE): the store then treats it as reading it.
    """
    try:
        algebra = translate_query(sparql).algebra
    except Exception:  # as above
        return True
    if algebra.name == "DescribeQuery":
        return True
    return _reads_default(algebra)


def _reads_default(node) -> bool:
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(node, CompValue):
        if node.name == "Graph":
            return False  # GRAPH <g> { … } or GRAPH ?g { … } reads named graphs only
        if node.name == "BGP" and node.get("triples"):
            return True
        return any(_reads_default(value) for key, value in node.items() if key not in ("template", "_vars"))
    if isinstance(node, list | tuple):
        return any(_reads_default(item) for item in node)
    return False
