"""The roll-up: a synthetic tree by hand, the small territory fixtures through the store, the real COG (slow)."""

import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import URIRef

from agrs.derived.rollup import (
    Indicator,
    Observation,
    Tree,
    aggregate,
    compute,
    input_graphs,
    read_indicators,
    read_observations,
    read_tree,
    run_rollup,
)
from agrs.derived.rollup_cli import rollup
from agrs.graphs import graph_iri
from agrs.loaders.indicators import IndicatorsLoader
from agrs.loaders.pipeline import run_load
from agrs.loaders.territories import TerritoriesLoader
from agrs.ns import AGGREGATION, ID
from agrs.resources import Resources
from agrs.store.terms import to_oxigraph

from conftest import DATA, REPO

INDICATORS = DATA / "loaders" / "indicators"
TERRITORIES = DATA / "loaders" / "territories"
ETALAB = [TERRITORIES / f"etalab-{name}.json" for name in ("communes", "epci", "departements", "regions")]
REAL = REPO / "node_modules" / "@etalab" / "decoupage-administratif" / "data"
PERIOD = ID["period/2020"]


def test_aggregate_methods():
    values, weights = [Decimal(10), Decimal(20), Decimal(60)], [Decimal(1), Decimal(1), Decimal(2)]
    assert aggregate(AGGREGATION.sum, values, weights) == 90
    assert aggregate(AGGREGATION.mean, values, weights) == 30
    assert aggregate(AGGREGATION["population-weighted-mean"], values, weights) == Decimal(150) / 4
    assert aggregate(AGGREGATION.min, values, weights) == 10
    assert aggregate(AGGREGATION.max, values, weights) == 60
    assert aggregate(AGGREGATION.median, values, weights) == 20
    assert aggregate(AGGREGATION.none, values, weights) is None
    assert aggregate(AGGREGATION.sum, [], []) is None


def _synthetic():
    """Three communes, an EPCI straddling two départements, one région; commune c3 in no EPCI."""
    c1, c2, c3 = (ID[f"commune/0000{n}"] for n in (1, 2, 3))
    epci, d1, d2, region = ID["epci/000000001"], ID["departement/01"], ID["departement/02"], ID["region/01"]
    tree = Tree()
    for parent, communes in {epci: (c1, c2), d1: (c1,), d2: (c2, c3), region: (c1, c2, c3)}.items():
        tree.leaves[parent].update(communes)
    for parent, children in {epci: (c1, c2), d1: (c1,), d2: (c2, c3), region: (d1, d2)}.items():
        tree.children[parent].update(children)
    tree.population.update({c1: Decimal(100), c2: Decimal(300), c3: Decimal(600)})
    return (c1, c2, c3), (epci, d1, d2, region), tree


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("sum", {"epci": 30, "d1": 10, "d2": 50, "region": 60}),
        ("population-weighted-mean", {"epci": Decimal(10 * 100 + 20 * 300) / 400, "d1": 10,
                                      "d2": Decimal(20 * 300 + 30 * 600) / 900, "region": Decimal(25000) / 1000}),
        ("min", {"epci": 10, "d1": 10, "d2": 20, "region": 10}),
        ("max", {"epci": 20, "d1": 10, "d2": 30, "region": 30}),
    ],
)  # fmt: skip
def test_synthetic_tree(method, expected):
    communes, (epci, d1, d2, region), tree = _synthetic()
    indicator = Indicator(ID["indicator/x"], AGGREGATION[method], "1")
    observations = [
        Observation(ID[f"observation/x/{n}"], indicator.iri, commune, PERIOD, "2020", Decimal(10 * (n + 1)))
        for n, commune in enumerate(communes)
    ]
    derived, warnings = compute([indicator], observations, tree)
    values = {item.territory: item.value for item in derived}
    assert values == {epci: expected["epci"], d1: expected["d1"], d2: expected["d2"], region: expected["region"]}
    assert not warnings
    by_territory = {item.territory: item for item in derived}
    # the région is derived from its départements' derived observations, not from the EPCI
    assert set(by_territory[region].derived_from) == {by_territory[d1].iri, by_territory[d2].iri}
    assert set(by_territory[epci].derived_from) == {observations[0].iri, observations[1].iri}


def test_synthetic_unit_mismatch_is_left_out_and_none_is_not_rolled_up():
    communes, _, tree = _synthetic()
    summed = Indicator(ID["indicator/x"], AGGREGATION.sum, "%")
    fixed = Indicator(ID["indicator/y"], AGGREGATION.none, "%")
    observations = [
        Observation(ID["observation/x/1"], summed.iri, communes[0], PERIOD, "2020", Decimal(1), "km2"),
        Observation(ID["observation/y/1"], fixed.iri, communes[0], PERIOD, "2020", Decimal(1), "%"),
    ]
    derived, warnings = compute([summed, fixed], observations, tree)
    assert derived == [] and len(warnings) == 1


