"""The description of one resource, as the linked-data pages give it: a Concise-Bounded-Description-like graph.

What it holds: the resource's outgoing triples (and those of the blank nodes they lead to, two levels deep), the
labels of the IRIs it points to, and its incoming triples — up to INCOMING_CAP of them, with their total count,
so that a page or document can say how many were left out (a concept such as `level/commune` has tens of
thousands). Everything is read with SPARQL through a `query(sparql)` callable that returns pyoxigraph results:
the store's union default graph (current versions only) or an in-memory store of the ontology files.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from rdflib import Graph, URIRef

from agrs.store.terms import to_rdflib

INCOMING_CAP = 500  # incoming triples fetched per resource (RDF documents); the total is always counted
INCOMING_PAGE = 100  # incoming links an HTML page lists; `?page=N` gives the next ones (hubs link thousands)

#: characters an IRI written between < and > in SPARQL may not hold (plus controls and space)
IRI_PATTERN = re.compile(r'^[a-zA-Z][a-zA-Z0-9+.-]*:[^\x00-\x20<>"{}|^`\\]*$')

Query = Callable[[str], object]

# $iri is replaced by a checked <IRI>; SPARQL's own braces stay as they are. The incoming triples kept are the first
# ones in the store's index order, not sorted: ORDER BY … LIMIT takes Oxigraph 5 s over 50,000 links, this 3 ms.
BLANK_NODES = """CONSTRUCT { ?b ?p ?o . ?c ?q ?x } WHERE {
  $iri ?r ?b FILTER(isBlank(?b)) ?b ?p ?o OPTIONAL { ?b ?s ?c FILTER(isBlank(?c)) ?c ?q ?x } }"""
# The label properties as a UNION, not `VALUES ?l {…} ?x ?l ?label`: Oxigraph answers the VALUES join over the
# full COG store in ~150 ms, the UNION in ~2 ms.
LABEL_PATTERN = """{ ?$node <http://www.w3.org/2000/01/rdf-schema#label> ?label
  BIND(<http://www.w3.org/2000/01/rdf-schema#label> AS ?l) }
  UNION { ?$node <http://www.w3.org/2004/02/skos/core#prefLabel> ?label
  BIND(<http://www.w3.org/2004/02/skos/core#prefLabel> AS ?l) }"""
OBJECT_LABELS = f"""CONSTRUCT {{ ?o ?l ?label }} WHERE {{
  $iri ?p ?o FILTER(isIRI(?o)) {LABEL_PATTERN.replace("$node", "o")} }}"""
# Counted up to COUNT_CAP + 1: France has 117,000 incoming triples, whose exact count took 0.75 s (this: 50 ms).
INCOMING_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p WHERE { ?s ?p $iri } LIMIT $limit }"
COUNT_CAP = 10_000
INCOMING = """CONSTRUCT { ?s ?p $iri } WHERE {
  { SELECT DISTINCT ?s ?p WHERE { ?s ?p $iri } OFFSET $offset LIMIT $cap } }"""


class BadIri(ValueError):
    """The requested path does not make an IRI that can be looked up (a character IRIs may not hold)."""


@dataclass
class Description:
    """What the store says about `iri`: `graph` (outgoing, labels of objects, incoming up to the cap)."""

    iri: URIRef
    graph: Graph
    outgoing: int  # triples with `iri` as subject
    incoming_total: int  # triples with `iri` as object, all of them (COUNT_CAP + 1 when more than COUNT_CAP)
    incoming_shown: int  # how many of those are in `graph`
    incoming_offset: int = 0  # how many were skipped before them (a later page of a hub's links)

    @property
    def found(self) -> bool:
        """Whether the store holds any triple about the resource."""
        return self.outgoing > 0 or self.incoming_total > 0

    @property
    def incoming_total_text(self) -> str:
        """The incoming total as a page says it: the number, or "more than 10,000" past COUNT_CAP."""
        return f"> {COUNT_CAP:,}" if self.incoming_total > COUNT_CAP else str(self.incoming_total)

    @property
    def incoming_truncated(self) -> bool:
        """Whether some incoming triples were left out of `graph` (the total is in `incoming_total`)."""
        return self.incoming_shown < self.incoming_total


def checked_iri(iri: str) -> URIRef:
    """Return `iri` as a URIRef, or raise BadIri when it holds a character that cannot appear in an IRI."""
    if not IRI_PATTERN.match(iri):
        raise BadIri(f'not a valid IRI (it holds a space or one of <>"{{}}|^`\\): {iri!r}')
    return URIRef(iri)


def describe(query: Query, iri: str, incoming_cap: int = INCOMING_CAP, incoming_offset: int = 0) -> Description:
    """Describe `iri` with the `query` callable; raise BadIri for an IRI that cannot be put in SPARQL.

    The incoming triples are those from `incoming_offset` on, `incoming_cap` of them (the store's index order,
    stable for one state of the store: the pages of a hub's links)."""
    node = checked_iri(iri)
    term = f"<{node}>"  # safe: checked_iri refused every character that could end the IRI
    graph = Graph()
    outgoing = _add(graph, query(f"CONSTRUCT {{ {term} ?p ?o }} WHERE {{ {term} ?p ?o }}"))
    # Blank nodes have no name outside one query: their triples come from the same pattern as their link.
    _add(graph, query(BLANK_NODES.replace("$iri", term)))
    _add(graph, query(OBJECT_LABELS.replace("$iri", term)))
    count = INCOMING_COUNT.replace("$iri", term).replace("$limit", str(COUNT_CAP + 1))
    total = int(next(iter(query(count)))["n"].value)
    incoming = INCOMING.replace("$iri", term).replace("$cap", str(int(incoming_cap)))
    shown = _add(graph, query(incoming.replace("$offset", str(max(int(incoming_offset), 0)))))
    return Description(node, graph, outgoing, total, shown, max(int(incoming_offset), 0))


def labels_of(query: Query, iris: set[URIRef]) -> Graph:
    """Return the rdfs:label and skos:prefLabel triples of `iris` (for a page's property and subject names)."""
    graph = Graph()
    names = [iri for iri in iris if IRI_PATTERN.match(str(iri))]
    for start in range(0, len(names), 200):
        values = " ".join(f"<{iri}>" for iri in names[start : start + 200])
        pattern = LABEL_PATTERN.replace("$node", "x")
        sparql = f"CONSTRUCT {{ ?x ?l ?label }} WHERE {{ VALUES ?x {{ {values} }} {pattern} }}"
        _add(graph, query(sparql))
    return graph


def _add(graph: Graph, triples) -> int:
    """Add pyoxigraph triples to an rdflib graph; return how many were given."""
    count = 0
    for triple in triples:
        graph.add((to_rdflib(triple.subject), to_rdflib(triple.predicate), to_rdflib(triple.object)))
        count += 1
    return count
