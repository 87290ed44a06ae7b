"""Indicator charts on territory pages: a store loaded through the real loaders and roll-up, served by `agrs serve`."""

import gc
import html
import re
from decimal import Decimal
from pathlib import Path

import pytest

from agrs.server.pages.charts import (
    POINT_CAP,
    SERIES_CAP,
    Point,
    Series,
    format_number,
    indicator_series,
    nice_ticks,
    svg_chart,
    table_rows,
)
from agrs.server.pages.describe import BadIri

from conftest import DATA, LiveServer
from conftest import http_get as get

TERRITORIES = DATA / "loaders" / "territories"
ETALAB = [TERRITORIES / f"etalab-{name}.json" for name in ("regions", "departements", "communes", "epci")]
ID = "https://w3id.org/agrs/id/"
HOSTILE = "<script>alert('x')</script> indicateur"
DEFINITIONS = f"""id,label_fr,label_en,unit,aggregation
population,population municipale,municipal population,{{inhab}},sum
hostile,"{HOSTILE}",hostile indicator,%,max
"""
# Alençon (61001, the only commune of the Orne in the fixtures): three years of population and a month of the hostile
# indicator; an observed population of its département for 2023, which the roll-up's derived years then follow.
OBSERVATIONS = """territory,indicator,period,value,unit
61001,population,2024,24980,{inhab}
61001,population,2025,25210,{inhab}
61001,population,2026,25490,{inhab}
61001,hostile,2024-07,7.25,%
dep:61,population,2023,25000,{inhab}
"""
NBSP = "\u202f"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`agrs serve` on a store with the etalab territories, the indicators above and their roll-up."""
    from agrs.derived.rollup import run_rollup
    from agrs.loaders.indicators import IndicatorsLoader
    from agrs.loaders.pipeline import run_load
    from agrs.loaders.territories import TerritoriesLoader
    from agrs.store import open_store

    folder = tmp_path_factory.mktemp("charts")
    (folder / "definitions.csv").write_text(DEFINITIONS, encoding="utf-8")
    (folder / "observations.csv").write_text(OBSERVATIONS, encoding="utf-8")
    quarantine = folder / "quarantine"
    with open_store(folder / "store") as store:
        assert run_load(TerritoriesLoader(), ETALAB, store, quarantine_dir=quarantine).rejected == 0
        files = [folder / "definitions.csv", folder / "observations.csv"]
        summary = run_load(IndicatorsLoader(), files, store, key="charts", quarantine_dir=quarantine)
        assert summary.rejected == 0, list(quarantine.glob("*"))
        run_rollup(store, quarantine_dir=quarantine)
    gc.collect()  # RocksDB closes with the last pyoxigraph object (a query result may outlive close())
    live = LiveServer(folder / "store")
    yield live
    live.stop()


def _section(body: str) -> str:
    found = re.search(r'<section class="indicators".*?</section>', body, re.S)
    assert found, "the page has no indicators section"
    return found.group(0)


def _figures(section: str) -> list[str]:
    return re.findall(r'<figure class="chart".*?</figure>', section, re.S)


def _rows(figure: str) -> list[tuple[str, str, str]]:
    """The data table's rows: (period, exact value, kind)."""
    return [
        (period, exact, html.unescape(kind))
        for period, exact, kind in re.findall(
            r'<tr><td>([^<]*)</td><td class="number"><data value="([^"]*)">[^<]*</data></td><td>([^<]*)</td></tr>',
            figure,
        )
    ]


def test_commune_page_charts_each_value_with_tooltips_and_table(server):
    status, _, body = get(server.url + "/id/commune/61001", "text/html")
    assert status == 200
    section = _section(body)
    assert body.index('<h2 id="indicators">') < body.index("<h2>Propriétés / Properties</h2>")
    figures = _figures(section)
    # sorted by label: the hostile one ("<script>…" sorts before "population")
    assert len(figures) == 2 and "population municipale" in figures[1]
    population = figures[1]
    svg = re.search(r"<svg .*?</svg>", population, re.S).group(0)
    assert 'role="img"' in svg and "<title id=" in svg and "<desc id=" in svg
    markers = re.findall(r'<circle class="point (\w+)"[^>]*><title>([^<]*)</title></circle>', svg)
    assert [kind for kind, _ in markers] == ["observed"] * 3
    assert [html.unescape(tip) for _, tip in markers] == [
        f"2024 : 24{NBSP}980 {{inhab}}", f"2025 : 25{NBSP}210 {{inhab}}", f"2026 : 25{NBSP}490 {{inhab}}",
    ]  # fmt: skip
    assert svg.count('<polyline class="line observed"') == 1 and "line derived" not in svg
    # the axes: each period under the time axis, values with thousands separators on the value axis
    assert [html.unescape(t) for t in re.findall(r'<text class="tick x"[^>]*>([^<]*)</text>', svg)] == [
        "2024", "2025", "2026",
    ]  # fmt: skip
    assert f">25{NBSP}000</text>" in svg
    assert _rows(population) == [
        ("2024", "24980", "observée / observed"),
        ("2025", "25210", "observée / observed"),
        ("2026", "25490", "observée / observed"),
    ]
    assert 'href="/id/indicator/population"' in population and "municipal population" in population


