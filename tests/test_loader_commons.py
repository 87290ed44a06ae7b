"""The commons loader: wiki pages of ADEME's resilience commons, as Special:ExportRDF documents and as text.

Expected graphs live in tests/data/loaders/commons/expected/ (<stem>.ttl and <stem>.problems.json); run with
AGRS_REGENERATE=1 to rewrite them from the loader's output, then review the diff.
"""

import json
import time
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS

from agrs.loaders.commons import CommonsLoader, commons_key, loose, person_key, smw_unescape, split_values
from agrs.loaders.pipeline import run_load
from agrs.ns import AGRS, ID
from agrs.records import RawRecord, ReadError, Record

from conftest import DATA, REGENERATE, REPO, assert_graph_file, assert_same_graph, graph_of, problems_of, run_agrs

HERE = DATA / "loaders" / "commons"
EXPECTED = HERE / "expected"
FIXTURES = sorted([*HERE.glob("*.rdf"), *HERE.glob("*.txt")])
BROKEN = sorted(path for path in (HERE / "broken").iterdir() if path.name != "expected.json")
BUNDLED_PAGE = REPO / "data" / "commons" / "approche-globale-resiliente-solidaire.txt"
BUNDLED_TURTLE = REPO / "data" / "observatory" / "ademe-commons.ttl"
AGRS_COMMONS = ID["resilience-commons/approche-globale-resiliente-solidaire"]

#: the properties the loader maps from the wiki's fields, compared with the bundled Turtle
MAPPED = (
    RDF.type, AGRS.addressesChallenge, AGRS.relatedCommons, AGRS.tag, AGRS.wikiCategory, AGRS.wikiTheme,
    AGRS.developmentLevel, AGRS.soughtResource, AGRS.hasContributor, AGRS.hasReferent, AGRS.ademeReferent,
)  # fmt: skip


@pytest.fixture(scope="module")
def loader() -> CommonsLoader:
    return CommonsLoader()


def load(loader: CommonsLoader, path: Path) -> list[Record]:
    return [loader.map(raw) for raw in loader.read(path)]




def test_fixtures_found():
    assert len(FIXTURES) >= 7
    assert len(BROKEN) >= 4


