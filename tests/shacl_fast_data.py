"""Data for the fast SHACL engine's tests: real mapped triples with injected violations, and verdict files.

Two data sets, each the mapped triples of real loaders plus the merged ontology, then about fifty seeded
mutations of different kinds (a triple removed, a second value added, a literal of another datatype or an
ill-typed one, an IRI swapped for an untyped one, an IRI swapped for a literal, two dates swapped):
  territories  régions, départements, France and the communes of a few départements of the COG
               (node_modules/@etalab/decoupage-administratif), as `agrs load territories` maps them;
  demo-s       a slice of `agrs demo generate --size S --seed 1` (the first 400 communes): indicators, CatNat
               decrees, survey answers and ten diagnostics, with the territories they point to.
Their pySHACL verdicts are committed in tests/data/shacl_fast/<name>.expected.json, with a digest of the data:
`AGRS_REGENERATE=1 .venv/bin/pytest tests/test_shacl_fast.py` writes them again (pySHACL only runs then).
"""

import hashlib
import json
import random
from collections.abc import Iterable
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH, XSD
from rdflib.term import Node

from conftest import DATA, REPO

EXPECTED = DATA / "shacl_fast"
COG = REPO / "node_modules" / "@etalab" / "decoupage-administratif" / "data"
DEPARTEMENTS = ("01", "2A", "33", "971")
MUTATIONS = 50
FORM = REPO / "data" / "survey" / "questionnaire.xlsx"


def territory_records(departements: Iterable[str] = DEPARTEMENTS) -> list:
    """Map the COG's régions, départements and France, and the communes of some départements."""
    from agrs.loaders.territories import TerritoriesLoader

    keep = set(departements)
    loader = TerritoriesLoader()
    records = []
    for name in ("regions", "departements", "communes"):
        for raw in loader.read(COG / f"{name}.json"):
            if name == "communes" and raw.fields.get("departement") not in keep:
                continue
            records.append(loader.map(raw))
    return records


def graph_of(records: Iterable) -> Graph:
    """Return the triples of the records that have no problem (what a load would commit)."""
    graph = Graph()
    for record in records:
        if not record.rejected:
            for triple in record.triples:
                graph.add(triple)
    return graph


def territories_graph() -> Graph:
    """The territories data set, before mutations."""
    return graph_of(territory_records())


def targeted_territory_mutations(graph: Graph) -> list[str]:
    """Mutations aimed at the territory shapes' other constraints (the seeded ones rarely reach them)."""
    from rdflib.namespace import OWL, RDFS

    agrs = "https://w3id.org/agrs/"
    commune = [URIRef(f"{agrs}id/commune/{code}") for code in ("01004", "01005", "01006", "01007", "01008")]
    for node in commune:
        assert (node, None, None) in graph, f"{node} is not in the sample"
    population = URIRef(agrs + "legalPopulation")
    graph.add((commune[0], RDFS.label, Literal("Ambérieu bis", lang="fr")))  # uniqueLang
    graph.set((commune[1], population, Literal(-5)))  # minInclusive
    graph.set((commune[2], population, Literal("1200")))  # sh:or of datatypes
    graph.add((commune[3], OWL.sameAs, URIRef("https://www.wikidata.org/wiki/Q90")))  # or / not / pattern
    graph.add((commune[3], OWL.sameAs, Literal("Q90")))  # nodeKind
    graph.add((commune[4], OWL.sameAs, URIRef("http://www.wikidata.org/entity/Q1")))  # qualifiedMaxCount
    graph.add((commune[4], OWL.sameAs, URIRef("http://www.wikidata.org/entity/Q2")))
    region = URIRef(f"{agrs}id/region/84")
    graph.add((commune[4], URIRef(agrs + "partlyWithin"), region))  # disjoint with agrs:within
    graph.add((commune[4], URIRef(agrs + "within"), region))
    graph.add((commune[0], URIRef(agrs + "directlyWithin"), URIRef(f"{agrs}id/commune/01005")))  # parent level
    return ["uniqueLang", "minInclusive", "or of datatypes", "or/not/pattern", "nodeKind", "qualifiedMaxCount",
            "disjoint", "in (parent level)"]  # fmt: skip


def demo_graph(workdir: Path) -> Graph:
    """The demo-s data set, before mutations: a slice of the size-S demo, mapped, with its territories."""
    from agrs.loaders.demo import write_france
    from agrs.loaders.diagnostic import DiagnosticLoader
    from agrs.loaders.indicators import IndicatorsLoader
    from agrs.loaders.risks import RisksLoader
    from agrs.loaders.survey import SurveyLoader
    from agrs.resources import load_ontology

    write_france(workdir, "S", seed=1, limit=400)
    ontology, _ = load_ontology()
    sources = [
        (IndicatorsLoader(), [workdir / "indicators" / "definitions.csv", workdir / "indicators" / "series.csv"]),
        (RisksLoader(), [workdir / "risks" / "catnat.csv"]),
        (SurveyLoader(FORM, salt="shacl-fast"), [workdir / "survey" / "responses.csv"]),
        (DiagnosticLoader(), sorted((workdir / "diagnostics").glob("*.about.csv"))[:10]),
    ]
    records = []
    for loader, paths in sources:
        if hasattr(loader, "use_ontology"):
            loader.use_ontology(ontology)
        for path in paths:
            records += [loader.map(raw) for raw in loader.read(path)]
    graph = graph_of(records)
    graph += graph_of(territory_records(("01", "02")))
    return graph


