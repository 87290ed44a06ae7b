"""The populations of an EPCI's page, named: the DGCL list's figure and the sum of its communes' legal populations.

On the real COG, Bordeaux Métropole shows 843 738 (agrs:dgclMunicipalPopulation: the DGCL's list of EPCI 2026,
municipal population 2022) beside a chart of 854 334 (the `population` indicator for 2026 rolled up from its
communes: municipal population 2023). The fixtures' CU d'Alençon plays that part: 55 405 in the DGCL list, its two
communes' populations below summed by the roll-up.
"""

import gc
import html
import re

import pytest

from conftest import DATA, REPO, LiveServer
from conftest import http_get as get

ETALAB = [DATA / "loaders" / "territories" / f"etalab-{name}.json"
          for name in ("communes", "epci", "departements", "regions")]  # fmt: skip
OBSERVATIONS = """territory,indicator,period,value,unit,source
61001,population,2026,25490,{inhab},insee-populations
72006,population,2026,1902,{inhab},insee-populations
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from agrs.derived.rollup import run_rollup
    from agrs.loaders.indicators import IndicatorsLoader
    from agrs.loaders.pipeline import run_load
    from agrs.loaders.territories import TerritoriesLoader
    from agrs.store import open_store

    folder = tmp_path_factory.mktemp("populations")
    (folder / "observations.csv").write_text(OBSERVATIONS, encoding="utf-8")
    quarantine = folder / "quarantine"
    with open_store(folder / "store") as store:
        assert run_load(TerritoriesLoader(), ETALAB, store, quarantine_dir=quarantine).rejected == 0
        files = [REPO / "data" / "indicators" / "indicators.csv", folder / "observations.csv"]  # the shipped definition
        assert run_load(IndicatorsLoader(), files, store, key="population", quarantine_dir=quarantine).rejected == 0
        run_rollup(store, quarantine_dir=quarantine)
    gc.collect()
    live = LiveServer(folder / "store")
    yield live
    live.stop()


def _populations(body: str) -> str:
    found = re.search(r'<section class="populations".*?</section>', body, re.S)
    assert found, "the page has no populations section"
    return html.unescape(found.group(0)).replace("\u202f", " ")


def test_epci_page_names_both_populations(server):
    status, _, body = get(server.url + "/id/epci/246100663", "text/html")
    assert status == 200
    section = _populations(body)
    dgcl = re.search(r"<dt>.*?55 405.*?</dt>\s*<dd>(.*?)</dd>", section, re.S)
    rolled = re.search(r"<dt>.*?27 392.*?</dt>\s*<dd>(.*?)</dd>", section, re.S)  # 25 490 + 1 902
    assert dgcl and rolled, section
    assert "population municipale selon la liste des EPCI de la DGCL" in dgcl.group(0)
    assert "population municipale 2022 (recensement, en vigueur au 1er janvier 2025)" in dgcl.group(1)
    assert "population municipale en vigueur au 1er janvier" in rolled.group(0)
    assert "2026" in rolled.group(0) and "dérivée" in rolled.group(0)
    assert "population municipale 2023 (recensement, en vigueur au 1er janvier 2026)" in rolled.group(1)
    assert "diffèrent par leur source et leur millésime" in section
    # the figures are above the chart they explain
    assert body.index('class="populations"') < body.index('class="indicators"')


def test_commune_page_names_its_legal_population(server):
    status, _, body = get(server.url + "/id/commune/61001", "text/html")
    assert status == 200
    section = _populations(body)
    assert "population municipale légale" in section and "population municipale 2023" in section
