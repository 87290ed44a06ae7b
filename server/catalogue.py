"""The named graphs a query can see, as the service description and the VoID description list them.

Two kinds (agrs/store/base.py): *versioned* data graphs, listed by the registry with their triple count (no scan),
whose content a query names by the version IRI (`<graph>/v<n>`); and *plain* graphs (provenance, registry, what
SPARQL Update wrote), named by their own IRI and counted here with one COUNT each (they are small).
"""

from dataclasses import dataclass

from agrs.store import registry

NAMED_GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }"


@dataclass(frozen=True)
class VisibleGraph:
    """One named graph of the union default graph: the IRI queries use, the logical graph, its size."""

    name: str  # what `GRAPH <…>` matches in a query: the version IRI of a versioned graph, else the graph's IRI
    graph: str  # the logical graph IRI (equal to `name` for a plain graph)
    triples: int
    versioned: bool


def visible_graphs(store) -> list[VisibleGraph]:
    """Return the current versioned graphs and the plain graphs of `store`, sorted by logical IRI."""
    found = [VisibleGraph(info.version, info.graph, info.triples, True) for info in store.graphs()]
    for row in store.query(NAMED_GRAPHS):
        name = row["g"].value
        if registry.is_version_iri(name) or not registry.ABSOLUTE_IRI.match(name):
            continue  # versions come from the registry (a non-current one is garbage waiting for collection)
        count = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}")
        found.append(VisibleGraph(name, name, int(next(iter(count))["n"].value), False))
    return sorted(found, key=lambda entry: entry.graph)
