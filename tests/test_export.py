"""agrs export / agrs import: the current graphs under their logical names with the VoID, and back; VoID linksets."""

import gzip
import io

import pyoxigraph as ox
import pytest
from rdflib import Dataset as RdfDataset
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic

from conftest import LiveServer, run_agrs

VOID = Namespace("http://rdfs.org/ns/void#")
PROV = "http://www.w3.org/ns/prov#"
OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SERVES_SDG = "https://w3id.org/agrs/servesSDG"
A = "https://w3id.org/agrs/graph/test/a"
B = "https://w3id.org/agrs/graph/test/blank"
LINKS = "https://w3id.org/agrs/graph/test/links"
NOTES = "http://example.org/notes"
PROVENANCE = "https://w3id.org/agrs/graph/provenance"
REGISTRY = "https://w3id.org/agrs/graph/registry"
VOID_GRAPH = "https://w3id.org/agrs/graph/void"
ID = "https://w3id.org/agrs/id/"


def _iri(value: str) -> ox.NamedNode:
    return ox.NamedNode(value)


def fill(store) -> None:
    """Three data graphs (one with blank nodes, one with links out), a plain graph and a provenance record."""
    p = _iri(ID + "p")
    store.replace_graph(A, [(_iri(f"{ID}a/{i}"), p, ox.Literal(f"a {i}", language="fr")) for i in range(50)])
    blank = [ox.BlankNode() for _ in range(3)]
    store.replace_graph(B, [
        (_iri(ID + "b"), p, blank[0]), (blank[0], p, blank[1]), (blank[1], p, ox.Literal("deux")),
        (blank[2], p, ox.Literal("3", datatype=_iri("http://www.w3.org/2001/XMLSchema#integer"))),
    ])  # fmt: skip
    wikidata, sdg = "http://www.wikidata.org/entity/Q", "http://metadata.un.org/sdg/"
    links = [(_iri(f"{ID}t/{i}"), _iri(OWL_SAME_AS), _iri(f"{wikidata}{i + 90}")) for i in range(4)]
    links += [(_iri(f"{ID}g/{i}"), _iri(SKOS + "exactMatch"), _iri(f"{sdg}{i + 1}")) for i in range(3)]
    links += [(_iri(ID + "g/1"), _iri(SKOS + "closeMatch"), _iri("http://id.insee.fr/geo/commune/75056"))]
    links += [(_iri(ID + "g/1"), _iri(OWL_SAME_AS), _iri("http://example.org/elsewhere"))]  # no listed target
    links += [(_iri(ID + "project/1"), _iri(SERVES_SDG), _iri(f"{sdg}11.b")), (_iri(ID + "g/1"), _iri(OWL_SAME_AS),
              _iri("https://wiki.resilience-territoire.ademe.fr/wiki/Special:URIResolver/AGRS"))]  # fmt: skip
    store.replace_graph(LINKS, links)
    store.update(f'INSERT DATA {{ GRAPH <{NOTES}> {{ <http://example.org/a> <http://example.org/b> "note" }} }}')
    version = store.current_version(A)
    store.update(
        f"INSERT DATA {{ GRAPH <{PROVENANCE}> {{ <{ID}load/a> a <{PROV}Activity> ; <{PROV}generated> <{version}> }} }}"
    )


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A filled embedded store (closed: commands open it), and the folder for the other files."""
    from agrs.store import open_store

    folder = tmp_path_factory.mktemp("export")
    with open_store(folder / "store") as store:
        fill(store)
    return folder


def graphs_of(store) -> dict[str, Graph]:
    """Every exported graph of a store (logical name → rdflib graph), read through the Store interface."""
    from agrs.export import exported_graphs, graph_triples
    from agrs.store.terms import triple_to_rdflib

    found = {}
    for entry in exported_graphs(store):
        graph = Graph()
        for triple in graph_triples(store, entry):
            graph.add(triple_to_rdflib(triple))
        found[entry.graph] = graph
    return found


def dataset_graphs(data: bytes, rdf_format: str) -> dict[str, Graph]:
    """Parse a dump; return its named graphs (IRI → rdflib graph)."""
    dataset = RdfDataset()
    dataset.parse(data=data, format=rdf_format)
    found = {}
    for context in dataset.graphs():
        if len(context) and str(context.identifier) != "urn:x-rdflib:default":
            graph = Graph()
            for triple in context:
                graph.add(triple)
            found[str(context.identifier)] = graph
    return found


def store_graphs(folder) -> dict[str, Graph]:
    from agrs.store import open_store

    with open_store(folder, read_only=True) as store:
        return graphs_of(store)


def test_export_names_graphs_logically_and_holds_the_void(source):
    result = run_agrs("export", "--store", str(source / "store"), "--quiet")
    assert result.returncode == 0, result.stderr
    dumped = dataset_graphs(result.stdout.encode(), "nquads")
    assert set(dumped) == {A, B, LINKS, NOTES, PROVENANCE, VOID_GRAPH}
    assert not any(name.rstrip("0123456789").endswith("/v") for name in dumped)  # no version graph
    expected = store_graphs(source / "store")
    for name, graph in expected.items():
        assert isomorphic(dumped[name], graph), name
    void = dumped[VOID_GRAPH]
    dataset = URIRef(VOID_GRAPH + "#dataset")
    assert (dataset, VOID.subset, URIRef(A)) in void
    assert (URIRef(A), VOID.triples, Literal(50)) in void
    assert (dataset, VOID.subset, URIRef(REGISTRY)) not in void  # the registry is not in the dump


def test_trig_export_holds_the_same_dataset_as_nquads(source):
    nquads = source / "dump.nq.gz"
    trig = source / "dump.trig"
    for path in (nquads, trig):
        result = run_agrs("export", "--store", str(source / "store"), "--output", str(path), "--no-void")
        assert result.returncode == 0, result.stderr
        assert "exported" in result.stderr
    from_nquads = dataset_graphs(gzip.decompress(nquads.read_bytes()), "nquads")
    from_trig = dataset_graphs(trig.read_bytes(), "trig")
    assert VOID_GRAPH not in from_nquads
    assert set(from_nquads) == set(from_trig) == {A, B, LINKS, NOTES, PROVENANCE}
    for name in from_nquads:
        assert isomorphic(from_nquads[name], from_trig[name]), name


def test_export_of_named_graphs_and_of_an_unknown_one(source):
    result = run_agrs("export", "--store", str(source / "store"), "--graph", A, "--graph", NOTES, "--quiet")
    assert result.returncode == 0, result.stderr
    assert set(dataset_graphs(result.stdout.encode(), "nquads")) == {A, NOTES, VOID_GRAPH}
    result = run_agrs("export", "--store", str(source / "store"), "--graph", A + "/v1", "--quiet")
    assert result.returncode == 2
    assert "holds no graph" in result.stderr and A in result.stderr


def test_an_export_imported_into_an_empty_store_gives_the_same_graphs(source, tmp_path):
    dump = tmp_path / "dump.nq.gz"
    assert run_agrs("export", "--store", str(source / "store"), "-o", str(dump), "--quiet").returncode == 0
    result = run_agrs("import", str(dump), "--store", str(tmp_path / "copy"))
    assert result.returncode == 0, result.stderr
    assert "5 graph(s) sent" in result.stdout
    original, copy = store_graphs(source / "store"), store_graphs(tmp_path / "copy")
    assert set(copy) == set(original)
    for name in original:
        assert isomorphic(copy[name], original[name]), name
    from agrs.store import open_store

    with open_store(tmp_path / "copy", read_only=True) as store:
        assert set(store.current_versions()) == {A, B, LINKS}  # data graphs versioned…
        assert {NOTES, PROVENANCE} <= set(store.plain_graphs())  # …plain graphs plain
    again = run_agrs("import", str(dump), "--store", str(tmp_path / "copy"))
    assert again.returncode == 0, again.stderr
    assert "0 graph(s) sent" in again.stdout and "5 unchanged" in again.stdout


def test_import_refuses_a_dump_with_a_default_graph(tmp_path):
    dump = tmp_path / "default.nq"
    dump.write_text('<http://example.org/a> <http://example.org/b> "c" .\n')
    result = run_agrs("import", str(dump), "--store", str(tmp_path / "store"))
    assert result.returncode == 2
    assert "default graph" in result.stderr


def test_void_linksets_count_the_links_out_per_target_and_predicate(source):
    from agrs.store import open_store
    from agrs.void import void_graph

    with open_store(source / "store", read_only=True) as store:
        void = void_graph(store, "http://example.org/agrs")
    dataset = URIRef("http://example.org/agrs/.well-known/void#dataset")
    found, found_linksets = {}, set()
    for linkset in void.subjects(URIRef(str(VOID.linkPredicate)), None):
        found_linksets.add(linkset)
        assert (dataset, VOID.subset, linkset) in void
        assert (linkset, VOID.subjectsTarget, dataset) in void
        target = void.value(linkset, VOID.objectsTarget)
        space = str(void.value(target, VOID.uriSpace))
        found[(space, str(void.value(linkset, VOID.linkPredicate)))] = int(void.value(linkset, VOID.triples))
    assert found == {
        ("http://www.wikidata.org/entity/", OWL_SAME_AS): 4,
        ("http://metadata.un.org/sdg/", SKOS + "exactMatch"): 3,
        ("http://id.insee.fr/", SKOS + "closeMatch"): 1,
        ("http://metadata.un.org/sdg/", SERVES_SDG): 1,
        ("https://wiki.resilience-territoire.ademe.fr/wiki/", OWL_SAME_AS): 1,
    }
    assert URIRef("http://example.org/agrs/.well-known/void#links-un-sdg-servesSDG") in found_linksets
    assert (dataset, VOID.dataDump, URIRef("http://example.org/agrs/dump.nq.gz")) in void


def test_serve_publishes_the_dump_as_the_void_data_dump(source, tmp_path):
    import shutil
    import urllib.request

    folder = tmp_path / "served"
    shutil.copytree(source / "store", folder)
    server = LiveServer(folder)
    try:
        void = Graph().parse(data=urllib.request.urlopen(server.url + "/.well-known/void").read(), format="turtle")
        dumps = list(void.objects(URIRef(server.url + "/.well-known/void#dataset"), VOID.dataDump))
        assert dumps == [URIRef(server.url + "/dump.nq.gz")]
        with urllib.request.urlopen(str(dumps[0])) as answer:
            assert answer.headers["Content-Type"] == "application/gzip"
            body = answer.read()
    finally:
        server.stop()
    dumped = dataset_graphs(gzip.GzipFile(fileobj=io.BytesIO(body)).read(), "nquads")
    expected = store_graphs(source / "store")
    assert set(dumped) == set(expected) | {VOID_GRAPH}
    for name, graph in expected.items():
        assert isomorphic(dumped[name], graph), name
    served_void = dumped[VOID_GRAPH]
    assert (URIRef(server.url + "/.well-known/void#dataset"), VOID.dataDump, dumps[0]) in served_void
