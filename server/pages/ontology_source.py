"""Where the served ontology comes from: the store's ontology graph, or the package's files when no load ran yet.

Once a load ran, the merged ontology is the current version of https://w3id.org/agrs/graph/ontology
(`agrs.ontology_graph.ensure_ontology`), and term pages read the store's union default graph, so that they
also show the data pointing at a term. Before that, the files (`agrs.resources.load_ontology`) are parsed once per
app into an in-memory Oxigraph store kept in `app.extensions` (never in a module global).
"""

from dataclasses import dataclass

import pyoxigraph as ox
from flask import current_app
from rdflib import Graph

from agrs.graphs import ONTOLOGY_GRAPH
from agrs.server.runtime import runtime
from agrs.store.terms import to_oxigraph, triple_to_rdflib

EXTENSION_KEY = "agrs.ontology_files"


@dataclass(frozen=True)
class OntologySource:
    """The ontology as a graph, a SPARQL `query` callable over it, and where it came from ("store" or "files")."""

    graph: Graph
    query: object
    origin: str


def ontology_source() -> OntologySource:
    """Return the ontology the running app serves: the store's ontology graph when it has one, else the files."""
    store = runtime().reader
    if store.current_version(ONTOLOGY_GRAPH) is not None:
        graph = Graph()
        for triple in store.triples(ONTOLOGY_GRAPH):
            graph.add(triple_to_rdflib(triple))
        return OntologySource(graph, store.query, "store")
    return _from_files()


def ontology_query():
    """Return a SPARQL `query` callable over the served ontology, without copying the ontology out of the store."""
    store = runtime().reader
    if store.current_version(ONTOLOGY_GRAPH) is not None:
        return store.query
    return _from_files().query


def _from_files() -> OntologySource:
    cached = current_app.extensions.get(EXTENSION_KEY)
    if cached is None:
        from agrs.resources import load_ontology

        graph, _ = load_ontology()
        memory = ox.Store()
        memory.extend(ox.Quad(*to_oxigraph(triple)) for triple in graph)
        cached = OntologySource(graph, memory.query, "files")
        # Two first requests racing may both parse the files; the second result simply replaces the first.
        current_app.extensions[EXTENSION_KEY] = cached
    return cached
