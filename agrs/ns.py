"""The namespaces of AGRS, in one place.

Queries' PREFIX lines and the ontology's @prefix lines must agree with this table
(tests/test_namespaces.py checks it).
"""

from rdflib import Namespace
from rdflib.namespace import DCAT, DCTERMS, OWL, PROV, RDF, RDFS, SH, SKOS, VOID, XSD

BASE = "https://w3id.org/agrs/"

AGRS = Namespace(BASE)
SRC = Namespace(BASE + "source/")
ID = Namespace(BASE + "id/")
GRAPH = Namespace(BASE + "graph/")
ONTOLOGY = Namespace(BASE + "ontology/")
#: the ontology itself (agrs.ttl's owl:Ontology), whose modules are ONTOLOGY + name
ONTOLOGY_IRI = BASE + "ontology"

# W3C vocabularies the code writes, re-exported so that every module takes them from here.
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
ENTAILMENT = Namespace("http://www.w3.org/ns/entailment/")
QUDT_UNIT = Namespace("http://qudt.org/vocab/unit/")

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
    "commons-state",
    "crisis-phase",
    "theme",
    "performance-dimension",
    "value-chain-stage",
    "immaterial-capital",
)



def scheme(name: str) -> Namespace:
    """Return the namespace of the concepts of scheme `name` (one of CONCEPT_SCHEMES): `BASE + name + "/"`."""
    if name not in CONCEPT_SCHEMES:
        raise KeyError(f"{name} is not one of the ontology's concept schemes")
    return Namespace(f"{BASE}{name}/")


# The concept schemes the code names concepts of.
LEVEL = scheme("level")
AGGREGATION = scheme("aggregation")
TEMPORAL_SCALE = scheme("temporal-scale")
ROLE = scheme("role")
HAZARD = scheme("hazard")
SURVEY_POINT = scheme("survey-point")
COMMONS_STATE = scheme("commons-state")
CRISIS_PHASE = scheme("crisis-phase")
THEME = scheme("theme")
PERFORMANCE_DIMENSION = scheme("performance-dimension")
VALUE_CHAIN_STAGE = scheme("value-chain-stage")
IMMATERIAL_CAPITAL = scheme("immaterial-capital")

EXTERNAL = {
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "prov": str(PROV),
    "org": "http://www.w3.org/ns/org#",
    "dcat": str(DCAT),
    "qb": "http://purl.org/linked-data/cube#",
    "sosa": "http://www.w3.org/ns/sosa/",
    "geo": "http://www.opengis.net/ont/geosparql#",
    "time": "http://www.w3.org/2006/time#",
    "schema": "https://schema.org/",
    "sdgo": "http://metadata.un.org/sdg/ontology#",
    "sdg": "http://metadata.un.org/sdg/",
    "igeo": "http://rdf.insee.fr/def/geo#",
    "sh": str(SH),
    "void": str(VOID),
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


def curie(iri: str) -> str | None:
    """Return `iri` as prefix:local with the longest AGRS namespace that matches, or None when none does."""
    best = ""
    for prefix, namespace in prefixes().items():
        if iri.startswith(namespace) and len(iri) > len(namespace) and len(namespace) > len(best):
            best, name = namespace, prefix
    return f"{name}:{iri[len(best):]}" if best else None


def sparql_prologue(used: set[str] | None = None) -> str:
    """Return SPARQL PREFIX lines for the given prefixes (all when None)."""
    table = prefixes()
    names = sorted(table if used is None else used & table.keys())
    return "".join(f"PREFIX {name}: <{table[name]}>\n" for name in names)