@pytest.mark.parametrize("path", FIXTURES, ids=[path.name for path in FIXTURES])
def test_fixture_maps_to_expected_graph(loader, path: Path):
    records = load(loader, path)
    actual, problems = graph_of(records), problems_of(records)
    turtle, problems_file = EXPECTED / f"{path.stem}.ttl", EXPECTED / f"{path.stem}.problems.json"
    assert_graph_file(actual, turtle)
    if REGENERATE:
        problems_file.write_text(json.dumps(problems, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        pytest.skip(f"regenerated {turtle.name} and {problems_file.name}: review the diff")
    assert problems == json.loads(problems_file.read_text(encoding="utf-8"))


def test_expected_files_all_have_a_fixture():
    stems = {path.stem for path in FIXTURES}
    assert not [path.name for path in EXPECTED.iterdir() if path.name.split(".")[0] not in stems]


@pytest.mark.parametrize("path", BROKEN, ids=[path.name for path in BROKEN])
def test_broken_file_raises_read_error_naming_line_and_field(loader, path: Path):
    expected = json.loads((HERE / "broken" / "expected.json").read_text(encoding="utf-8"))[path.name]
    with pytest.raises(ReadError) as caught:
        list(loader.read(path))
    error = caught.value
    assert (error.file, error.line, error.field) == (str(path), expected["line"], expected["field"])
    assert str(path) in str(error)


def test_missing_file_raises_read_error(loader, tmp_path):
    with pytest.raises(ReadError):
        list(loader.read(tmp_path / "absent.txt"))


def test_one_record_per_page_with_the_line_of_its_subject(loader):
    assert [raw.line for raw in loader.read(HERE / "export-rdf.rdf")] == [26, 84]
    assert [raw.line for raw in loader.read(HERE / "page-no-title.txt")] == [2]


def test_export_and_text_of_the_same_page_give_the_same_graph(loader):
    # The export's description is abridged; everything else of the seed-004 page is in both forms.
    def without_description(graph: Graph) -> Graph:
        graph.remove((None, DCTERMS.description, None))
        return graph

    exported = [r for r in load(loader, HERE / "export-rdf.rdf") if AGRS_COMMONS in r.subjects]
    text = load(loader, HERE / "page-seed-004.txt")
    expected, actual = without_description(graph_of(text)), without_description(graph_of(exported))
    assert_same_graph(actual, expected)


def test_bundled_page_agrees_with_the_bundled_turtle(loader):
    """data/commons/ and data/observatory/ademe-commons.ttl describe the seed-004 commons with the same IRIs."""
    records = load(loader, BUNDLED_PAGE)
    assert len(records) == 1 and not records[0].problems
    mine, bundled = graph_of(records), Graph().parse(BUNDLED_TURTLE, format="turtle")
    for predicate in MAPPED:
        assert set(mine.objects(AGRS_COMMONS, predicate)) == set(bundled.objects(AGRS_COMMONS, predicate)), predicate
    # The amount comes from the page only (one value in the store: Oxigraph would keep "98770.0" and "98770" apart).
    assert mine.value(AGRS_COMMONS, AGRS.requestedFundingEur).toPython() == 98770
    assert bundled.value(AGRS_COMMONS, AGRS.requestedFundingEur) is None
    assert set(bundled.objects(AGRS_COMMONS, RDFS.seeAlso)) <= set(mine.objects(AGRS_COMMONS, RDFS.seeAlso))
    for kind in (AGRS.Participation, AGRS.Person):
        assert set(mine.subjects(RDF.type, kind)) == set(bundled.subjects(RDF.type, kind)), kind
    participation_facts = {(s, p, o) for s in bundled.subjects(RDF.type, AGRS.Participation) for p, o in
                           bundled.predicate_objects(s) if p != DCTERMS.source}  # fmt: skip
    assert participation_facts <= set(mine)
    # The related commons are the bundled ones, typed, with the inverse link.
    for other in bundled.objects(AGRS_COMMONS, AGRS.relatedCommons):
        assert (other, AGRS.relatedCommons, AGRS_COMMONS) in mine
        assert (other, RDF.type, AGRS.ResilienceCommons) in mine


def test_bundled_page_is_the_seed_pages_fields():
    text = BUNDLED_PAGE.read_text(encoding="utf-8").replace("\u00a0", " ")  # the wiki writes "Tags\u00a0:"
    assert text.startswith("Approche Globale Résiliente et Solidaire pour les territoires et les entreprises\n")
    for field in ("Défi auquel", "Autre commun proche", "Tags :", "Catégories :", "Thème :", "Niveau de dév",
                  "Contributeurs :", "Référent ADEME :", "Référent du commun :", "Montant Aide"):  # fmt: skip
        assert field in text


def test_cp1252_page_keeps_its_accents(loader):
    (record,) = load(loader, HERE / "page-cp1252.txt")
    subject = ID["resilience-commons/diagnostic-360-resilience-territoriale"]
    assert (subject, AGRS.tag, Literal("cœur de ville")) in record.triples
    assert (subject, RDFS.label, Literal("Diagnostic 360° de résilience territoriale", lang="fr")) in record.triples
    (amount,) = [o for s, p, o in record.triples if p == AGRS.requestedFundingEur]
    assert amount.toPython() == Decimal("45000.50")


def test_page_without_title_is_rejected_without_an_iri(loader):
    (record,) = load(loader, HERE / "page-no-title.txt")
    assert [(p.field, p.rule) for p in record.problems] == [("title", "required")]
    assert not any(isinstance(s, URIRef) and "resilience-commons" in s for s, _, _ in record.triples)


def test_unknown_development_level_is_a_problem_naming_the_known_ones(loader):
    (record,) = load(loader, HERE / "page-unknown-level.txt")
    level = [p for p in record.problems if p.field == "development_level"]
    assert [p.rule for p in level] == ["unknown-level"] and "'Prototype'" in level[0].message
    assert "idea" in level[0].message


def test_subjects_are_the_page_its_people_and_participations_not_the_related_commons(loader):
    (record,) = load(loader, HERE / "page-seed-004.txt")
    assert AGRS_COMMONS in record.subjects
    assert ID["person/didierracine"] in record.subjects
    assert not any("100-resilient-cities" in str(s) for s in record.subjects)
    assert len([s for s in record.subjects if "/participation/" in str(s)]) == 4


def test_map_never_raises_on_odd_fields(loader):
    odd = {"title": ["—"], "funding": ["1e999999", "-3"], "challenge": ["99- x", ""], "related": ["((("],
           "contributors": ["Utilisateur:"], "files": ["ftp://x"], "development_level": ["Idée", "Idée"]}  # fmt: skip
    record = loader.map(RawRecord("odd.txt", 1, odd))
    assert record.rejected
    assert {p.rule for p in record.problems} >= {"required", "unknown-challenge", "user-name", "url", "several-levels"}


@pytest.mark.parametrize(
    "title, key",
    [
        ("Baromètre de la Résilience Alimentaire", "barometre-resilience-alimentaire"),
        ("Diagnostic 360° de résilience territoriale", "diagnostic-360-resilience-territoriale"),
        ("100 resilient cities", "100-resilient-cities"),
        ("Approche Globale Résiliente et Solidaire pour les territoires et les entreprises",
         "approche-globale-resiliente-solidaire"),
        ("Approche Globale Resiliente et Solidaire pour les territoires et les entreprises (Observatoire, Campus, "
         "Livre Blanc)", "approche-globale-resiliente-solidaire-observatoire-campus-livre-blanc"),
    ],
)  # fmt: skip
def test_commons_keys_are_those_of_the_bundled_data(title, key):
    assert commons_key(title) == key


def test_helpers():
    assert smw_unescape("Property-3AD-C3-A9fi") == "Property:Défi"
    assert smw_unescape("Diagnostic_360-C2-B0_de_r-C3-A9silience") == "Diagnostic 360° de résilience"
    assert person_key("Utilisateur:Marie.D") == "marie-d"
    assert split_values("a, b (c, d), e") == ["a", "b (c, d)", "e"]
    assert loose("Cas d'usages") == loose("cas d'usage")
    assert loose("Contributeur - Communauté") == loose("contributeurs et communauté")
    assert loose("Données") == loose("données (catégorie du wiki)")


def test_pipeline_loads_the_good_pages_and_quarantines_the_bad(loader, store, tmp_path):
    files = [HERE / "export-rdf.rdf", HERE / "export-problems.rdf", HERE / "page-unknown-level.txt"]
    started = time.perf_counter()
    summary = run_load(loader, files, store, quarantine_dir=tmp_path / "q")
    elapsed = time.perf_counter() - started
    assert (summary.read, summary.loaded, summary.rejected) == (5, 3, 2), [r.problems for r in summary.records]
    lines = [json.loads(line) for line in summary.quarantine.read_text(encoding="utf-8").splitlines()]
    assert sorted(Path(entry["file"]).name for entry in lines) == ["export-problems.rdf", "page-unknown-level.txt"]
    triples = sum(len(r.triples) for r in summary.records if not r.rejected)
    print(f"commons: {summary.read / elapsed:.1f} records/s, {triples / elapsed:.0f} triples/s ({elapsed:.2f} s)")
    ask = f"ASK {{ <{AGRS_COMMONS}> <{AGRS.relatedCommons}> ?other . ?other a <{AGRS.ResilienceCommons}> }}"
    assert store.query(ask, graphs=[summary.graph])


def test_cli_exit_codes(tmp_path):
    common = ["--store", str(tmp_path / "store"), "--quarantine", str(tmp_path / "q")]
    good = run_agrs("load", "commons", str(HERE / "export-rdf.rdf"), *common)
    assert good.returncode == 0, good.stderr
    bad = run_agrs("load", "commons", str(HERE / "page-no-title.txt"), "--key", "bad", *common)
    assert bad.returncode == 1, bad.stderr
    quarantined = (tmp_path / "q" / "commons-bad.jsonl").read_text(encoding="utf-8")
    assert "page-no-title.txt" in quarantined and "title" in quarantined
    broken = HERE / "broken" / "malformed.rdf"
    unreadable = run_agrs("load", "commons", str(broken), "--key", "broken", *common)
    assert unreadable.returncode == 2
    assert f"{broken}:23" in unreadable.stderr