def test_derived_and_observed_values_of_a_departement(server):
    _, _, body = get(server.url + "/id/departement/61", "text/html")
    figures = _figures(_section(body))
    population = next(figure for figure in figures if "population municipale" in figure)
    # the observed 2023 value and the three rolled-up years (Alençon is the Orne's only commune in the fixtures)
    assert _rows(population) == [
        ("2023", "25000", "observée / observed"),
        ("2024", "24980", "dérivée / derived"),
        ("2025", "25210", "dérivée / derived"),
        ("2026", "25490", "dérivée / derived"),
    ]
    assert len(re.findall(r'<circle class="point derived"', population)) == 3
    assert len(re.findall(r'<circle class="point observed"', population)) == 1
    assert '<polyline class="line derived"' in population and "stroke-dasharray" in population
    assert f"2024 : 24{NBSP}980 {{inhab}} (dérivée / derived)" in html.unescape(population)
    # France gets derived values too
    _, _, france = get(server.url + "/id/pays/FR", "text/html")
    assert "population municipale" in _section(france)


def test_months_and_years_are_separate_charts(server):
    _, _, body = get(server.url + "/id/departement/61", "text/html")
    figures = _figures(_section(body))
    granularities = [re.search(r'class="granularity">— ([^<]*)</span>', figure).group(1) for figure in figures]
    assert granularities == ["mois / months", "années / years"]  # the hostile indicator's month, population's years


def test_single_value_still_charts(server):
    _, _, body = get(server.url + "/id/commune/61001", "text/html")
    hostile = _figures(_section(body))[0]
    assert len(re.findall(r"<circle ", hostile)) == 1 and "<polyline" not in hostile
    assert _rows(hostile) == [("2024-07", "7.25", "observée / observed")]
    assert "2024-07 : 7,25 %" in html.unescape(hostile)
    # the value axis still has ticks around the one value
    assert len(re.findall(r'<text class="tick y"', hostile)) >= 2


def test_territory_without_observations_has_no_chart_section(server):
    status, _, body = get(server.url + "/id/commune/72006", "text/html")
    assert status == 200 and "<h1>Arçonnay</h1>" in body
    assert "Indicateurs / Indicators" not in body and "<svg" not in body


def test_labels_are_escaped_everywhere(server):
    _, _, body = get(server.url + "/id/commune/61001", "text/html")
    assert "<script" not in body
    escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; indicateur"
    hostile = _figures(_section(body))[0]
    assert hostile.count(escaped) >= 2  # the heading and the SVG's <title>
    assert re.search(r'<title id="chart-1-title">' + re.escape(escaped), hostile)


def test_chart_needs_no_script_and_no_inline_style(server):
    """What a strict Content-Security-Policy would block: scripts, event handlers, style attributes."""
    _, _, body = get(server.url + "/id/departement/61", "text/html")
    section = _section(body)
    assert "<script" not in section and " style=" not in section
    assert not re.search(r"\son\w+=", section)


# --- in-process: the series and the chart alone -------------------------------------------------------------------


def test_numbers_are_written_the_french_way():
    assert format_number(Decimal("2103778.0")) == f"2{NBSP}103{NBSP}778"
    assert format_number(Decimal("4.50")) == "4,5"
    assert format_number(Decimal("10.333333333333333333333")) == "10,333"
    assert format_number(-1234.5) == f"-1{NBSP}234,5"
    assert format_number(2.0, 1) == "2,0"
    assert nice_ticks(710, 730) == [710, 715, 720, 725, 730]
    assert nice_ticks(5, 5) == [4.5, 5.0, 5.5]


