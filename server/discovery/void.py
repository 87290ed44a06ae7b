"""The VoID and DCAT description of the store, served at /.well-known/void.

One node is both the `void:Dataset` and the `dcat:Catalog` of the whole store (`<base>/.well-known/void#dataset`);
each current named graph is a `void:subset` and a `dcat:Dataset` of it, named by its logical graph IRI, with its
triple count (from the registry, as `store.graphs()` reports it), distinct subjects, classes and properties (a
SPARQL COUNT on its current version, cached per version: a version's content never changes), and its provenance:
the PROV-O activity of the load that generated its current version, with that activity's triples and the files
it read, copied from the provenance graph.
"""

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, XSD

from agrs.graphs import PROVENANCE_GRAPH
from agrs.ns import AGRS, ID, PROV, VOID, bind_all
from agrs.store.base import VisibleGraph
from agrs.store.registry import ABSOLUTE_IRI
from agrs.store.terms import triple_to_rdflib

LICENCE = URIRef("https://creativecommons.org/licenses/by/4.0/")
TITLES = (("Observatoire AGRS : graphes du magasin", "fr"), ("AGRS observatory: the store's graphs", "en"))
DESCRIPTIONS = (
    ("Les graphes nommés du magasin AGRS, avec leurs statistiques et la provenance de leur dernier chargement.", "fr"),
    ("The named graphs of the AGRS store, with their statistics and the provenance of their latest load.", "en"),
)

STATISTICS = """SELECT (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?p) AS ?properties)
  (COUNT(DISTINCT ?o) AS ?objects) WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}"""
CLASSES = "SELECT (COUNT(DISTINCT ?c) AS ?classes) WHERE {{ GRAPH <{name}> {{ ?s a ?c }} }}"
ACTIVITY = f"""CONSTRUCT {{ ?load ?p ?o . ?file ?fp ?fo . ?version ?vp ?vo }} WHERE {{ GRAPH <{PROVENANCE_GRAPH}> {{
  ?load <{PROV.generated}> <{{version}}> .
  {{ ?load ?p ?o }} UNION {{ ?load <{PROV.used}> ?file . ?file ?fp ?fo }}
  UNION {{ BIND(<{{version}}> AS ?version) ?version ?vp ?vo }} }} }}"""


def void_graph(store, base_url: str, statistics_cache: dict | None = None) -> Graph:
    """Return the VoID + DCAT description of `store` as served at `base_url` (the server's root, no trailing /).

    `statistics_cache` maps version IRIs to their statistics; pass the same dict across calls to count each
    version once.
    """
    cache = {} if statistics_cache is None else statistics_cache
    graph = Graph()
    bind_all(graph)
    graph.bind("dcat", DCAT)
    dataset = URIRef(f"{base_url}/.well-known/void#dataset")
    graph.add((dataset, RDF.type, VOID.Dataset))
    graph.add((dataset, RDF.type, DCAT.Catalog))
    for text, language in TITLES:
        graph.add((dataset, DCTERMS.title, Literal(text, lang=language)))
    for text, language in DESCRIPTIONS:
        graph.add((dataset, DCTERMS.description, Literal(text, lang=language)))
    graph.add((dataset, DCTERMS.license, LICENCE))
    endpoint = URIRef(f"{base_url}/sparql")
    graph.add((dataset, VOID.sparqlEndpoint, endpoint))
    graph.add((dataset, VOID.uriSpace, Literal(str(ID))))
    graph.add((dataset, VOID.vocabulary, URIRef(str(AGRS))))
    graph.add((dataset, VOID.rootResource, URIRef(str(AGRS) + "ontology")))
    service = URIRef(f"{base_url}/sparql#service")
    graph.add((service, RDF.type, DCAT.DataService))
    graph.add((service, DCAT.endpointURL, endpoint))
    graph.add((service, DCTERMS.conformsTo, URIRef("https://www.w3.org/TR/sparql11-protocol/")))
    graph.add((dataset, DCAT.service, service))
    total = 0
    for entry in store.visible_graphs():
        _add_subset(graph, store, dataset, service, entry, cache)
        total += entry.triples
    # Each graph's count is exact; their sum may count twice a triple stated in two graphs.
    graph.add((dataset, VOID.triples, Literal(total, datatype=XSD.integer)))
    return graph


def _add_subset(graph: Graph, store, dataset: URIRef, service: URIRef, entry: VisibleGraph, cache: dict) -> None:
    subset = URIRef(entry.graph)
    graph.add((dataset, VOID.subset, subset))
    graph.add((dataset, DCAT.dataset, subset))
    graph.add((subset, RDF.type, VOID.Dataset))
    graph.add((subset, RDF.type, DCAT.Dataset))
    graph.add((subset, DCTERMS.license, LICENCE))
    graph.add((service, DCAT.servesDataset, subset))
    graph.add((subset, VOID.sparqlEndpoint, graph.value(service, DCAT.endpointURL)))
    graph.add((subset, VOID.triples, Literal(entry.triples, datatype=XSD.integer)))
    if not ABSOLUTE_IRI.match(entry.name):
        return  # never spliced into SPARQL; the registry only holds absolute IRIs, so this is a safeguard
    counts = cache.get(entry.name) if entry.versioned else None
    if counts is None:
        counts = _statistics(store, entry.name)
        if entry.versioned:
            cache[entry.name] = counts
    for prop, value in zip(
        (VOID.distinctSubjects, VOID.properties, VOID.distinctObjects, VOID.classes), counts, strict=True
    ):
        graph.add((subset, prop, Literal(value, datatype=XSD.integer)))
    if entry.versioned:
        version = URIRef(entry.name)
        graph.add((subset, DCTERMS.hasVersion, version))
        graph.add((subset, AGRS.currentVersion, version))
        _add_provenance(graph, store, subset, version)


def _statistics(store, name: str) -> tuple[int, int, int, int]:
    row = next(iter(store.query(STATISTICS.format(name=name))))
    classes = next(iter(store.query(CLASSES.format(name=name))))["classes"]
    return int(row["subjects"].value), int(row["properties"].value), int(row["objects"].value), int(classes.value)


def _add_provenance(graph: Graph, store, subset: URIRef, version: URIRef) -> None:
    """Copy the activity that generated `version` (and the files it read) and link the dataset to it."""
    for triple in store.query(ACTIVITY.replace("{version}", str(version))):
        graph.add(triple_to_rdflib((triple.subject, triple.predicate, triple.object)))
    for activity in graph.subjects(PROV.generated, version):
        graph.add((subset, PROV.wasGeneratedBy, activity))
        ended = graph.value(activity, PROV.endedAtTime)
        if ended is not None:
            graph.add((subset, DCTERMS.modified, ended))
