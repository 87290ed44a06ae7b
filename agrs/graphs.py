"""The named graphs of an AGRS store, in one place: their IRIs and how a source's graph is named.

- `…/graph/<kind>/<key>`: one graph per loaded source (`graph_iri`), and per derived job (`rollup/<key>`);
- `…/graph/ontology`: the merged ontology; `…/graph/inferred` (and graphs below it): the entailments;
- `…/graph/provenance` and `…/graph/registry`: the store's bookkeeping, written by SPARQL Update;
- `…/graph/default`: the default graph of writes over HTTP (SPARQL Update without GRAPH, Graph Store `?default`);
- `…/graph/union` and `…/graph/union-inferred`: the store's own materialised merge of the current graphs (the
  default graph of queries naming no dataset); never a named graph of a query, never written but by the store.
"""

import hashlib

from agrs.ns import GRAPH

#: every graph the project manages is named under this IRI
PROJECT_GRAPHS = str(GRAPH)
ONTOLOGY_GRAPH = str(GRAPH["ontology"])
PROVENANCE_GRAPH = str(GRAPH["provenance"])
REGISTRY_GRAPH = str(GRAPH["registry"])
#: a remote store's write lock (agrs.store.remote.lock): in no query's dataset
WRITE_LOCK_GRAPH = str(GRAPH["write-lock"])
INFERRED_GRAPH = str(GRAPH["inferred"])
#: what later inference rules read while the reasoner runs (below INFERRED_GRAPH: `infer=false` never sees it)
PENDING_INFERRED_GRAPH = INFERRED_GRAPH + "/pending"
#: no `/` after graph/: it cannot be a source's graph `<kind>/<key>`
DEFAULT_WRITE_GRAPH = str(GRAPH["default"])

#: the distinct triples of the current asserted graphs (every versioned graph but the inferred ones)
UNION_GRAPH = str(GRAPH["union"])
#: the triples of the current inferred graphs that UNION_GRAPH does not hold (so the two never share a triple)
UNION_INFERRED_GRAPH = str(GRAPH["union-inferred"])
#: the store's materialised unions: kept by the store at each replacement, hidden from queries' named graphs
UNION_GRAPHS = (UNION_GRAPH, UNION_INFERRED_GRAPH)

#: the graphs the store itself writes (by SPARQL Update), which are never replaced as a whole
SYSTEM_GRAPHS = (REGISTRY_GRAPH, PROVENANCE_GRAPH)

ONTOLOGY_KIND, ONTOLOGY_KEY = "ontology", "agrs"


def graph_iri(kind: str, key: str) -> str:
    """Return the graph of a source: `https://w3id.org/agrs/graph/<kind>/<key>`."""
    return str(GRAPH[f"{kind}/{key}"])


def key_of(kind: str, graph: str) -> str:
    """Return the key naming a source given by its graph IRI (a digest when the IRI is not AGRS's pattern)."""
    prefix = str(GRAPH[f"{kind}/"])
    if graph.startswith(prefix) and "/" not in graph[len(prefix) :]:
        return graph[len(prefix) :]
    return hashlib.sha256(graph.encode()).hexdigest()[:16]


def source_of(graph: str) -> tuple[str, str] | None:
    """Return the (kind, key) of a source's graph `…/graph/<kind>/<key>`, or None for another IRI."""
    rest = graph[len(PROJECT_GRAPHS) :] if graph.startswith(PROJECT_GRAPHS) else ""
    kind, _, key = rest.partition("/")
    if not kind or not key or "/" in key:
        return None
    return kind, key


def is_inferred(graph: str) -> bool:
    """Return whether a graph holds entailments (the inferred graph or one below it)."""
    return graph == INFERRED_GRAPH or graph.startswith(INFERRED_GRAPH + "/")
