"""Blank nodes on a remote store: skolemised on upload, turned back into blank nodes in every result.

A graph goes to the server in chunks (one request each), and a blank node label means nothing across two
requests: each request would get its own node. So blank nodes are replaced by IRIs (RDF 1.1 §3.5, skolem IRIs
under `/.well-known/genid/`) before upload — `…/genid/<digest of the version graph>/<label>`, so that two
versions never share a node by accident — and every answer the RemoteStore returns turns those IRIs back into
blank nodes with their original label (what the embedded store returns for the same data).
"""

import hashlib
import json
import urllib.parse

import pyoxigraph as ox

PREFIX = "https://w3id.org/agrs/.well-known/genid/"
_PREFIX_BYTES = PREFIX.encode()


def digest(graph: str) -> str:
    """Return the short digest naming `graph` in its skolem IRIs."""
    return hashlib.sha256(graph.encode()).hexdigest()[:16]


def skolem_iri(scope: str, label: str) -> str:
    """Return the skolem IRI of blank node `label` in the graph whose digest is `scope`."""
    return f"{PREFIX}{scope}/{urllib.parse.quote(label, safe='')}"


def skolemise(term, scope: str):
    """Return `term`, a blank node replaced by its skolem IRI (quoted triples walked)."""
    if isinstance(term, ox.BlankNode):
        return ox.NamedNode(skolem_iri(scope, term.value))
    if isinstance(term, ox.Triple):
        return ox.Triple(skolemise(term.subject, scope), term.predicate, skolemise(term.object, scope))
    return term


def is_skolem(iri: str) -> bool:
    """Return whether `iri` is one of the store's skolem IRIs."""
    return iri.startswith(PREFIX)


def blank_node(iri: str) -> ox.BlankNode:
    """Return the blank node a skolem IRI stands for (its original label)."""
    label = urllib.parse.unquote(iri[len(PREFIX) :].partition("/")[2])
    try:
        return ox.BlankNode(label)
    except ValueError:  # a label pyoxigraph refuses: a fresh node, still a blank node
        return ox.BlankNode()


def unskolemise(term):
    """Return `term`, a skolem IRI turned back into its blank node (quoted triples walked)."""
    if isinstance(term, ox.NamedNode) and term.value.startswith(PREFIX):
        return blank_node(term.value)
    if isinstance(term, ox.Triple):
        return ox.Triple(unskolemise(term.subject), term.predicate, unskolemise(term.object))
    return term


def unskolemise_triple(triple: ox.Triple) -> ox.Triple:
    """Return a triple with its skolem IRIs turned back into blank nodes."""
    return ox.Triple(unskolemise(triple.subject), triple.predicate, unskolemise(triple.object))


def unskolemise_json_results(body: bytes) -> bytes:
    """Rewrite a SPARQL JSON results document so that skolem IRIs are blank nodes (untouched if it has none)."""
    if _PREFIX_BYTES not in body:
        return body  # the common case: no parse, no copy
    document = json.loads(body)
    for binding in document.get("results", {}).get("bindings", []):
        for value in binding.values():
            _rewrite(value)
    return json.dumps(document).encode()


def _rewrite(value: dict) -> None:
    kind = value.get("type")
    if kind == "uri" and value.get("value", "").startswith(PREFIX):
        value["type"], value["value"] = "bnode", blank_node(value["value"]).value
    elif kind == "triple":
        for part in value.get("value", {}).values():
            if isinstance(part, dict):
                _rewrite(part)
