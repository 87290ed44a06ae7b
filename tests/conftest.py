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
