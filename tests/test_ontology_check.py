"""`agrs ontology check`: the shipped ontology is sound, and each broken fixture fails its own check."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DATA, REPO, run_agrs

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


# --- A copy of the repository: the check checks the copy, says so, and places each fault ----------------------

ALL_BUT = ("syntax", "imports", "version", "owl2-dl", "hermit", "meta-shapes", "qc", "shacl")


def _copy_of_the_repository(folder: Path) -> Path:
    """Copy ontology/, shapes/ and queries/ as a methodologist who copied the repository would have them."""
    for name in ("ontology", "shapes", "queries"):
        shutil.copytree(REPO / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def _check_in(folder: Path, *args: str, only: tuple[str, ...]) -> subprocess.CompletedProcess:
    skips = [arg for name in ALL_BUT if name not in only for arg in ("--skip", name)]
    return subprocess.run(
        [sys.executable, "-m", "agrs", "ontology", "check", *skips, *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=folder,
    )


def _break(path: Path, old: str, new: str) -> int:
    """Replace the first line equal to `old` with `new`; return its line number."""
    lines = path.read_text(encoding="utf-8").split("\n")
    number = lines.index(old)
    lines[number] = new
    path.write_text("\n".join(lines), encoding="utf-8")
    return number + 1


def test_check_in_a_copy_with_a_syntax_error_names_the_copy_file_and_line(tmp_path: Path):
    copy = _copy_of_the_repository(tmp_path / "copy")
    module = copy / "ontology" / "modules" / "commons.ttl"
    line = _break(module, "    rdfs:subClassOf agrs:Endeavour ;", "    rdfs:subClassOf agrs:Endeavour agrs:Other ;")
    result = _check_in(copy, "--quiet", only=("syntax", "imports"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        f"{module}:{line}: [syntax/parse] Bad syntax (expected '.' or '}}' or ']' at end of statement)"
    ]
    # It says which folders it checks, even with --quiet.
    assert f"checking the checkout {copy.resolve()}" in result.stderr
    assert str(copy.resolve() / "shapes") in result.stderr


def test_check_in_a_copy_names_the_line_of_a_term_missing_its_french_label(tmp_path: Path):
    copy = _copy_of_the_repository(tmp_path / "copy")
    module = copy / "ontology" / "modules" / "commons.ttl"
    _break(
        module,
        '    rdfs:label "commun du territoire"@fr , "territorial commons"@en ;',
        '    rdfs:label "territorial commons"@en ;',
    )
    block = module.read_text(encoding="utf-8").split("\n").index("agrs:Commons a owl:Class ;") + 1
    result = _check_in(copy, "--format", "json", only=("meta-shapes",))
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["folders"]["ontology"] == str(copy.resolve() / "ontology")
    faults = [f for c in report["checks"] for f in c["faults"]]
    assert [(f["rule"], f["term"], f["file"], f["line"]) for f in faults] == [
        ("RdfsLabelFr", "https://w3id.org/agrs/Commons", str(copy.resolve() / "ontology/modules/commons.ttl"), block)
    ]


def test_check_with_root_checks_that_tree_from_anywhere(tmp_path: Path):
    copy = _copy_of_the_repository(tmp_path / "copy")
    (copy / "ontology" / "modules" / "scale.ttl").write_text("this is not Turtle", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = _check_in(elsewhere, "--root", str(copy), "--quiet", only=("syntax",))
    assert result.returncode == 1
    assert f"{copy.resolve() / 'ontology/modules/scale.ttl'}:1: [syntax/parse]" in result.stdout
    assert "(--root)" in result.stderr


def test_check_outside_a_checkout_says_it_checks_the_installed_package(tmp_path: Path):
    result = _check_in(tmp_path, "--quiet", only=("syntax",))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "checking the installed package" in result.stderr


def test_root_that_is_not_a_source_tree_is_a_usage_error(tmp_path: Path):
    result = _check_in(tmp_path, "--root", str(tmp_path), only=("syntax",))
    assert result.returncode == 2
    assert "not a source tree" in result.stderr
