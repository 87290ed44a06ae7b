"""Smoke tests of the issue-13 benchmark suite: each script's --quick runs on a tiny size and prints its table.

They run with --no-install (no network in tests): a server or engine that is not installed here becomes a
skipped row whose reason the table prints, and the test says which were skipped. The cache is a temporary
folder (AGRS_BENCH_CACHE), so nothing is read from a previous `make bench`.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BENCHMARKS = REPO / "benchmarks"
SCRIPTS = ("validation.py", "engines.py", "throughput.py", "targets.py", "remote_stores.py")


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    """One cache folder for the module: the scripts share the tiny data they build."""
    return tmp_path_factory.mktemp("bench-cache")


def run(script: str, cache: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """Run a benchmark script with the cache folder; fail with its output when it exits non-zero."""
    environment = {**os.environ, "AGRS_BENCH_CACHE": str(cache)}
    done = subprocess.run([sys.executable, str(BENCHMARKS / script), *args], cwd=REPO, env=environment,
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip
    assert done.returncode == 0, f"{script} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def test_the_scripts_exist():
    assert all((BENCHMARKS / script).exists() for script in SCRIPTS)


@pytest.mark.slow
def test_validation_quick(cache):
    done = run("validation.py", cache, "--quick", "--no-install")
    assert "| pySHACL |" in done.stdout
    result = json.loads((cache / "results" / "validation-quick.json").read_text())
    rows = {row["engine"]: row for row in result["data_sets"][0]["rows"]}
    assert "keys" in rows["pySHACL"], rows["pySHACL"]
    # the injected violations are found, and every engine that ran agrees with pySHACL
    assert not rows["pySHACL"]["conforms"]
    assert result["data_sets"][0]["mismatches"] == []
    skipped = {name: row["skipped"] for name, row in rows.items() if "skipped" in row}
    print("skipped:", skipped)
    assert {row["mode"] for row in result["pipeline"]} == {"with", "without"}


@pytest.mark.slow
def test_engines_quick(cache):
    done = run("engines.py", cache, "--quick", "--no-install", "--runs", "1")
    assert "| ask |" in done.stdout
    result = json.loads((cache / "results" / "engines-quick.json").read_text())
    assert result["questions"]["ask"]["pyoxigraph"]["rows"] == 1
    assert result["mismatches"] == [], result["mismatches"]
    print("skipped:", result["skipped"])
    if "agrs serve" not in result["skipped"]:
        assert result["questions"]["commune-lookup"]["agrs serve"]["ms"] is not None


@pytest.mark.slow
def test_throughput_quick(cache):
    done = run("throughput.py", cache, "--quick", "--no-install", "--clients", "2", "--seconds", "1")
    result = json.loads((cache / "results" / "throughput-quick.json").read_text())
    print("skipped:", result["skipped"])
    assert "agrs serve" in result["results"]["small"], done.stdout
    assert result["results"]["small"]["agrs serve"]["requests"] > 0


@pytest.mark.slow
def test_targets_quick(cache):
    done = run("targets.py", cache, "--quick")
    assert "| target | threshold | measured | ratio | met | note |" in done.stdout
    assert "validation of the real territories" in done.stdout


@pytest.mark.slow
@pytest.mark.remote
def test_remote_stores_quick(cache):
    figures = cache / "remote-stores-quick.json"
    done = run("remote_stores.py", cache, "--quick", "--stores", "embedded,oxigraph-server", "--json", str(figures))
    assert "embedded" in done.stdout
    stores = json.loads(figures.read_text())["stores"]
    embedded = stores["embedded"]["questions"]
    assert embedded and all(result["error"] is None for result in embedded.values()), embedded
    if "oxigraph-server" in stores:  # absent (skipped, with the reason) where the server is not installed
        assert stores["oxigraph-server"]["triples"] == stores["embedded"]["triples"]
        served = stores["oxigraph-server"]["questions"]
        assert {name: result["rows"] for name, result in served.items()} == {
            name: result["rows"] for name, result in embedded.items()}