# --- Through the store ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def resources() -> Resources:
    return Resources.load()


def _load_fixtures(store, tmp_path: Path, resources: Resources) -> None:
    quarantine = tmp_path / "q"
    run_load(TerritoriesLoader(), ETALAB, store, quarantine_dir=quarantine, resources=resources)
    summary = run_load(
        IndicatorsLoader(), [INDICATORS / "definitions.csv", INDICATORS / "observations.csv"], store,
        quarantine_dir=quarantine, resources=resources,
    )  # fmt: skip
    assert summary.rejected == 0


def _derived_values(store) -> dict[tuple[str, str, str], Decimal]:
    query = """PREFIX agrs: <https://w3id.org/agrs/>
        SELECT ?i ?t ?code ?v WHERE { ?o a agrs:DerivedObservation ; agrs:indicator ?i ; agrs:territory ?t ;
            agrs:period/agrs:periodCode ?code ; agrs:value ?v }"""
    short = lambda node: node.value.removeprefix(str(ID))  # noqa: E731
    return {
        (short(row["i"]), short(row["t"]), row["code"].value): Decimal(row["v"].value)
        for row in store.query(query)  # all graphs: the periods' codes are in the indicators' graph
    }


def test_fixture_rollup_counts_each_commune_once(store, tmp_path: Path, resources):
    _load_fixtures(store, tmp_path, resources)
    # An observation of an arrondissement municipal, written straight into a graph: never added to Paris.
    arrondissement = ID["arrondissement-municipal/75101"]
    store.replace_graph(graph_iri("rdf", "extra"), [to_oxigraph(triple) for triple in (
        (ID["observation/population/a/2026"], URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
         URIRef("https://w3id.org/agrs/Observation")),
        (ID["observation/population/a/2026"], URIRef("https://w3id.org/agrs/indicator"), ID["indicator/population"]),
        (ID["observation/population/a/2026"], URIRef("https://w3id.org/agrs/territory"), arrondissement),
        (ID["observation/population/a/2026"], URIRef("https://w3id.org/agrs/period"), ID["period/2026"]),
    )])  # fmt: skip
    summary = run_rollup(store, quarantine_dir=tmp_path / "q", resources=resources)
    assert summary.rejected == 0, [record.problems for record in summary.records if record.rejected][:3]
    values = _derived_values(store)
    population = {
        territory: value for (indicator, territory, _), value in values.items() if indicator == "indicator/population"
    }
    assert population["departement/75"] == population["region/11"] == 2103778
    assert population["epci/246100663"] == 25490 + 1902  # CU d'Alençon straddles Orne and Sarthe
    assert population["departement/61"] == 25490 and population["departement/72"] == 1902
    assert population["region/94"] == 76320 + 46867  # Corsica: 2A and 2B
    assert population["collectivite-outre-mer/987"] == 26654
    communes = [710, 886040, 860, 76320, 46867, 1191, 25490, 519127, 1902, 2103778, 155634, 26654]
    assert population["pays/FR"] == sum(communes)
    share = values[("indicator/organic-farmland-share", "epci/246100663", "2020")]
    assert share == (Decimal("4.5") * 25490 + Decimal("12.25") * 1902) / (25490 + 1902)
    assert values[("indicator/heatwave-days", "epci/246100663", "2023-07")] == 9
    assert values[("indicator/heatwave-days", "region/28", "2020s")] == 41
    # the département's own observation of drinking water is not a commune's: nothing to roll up
    assert not [key for key in values if key[0] == "indicator/drinking-water-compliance"]
    first = set(store.triples(summary.graph))
    again = run_rollup(store, quarantine_dir=tmp_path / "q", resources=resources)
    assert set(store.triples(again.graph)) == first and again.version != summary.version


