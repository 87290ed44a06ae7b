"""Shared fixtures: paths of the repository's data, and a runner for the `agrs` command."""

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


def run_agrs(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run the installed `agrs` command in a child process, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "agrs", *args], capture_output=True, text=True, timeout=timeout, cwd=REPO
    )


# Store kinds the `store` fixture is run with; remote kinds (Oxigraph server, Virtuoso) join this list later,
# as pytest.param("virtuoso", marks=pytest.mark.remote), and get a branch in `_open_store`.
STORE_KINDS = ["embedded"]


def _open_store(kind: str, tmp_path: Path):
    if kind == "embedded":
        from agrs.store.embedded import EmbeddedStore

        return EmbeddedStore(tmp_path / "store")
    raise ValueError(f"unknown store kind {kind}")


@pytest.fixture(params=STORE_KINDS)
def store(request, tmp_path):
    """A fresh, empty store of each kind, open for writing, closed after the test."""
    opened = _open_store(request.param, tmp_path)
    yield opened
    opened.close()
