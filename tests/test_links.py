"""Links out: the identifiers of other datasets the loaders give AGRS records, derived offline.

- The ADEME resilience-commons wiki: a resilience commons is `owl:sameAs` the Semantic MediaWiki subject of its
  wiki page (`…/wiki/Special:URIResolver/<escaped title>`), for the page loaded and for the commons it names
  related. The IRI is derived from the title as SMW's Exporter writes it: checked here against every subject of
  a Special:ExportRDF document.
- The UN SDGs: a project serves the UN's own goal and target IRIs (`http://metadata.un.org/sdg/6`,
  `…/sdg/6.4`): references, no sameAs needed. Checked to keep that pattern.
- Only those namespaces: the VoID linksets (server/discovery/void.py) are made from whatever link triples exist.
"""

import re
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from agrs.loaders.commons import WIKI_RESOLVER, CommonsLoader, smw_subject, smw_unescape
from agrs.ns import AGRS

HERE = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parent.parent
EXPORT = HERE / "loaders" / "commons" / "export-rdf.rdf"
SWIVT = "http://semantic-mediawiki.org/swivt/1.0#"
#: the UN's goal and target IRIs: goals 1 to 17, targets numbered (6.4) or lettered (12.a)
SDG_IRI = re.compile(r"http://metadata\.un\.org/sdg/(?:[1-9]|1[0-7])(?:\.(?:[1-9][0-9]?|[a-z]))?")
#: the namespaces links out may point into (what the VoID linksets name as targets)
LINK_TARGETS = (WIKI_RESOLVER, "http://metadata.un.org/sdg/")


def mapped(path: Path) -> Graph:
    """The triples the commons loader maps from one file (its valid records)."""
    loader = CommonsLoader()
    graph = Graph()
    for raw in loader.read(path):
        record = loader.map(raw)
        for triple in record.triples:
            graph.add(triple)
    return graph


@pytest.mark.parametrize(
    ("title", "subject"),
    [
        # Written by Semantic MediaWiki (the fixture export): accents, °, commas, parentheses, hyphens, namespace.
        ("Approche Globale Résiliente et Solidaire pour les territoires et les entreprises",
         "Approche_Globale_R-C3-A9siliente_et_Solidaire_pour_les_territoires_et_les_entreprises"),
        ("Diagnostic 360° de résilience territoriale", "Diagnostic_360-C2-B0_de_r-C3-A9silience_territoriale"),
        ("1- Connaissances - Ressources, Objectifs et Diagnostic (défi 2021)",
         "1-2D_Connaissances_-2D_Ressources-2C_Objectifs_et_Diagnostic_-28d-C3-A9fi_2021-29"),
        ("Utilisateur:Didierracine", "Utilisateur-3ADidierracine"),
        # MediaWiki's rules: first letter upper-case, runs of spaces as one underscore; an apostrophe is -27.
        ("baromètre  de la Résilience", "Barom-C3-A8tre_de_la_R-C3-A9silience"),
        ("Cas d'usages", "Cas_d-27usages"),
    ],
)  # fmt: skip
def test_smw_subject_is_what_the_wiki_exports(title, subject):
    assert smw_subject(title) == WIKI_RESOLVER + subject
    assert smw_unescape(subject).lower() == " ".join(title.split()).lower()


def test_every_exported_page_subject_is_derived_from_its_title():
    graph = Graph().parse(EXPORT, format="xml")
    # The subjects the export labels (a page it only mentions has no label).
    subjects = {s for s in graph.subjects(RDF.type, URIRef(SWIVT + "Subject")) if graph.value(s, RDFS.label)}
    assert len(subjects) >= 5
    for subject in subjects:
        assert smw_subject(str(graph.value(subject, RDFS.label))) == str(subject)


@pytest.mark.parametrize("path", [EXPORT, HERE / "loaders" / "commons" / "page-seed-004.txt"], ids=["rdf", "text"])
def test_commons_are_the_same_as_their_wiki_subjects(path):
    graph = mapped(path)
    agrs_commons = URIRef("https://w3id.org/agrs/id/resilience-commons/approche-globale-resiliente-solidaire")
    assert set(graph.objects(agrs_commons, OWL.sameAs)) == {
        URIRef(WIKI_RESOLVER + "Approche_Globale_R-C3-A9siliente_et_Solidaire_pour_les_territoires_et_les_entreprises")
    }
    # The related commons the page names are linked to their own pages' subjects, one each.
    related = set(graph.objects(agrs_commons, AGRS.relatedCommons))
    assert len(related) == 4
    for commons in related:
        (link,) = graph.objects(commons, OWL.sameAs)
        assert str(link) == smw_subject(str(graph.value(commons, RDFS.label)))
    diagnostic = URIRef("https://w3id.org/agrs/id/resilience-commons/diagnostic-360-resilience-territoriale")
    assert graph.value(diagnostic, OWL.sameAs) == URIRef(
        WIKI_RESOLVER + "Diagnostic_360-C2-B0_de_r-C3-A9silience_territoriale"
    )


def test_a_page_without_title_gets_no_link():
    graph = mapped(HERE / "loaders" / "commons" / "page-no-title.txt")
    assert not list(graph.triples((None, OWL.sameAs, None)))


def test_links_point_only_into_the_known_namespaces():
    """The bundled observatory's link triples (commons pages, diagnostics) name only the wiki and the UN SDGs."""
    from agrs.loaders.diagnostic import DiagnosticLoader

    graph = Graph()
    for path in sorted((REPO / "data" / "commons").glob("*.txt")):
        graph += mapped(path)
    diagnostics = sorted((REPO / "data" / "demo" / "diagnostics").glob("*.xlsx"))
    loader = DiagnosticLoader()
    for path in diagnostics:
        for raw in loader.read(path):
            for triple in loader.map(raw).triples:
                graph.add(triple)
    links = [(s, p, o) for p in (OWL.sameAs, SKOS.exactMatch) for s, _, o in graph.triples((None, p, None))]
    sdg = list(graph.triples((None, AGRS.servesSDG, None)))
    assert links and sdg, "the bundled data should hold links out"
    for _, _, target in links + sdg:
        assert str(target).startswith(LINK_TARGETS), target
    for _, _, target in sdg:
        assert SDG_IRI.fullmatch(str(target)), target
