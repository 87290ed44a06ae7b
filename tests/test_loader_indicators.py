"""The indicators loader: definitions and observations mapped to the expected graphs, messy files, the pipeline.

Expected graphs live in tests/data/loaders/indicators/expected/ (<stem>.ttl and <stem>.problems.json); an
observations fixture is mapped after definitions.csv by the same loader, as a load of both files would. Run with
AGRS_REGENERATE=1 to rewrite them from the loader's output, then review the diff.
"""

import json
import time
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import XSD

from agrs.loaders.indicators import (
    IndicatorsLoader,
    parse_period,
    parse_value,
    qudt_unit,
    term_iri,
    unit_iri,
)
from agrs.loaders.pipeline import run_load
from agrs.loaders.territories import TerritoriesLoader
from agrs.ns import AGRS, ID, TEMPORAL_SCALE
from agrs.observations import observation_iri
from agrs.records import ReadError, Record
from agrs.resources import Resources

from conftest import DATA, REGENERATE, REPO, assert_graph_file, assert_same_graph, graph_of, problems_of, run_agrs

HERE = DATA / "loaders" / "indicators"
EXPECTED = HERE / "expected"
DEFINITIONS = HERE / "definitions.csv"
FIXTURES = sorted(HERE.glob("*.csv"))
TERRITORIES = DATA / "loaders" / "territories"
ETALAB = [TERRITORIES / f"etalab-{name}.json" for name in ("communes", "epci", "departements", "regions")]


def load(*paths: Path) -> list[Record]:
    """Map the files with one loader, as one load does; return the records of the last file."""
    loader = IndicatorsLoader()
    records: list[Record] = []
    for path in paths:
        records = [loader.map(raw) for raw in loader.read(path)]
    return records


def load_fixture(path: Path) -> list[Record]:
    return load(path) if path.name.startswith("definitions") else load(DEFINITIONS, path)




def test_fixtures_found():
    assert len(FIXTURES) >= 5
    assert any("messy" in path.name for path in FIXTURES)


@pytest.mark.parametrize("path", FIXTURES, ids=[path.stem for path in FIXTURES])
def test_fixture_maps_to_expected_graph(path: Path):
    records = load_fixture(path)
    actual, problems = graph_of(records), problems_of(records, warnings=True)
    turtle, problems_file = EXPECTED / f"{path.stem}.ttl", EXPECTED / f"{path.stem}.problems.json"
    assert_graph_file(actual, turtle)
    if REGENERATE:
        problems_file.write_text(json.dumps(problems, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        pytest.skip(f"regenerated {turtle.name} and {problems_file.name}: review the diff")
    assert problems == json.loads(problems_file.read_text(encoding="utf-8"))


def test_expected_files_all_have_a_fixture():
    stems = {path.stem for path in FIXTURES}
    assert not [path.name for path in EXPECTED.iterdir() if path.name.split(".")[0] not in stems]


def test_windows_1252_semicolons_and_decimal_commas_give_the_same_graph():
    utf8 = graph_of(load(DEFINITIONS, HERE / "observations.csv"))
    assert isomorphic(utf8, graph_of(load(DEFINITIONS, HERE / "observations-cp1252-semicolon.csv")))


def _write_workbook(path: Path, sheets: dict[str, Path], *, delimiter: str = ",") -> None:
    """Write CSV files as the sheets of one workbook (numbers as numbers, as a spreadsheet keeps them)."""
    import csv

    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, source in sheets.items():
        sheet = workbook.create_sheet(name)
        with source.open(encoding="utf-8", newline="") as stream:
            for row in csv.reader(stream, delimiter=delimiter):
                sheet.append([_number(cell) for cell in row])
    workbook.save(path)


def _number(cell: str):
    try:
        return int(cell) if cell.isdigit() and not cell.startswith("0") and len(cell) != 4 else cell
    except ValueError:
        return cell


def test_workbook_with_both_sheets_gives_the_same_graph(tmp_path: Path):
    workbook = tmp_path / "indicators.xlsx"
    _write_workbook(workbook, {"observations": HERE / "observations.csv", "indicateurs": DEFINITIONS})
    from_csv = graph_of(load(DEFINITIONS)) + graph_of(load(DEFINITIONS, HERE / "observations.csv"))
    records = load(workbook)
    assert not [record for record in records if record.rejected]
    assert_same_graph(graph_of(records), from_csv)
    # definitions first, whatever the sheets' order: the unit of an observation is checked against them
    assert records[0].raw.fields["_table"] == "definitions"


@pytest.mark.parametrize(
    ("content", "line", "field"),
    [
        (b"", 1, None),
        (b"territory,indicator,period\n33063,population,2020\n", 1, "value"),
        (b"id,label_fr\npopulation,population\n", 1, "aggregation"),
        (b"territory,indicator,period,value,valeur\n", 1, "value"),
        (b"territory,indicator,period,value\n33063,population,2020,1\x81\x8d\n", 2, None),
    ],
    ids=["empty", "no-value-column", "no-aggregation-column", "two-value-columns", "undecodable"],
)
def test_unreadable_file_raises_read_error(tmp_path: Path, content: bytes, line: int, field: str | None):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(ReadError) as caught:
        list(IndicatorsLoader().read(path))
    assert (caught.value.line, caught.value.field) == (line, field)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020", ("2020", TEMPORAL_SCALE.years)),
        ("2020-03", ("2020-03", TEMPORAL_SCALE.months)),
        ("2020-3", ("2020-03", TEMPORAL_SCALE.months)),
        ("03/2020", ("2020-03", TEMPORAL_SCALE.months)),
        ("2020s", ("2020s", TEMPORAL_SCALE.decades)),
        ("2025s", None),
        ("2020-13", None),
        ("20", None),
    ],
)
def test_parse_period(text, expected):
    assert parse_period(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.5", Decimal("12.5")),
        ("12,5", Decimal("12.5")),
        ("-3", Decimal(-3)),
        ("1 234,5", Decimal("1234.5")),
        ("2\u202f103\u00a0778", Decimal(2103778)),
        ("1.234,5", None),
        ("1,2,3", None),
        ("1e3", None),
        ("", None),
    ],
)
def test_parse_value(text, expected):
    assert parse_value(text) == expected


