"""The level hierarchy, queryable directly: which levels lie above or below a level, and every territory of a level
(an EPCI's kind or level:epci itself), after a load of the territory fixtures and `agrs reason`."""

from pathlib import Path

import pytest

from agrs.derived.reason import materialise
from agrs.loaders.pipeline import run_load
from agrs.loaders.territories import TerritoriesLoader
from agrs.ns import LEVEL
from agrs.resources import Resources
from agrs.store.base import Dataset

from conftest import DATA

ETALAB = [DATA / "loaders" / "territories" / f"etalab-{name}.json"
          for name in ("communes", "epci", "departements", "regions")]  # fmt: skip
PREFIXES = "PREFIX agrs: <https://w3id.org/agrs/>\nPREFIX level: <https://w3id.org/agrs/level/>\n"


@pytest.fixture
def loaded(store, tmp_path: Path):
    summary = run_load(TerritoriesLoader(), ETALAB, store, quarantine_dir=tmp_path / "q", resources=Resources.load())
    assert summary.rejected == 0
    materialise(store)
    return store


def levels(store, query: str) -> set[str]:
    return {row["level"].value.removeprefix(str(LEVEL)) for row in store.query(PREFIXES + query)}


def test_levels_above_and_below_are_one_triple_pattern(loaded):
    above = levels(loaded, "SELECT ?level WHERE { level:commune agrs:levelAbove ?level }")
    assert {"epci", "metropole", "communaute-communes", "departement", "region", "country", "europe",
            "world"} <= above  # fmt: skip
    assert "commune" not in above and "municipal-arrondissement" not in above
    below = levels(loaded, "SELECT ?level WHERE { level:departement agrs:levelBelow ?level }")
    assert {"epci", "metropole", "commune", "municipal-arrondissement", "delegated-commune"} <= below
    assert "region" not in below
    # the next level only, as agrs:directlyWithin is to agrs:within
    assert levels(loaded, "SELECT ?level WHERE { level:departement agrs:nextLevelAbove ?level }") == {"region"}
    assert levels(loaded, "SELECT ?level WHERE { level:region agrs:nextLevelBelow ?level }") == {"departement"}
    assert levels(loaded, "SELECT ?level WHERE { level:metropole agrs:nextLevelAbove ?level }") == {"departement"}


def test_every_epci_is_in_level_epci_with_or_without_inference(loaded):
    query = PREFIXES + "SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE { ?t agrs:inLevel level:epci }"
    (row,) = loaded.query(query)
    assert int(row["n"].value) == 9  # the EPCI of etalab-epci.json, whatever their kind
    (row,) = loaded.query(query, dataset=Dataset(infer=False))  # the loader states them: no reasoner needed
    assert int(row["n"].value) == 9
    kinds = PREFIXES + """SELECT ?level (COUNT(?t) AS ?n) WHERE {
        ?t agrs:inLevel level:epci ; agrs:hasLevel ?level } GROUP BY ?level"""
    found = {row["level"].value.removeprefix(str(LEVEL)): int(row["n"].value) for row in loaded.query(kinds)}
    assert set(found) <= {"metropole", "communaute-urbaine", "communaute-agglomeration", "communaute-communes"}
    assert sum(found.values()) == 9


def test_every_territory_has_its_level_and_is_in_it(loaded):
    missing = PREFIXES + """SELECT ?t WHERE { ?t a agrs:Territory .
        FILTER NOT EXISTS { ?t agrs:hasLevel ?level . ?t agrs:inLevel ?level } }"""
    assert list(loaded.query(missing)) == []
