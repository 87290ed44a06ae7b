"""The territories loader: fixtures in the real layouts mapped to the expected graphs, broken files, the real COG.

Expected graphs live in tests/data/loaders/territories/expected/ (<stem>.ttl and <stem>.problems.json); run with
AGRS_REGENERATE=1 to rewrite them from the loader's output, then review the diff.
"""

import json
import os
from collections import Counter
from pathlib import Path

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import graph_diff, isomorphic
from rdflib.namespace import RDF, SKOS

from agrs.loaders.territories import (
    COG_COMMUNE_KINDS,
    EPCI_LEVELS,
    ETALAB_COMMUNE_KINDS,
    FRANCE,
    LEVEL,
    TerritoriesLoader,
    epci_placement,
)
from agrs.ns import AGRS, ID
from agrs.paths import ontology_dir
from agrs.records import ReadError, Record
from agrs.shacl import validate

from conftest import DATA, REPO, graph_of, problems_of

HERE = DATA / "loaders" / "territories"
EXPECTED = HERE / "expected"
FIXTURES = sorted([*HERE.glob("*.json"), *HERE.glob("*.csv")])
BROKEN = sorted(path for path in (HERE / "broken").iterdir() if path.name != "expected.json")
# The fixtures without the problem ones, by source: two small COGs whose references all resolve.
CONSISTENT = {
    source: sorted(path for path in HERE.glob(f"{source}-*") if "problems" not in path.stem)
    for source in ("etalab", "cog")
}
SHAPE = Namespace("https://w3id.org/agrs/shapes/")
REAL = REPO / "node_modules" / "@etalab" / "decoupage-administratif" / "data"
REGENERATE = os.environ.get("AGRS_REGENERATE") == "1"


def load(path: Path) -> list[Record]:
    loader = TerritoriesLoader()
    return [loader.map(raw) for raw in loader.read(path)]


def load_together(paths: list[Path]) -> list[Record]:
    """Map several files as one load does: every record, then `finish` (the EPCI's placement)."""
    loader = TerritoriesLoader()
    records = [loader.map(raw) for path in paths for raw in loader.read(path)]
    loader.finish(records)
    return records




def describe_diff(expected: Graph, actual: Graph) -> str:
    _, only_expected, only_actual = graph_diff(expected, actual)

    def lines(graph: Graph) -> str:
        return "\n".join(sorted(graph.serialize(format="nt").splitlines())) or "(none)"

    return f"only in the expected graph:\n{lines(only_expected)}\nonly in the loader's output:\n{lines(only_actual)}"


def test_fixtures_found():
    assert FIXTURES
    assert BROKEN
    assert [len(files) for files in CONSISTENT.values()] == [4, 3]