def test_units_and_terms():
    assert unit_iri("%") == ID["unit/%25"] and unit_iri("{inhab}") == ID["unit/%7Binhab%7D"]
    assert qudt_unit("%") == URIRef("http://qudt.org/vocab/unit/PERCENT")
    assert qudt_unit("{inhab}") == URIRef("http://qudt.org/vocab/unit/NUM")
    assert qudt_unit("kg/a") is None
    assert term_iri("need:water") == URIRef("https://w3id.org/agrs/need/water")
    assert term_iri("sdg:11.5.1") == URIRef("http://metadata.un.org/sdg/11.5.1")
    assert term_iri("commons/x") == ID["commons/x"]
    assert term_iri("nope:x") is None


def test_observation_nodes_and_values():
    graph = graph_of(load(DEFINITIONS, HERE / "observations.csv"))
    paris = observation_iri("population", ID["commune/75056"], "2026")
    assert paris == ID["observation/population/commune-75056/2026"]
    assert graph.value(paris, AGRS.value) == Literal("2103778.0", datatype=XSD.decimal)
    assert graph.value(paris, AGRS.unit) == unit_iri("{inhab}")
    # an observation without a unit takes its indicator's
    ambronay = observation_iri("organic-farmland-share", ID["commune/01015"], "2020")
    assert graph.value(ambronay, AGRS.unitCode) == Literal("%")


def test_observations_name_their_dataset(tmp_path: Path):
    """A `dataset` column puts the observation in that agrs:IndicatorDataset; a key that is not a slug is refused."""
    csv = tmp_path / "observations-dataset.csv"
    csv.write_text("territory,indicator,period,value,dataset\n75056,population,2026,2103778,insee-rp\n"
                   "01015,population,2026,30,INSEE RP\n", encoding="utf-8")  # fmt: skip
    good, bad = load(DEFINITIONS, csv)
    node = observation_iri("population", ID["commune/75056"], "2026")
    assert (node, AGRS.inDataset, ID["dataset/insee-rp"]) in good.triples
    assert [(problem.field, problem.rule) for problem in bad.problems] == [("dataset", "dataset-key")]


# --- Through the pipeline and the command line ------------------------------------------------------------


@pytest.fixture(scope="module")
def resources() -> Resources:
    return Resources.load()