def test_straddling_epci_communes_count_once_in_their_departements(store, tmp_path: Path, resources):
    """EPCI are placed in départements and régions (agrs:within, or agrs:partlyWithin for those they straddle), and
    with the entailments materialised: a département's total is still the sum of its own communes, each once."""
    from agrs.derived.reason import materialise

    _load_fixtures(store, tmp_path, resources)
    ask = "PREFIX agrs: <https://w3id.org/agrs/> ASK {{ <{}> agrs:{} <{}> }}"
    alencon, lyon = ID["epci/246100663"], ID["epci/200046977"]
    for epci, prop, place in ((alencon, "partlyWithin", "departement/61"), (alencon, "partlyWithin", "departement/72"),
                              (alencon, "partlyWithin", "region/28"), (alencon, "partlyWithin", "region/52"),
                              (lyon, "within", "departement/69"), (lyon, "within", "region/84")):  # fmt: skip
        assert store.query(ask.format(epci, prop, ID[place])), (epci, prop, place)
    assert not store.query(ask.format(alencon, "within", ID["departement/61"]))
    materialise(store)  # commune within EPCI within département: the inferred graph adds nothing that counts twice
    run_rollup(store, quarantine_dir=tmp_path / "q", resources=resources)
    values = _derived_values(store)
    population = {territory: value for (indicator, territory, _), value in values.items()
                  if indicator == "indicator/population"}  # fmt: skip
    assert population["epci/246100663"] == 25490 + 1902
    assert population["departement/61"] == population["region/28"] == 25490  # Alençon only, not the whole EPCI
    assert population["departement/72"] == population["region/52"] == 1902
    assert population["departement/69"] == population["epci/200046977"] == 519127  # the EPCI within it adds nothing
    sources = """PREFIX agrs: <https://w3id.org/agrs/> SELECT ?from WHERE {
        ?o a agrs:DerivedObservation ; agrs:territory <%s> ; agrs:derivedFrom ?from }"""
    for departement in ("departement/61", "departement/69"):
        derived_from = {row["from"].value for row in store.query(sources % ID[departement])}
        assert derived_from and not any("/epci-" in iri or "/epci/" in iri for iri in derived_from), derived_from


def test_cli_rolls_up_and_exits_0(tmp_path: Path, resources):
    from agrs.store.embedded import EmbeddedStore

    with EmbeddedStore(tmp_path / "store") as store:
        _load_fixtures(store, tmp_path, resources)
    result = CliRunner().invoke(rollup, ["--store", str(tmp_path / "store"), "--quarantine", str(tmp_path / "q")])
    assert result.exit_code == 0, result.output
    assert "graph/rollup/default" in result.output


# --- The real COG: rolled-up population equals the sum over the communes in the source -------------------


def _mapped(loader, paths):
    records = []
    for path in paths:
        for raw in loader.read(path):
            record = loader.map(raw)
            assert not record.rejected, (path, raw.line, record.problems)
            records.append(record)
    loader.finish(records)  # the EPCI's placement in départements and régions
    for record in records:
        yield from record.triples


@pytest.mark.slow
def test_real_population_rolls_up_to_the_sum_over_communes(store):
    """The issue's Done-when: every département, région, overseas collectivity and France, against communes.json."""
    if not REAL.is_dir():
        pytest.fail(f"{REAL} is missing: run scripts/setup.sh (npm ci)")
    territories = [REAL / f"{name}.json" for name in ("communes", "epci", "departements", "regions")]
    store.replace_graph(
        graph_iri("territories", "cog"), (to_oxigraph(t) for t in _mapped(TerritoriesLoader(), territories))
    )
    bundled = [REPO / "data" / "indicators" / "indicators.csv", REPO / "data" / "indicators" / "population-2026.csv"]
    store.replace_graph(
        graph_iri("indicators", "population"), (to_oxigraph(t) for t in _mapped(IndicatorsLoader(), bundled))
    )
    graphs = input_graphs(store)
    derived, warnings = compute(
        read_indicators(store, graphs), read_observations(store, graphs), read_tree(store, graphs)
    )
    assert not warnings
    values = {str(item.territory).removeprefix(str(ID)): item.value for item in derived}

    expected: dict[str, int] = defaultdict(int)
    regions = {entry["code"]: entry for entry in json.loads((REAL / "regions.json").read_text(encoding="utf-8"))}
    for entry in json.loads((REAL / "communes.json").read_text(encoding="utf-8")):
        if entry["type"] != "commune-actuelle" or entry.get("population") is None:
            continue
        population = entry["population"]
        expected["pays/FR"] += population
        if entry["zone"] == "com":
            expected[f"collectivite-outre-mer/{entry['departement']}"] += population
        else:
            expected[f"departement/{entry['departement']}"] += population
            expected[f"region/{entry['region']}"] += population
    assert sum(key.startswith("departement/") for key in expected) == 101
    assert sum(key.startswith("region/") for key in expected) == sum(e["zone"] != "com" for e in regions.values())
    for territory, population in expected.items():
        assert values[territory] == population, territory


def test_one_indicator_rolls_up_alone_with_the_same_values(store, tmp_path: Path, resources):
    _load_fixtures(store, tmp_path, resources)
    population = str(ID["indicator/population"])
    summary = run_rollup(store, quarantine_dir=tmp_path / "q", resources=resources, indicators=[population])
    assert summary.rejected == 0 and summary.loaded
    alone = _derived_values(store)
    assert alone and {indicator for indicator, _, _ in alone} == {"indicator/population"}
    run_rollup(store, quarantine_dir=tmp_path / "q", resources=resources)
    everything = _derived_values(store)
    assert {key: value for key, value in everything.items() if key[0] == "indicator/population"} == alone
