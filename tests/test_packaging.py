"""The wheel: the ontology, shapes, queries and the query UI ship inside it, and an installed wheel serves them."""

import os
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest

from conftest import REPO, free_port, http_get

DATA_DIRS = ("ontology", "shapes", "queries")
#: wheels of the package's dependencies, collected by `scripts/setup.sh --test` (tests never use the network)
WHEELHOUSE = REPO / ".venv" / "wheelhouse"


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
    ui = {f"agrs/server/ui/{name}" for name in ("yasgui/yasgui.min.js", "yasgui/yasgui.min.css", "yasgui/LICENSE",
                                                  "static/query.js", "static/query.css")}  # fmt: skip
    assert ui - names == set(), "the query UI's files are not in the wheel"
    maps = {"agrs/server/pages/france-map.json", "agrs/server/templates/linked_data/map.html",
            "agrs/server/templates/linked_data/map_index.html"}  # fmt: skip
    assert maps - names == set(), "the map pages' outlines or templates are not in the wheel"


@pytest.mark.slow
def test_wheel_ships_every_module(wheel: Path):
    """Every module of the core and of the wings, sub-packages included (setuptools lists packages by name)."""
    sources = {
        "agrs": REPO / "agrs", "agrs/loaders": REPO / "loaders", "agrs/derived": REPO / "derived",
        "agrs/server": REPO / "server",
    }  # fmt: skip
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


@pytest.fixture(scope="module")
def fresh_install(wheel: Path, tmp_path_factory) -> Path:
    """A new virtualenv holding the wheel and its dependencies only (from the setup's wheelhouse, --no-index)."""
    assert any(WHEELHOUSE.glob("pyoxigraph-*.whl")), f"{WHEELHOUSE} holds no wheels: run scripts/setup.sh --test"
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300)
    # PIP_CONFIG_FILE=/dev/null: only the wheelhouse and the wheel, whatever this machine's pip configuration says.
    environment = {**os.environ, "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-index", "--find-links", str(WHEELHOUSE),
         str(wheel)],
        capture_output=True, text=True, timeout=600, env=environment,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return venv


@pytest.mark.slow
def test_installed_wheel_loads_and_serves_the_query_ui(fresh_install: Path, tmp_path: Path):
    """`pip install agrs` alone, outside the repository (no node_modules, no data/): load, then serve /sparql and
    the whole query UI."""
    python, agrs = fresh_install / "bin" / "python", fresh_install / "bin" / "agrs"
    where = subprocess.run([str(python), "-c", "import agrs, sys; print(agrs.__file__)"], capture_output=True,
                           text=True, cwd=tmp_path, check=True).stdout.strip()  # fmt: skip
    assert Path(where).is_relative_to(fresh_install), where
    extras = subprocess.run([str(python), "-c", "import importlib.util as u; print(u.find_spec('owlready2'), "
                             "u.find_spec('pylode'))"], capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert extras.split() == ["None", "None"], "the check and docs extras are not dependencies of a plain install"
    # Without the `check` extra, the HermiT check says what to install (exit 2) instead of failing on an import.
    skips = [option for name in ("owl2-dl", "meta-shapes", "qc", "shacl") for option in ("--skip", name)]
    check = subprocess.run([str(agrs), "ontology", "check", "--quiet", *skips], capture_output=True, text=True,
                           cwd=tmp_path, timeout=300)  # fmt: skip
    assert check.returncode == 2 and "pip install 'agrs[check]'" in check.stderr, check.stderr
    store = tmp_path / "store"
    data = tmp_path / "one.ttl"
    data.write_text(
        "@prefix agrs: <https://w3id.org/agrs/> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        '<https://w3id.org/agrs/id/note/1> rdfs:label "une note"@fr .\n',
        encoding="utf-8",
    )
    loaded = subprocess.run([str(agrs), "load", "rdf", str(data), "--store", str(store), "--quiet",
                             "--quarantine", str(tmp_path / "q")], capture_output=True, text=True, cwd=tmp_path,
                            timeout=300)  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen([str(agrs), "serve", "--store", str(store), "--port", str(port)], cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=log)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base + "/health", server)
        status, headers, page = http_get(base + "/sparql", accept="text/html")
        assert status == 200 and headers["content-type"].startswith("text/html"), page[:500]
        assert "/ui/yasgui/yasgui.min.js" in page and "agrs-ui-config" in page
        for asset, start in (("/ui/yasgui/yasgui.min.js", "(function"), ("/ui/yasgui/yasgui.min.css", ""),
                             ("/ui/static/query.js", "")):  # fmt: skip
            status, _, body = http_get(base + asset)
            assert status == 200 and body.startswith(start) and len(body) > 100, asset
        status, _, answer = http_get(base + "/sparql?query=" + urllib.request.quote("ASK { ?s ?p 'une note'@fr }"),
                                     accept="application/sparql-results+json")  # fmt: skip
        assert status == 200 and '"boolean":true' in answer.replace(" ", "")
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _wait_for(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"agrs serve exited {process.returncode}"
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds} s")
