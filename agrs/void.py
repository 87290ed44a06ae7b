"""The VoID and DCAT description of the store: served at /.well-known/void, and written into `agrs export`'s dumps.

One node is both the `void:Dataset` and the `dcat:Catalog` of the whole store (`<base>/.well-known/void#dataset`);
each current named graph is a `void:subset` and a `dcat:Dataset` of it, named by its logical graph IRI, with its
triple count (from the registry, as `store.graphs()` reports it), distinct subjects, classes and properties (a
SPARQL COUNT on its current version, cached per version: a version's content never changes), and its provenance:
the PROV-O activity of the load that generated its current version, with that activity's triples and the files
it read, copied from the provenance graph.

The description is made from the store alone (no request, no server: it is in the core, which imports no wing,
because `agrs export` writes it into its dumps). With a `base_url` (the server's root) the dataset is named
`<base>/.well-known/void#dataset`, with its SPARQL endpoint and its `void:dataDump` (DUMP_PATH, which
agrs.server.discovery.routes serves); without one (an export made offline) it is VOID_DATASET and names neither.

Links out: for each predicate of LINK_PREDICATES and each other dataset of LINK_TARGETS (one table, generic over
the target namespaces), a `void:Linkset` counts the asserted triples of the union of the current graphs whose object
is an IRI in the target's namespace (`void:triples`; a linkset with none is not described).
"""

import re
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, SKOS, XSD

from agrs.graphs import GRAPH, PROVENANCE_GRAPH
from agrs.ns import AGRS, ID, PROV, VOID, bind_all
from agrs.store.base import Dataset, VisibleGraph
from agrs.store.registry import ABSOLUTE_IRI
from agrs.store.terms import triple_to_rdflib

LICENCE = URIRef("https://creativecommons.org/licenses/by/4.0/")
TITLES = (("Observatoire AGRS : graphes du magasin", "fr"), ("AGRS observatory: the store's graphs", "en"))
DESCRIPTIONS = (
    ("Les graphes nommés du magasin AGRS, avec leurs statistiques et la provenance de leur dernier chargement.", "fr"),
    ("The named graphs of the AGRS store, with their statistics and the provenance of their latest load.", "en"),
)

#: the path of the dump of the whole store (N-Quads, gzip), the dataset's void:dataDump
DUMP_PATH = "/dump.nq.gz"
#: the dataset's IRI in a description made without a server (agrs export without --base-url)
VOID_DATASET = str(GRAPH["void"]) + "#dataset"
IANA = "https://www.iana.org/assignments/media-types/"  # DCAT names media types by their IANA page

#: the predicates of links out: an entity of this dataset is (closely) the same as one of another dataset, or a
#: project serves one of the UN's SDG goals or targets (the UN's own IRIs: AGRS mints none)
LINK_PREDICATES = (OWL.sameAs, SKOS.exactMatch, SKOS.closeMatch, AGRS.servesSDG)


@dataclass(frozen=True)
class LinkTarget:
    """Another dataset the data links to: a short key (in the linkset IRIs), its IRI namespace, title, home page."""

    key: str
    namespace: str
    title: str
    homepage: str


#: the datasets links out point to, recognised by the namespace of the link's object (add a row to add one)
LINK_TARGETS = (
    LinkTarget("un-sdg", "http://metadata.un.org/sdg/", "UN SDG metadata (goals, targets, indicators)",
               "https://unstats.un.org/sdgs/"),
    LinkTarget("wikidata", "http://www.wikidata.org/entity/", "Wikidata", "https://www.wikidata.org/"),
    LinkTarget("insee", "http://id.insee.fr/", "INSEE (Code officiel géographique)", "https://www.insee.fr/"),
    LinkTarget("ademe-wiki", "https://wiki.resilience-territoire.ademe.fr/wiki/",
               "Wiki résilience des territoires (ADEME)", "https://wiki.resilience-territoire.ademe.fr/"),
)  # fmt: skip

STATISTICS = """SELECT (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?p) AS ?properties)
  (COUNT(DISTINCT ?o) AS ?objects) WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}"""
CLASSES = "SELECT (COUNT(DISTINCT ?c) AS ?classes) WHERE {{ GRAPH <{name}> {{ ?s a ?c }} }}"
ACTIVITY = f"""CONSTRUCT {{ ?load ?p ?o . ?file ?fp ?fo . ?version ?vp ?vo }} WHERE {{ GRAPH <{PROVENANCE_GRAPH}> {{
  ?load <{PROV.generated}> <{{version}}> .
  {{ ?load ?p ?o }} UNION {{ ?load <{PROV.used}> ?file . ?file ?fp ?fo }}
  UNION {{ BIND(<{{version}}> AS ?version) ?version ?vp ?vo }} }} }}"""