def mutate(graph: Graph, seed: int, count: int = MUTATIONS) -> list[str]:
    """Apply `count` seeded mutations to the graph; return what was done (one line each)."""
    draw = random.Random(seed)
    subjects = sorted({s for s in graph.subjects() if isinstance(s, URIRef)})
    done = []
    kinds = ["remove", "second value", "other datatype", "ill-typed", "untyped IRI", "literal for IRI", "swap dates"]
    for attempt in range(100 * count):
        if len(done) == count:
            break
        subject = draw.choice(subjects)
        triples = sorted(graph.triples((subject, None, None)))
        if not triples:
            continue
        s, p, o = draw.choice(triples)
        kind = kinds[attempt % len(kinds)]  # each kind in turn; one that does not apply here is tried again later
        if kind == "remove":
            graph.remove((s, p, o))
        elif kind == "second value":
            other = Literal(f"{o} bis", lang=o.language) if isinstance(o, Literal) else URIRef(f"{o}-bis")
            graph.add((s, p, other))
        elif kind == "other datatype":
            if not isinstance(o, Literal):
                continue
            graph.remove((s, p, o))
            graph.add((s, p, Literal(str(o), datatype=XSD.integer if o.datatype != XSD.integer else XSD.string)))
        elif kind == "ill-typed":
            graph.remove((s, p, o))
            graph.add((s, p, Literal("not a number", datatype=XSD.integer)))
        elif kind == "untyped IRI":
            if not isinstance(o, URIRef) or p == RDF.type:
                continue
            graph.remove((s, p, o))
            graph.add((s, p, URIRef("https://example.org/untyped/" + str(len(done)))))
        elif kind == "literal for IRI":
            if not isinstance(o, URIRef):
                continue
            graph.remove((s, p, o))
            graph.add((s, p, Literal(str(o))))
        elif kind == "swap dates":
            dates = [t for t in triples if isinstance(t[2], Literal) and t[2].datatype in (XSD.date, XSD.gYear)]
            if len(dates) < 2:
                continue
            (_, p1, o1), (_, p2, o2) = dates[:2]
            graph.remove((s, p1, o1))
            graph.remove((s, p2, o2))
            graph.add((s, p1, o2))
            graph.add((s, p2, o1))
        done.append(f"{kind}: {s.n3()} {p.n3()} {o.n3()}")
    return done


def digest(graph: Graph) -> str:
    """Return the SHA-256 of a graph's sorted N-Triples (blank nodes masked: their labels change per parse)."""
    lines = sorted(" ".join("_:b" if isinstance(t, BNode) else t.n3() for t in triple) for triple in graph)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def term_text(term: Node | None) -> str | None:
    """Return a term as text: a literal as Oxigraph stores it, a blank node masked."""
    if term is None:
        return None
    if isinstance(term, BNode):
        return "_:b"
    if isinstance(term, Literal):
        from agrs.shacl_fast.terms import key_of
        from agrs.store.terms import term_to_oxigraph

        return key_of(term_to_oxigraph(term))
    return term.n3()


def result_rows(report, shapes: Graph) -> list[list]:
    """Return a report's results as sorted rows: focus, path, value, component, shape, severity, messages.

    Messages are kept when the shape (or the SPARQL constraint) declares sh:message, else None: pySHACL's
    generated messages are not part of the verdict. A complex path is written as its structure.
    """
    from w3c_shacl import path_text

    rows = []
    for r in report.results:
        declared = (r.shape, SH.message, None) in shapes or r.component == SH.SPARQLConstraintComponent
        rows.append(
            [
                term_text(r.focus),
                None if r.path is None else path_text(shapes, r.path),
                term_text(r.value),
                term_text(r.component),
                term_text(r.shape),
                term_text(r.severity),
                sorted(m.n3() for m in r.messages) if declared else None,
                r.detail,
            ]
        )
    return sorted(rows, key=json.dumps)


def write_expected(name: str, data_digest: str, conforms: bool, rows: list, mutations: list[str]) -> Path:
    """Write a verdict file."""
    EXPECTED.mkdir(parents=True, exist_ok=True)
    path = EXPECTED / f"{name}.expected.json"
    body = {"data": data_digest, "conforms": conforms, "results": rows, "mutations": mutations}
    path.write_text(json.dumps(body, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    return path


def read_expected(name: str) -> dict:
    """Read a verdict file."""
    return json.loads((EXPECTED / f"{name}.expected.json").read_text(encoding="utf-8"))
