"""The ontology, shapes and queries ship inside the wheel and are found from an installed package."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import REPO

DATA_DIRS = ("ontology", "shapes", "queries")


def _data_files() -> set[str]:
    files = set()
    for folder in DATA_DIRS:
        for path in (REPO / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                files.add(f"agrs/{path.relative_to(REPO).as_posix()}")
    return files


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # No build isolation: the build must not need the network.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(REPO)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (found,) = out.glob("agrs-*.whl")
    return found


@pytest.mark.slow
def test_wheel_ships_every_data_file(wheel: Path):
    expected = _data_files()
    assert expected
    names = set(zipfile.ZipFile(wheel).namelist())
    assert expected - names == set()
    assert "agrs/loaders/__init__.py" in names and "agrs/server/__init__.py" in names


@pytest.mark.slow
def test_wheel_ships_every_module(wheel: Path):
    """Every module of the core and of the wings, sub-packages included (setuptools lists packages by name)."""
    sources = {"agrs": REPO / "agrs", "agrs/loaders": REPO / "loaders", "agrs/server": REPO / "server"}
    expected = {
        f"{prefix}/{path.relative_to(folder).as_posix()}"
        for prefix, folder in sources.items()
        for path in folder.rglob("*.py")
        if "__pycache__" not in path.parts
    }
    assert len(expected) > 50
    missing = expected - set(zipfile.ZipFile(wheel).namelist())
    assert not missing, f"not in the wheel (add the package to [tool.setuptools] packages): {sorted(missing)}"


@pytest.mark.slow
def test_installed_wheel_finds_its_ontology(wheel: Path, tmp_path: Path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    code = (
        "from agrs.paths import ontology_dir; from agrs.closure import load_closure; "
        "c = load_closure(ontology_dir()); print(ontology_dir()); print(len(c.documents), len(c.faults))"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    where, counts = result.stdout.strip().splitlines()
    assert Path(where).is_relative_to(target)
    documents, faults = map(int, counts.split())
    assert documents > 30 and faults == 0
