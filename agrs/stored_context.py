"""What the store already says about the nodes new data mentions: the context the SHACL gate validates against.

New records point at stored nodes (an observation at its commune, a partner at its territory); the shapes need
those nodes' descriptions (a commune must be a agrs:Territory) and one hop further (the département a commune
is within). `StoredContext.fetch` reads them once per load, by IRI, from the other current graphs, and keeps them
per node so that each batch of the gate gets only the descriptions around its own records: a batch of 5,000
observations then carries ~5,000 communes, not the 35,000 the load mentions in all (which pyshacl would
validate again in every batch).
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

from rdflib import Graph, URIRef
from rdflib.term import Node

from agrs.graphs import ONTOLOGY_GRAPH
from agrs.records import Record
from agrs.store.base import Store
from agrs.store.terms import triple_to_rdflib

DESCRIPTION_CHUNK = 500  # IRIs per VALUES block when fetching stored descriptions
HOPS = 2  # the mentioned nodes, then what their stored descriptions point to

Triple = tuple[Node, Node, Node]


class StoredContext:
    """The merged ontology, and the stored outgoing triples of the IRIs a load mentions (two hops)."""

    def __init__(self, ontology: Graph, descriptions: dict[Node, list[Triple]] | None = None):
        self.ontology = ontology
        self.descriptions: dict[Node, list[Triple]] = descriptions or {}

    @classmethod
    def fetch(cls, store: Store, graph: str, mentioned: Iterable[Node], ontology: Graph) -> "StoredContext":
        """Read the descriptions of `mentioned` IRIs from every current graph but `graph` and the ontology's.

        `graph` is the graph being replaced: what it says now is what the load is about to replace.
        """
        descriptions: dict[Node, list[Triple]] = defaultdict(list)
        others = [info.graph for info in store.graphs() if info.graph not in (graph, ONTOLOGY_GRAPH)]
        if not others:
            return cls(ontology, {})
        wanted = {node for node in mentioned if isinstance(node, URIRef) and (node, None, None) not in ontology}
        seen = set(wanted)
        for _ in range(HOPS):
            found = set()
            for triple in _descriptions(store, sorted(wanted), others):
                descriptions[triple[0]].append(triple)
                object_ = triple[2]
                if isinstance(object_, URIRef) and object_ not in seen and (object_, None, None) not in ontology:
                    found.add(object_)
            seen |= found
            wanted = found
            if not wanted:
                break
        return cls(ontology, dict(descriptions))

    def describes(self, node: Node) -> bool:
        """Return whether the ontology or a stored graph describes `node` (results about it are not the load's)."""
        return node in self.descriptions or (node, None, None) in self.ontology

    def around(self, nodes: Iterable[Node]) -> Iterator[Triple]:
        """Yield the stored descriptions of `nodes` and of the IRIs those descriptions point to (two hops)."""
        done: set[Node] = set()
        frontier = set(nodes)
        for _ in range(HOPS):
            following = set()
            for node in frontier - done:
                done.add(node)
                for triple in self.descriptions.get(node, ()):
                    yield triple
                    following.add(triple[2])
            frontier = following

    def graph(self) -> Graph:
        """Return the ontology plus every stored description, as one graph (for small contents)."""
        whole = Graph()
        whole += self.ontology
        for triples in self.descriptions.values():
            for triple in triples:
                whole.add(triple)
        return whole


def context_for(store: Store, graph: str, records: Sequence[Record], ontology: Graph) -> StoredContext:
    """Return the ontology plus what the other graphs say about the IRIs the valid records mention (two hops).

    That is the stored descriptions of the nodes the records point to, and of the nodes they add statements to
    (a pilot territory's type, stated about a commune the territories graph describes).
    """
    mentioned = {node for record in records if not record.rejected for s, _, o in record.triples for node in (s, o)}
    return StoredContext.fetch(store, graph, mentioned, ontology)


def _descriptions(store: Store, iris: Sequence[URIRef], graphs: list[str]) -> Iterator[Triple]:
    """Yield the outgoing triples (rdflib terms) of `iris` in the given current graphs."""
    for start in range(0, len(iris), DESCRIPTION_CHUNK):
        values = " ".join(f"<{iri}>" for iri in iris[start : start + DESCRIPTION_CHUNK])
        query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?s {{ {values} }} ?s ?p ?o }}"
        for triple in store.query(query, graphs=graphs):
            yield triple_to_rdflib(triple)


__all__ = ["StoredContext", "context_for"]
