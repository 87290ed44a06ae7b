"""The namespaces of AGRS, in one place.

Queries' PREFIX lines and the ontology's @prefix lines must agree with this table
(tests/test_namespaces.py checks it).
"""

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD

BASE = "https://w3id.org/agrs/"

AGRS = Namespace(BASE)
SRC = Namespace(BASE + "source/")
ID = Namespace(BASE + "id/")
GRAPH = Namespace(BASE + "graph/")
ONTOLOGY = Namespace(BASE + "ontology/")

# One namespace per concept scheme: the scheme is BASE + name, its concepts BASE + name + "/".
CONCEPT_SCHEMES = (
    "scale",
    "temporal-scale",
    "level",
    "territory-type",
    "actor-type",
    "role",
    "need",
    "mutation",
    "hazard",
    "capacity",
    "lever",
    "aggregation",
    "survey-point",
    "challenge",
    "wiki-category",
    "wiki-theme",
    "development-level",
    "sought-resource",
)

EXTERNAL = {
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "prov": "http://www.w3.org/ns/prov#",
    "org": "http://www.w3.org/ns/org#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "qb": "http://purl.org/linked-data/cube#",
    "sosa": "http://www.w3.org/ns/sosa/",
    "geo": "http://www.opengis.net/ont/geosparql#",
    "time": "http://www.w3.org/2006/time#",
    "schema": "https://schema.org/",
    "sdgo": "http://metadata.un.org/sdg/ontology#",
    "sdg": "http://metadata.un.org/sdg/",
    "igeo": "http://rdf.insee.fr/def/geo#",
    "sh": "http://www.w3.org/ns/shacl#",
    "void": "http://rdfs.org/ns/void#",
    "shape": "https://w3id.org/agrs/shapes/",
    "meta": "https://w3id.org/agrs/shapes/meta/",
}


def prefixes() -> dict[str, str]:
    """Return every prefix AGRS uses, mapped to its namespace IRI."""
    table = {"agrs": BASE, "src": str(SRC), "id": str(ID), "graph": str(GRAPH)}
    table.update({name: f"{BASE}{name}/" for name in CONCEPT_SCHEMES})
    table.update(EXTERNAL)
    return table


def bind_all(graph) -> None:
    """Bind every AGRS prefix on an rdflib graph, so that serialisations stay readable."""
    for prefix, iri in prefixes().items():
        graph.bind(prefix, iri, override=True, replace=True)


def sparql_prologue(used: set[str] | None = None) -> str:
    """Return SPARQL PREFIX lines for the given prefixes (all when None)."""
    table = prefixes()
    names = sorted(table if used is None else used & table.keys())
    return "".join(f"PREFIX {name}: <{table[name]}>\n" for name in names)
