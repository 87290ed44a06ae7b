"""Discovery: the VoID + DCAT description at /.well-known/void over real HTTP, and the service description graph."""

import gc

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS

from conftest import DATA, LiveServer
from conftest import http_get as get

TERRITORIES = DATA / "loaders" / "territories"
DCAT = Namespace("http://www.w3.org/ns/dcat#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
VOID = Namespace("http://rdfs.org/ns/void#")
PROV = Namespace("http://www.w3.org/ns/prov#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
AGRS = Namespace("https://w3id.org/agrs/")
TERRITORY_GRAPH = "https://w3id.org/agrs/graph/territories/cog"
PLAIN_GRAPH = "http://example.org/notes"
RDF_FORMATS = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
    "application/n-triples": "nt",
}


def _fill(store, folder) -> None:
    from agrs.loaders.pipeline import run_load
    from agrs.loaders.territories import TerritoriesLoader

    files = [TERRITORIES / f"etalab-{name}.json" for name in ("regions", "departements", "communes")]
    run_load(TerritoriesLoader(), files, store, quarantine_dir=folder / "quarantine")
    store.update(f"INSERT DATA {{ GRAPH <{PLAIN_GRAPH}> {{ <http://example.org/a> <http://example.org/b> 1 }} }}")


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """A store with the ontology, the territories and a plain graph; its graphs() and statistics, then a server."""
    from agrs.store import open_store

    folder = tmp_path_factory.mktemp("discovery")
    with open_store(folder / "store") as store:
        _fill(store, folder)
        graphs = {info.graph: info for info in store.graphs()}
        version = graphs[TERRITORY_GRAPH].version
        subjects = next(
            iter(store.query(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH <{version}> {{ ?s ?p ?o }} }}"))
        )
        expected_subjects = int(subjects["n"].value)
    gc.collect()  # RocksDB closes with the last pyoxigraph object (a query result may outlive close())
    live = LiveServer(folder / "store")
    yield live, graphs, expected_subjects
    live.stop()


def void_of(server, accept: str | None = None) -> Graph:
    status, headers, body = get(server.url + "/.well-known/void", accept)
    assert status == 200, body
    media_type = headers["content-type"].split(";")[0]
    return Graph().parse(data=body, format=RDF_FORMATS[media_type])


def test_void_is_turtle_by_default_and_negotiates_every_rdf_syntax(loaded):
    server = loaded[0]
    status, headers, _ = get(server.url + "/.well-known/void")
    assert status == 200 and headers["content-type"].startswith("text/turtle")
    for media_type in RDF_FORMATS:
        status, headers, body = get(server.url + "/.well-known/void", media_type)
        assert status == 200 and headers["content-type"].split(";")[0] == media_type
        graph = Graph().parse(data=body, format=RDF_FORMATS[media_type])
        assert (None, RDF.type, DCAT.Catalog) in graph
    assert get(server.url + "/.well-known/void", "text/csv")[0] == 406


def test_void_describes_the_store_as_a_catalogue(loaded):
    server = loaded[0]
    graph = void_of(server)
    dataset = URIRef(server.url + "/.well-known/void#dataset")
    assert (dataset, RDF.type, VOID.Dataset) in graph and (dataset, RDF.type, DCAT.Catalog) in graph
    assert (dataset, VOID.sparqlEndpoint, URIRef(server.url + "/sparql")) in graph
    assert (dataset, VOID.uriSpace, Literal("https://w3id.org/agrs/id/")) in graph
    assert (dataset, DCTERMS.license, URIRef("https://creativecommons.org/licenses/by/4.0/")) in graph
    assert {title.language for title in graph.objects(dataset, DCTERMS.title)} == {"fr", "en"}


def test_void_statistics_match_the_store(loaded):
    server, graphs, expected_subjects = loaded
    graph = void_of(server, "application/n-triples")
    dataset = URIRef(server.url + "/.well-known/void#dataset")
    subsets = set(graph.objects(dataset, VOID.subset))
    assert {URIRef(name) for name in graphs} <= subsets
    assert URIRef(PLAIN_GRAPH) in subsets
    for name, info in graphs.items():
        subset = URIRef(name)
        assert (subset, RDF.type, DCAT.Dataset) in graph
        assert (dataset, DCAT.dataset, subset) in graph
        assert graph.value(subset, VOID.triples) == Literal(info.triples, datatype=XSD.integer)
        assert graph.value(subset, DCTERMS.hasVersion) == URIRef(info.version)
    territories = URIRef(TERRITORY_GRAPH)
    assert graph.value(territories, VOID.distinctSubjects).toPython() == expected_subjects
    assert graph.value(territories, VOID.classes).toPython() >= 1
    assert graph.value(territories, VOID.properties).toPython() >= 3
    assert graph.value(URIRef(PLAIN_GRAPH), VOID.triples).toPython() == 1


def test_void_links_each_loaded_graph_to_its_provenance(loaded):
    server, graphs, _ = loaded
    graph = void_of(server)
    territories = URIRef(TERRITORY_GRAPH)
    activity = graph.value(territories, PROV.wasGeneratedBy)
    assert activity == URIRef("https://w3id.org/agrs/id/load/territories/cog/v1")
    assert (activity, PROV.generated, URIRef(graphs[TERRITORY_GRAPH].version)) in graph
    assert graph.value(activity, PROV.startedAtTime) is not None
    assert graph.value(activity, AGRS.recordsLoaded).toPython() > 0
    assert graph.value(activity, AGRS.recordsRejected) is not None
    assert graph.value(territories, DCTERMS.modified) == graph.value(activity, PROV.endedAtTime)
    names = {str(graph.value(file, AGRS.fileName)) for file in graph.objects(activity, PROV.used)}
    assert names == {"etalab-regions.json", "etalab-departements.json", "etalab-communes.json"}
    assert all(graph.value(file, AGRS.contentDigest) is not None for file in graph.objects(activity, PROV.used))
    ontology = URIRef("https://w3id.org/agrs/graph/ontology")
    assert graph.value(ontology, PROV.wasGeneratedBy) is not None


def test_service_description_graph(tmp_path):
    from agrs.server.discovery.routes import service_description_graph
    from agrs.store import open_store

    with open_store(tmp_path / "store") as store:
        node = ox.NamedNode("http://example.org/x")
        info = store.replace_graph("https://w3id.org/agrs/graph/test/sd", [(node, node, node)])
        graph = service_description_graph("http://127.0.0.1:9/sparql", store)
    service = graph.value(predicate=RDF.type, object=SD.Service)
    assert graph.value(service, SD.endpoint) == URIRef("http://127.0.0.1:9/sparql")
    assert set(graph.objects(service, SD.supportedLanguage)) == {SD.SPARQL11Query, SD.SPARQL11Update}
    formats = {str(value).rsplit("/", 1)[1] for value in graph.objects(service, SD.resultFormat)}
    assert formats == {"SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                       "Turtle", "N-Triples", "RDF_XML", "JSON-LD", "N-Quads", "TriG"}  # fmt: skip
    assert (service, SD.feature, SD.UnionDefaultGraph) in graph
    assert graph.value(service, SD.defaultEntailmentRegime) == URIRef("http://www.w3.org/ns/entailment/Simple")
    comments = {comment.language: str(comment) for comment in graph.objects(service, RDFS.comment)}
    assert set(comments) == {"fr", "en"}
    assert all("infer=false" in text and "https://w3id.org/agrs/graph/inferred" in text for text in comments.values())
    assert (service, RDFS.seeAlso, URIRef("http://127.0.0.1:9/.well-known/void")) in graph
    dataset = graph.value(service, SD.defaultDataset)
    names = {graph.value(named, SD.name) for named in graph.objects(dataset, SD.namedGraph)}
    assert URIRef(info.version) in names  # what GRAPH <…> matches: the current version
    assert (URIRef(info.version), AGRS.versionOf, URIRef(info.graph)) in graph
