"""What the store already says about the nodes new data mentions: the context the SHACL gate validates against.

New records point at stored nodes (an observation at its commune, a partner at its territory); the shapes need
those nodes' descriptions (a commune must be a agrs:Territory) and one hop further (the département a commune
is within). `StoredContext.fetch` reads them once per load, set at a time (one query per DESCRIPTION_CHUNK IRIs
and hop, over the other current graphs), and keeps them per node as pyoxigraph terms, the store's own: the fast
gate puts them into its in-memory store as they are, and only the pySHACL fallback converts them to rdflib. Each
batch of the gate gets the descriptions around its own records.
"""

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.term import Node

from agrs.graphs import ONTOLOGY_GRAPH, SYSTEM_GRAPHS
from agrs.records import Record
from agrs.store.base import Store
from agrs.store.terms import to_oxigraph, triple_to_rdflib

DESCRIPTION_CHUNK = 5000  # IRIs per VALUES block when fetching stored descriptions
HOPS = 2  # the mentioned nodes, then what their stored descriptions point to

Triple = tuple[Node, Node, Node]
OxTriple = tuple  # (s, p, o) of pyoxigraph terms


class StoredContext:
    """The merged ontology, and the stored outgoing triples of the IRIs a load mentions (two hops).

    `descriptions` maps an IRI (a string) to its stored outgoing triples, in pyoxigraph terms.
    """

    def __init__(self, ontology: Graph, descriptions: dict[str, list[OxTriple]] | None = None):
        self.ontology = ontology
        self.descriptions: dict[str, list[OxTriple]] = descriptions or {}
        self._ontology_subjects: set[Node] | None = None
        self._ontology_quads: list[ox.Quad] | None = None
        self._described: set[Node] | None = None

    @classmethod
    def fetch(cls, store: Store, graph: str, mentioned: Iterable[Node], ontology: Graph) -> "StoredContext":
        """Read the descriptions of `mentioned` IRIs from every current graph but `graph` and the ontology's.

        `graph` is the graph being replaced: what it says now is what the load is about to replace.
        """
        current = [info.graph for info in store.graphs()]
        others = [name for name in current if name not in (graph, ONTOLOGY_GRAPH)]
        context = cls(ontology)
        if not others:
            return context
        # A first load of `graph`: the union of the current graphs says the same (the ontology graph describes
        # only what `ontology` describes, which is not asked for), read once per IRI instead of once per graph.
        # Not when updates wrote plain graphs: the union includes them, the context never did (the system graphs
        # describe graphs, versions, loads and files, which records do not point to).
        plain = set(store.plain_graphs()) - set(SYSTEM_GRAPHS)
        source = None if graph not in current and not plain else others
        in_ontology = context.ontology_subjects()
        wanted = {str(node) for node in mentioned if isinstance(node, URIRef) and node not in in_ontology}
        in_ontology_iris = {str(node) for node in in_ontology if isinstance(node, URIRef)}
        seen = set(wanted)
        descriptions: dict[str, list[OxTriple]] = defaultdict(list)
        for _ in range(HOPS):
            found = set()
            for triple in _descriptions(store, sorted(wanted), source):
                descriptions[triple[0].value].append(triple)
                object_ = triple[2]
                if isinstance(object_, ox.NamedNode):
                    iri = object_.value
                    if iri not in seen and iri not in in_ontology_iris:
                        found.add(iri)
            seen |= found
            wanted = found
            if not wanted:
                break
        context.descriptions = dict(descriptions)
        context._described = None
        return context

    def ontology_subjects(self) -> set[Node]:
        """Return the nodes the ontology describes (computed once)."""
        if self._ontology_subjects is None:
            self._ontology_subjects = set(self.ontology.subjects(unique=True))
        return self._ontology_subjects

    def ontology_quads(self) -> list[ox.Quad]:
        """Return the ontology's triples as pyoxigraph quads of the default graph (converted once)."""
        if self._ontology_quads is None:
            self._ontology_quads = [ox.Quad(*to_oxigraph(triple)) for triple in self.ontology]
        return self._ontology_quads

    def described_nodes(self) -> set[Node]:
        """Return every node the ontology or a stored description describes (rdflib terms; computed once)."""
        if self._described is None:
            self._described = self.ontology_subjects() | {URIRef(iri) for iri in self.descriptions}
        return self._described

    def describes(self, node: Node) -> bool:
        """Return whether the ontology or a stored graph describes `node` (results about it are not the load's)."""
        return (isinstance(node, URIRef) and str(node) in self.descriptions) or node in self.ontology_subjects()

    def around(self, nodes: Iterable[Node]) -> Iterator[OxTriple]:
        """Yield the stored descriptions (pyoxigraph terms) of the IRIs `nodes` and of the IRIs they point to."""
        done: set[str] = set()
        frontier = {str(node) for node in nodes if isinstance(node, URIRef)}
        for _ in range(HOPS):
            following = set()
            for iri in frontier - done:
                done.add(iri)
                for triple in self.descriptions.get(iri, ()):
                    yield triple
                    if isinstance(triple[2], ox.NamedNode):
                        following.add(triple[2].value)
            frontier = following

    def around_rdflib(self, nodes: Iterable[Node]) -> Iterator[Triple]:
        """Yield `around(nodes)` in rdflib terms (for the pySHACL fallback)."""
        return (triple_to_rdflib(triple) for triple in self.around(nodes))

    def graph(self) -> Graph:
        """Return the ontology plus every stored description, as one rdflib graph (for small contents)."""
        whole = Graph()
        whole += self.ontology
        for triples in self.descriptions.values():
            for triple in triples:
                whole.add(triple_to_rdflib(triple))
        return whole


def context_for(store: Store, graph: str, records: Sequence[Record], ontology: Graph) -> StoredContext:
    """Return the ontology plus what the other graphs say about the IRIs the valid records mention (two hops).

    That is the stored descriptions of the nodes the records point to, and of the nodes they add statements to
    (a pilot territory's type, stated about a commune the territories graph describes).
    """
    mentioned = {node for record in records if not record.rejected for s, _, o in record.triples for node in (s, o)}
    return StoredContext.fetch(store, graph, mentioned, ontology)


#: an IRI that can stand between < and > in a query (SPARQL's IRIREF), absolute
_SPLICEABLE = re.compile(r'[A-Za-z][A-Za-z0-9+.-]*:[^\x00-\x20<>"{}|^`\\]*')


def _descriptions(store: Store, iris: Sequence[str], graphs: list[str] | None) -> Iterator[OxTriple]:
    """Yield the outgoing triples (pyoxigraph terms) of `iris` in the given current graphs (None: all of them)."""
    # An IRI holding what IRIREF forbids (a URL cell with `>` or a quote) cannot be stored, so it has no description;
    # spliced into the query it would break it (« invalid SPARQL query: error at 1:72 ») and stop the whole load.
    iris = [iri for iri in iris if _SPLICEABLE.fullmatch(iri)]
    for start in range(0, len(iris), DESCRIPTION_CHUNK):
        values = " ".join(f"<{iri}>" for iri in iris[start : start + DESCRIPTION_CHUNK])
        query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?s {{ {values} }} ?s ?p ?o }}"
        for triple in store.query(query, graphs=graphs):
            yield (triple.subject, triple.predicate, triple.object)


__all__ = ["StoredContext", "context_for"]
