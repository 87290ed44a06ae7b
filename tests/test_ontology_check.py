"""`agrs ontology check`: the shipped ontology is sound, and each broken fixture fails its own check."""

import json
from pathlib import Path

import pytest

from conftest import DATA, run_agrs

BROKEN = sorted((DATA / "ontology" / "broken").iterdir())
JAVA_CHECKS = ("owl2-dl", "hermit")


def test_broken_fixtures_exist():
    assert BROKEN, "no broken fixture found"


def _check(*args: str) -> tuple[int, dict]:
    result = run_agrs("ontology", "check", "--format", "json", *args)
    assert result.returncode in (0, 1, 2), result.stderr
    return result.returncode, json.loads(result.stdout)


@pytest.mark.slow
def test_shipped_ontology_is_sound():
    code, report = _check()
    faults = [f for c in report["checks"] for f in c["faults"]]
    errors = [c["error"] for c in report["checks"] if c["error"]]
    assert (code, faults, errors) == (0, [], [])
    assert [c["name"] for c in report["checks"]] == [
        "syntax",
        "imports",
        "version",
        "owl2-dl",
        "hermit",
        "meta-shapes",
        "qc",
        "shacl",
    ]


@pytest.mark.slow
@pytest.mark.parametrize("fixture", BROKEN, ids=[p.name for p in BROKEN])
def test_broken_fixture_fails_the_check_it_names(fixture: Path):
    check, rule = fixture.name.split(".")[0].split("--")
    # The Java checks take seconds each: run them only for the fixtures that target them.
    skip = [arg for name in JAVA_CHECKS if name != check for arg in ("--skip", name)]
    code, report = _check("--include", str(fixture), *skip)
    failing = {c["name"] for c in report["checks"] if c["faults"] or c["error"]}
    assert code == 1, report
    assert failing == {check}, f"expected only {check} to fail, got {failing}"
    rules = {f["rule"] for c in report["checks"] for f in c["faults"]}
    assert rule in rules, f"{fixture.name} did not fire rule {rule}: {rules}"


def test_check_cannot_run_without_catalog(tmp_path: Path):
    (tmp_path / "agrs.ttl").write_text("<https://w3id.org/agrs/ontology> a <http://www.w3.org/2002/07/owl#Ontology> .")
    result = run_agrs("ontology", "check", "--ontology-dir", str(tmp_path), "--skip", "owl2-dl", "--skip", "hermit")
    assert result.returncode == 2
    assert "catalog" in result.stderr


def test_faults_are_printed_with_check_rule_and_term():
    fixture = DATA / "ontology" / "broken" / "qc--missing-range-violation.ttl"
    result = run_agrs(
        "ontology", "check", "--include", str(fixture), "--skip", "owl2-dl", "--skip", "hermit", "--quiet"
    )
    assert result.returncode == 1
    assert "[qc/missing-range-violation] <https://w3id.org/agrs/fixtureNoRange>" in result.stdout