def void_graph(store, base_url: str | None, statistics_cache: dict | None = None, graphs=None) -> Graph:
    """Return the VoID + DCAT description of `store` as served at `base_url` (the server's root, no trailing /).

    `base_url` None: the description of an offline export (no endpoint, no dump URL; the dataset is VOID_DATASET).
    `statistics_cache` maps version IRIs to their statistics; pass the same dict across calls to count each
    version once. `graphs`: the VisibleGraphs to describe as subsets (default: every graph a query sees).
    """
    cache = {} if statistics_cache is None else statistics_cache
    graph = Graph()
    bind_all(graph)
    graph.bind("dcat", DCAT)
    dataset = URIRef(VOID_DATASET if base_url is None else f"{base_url}/.well-known/void#dataset")
    graph.add((dataset, RDF.type, VOID.Dataset))
    graph.add((dataset, RDF.type, DCAT.Catalog))
    for text, language in TITLES:
        graph.add((dataset, DCTERMS.title, Literal(text, lang=language)))
    for text, language in DESCRIPTIONS:
        graph.add((dataset, DCTERMS.description, Literal(text, lang=language)))
    graph.add((dataset, DCTERMS.license, LICENCE))
    graph.add((dataset, VOID.uriSpace, Literal(str(ID))))
    graph.add((dataset, VOID.vocabulary, URIRef(str(AGRS))))
    graph.add((dataset, VOID.rootResource, URIRef(str(AGRS) + "ontology")))
    service = None
    if base_url is not None:
        endpoint = URIRef(f"{base_url}/sparql")
        graph.add((dataset, VOID.sparqlEndpoint, endpoint))
        service = URIRef(f"{base_url}/sparql#service")
        graph.add((service, RDF.type, DCAT.DataService))
        graph.add((service, DCAT.endpointURL, endpoint))
        graph.add((service, DCTERMS.conformsTo, URIRef("https://www.w3.org/TR/sparql11-protocol/")))
        graph.add((dataset, DCAT.service, service))
        dump = URIRef(base_url + DUMP_PATH)
        graph.add((dataset, VOID.dataDump, dump))
        distribution = URIRef(f"{base_url}{DUMP_PATH}#distribution")
        graph.add((dataset, DCAT.distribution, distribution))
        graph.add((distribution, RDF.type, DCAT.Distribution))
        graph.add((distribution, DCAT.downloadURL, dump))
        graph.add((distribution, DCAT.mediaType, URIRef(IANA + "application/n-quads")))
        graph.add((distribution, DCAT.compressFormat, URIRef(IANA + "application/gzip")))
    total = 0
    for entry in store.visible_graphs() if graphs is None else graphs:
        _add_subset(graph, store, dataset, service, entry, cache)
        total += entry.triples
    # Each graph's count is exact; their sum may count twice a triple stated in two graphs.
    graph.add((dataset, VOID.triples, Literal(total, datatype=XSD.integer)))
    add_linksets(graph, store, dataset)
    return graph


LINK_COUNTS = """SELECT ?key ?p (COUNT(*) AS ?n) WHERE {{
  VALUES ?p {{ {predicates} }}
  VALUES (?key ?ns) {{ {targets} }}
  ?s ?p ?o FILTER(isIRI(?o) && STRSTARTS(STR(?o), ?ns))
}} GROUP BY ?key ?p"""


def link_counts(store) -> dict[tuple[str, str], int]:
    """Count the links out: {(target key, predicate IRI): distinct triples} in the current asserted graphs."""
    predicates = " ".join(f"<{predicate}>" for predicate in LINK_PREDICATES)
    targets = " ".join(f'("{target.key}" "{target.namespace}")' for target in LINK_TARGETS)
    sparql = LINK_COUNTS.format(predicates=predicates, targets=targets)
    # Asserted links only (infer=false): an inferred inverse or transitive link would be counted as the data's own.
    rows = store.query(sparql, dataset=Dataset(infer=False))
    return {(row["key"].value, row["p"].value): int(row["n"].value) for row in rows}


def add_linksets(graph: Graph, store, dataset: URIRef) -> None:
    """Describe the links out of `store` as void:Linksets of `dataset`, one per target dataset and predicate."""
    base = str(dataset).partition("#")[0]
    targets = {target.key: target for target in LINK_TARGETS}
    for (key, predicate), count in sorted(link_counts(store).items()):
        target = targets[key]
        other = URIRef(f"{base}#{key}")
        graph.add((other, RDF.type, VOID.Dataset))
        graph.add((other, DCTERMS.title, Literal(target.title)))
        graph.add((other, VOID.uriSpace, Literal(target.namespace)))
        graph.add((other, FOAF.homepage, URIRef(target.homepage)))
        local = re.split(r"[#/]", predicate)[-1]
        linkset = URIRef(f"{base}#links-{key}-{local}")
        graph.add((dataset, VOID.subset, linkset))
        graph.add((linkset, RDF.type, VOID.Linkset))
        graph.add((linkset, VOID.subjectsTarget, dataset))
        graph.add((linkset, VOID.objectsTarget, other))
        graph.add((linkset, VOID.linkPredicate, URIRef(predicate)))
        graph.add((linkset, VOID.triples, Literal(count, datatype=XSD.integer)))


def _add_subset(graph: Graph, store, dataset: URIRef, service, entry: VisibleGraph, cache: dict) -> None:
    subset = URIRef(entry.graph)
    graph.add((dataset, VOID.subset, subset))
    graph.add((dataset, DCAT.dataset, subset))
    graph.add((subset, RDF.type, VOID.Dataset))
    graph.add((subset, RDF.type, DCAT.Dataset))
    graph.add((subset, DCTERMS.license, LICENCE))
    if service is not None:
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