@pytest.mark.parametrize("path", FIXTURES, ids=[path.stem for path in FIXTURES])
def test_fixture_maps_to_expected_graph(path: Path):
    records = load(path)
    actual, problems = graph_of(records), problems_of(records)
    turtle, problems_file = EXPECTED / f"{path.stem}.ttl", EXPECTED / f"{path.stem}.problems.json"
    if REGENERATE:
        EXPECTED.mkdir(exist_ok=True)
        actual.serialize(turtle, format="turtle", encoding="utf-8")
        problems_file.write_text(json.dumps(problems, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        pytest.skip(f"regenerated {turtle.name} and {problems_file.name}: review the diff")
    expected = Graph().parse(turtle, format="turtle")
    assert isomorphic(expected, actual), describe_diff(expected, actual)
    assert problems == json.loads(problems_file.read_text(encoding="utf-8"))


def test_expected_files_all_have_a_fixture():
    stems = {path.stem for path in FIXTURES}
    orphans = [path.name for path in EXPECTED.iterdir() if path.name.split(".")[0] not in stems]
    assert not orphans


@pytest.mark.parametrize("path", BROKEN, ids=[path.name for path in BROKEN])
def test_broken_file_raises_read_error_naming_line_and_field(path: Path):
    expected = json.loads((HERE / "broken" / "expected.json").read_text(encoding="utf-8"))[path.name]
    with pytest.raises(ReadError) as caught:
        list(TerritoriesLoader().read(path))
    error = caught.value
    assert (error.file, error.line, error.field) == (str(path), expected["line"], expected["field"])
    assert str(path) in str(error)


def test_records_are_numbered_by_rank_in_json_and_by_physical_line_in_csv():
    loader = TerritoriesLoader()
    json_lines = [raw.line for raw in loader.read(HERE / "etalab-communes.json")]
    assert json_lines == list(range(1, len(json_lines) + 1))
    # Line 6 is blank and the record on line 8 runs onto line 9: the last record starts on line 10.
    csv_lines = [raw.line for raw in loader.read(HERE / "cog-communes-problems.csv")]
    assert csv_lines == [2, 3, 4, 5, 7, 8, 10]


def test_csv_original_is_the_text_of_the_record():
    raw = next(iter(TerritoriesLoader().read(HERE / "cog-regions.csv")))
    assert raw.original == "04,97411,0,LA REUNION,La Réunion,La Réunion"


def test_semicolon_separated_cog_file_is_read(tmp_path: Path):
    text = (HERE / "cog-regions.csv").read_text(encoding="utf-8").replace(",", ";")
    (tmp_path / "regions.csv").write_text(text, encoding="utf-8")
    assert isomorphic(graph_of(load(tmp_path / "regions.csv")), graph_of(load(HERE / "cog-regions.csv")))


def test_each_record_describes_its_own_node():
    for path in FIXTURES:
        for record in load(path):
            if record.rejected:
                assert not record.triples, f"{path.name}:{record.raw.line}"
                continue
            (node,) = record.subjects
            foreign = {s for s, p, _ in record.triples if s != node}
            # Only an EPCI speaks of other nodes: its members, which are directly within it.
            assert all(p in (AGRS.directlyWithin, AGRS.within) for s, p, _ in record.triples if s in foreign)
            assert not foreign or "epci" in path.name


def test_delegated_commune_sharing_its_parents_code_is_a_distinct_node():
    graph = graph_of(load(HERE / "etalab-communes.json"))
    delegated, commune = ID["commune-deleguee/01015"], ID["commune/01015"]
    assert (delegated, AGRS.directlyWithin, commune) in graph
    assert graph.value(delegated, AGRS.hasLevel) == LEVEL["delegated-commune"]
    assert graph.value(commune, AGRS.hasLevel) == LEVEL.commune
    assert graph.value(delegated, AGRS.inseeCode) == graph.value(commune, AGRS.inseeCode) == Literal("01015")


@pytest.mark.parametrize("files", CONSISTENT.values(), ids=CONSISTENT.keys())
def test_fixture_set_is_closed(files: list[Path]):
    """Every territory a consistent fixture set points to is described by one of its files."""
    graph = graph_of(load_together(files))
    described = set(graph.subjects(RDF.type, AGRS.Territory))
    pointed = set(graph.objects(None, AGRS.within))
    assert described >= pointed, sorted(pointed - described)


def test_levels_exist_in_the_ontology_with_matching_notations():
    ontology = Graph().parse(ontology_dir() / "modules" / "territory.ttl")
    used = {kind.level for kind in ETALAB_COMMUNE_KINDS.values()} | set(EPCI_LEVELS.values())
    used |= {LEVEL.departement, LEVEL.region, LEVEL["overseas-collectivity"], LEVEL.country}
    for level in used:
        assert (level, RDF.type, AGRS.TerritoryLevel) in ontology, level
    for code, kind in COG_COMMUNE_KINDS.items():
        assert ontology.value(kind.level, SKOS.notation) == Literal(code)
    for code, level in EPCI_LEVELS.items():
        assert ontology.value(level, SKOS.notation) == Literal("METRO" if code == "MET69" else code)
        # the loader states agrs:inLevel level:epci for them: they must be kinds of EPCI in the ontology
        assert (level, SKOS.broader, LEVEL.epci) in ontology


# --- EPCI placement: within one département / région, or partly within several ------------------------------


ETALAB_SET = [HERE / f"etalab-{name}.json" for name in ("communes", "epci", "departements", "regions")]


def placement(graph: Graph, epci: URIRef) -> dict[str, set[str]]:
    def codes(prop):
        return {str(o).removeprefix(str(ID)) for o in graph.objects(epci, prop)}

    return {"within": codes(AGRS.within), "partlyWithin": codes(AGRS.partlyWithin)}


def test_epci_in_one_departement_is_within_it_and_its_region():
    graph = graph_of(load_together(ETALAB_SET))
    lyon = ID["epci/200046977"]
    assert placement(graph, lyon) == {"within": {"departement/69", "region/84", "pays/FR"}, "partlyWithin": set()}
    # never directly: the commune → département → région tree stays the COG's
    assert set(graph.objects(lyon, AGRS.directlyWithin)) == set()
    assert set(graph.objects(lyon, AGRS.inLevel)) == {LEVEL.metropole, LEVEL.epci}


def test_epci_straddling_departements_and_regions_is_partly_within_each():
    """The CU d'Alençon has communes in the Orne (Normandie) and the Sarthe (Pays de la Loire)."""
    graph = graph_of(load_together(ETALAB_SET))
    alencon = ID["epci/246100663"]
    assert placement(graph, alencon) == {
        "within": {"pays/FR"},
        "partlyWithin": {"departement/61", "departement/72", "region/28", "region/52"},
    }
    # its communes stay each within its own département only: none is placed through the EPCI
    for commune in graph.subjects(AGRS.directlyWithin, alencon):
        departements = {o for o in graph.objects(commune, AGRS.within) if "/departement/" in str(o)}
        assert len(departements) == 1, commune


def test_epci_placement_rule():
    d1, d2, r = ID["departement/01"], ID["departement/69"], ID["region/84"]
    epci = ID["epci/200040590"]
    triples = set(epci_placement(epci, [frozenset({d1, r}), frozenset({d2, r}), frozenset({d2, r})]))
    assert triples == {(epci, AGRS.partlyWithin, d1), (epci, AGRS.partlyWithin, d2), (epci, AGRS.within, r)}


def test_epci_without_its_communes_in_the_load_is_placed_within_france_only_with_a_warning():
    records = load_together([HERE / "etalab-epci.json"])
    for record in records:
        if record.rejected:
            continue
        assert [warning.rule for warning in record.warnings] == ["epci-placement"]
        (epci,) = record.subjects
        assert set(graph_of([record]).objects(epci, AGRS.within)) == {FRANCE}


@pytest.mark.parametrize("files", CONSISTENT.values(), ids=CONSISTENT.keys())
def test_fixtures_conform_to_the_territory_shapes(files: list[Path]):
    """The gate's verdict: every territory conforms, the communes of overseas collectivities included."""
    shapes = REPO / "shapes" / "territory.shapes.ttl"
    data = Graph().parse(ontology_dir() / "modules" / "territory.ttl")  # the levels, as the store holds them
    data += graph_of(load_together(files))
    # advanced=True: the level shapes select their targets with SPARQL.
    report = validate(data, Graph().parse(shapes), inplace=False)
    failures = {(result.focus, result.shape) for result in report.results}
    assert failures == set(), [result.text() for result in report.results]


# --- The real COG (node_modules, installed by scripts/setup.sh) ------------------------------------------


@pytest.fixture(scope="module")
def real() -> dict:
    if not REAL.is_dir():
        pytest.fail(f"{REAL} is missing: run scripts/setup.sh (npm ci)")
    source = {name: json.loads((REAL / f"{name}.json").read_text(encoding="utf-8")) for name in FILES}
    loader = TerritoriesLoader()
    records = {name: [loader.map(raw) for raw in loader.read(REAL / f"{name}.json")] for name in FILES}
    loader.finish([record for name in FILES for record in records[name]])
    graph = Graph()
    for name in FILES:
        graph += graph_of(records[name])
    return {"source": source, "records": records, "graph": graph}


FILES = ("communes", "epci", "departements", "regions")


def nodes_of_level(graph: Graph, *levels: URIRef) -> set:
    return {node for level in levels for node in graph.subjects(AGRS.hasLevel, level)}


@pytest.mark.slow
def test_real_cog_every_entry_is_mapped_or_quarantined(real):
    source, records = real["source"], real["records"]
    for name in FILES:
        assert len([r for r in records[name] if r.raw.line is not None]) == len(source[name])
    # Overseas collectivities (zone "com") included: nothing is quarantined.
    for name in FILES:
        assert not problems_of(records[name]), name


@pytest.mark.slow
def test_real_cog_counts_match_the_source(real):
    source, graph = real["source"], real["graph"]
    types = Counter(entry["type"] for entry in source["communes"])
    segments = Counter(str(node).removeprefix(str(ID)).split("/")[0] for node in graph.subjects(RDF.type, None))
    assert segments["commune"] == types["commune-actuelle"]
    assert segments["arrondissement-municipal"] == types["arrondissement-municipal"]
    assert segments["commune-deleguee"] == types["commune-deleguee"]
    assert segments["commune-associee"] == types["commune-associee"]
    assert segments["epci"] == len(source["epci"])
    assert segments["departement"] == sum(entry["zone"] != "com" for entry in source["departements"])
    assert segments["region"] == sum(entry["zone"] != "com" for entry in source["regions"])
    # The départements and régions files list the same overseas collectivities (8 in the 2026 COG).
    overseas = {entry["code"] for entry in source["regions"] if entry["zone"] == "com"}
    assert overseas == {entry["code"] for entry in source["departements"] if entry["zone"] == "com"}
    assert segments["collectivite-outre-mer"] == len(overseas) == 8
    assert len(nodes_of_level(graph, LEVEL["overseas-collectivity"])) == len(overseas)
    assert segments["pays"] == 1
    assert len(nodes_of_level(graph, LEVEL.commune)) == types["commune-actuelle"]


@pytest.mark.slow
def test_real_cog_communes_reach_their_departement_region_or_collectivity_and_france(real):
    source, graph = real["source"], real["graph"]
    for entry in source["communes"]:
        if entry["type"] != "commune-actuelle":
            continue
        node = ID[f"commune/{entry['code']}"]
        assert (node, AGRS.within, FRANCE) in graph
        if entry["zone"] == "com":
            collectivity = ID[f"collectivite-outre-mer/{entry['departement']}"]
            assert entry["code"].startswith(entry["departement"]) and entry["region"] == entry["departement"]
            assert set(graph.objects(node, AGRS.directlyWithin)) == {collectivity}
            assert (collectivity, AGRS.directlyWithin, FRANCE) in graph
            continue
        departement, region = ID[f"departement/{entry['departement']}"], ID[f"region/{entry['region']}"]
        assert (node, AGRS.directlyWithin, departement) in graph
        assert (node, AGRS.within, region) in graph
        assert (departement, AGRS.directlyWithin, region) in graph


@pytest.mark.slow
def test_real_cog_epci_members_are_directly_within_their_epci(real):
    source, graph = real["source"], real["graph"]
    members = [(member["code"], epci["code"]) for epci in source["epci"] for member in epci["membres"]]
    for commune, siren in members:
        assert (ID[f"commune/{commune}"], AGRS.directlyWithin, ID[f"epci/{siren}"]) in graph
    communes = nodes_of_level(graph, LEVEL.commune)
    epcis = nodes_of_level(graph, *EPCI_LEVELS.values())
    in_epci = [s for s, o in graph.subject_objects(AGRS.directlyWithin) if o in epcis]
    assert len(in_epci) == len(members) == len(set(in_epci))  # no commune in two EPCI
    assert set(in_epci) <= communes


@pytest.mark.slow
def test_real_cog_subdivisions_are_directly_within_their_parent_commune(real):
    source, graph = real["source"], real["graph"]
    communes = nodes_of_level(graph, LEVEL.commune)
    kinds = {"arrondissement-municipal": "commune", "commune-deleguee": "chefLieu", "commune-associee": "chefLieu"}
    for entry in source["communes"]:
        if entry["type"] in kinds:
            node = ID[f"{entry['type']}/{entry['code']}"]
            parent = ID[f"commune/{entry[kinds[entry['type']]]}"]
            assert set(graph.objects(node, AGRS.directlyWithin)) == {parent}
            assert parent in communes
            assert (node, AGRS.within, FRANCE) in graph


@pytest.mark.slow
def test_real_cog_is_closed_and_each_node_has_one_record(real):
    graph, records = real["graph"], real["records"]
    described = set(graph.subjects(RDF.type, None))
    assert set(graph.objects(None, AGRS.within)) <= described
    subjects = Counter(node for name in FILES for record in records[name] for node in record.subjects)
    # Except the overseas collectivities, listed (alike) in both the départements and the régions files.
    twice = {node for node, count in subjects.items() if count == 2}
    assert twice == nodes_of_level(graph, LEVEL["overseas-collectivity"])
    assert max(subjects.values()) == 2
    for node in twice:
        triples = [
            sorted(record.triples) for name in FILES for record in records[name] if node in record.subjects
        ]
        assert triples[0] == triples[1], node


@pytest.mark.slow
def test_real_cog_epci_are_placed_from_their_members(real):
    """Measured on the 2026 COG: 89 of the 1,255 EPCI straddle départements, 26 of them régions."""
    source, graph = real["source"], real["graph"]
    communes = {entry["code"]: entry for entry in source["communes"] if entry["type"] == "commune-actuelle"}
    straddling = Counter()
    for epci in source["epci"]:
        node = ID[f"epci/{epci['code']}"]
        found = placement(graph, node)
        for key, segment in (("departement", "departement"), ("region", "region")):
            codes = {communes[member["code"]][key] for member in epci["membres"]}
            places = {f"{segment}/{code}" for code in codes}
            if len(codes) == 1:
                assert places <= found["within"], node
            else:
                straddling[segment] += 1
                assert places <= found["partlyWithin"] and not places & found["within"], node
    assert len(source["epci"]) == 1255
    assert straddling == {"departement": 89, "region": 26}
    assert not any(record.warnings for record in real["records"]["epci"])