def test_pipeline_loads_the_good_rows_and_quarantines_the_rest(store, tmp_path: Path, resources):
    run_load(TerritoriesLoader(), ETALAB, store, quarantine_dir=tmp_path / "q", resources=resources)
    summary = run_load(
        IndicatorsLoader(), [DEFINITIONS, HERE / "observations-messy.csv"], store,
        quarantine_dir=tmp_path / "q", resources=resources,
    )  # fmt: skip
    rejected = {
        (record.raw.line, problem.rule)
        for record in summary.records
        if record.rejected and record.raw.file.endswith("messy.csv")
        for problem in record.problems
    }
    # the gate's verdicts: a commune missing from the COG, an indicator nobody defined
    assert (7, "Observation-territory") in rejected
    assert (14, "Observation-indicator") in rejected
    assert (9, "number-format") in rejected
    assert summary.loaded == 4 + 3  # the four definitions; lines 2 and 4, and line 5 (a duplicate: no triples)
    lines = [json.loads(line) for line in summary.quarantine.read_text(encoding="utf-8").splitlines()]
    assert {entry["line"] for entry in lines} == {6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18}


def test_cli_exit_codes(tmp_path: Path):
    store = tmp_path / "store"
    quarantine = tmp_path / "q"
    common = ["--store", str(store), "--quarantine", str(quarantine), "--quiet"]
    assert run_agrs("load", "territories", *map(str, ETALAB), *common).returncode == 0
    good = run_agrs("load", "indicators", str(DEFINITIONS), str(HERE / "observations.csv"), *common, "--key", "good")
    assert good.returncode == 0, good.stderr
    messy = run_agrs("load", "indicators", str(DEFINITIONS), str(HERE / "observations-messy.csv"), *common)
    assert messy.returncode == 1
    assert (quarantine / "indicators-default.jsonl").is_file()
    unreadable = tmp_path / "bad.csv"
    unreadable.write_text("territory,indicator\n", encoding="utf-8")
    failed = run_agrs("load", "indicators", str(unreadable), *common)
    assert failed.returncode == 2 and "period" in failed.stderr


def test_bundled_population_maps_without_problems():
    records = load(
        REPO / "data" / "indicators" / "indicators.csv", REPO / "data" / "indicators" / "population-2026.csv"
    )
    assert len(records) > 34000
    assert not [record for record in records if record.rejected or record.warnings]


@pytest.mark.slow
def test_throughput_on_the_largest_fixture(store, tmp_path: Path, resources):
    """Not an assertion on speed: prints records/s and triples/s of a full load, for the loaders' note."""
    run_load(TerritoriesLoader(), ETALAB, store, quarantine_dir=tmp_path / "q", resources=resources)
    largest = max(FIXTURES, key=lambda path: path.stat().st_size)
    started = time.perf_counter()
    summary = run_load(IndicatorsLoader(), [DEFINITIONS, largest], store, quarantine_dir=tmp_path / "q",
                       resources=resources)  # fmt: skip
    elapsed = time.perf_counter() - started
    triples = sum(len(record.triples) for record in summary.records if not record.rejected)
    print(f"\n{largest.name}: {summary.read / elapsed:.0f} records/s, {triples / elapsed:.0f} triples/s")
    assert summary.read


def test_themes_and_composite_indicators(tmp_path):
    source = tmp_path / "composite.csv"
    source.write_text(
        "id,label_fr,aggregation,theme,synthesises\n"
        "a,indicateur a,sum,mitigation|governance,\n"
        "b,indicateur b,mean,,\n"
        "index,indice,mean,adaptation,a|b\n"
        "bad,mauvais,mean,pas?un-theme,\n",
        encoding="utf-8",
    )
    records = load(source)
    graph = graph_of(records)
    theme = "https://w3id.org/agrs/theme/"
    assert set(graph.objects(ID["indicator/a"], AGRS.indicatorTheme)) == {URIRef(theme + "mitigation"),
                                                                          URIRef(theme + "governance")}  # fmt: skip
    assert (ID["indicator/index"], AGRS.synthesises, ID["indicator/b"]) in graph
    assert (ID["indicator/index"], URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            AGRS.CompositeIndicator) in graph  # fmt: skip
    assert (ID["indicator/b"], URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            AGRS.CompositeIndicator) not in graph  # fmt: skip
    assert [(problem["line"], problem["rule"]) for problem in problems_of(records)] == [(5, "unknown-theme")]
