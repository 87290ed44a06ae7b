"""Discovery: the SPARQL Service Description of /sparql (built here, served by the sparql blueprint) and VoID.

`/.well-known/void` answers the VoID + DCAT description of the store (agrs.void), and DUMP_PATH (`/dump.nq.gz`,
the dataset's `void:dataDump`) a dump of it, as `agrs export` writes it (agrs.export: the current graphs under their
logical names, the provenance, the VoID description), gzipped N-Quads streamed from a read-only view of the store.
The service description says what a query sees when it names no dataset: the union of every current graph,
the inferred graphs (under https://w3id.org/agrs/graph/inferred) included unless the request says `infer=false`.
"""

from urllib.parse import urljoin

from flask import Blueprint, Response, current_app, request
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS

from agrs.graphs import INFERRED_GRAPH
from agrs.ns import AGRS, ENTAILMENT, FORMATS, SD, VOID, bind_all
from agrs.server.pages.rdf_out import JSON_LD, N_TRIPLES, RDF_XML, TURTLE, choose, not_acceptable, serialise
from agrs.void import DUMP_PATH

VOID_PATH = "/.well-known/void"

blueprint = Blueprint("discovery", __name__)

#: every result format /sparql answers with (W3C format IRIs)
RESULT_FORMATS = (
    "SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
    "Turtle", "N-Triples", "RDF_XML", "JSON-LD", "N-Quads", "TriG",
)  # fmt: skip

DEFAULT_GRAPH_COMMENTS = (
    (
        "The default graph of a query that names no dataset (no FROM, no default-graph-uri) is the union of all "
        f"current graphs, including the inferred graphs (under {INFERRED_GRAPH}), unless the request has the "
        "parameter infer=false. It is their RDF merge, a set: a triple several graphs hold counts once. "
        "Data graphs are versioned: GRAPH <…> names a graph's current version, "
        "<graph>/v<n>, listed below with agrs:versionOf.",
        "en",
    ),
    (
        "Le graphe par défaut d'une requête qui ne nomme aucun jeu de données (ni FROM, ni default-graph-uri) est "
        "l'union de tous les graphes courants, y compris les graphes inférés (sous "
        f"{INFERRED_GRAPH}), sauf si la requête porte le paramètre infer=false. C'est leur fusion RDF, un "
        "ensemble : un triplet présent dans plusieurs graphes compte une fois. Les graphes de données sont "
        "versionnés : GRAPH <…> nomme la version courante d'un graphe, <graphe>/v<n>, listée ci-dessous avec "
        "agrs:versionOf.",
        "fr",
    ),
)


def service_description_graph(endpoint_url: str, store=None) -> Graph:
    """Return the SPARQL 1.1 Service Description of the endpoint at `endpoint_url` (an absolute URL).

    The default dataset lists the store's current named graphs; `store` defaults to the running app's.
    """
    if store is None:
        from agrs.server import access

        store = access.reader()
    graph = Graph()
    bind_all(graph)
    graph.bind("sd", SD)
    graph.bind("formats", FORMATS)
    service, endpoint = BNode(), URIRef(endpoint_url)
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, endpoint))
    for language in (SD.SPARQL11Query, SD.SPARQL11Update):
        graph.add((service, SD.supportedLanguage, language))
    for name in RESULT_FORMATS:
        graph.add((service, SD.resultFormat, FORMATS[name]))
    graph.add((service, SD.feature, SD.UnionDefaultGraph))
    # No entailment: inferred triples are materialised in their own graphs, not computed at query time.
    graph.add((service, SD.defaultEntailmentRegime, ENTAILMENT.Simple))
    void_url = URIRef(urljoin(endpoint_url, VOID_PATH))
    graph.add((service, RDFS.seeAlso, void_url))
    dataset = BNode()
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    graph.add((dataset, RDFS.seeAlso, void_url))
    default = BNode()
    graph.add((dataset, SD.defaultGraph, default))
    graph.add((default, RDF.type, SD.Graph))
    for text, language in DEFAULT_GRAPH_COMMENTS:
        graph.add((service, RDFS.comment, Literal(text, lang=language)))
        graph.add((default, RDFS.comment, Literal(text, lang=language)))
    for entry in store.visible_graphs():
        named, content = BNode(), BNode()
        graph.add((dataset, SD.namedGraph, named))
        graph.add((named, RDF.type, SD.NamedGraph))
        graph.add((named, SD.name, URIRef(entry.name)))
        if entry.versioned:
            graph.add((URIRef(entry.name), AGRS.versionOf, URIRef(entry.graph)))
        graph.add((named, SD.graph, content))
        graph.add((content, RDF.type, SD.Graph))
        graph.add((content, VOID.triples, Literal(entry.triples)))
    return graph


VOID_TYPES = (TURTLE, JSON_LD, RDF_XML, N_TRIPLES)
DESCRIBED_KEY = "agrs.void_described"


@blueprint.get(DUMP_PATH)
def dump():
    """The dump of the store (gzipped N-Quads, the dataset's void:dataDump), streamed: constant memory."""
    from agrs.export import dump_chunks
    from agrs.server import access

    # The reader is taken once: the whole dump comes from one view of the store, even if a write happens meanwhile;
    # it holds only what the caller may read (agrs.server.access).
    reader, base = access.reader(), request.url_root.rstrip("/")
    response = Response(dump_chunks(reader, base_url=base), content_type="application/gzip")
    response.headers["Content-Disposition"] = 'attachment; filename="agrs-dump.nq.gz"'
    response.headers["Link"] = f'<{base}{VOID_PATH}>; rel="describedby"'
    return response


@blueprint.get(VOID_PATH)
def void_description():
    """The VoID + DCAT description of the store's graphs, Turtle unless `Accept` prefers another RDF syntax."""
    from agrs.server.discovery.void import void_graph
    from agrs.server.runtime import runtime

    media_type = choose(VOID_TYPES)
    if media_type is None:
        return not_acceptable(VOID_TYPES)
    # Statistics are counted once per version graph (its content never changes), kept with the app; the whole
    # description is kept per store version (a write makes a new one), so only the first request after a write
    # pays for the provenance and the counts of the new versions.
    cache = runtime().void_statistics
    from agrs.server import access

    # one description per caller scope: a public reader's lists no restricted graph (agrs.server.access)
    described = current_app.extensions.setdefault(DESCRIBED_KEY, {}).setdefault(access.scope(), {})
    base, version = request.url_root.rstrip("/"), runtime().version
    if described.get("version") != version:
        described.clear()  # the previous versions' descriptions are stale
        described["version"] = version
    body = described.get((base, media_type))
    if body is None:
        graph = described.get(base)
        if graph is None:
            graph = described[base] = void_graph(access.reader(), base, cache)
        body = described[(base, media_type)] = serialise(graph, media_type)
    response = Response(body, content_type=f"{media_type}; charset=utf-8")
    response.vary.add("Accept")
    return response