class Term:
    """Stands for a pyoxigraph term in a result row."""

    def __init__(self, value):
        self.value = value


def _row(indicator: str, code: str, value: str, label: str | None = None) -> dict:
    return {
        "o": Term(f"{ID}observation/{indicator}/{code}"), "indicator": Term(ID + "indicator/" + indicator),
        "labelFr": Term(label or indicator), "labelEn": None, "code": Term(code), "granularity": None,
        "value": Term(value), "unit": None, "indicatorUnit": None, "derived": Term("false"),
    }  # fmt: skip


def test_points_are_capped_to_the_latest():
    def query(_sparql):
        return [_row("x", str(year), str(year)) for year in range(1700, 1700 + POINT_CAP + 10)]

    (series,) = indicator_series(query, ID + "commune/00000")
    assert len(series.points) == POINT_CAP and series.points_left_out == 10
    assert series.points[0].period == "1710" and series.points[-1].period == str(1700 + POINT_CAP + 9)
    chart = svg_chart(series)
    assert chart.count("<circle ") == POINT_CAP
    assert len(re.findall(r'<text class="tick x"', chart)) == 8  # labels thinned out, markers all kept
    assert ">1710</text>" in chart and f">{1700 + POINT_CAP + 9}</text>" in chart  # the first and the latest


def test_series_are_capped_sorted_by_label_and_say_so():
    def query(_sparql):
        rows = [_row(f"i{n:02}", "2020", "1", label=f"Label {25 - n:02}") for n in range(SERIES_CAP + 2)]
        return [*rows, _row("i00", "2020", "1", label="autre libellé")]  # a second French label: the same value

    found = indicator_series(query, ID + "commune/00000")
    assert len(found) == SERIES_CAP and found.series_left_out == 2
    assert [series.label for series in found] == sorted(series.label for series in found)
    assert all(len(series.points) == 1 for series in found)
    assert any("2 more series not shown" in note for note in found.notes)
    with pytest.raises(BadIri):
        indicator_series(query, "https://example.org/a b")


def test_chart_of_an_empty_label_and_unknown_period_shapes():
    series = Series(ID + "indicator/q", None, None, None, "", [Point("T1", Decimal(1), False), Point("T2", Decimal(3),
                                                                                                   True)])  # fmt: skip
    chart = svg_chart(series, chart_id="c")
    assert '<title id="c-title">q</title>' in chart and chart.count("<circle ") == 2
    assert table_rows(series)[1] == ("T2", "3", "3", "dérivée / derived")


# --- in a browser -------------------------------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


@pytest.mark.skipif(
    not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()),
    reason="Debian's chromium and chromium-driver are not installed (scripts/setup.sh --test installs them)",
)
def test_browser_shows_the_chart_without_console_errors(server, tmp_path):
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):  # fmt: skip
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))  # no Selenium Manager download
    try:
        driver.get(server.url + "/id/commune/61001")
        charts = driver.find_elements(By.CSS_SELECTOR, "svg.chart")
        assert len(charts) == 2
        for chart in charts:
            assert chart.is_displayed() and chart.size["width"] > 100 and chart.size["height"] > 30
        sizes = driver.execute_script(
            "return [...document.querySelectorAll('svg.chart circle')].map(c => c.getBoundingClientRect().width)"
        )
        assert len(sizes) == 4 and all(size > 0 for size in sizes)
        tips = driver.execute_script(
            "return [...document.querySelectorAll('svg.chart circle > title')].map(t => t.textContent)"
        )
        assert f"2026 : 25{NBSP}490 {{inhab}}" in tips
        assert [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"] == []

        # The same page under a policy that allows no script and no request at all (only the page's own <style> and
        # its empty data: icon): any violation would be logged as a console error.
        strict = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
        source = driver.page_source.replace(
            "<head>", f'<head><meta http-equiv="Content-Security-Policy" content="{strict}">', 1
        )
        page = tmp_path / "strict.html"
        page.write_text(source, encoding="utf-8")
        driver.get_log("browser")  # drop what is logged so far
        driver.get(page.as_uri())
        chart = driver.find_element(By.CSS_SELECTOR, "svg.chart")
        assert chart.is_displayed() and chart.size["width"] > 100
        assert [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"] == []
    finally:
        driver.quit()
