"""The shrink guard: a re-load that would drop more than half of a graph's records needs --allow-shrink (exit 2
otherwise, nothing written); a load with no valid record keeps the current version (exit 1)."""

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from agrs.cli import cli
from agrs.graphs import graph_iri
from agrs.loaders.pipeline import shrinks
from agrs.store.embedded import EmbeddedStore

from conftest import DATA

TERRITORIES = DATA / "loaders" / "territories"
ETALAB = [TERRITORIES / f"etalab-{name}.json" for name in ("communes", "epci", "departements", "regions")]
REGIONS = TERRITORIES / "etalab-regions.json"
COG = graph_iri("territories", "cog")
PARTNERS = graph_iri("partners", "default")
HEADER = "id,name,territory,actor_type,source\n"
ROWS = "".join(f"partner-{n},Partenaire {n},75056,territory,seed-004\n" for n in range(6))


def agrs(*args: str):
    """Run `agrs ARGS` in this process (click's runner): the result has exit_code, stdout and stderr."""
    return CliRunner().invoke(cli, [str(arg) for arg in args], catch_exceptions=False)


def versions(store_path: Path, graph: str) -> list[tuple[str, int, bool]]:
    with EmbeddedStore(store_path, read_only=True) as store:
        return [(record.version.rsplit("/", 1)[-1], record.triples, record.current) for record in store.history(graph)]


@pytest.fixture(scope="module")
def territories_store(tmp_path_factory) -> Path:
    """A closed store holding the fixture's territories (communes, EPCI, départements, régions), built once."""
    folder = tmp_path_factory.mktemp("territories")
    assert all(path.is_file() for path in ETALAB)
    result = agrs("load", "territories", *ETALAB, "--store", folder / "store", "--quarantine", folder / "q", "--quiet")
    assert result.exit_code == 0, result.stderr
    return folder / "store"


@pytest.fixture
def territories(territories_store, tmp_path) -> tuple[Path, Path]:
    """A copy of the territories store for one test, and a quarantine folder."""
    shutil.copytree(territories_store, tmp_path / "store")
    return tmp_path / "store", tmp_path / "q"


def test_more_than_half_is_a_shrink_half_is_not():
    assert shrinks(51, 12) and shrinks(51, 25) and shrinks(2, 0)
    assert not shrinks(50, 25) and not shrinks(51, 26) and not shrinks(0, 0) and not shrinks(10, 40)


def test_a_regions_only_file_does_not_replace_every_territory(territories):
    store, quarantine = territories
    before = versions(store, COG)
    assert before == [("v1", 471, True)]
    refused = agrs("load", "territories", REGIONS, "--store", store, "--quarantine", quarantine)
    assert refused.exit_code == 2
    assert "51 records" in refused.stderr and "12 records" in refused.stderr and "--allow-shrink" in refused.stderr
    assert "Traceback" not in refused.output + refused.stderr
    assert versions(store, COG) == before  # nothing written, no version number taken
    allowed = agrs("load", "territories", REGIONS, "--store", store, "--quarantine", quarantine, "--allow-shrink")
    assert allowed.exit_code == 0, allowed.stderr
    assert versions(store, COG) == [("v2", 81, True), ("v1", 471, False)]
    # …and the undo: the previous version is current again, whole.
    undo = agrs("rollback", "territories/cog", "--store", store)
    assert undo.exit_code == 0, undo.stderr
    assert "v2 → v1" in undo.stdout
    assert versions(store, COG) == [("v2", 81, False), ("v1", 471, True)]


def test_a_mostly_rejected_file_is_a_shrink_too(territories, tmp_path):
    store, quarantine = territories
    good = tmp_path / "good.csv"
    good.write_text(HEADER + ROWS, encoding="utf-8")
    assert agrs("load", "partners", good, "--store", store, "--quarantine", quarantine).exit_code == 0
    # One valid row and five whose commune does not exist: the valid records describe 1 of 6 partners.
    bad = "".join(f"partner-{n},Partenaire {n},99999,territory,seed-004\n" for n in range(1, 6))
    mostly = tmp_path / "mostly-rejected.csv"
    mostly.write_text(HEADER + ROWS.splitlines(keepends=True)[0] + bad, encoding="utf-8")
    refused = agrs("load", "partners", mostly, "--store", store, "--quarantine", quarantine)
    assert refused.exit_code == 2 and "6 records" in refused.stderr and "1 records" in refused.stderr
    assert [current for _, _, current in versions(store, PARTNERS)] == [True]


@pytest.mark.parametrize(("name", "rows"), [("header-only.csv", ""), ("all-rejected.csv", "x,X,99999,territory,s\n")],
                         ids=["header-only", "all-rejected"])
def test_a_file_with_no_valid_record_keeps_the_current_version(territories, tmp_path, name, rows):
    store, quarantine = territories
    good = tmp_path / "good.csv"
    good.write_text(HEADER + ROWS, encoding="utf-8")
    assert agrs("load", "partners", good, "--store", store, "--quarantine", quarantine).exit_code == 0
    before = versions(store, PARTNERS)
    empty = tmp_path / name
    empty.write_text(HEADER + rows, encoding="utf-8")
    result = agrs("load", "partners", empty, "--store", store, "--quarantine", quarantine)
    assert result.exit_code == 1, result.stderr  # "ran, nothing loaded": not the shrink guard's exit 2
    assert "partners/default/v1 stays" in result.stderr
    assert versions(store, PARTNERS) == before == [("v1", before[0][1], True)]
