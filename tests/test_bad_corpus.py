"""The bad-input corpus: every file under tests/data/bad/<loader>/ goes through `agrs load <loader>` and must end as
its sidecar `<file>.expect.json` says.

A sidecar holds `{"exit": 0|1|2, "stderr": ["substring", ...], "loaded": N or null, "quarantined": N or null,
"reasons": ["substring in the quarantine file", ...], "why": "what the file tries"}` and, optionally, `"args"`:
more command-line arguments (`{dir}` stands for the sidecar's folder, `{repo}` for the repository: the survey
loader's `--form`, for instance).
Files whose name starts with `_` are support files (a form, a sibling sheet), loaded only through `args`.

Each case runs in-process (click's CliRunner), under the key `corpus`, on a copy of a store that already holds
the ontology, territories, indicator definitions and a partners graph (BASELINE), and checks, besides the sidecar:
no Python traceback in the output, no exception other than the exit, and, after exit 2 (could not run), a store
whose content is exactly what it was.
"""

import json
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from agrs.loaders.cli import load
from agrs.loaders.registry import LOADERS
from agrs.resources import Resources

from conftest import DATA, REPO

CORPUS = DATA / "bad"
LOADER_DATA = DATA / "loaders"
#: every loader folder of the corpus (a folder named after no loader is a mistake: test_folders_are_loaders)
FOLDERS = sorted(path for path in CORPUS.iterdir() if path.is_dir() and not path.name.startswith(("_", ".")))
CASES = sorted(sidecar for folder in FOLDERS for sidecar in folder.rglob("*.expect.json"))
SIDECAR_KEYS = {"exit", "stderr", "loaded", "quarantined", "reasons", "why", "args"}
SALT = "corpus-salt"  # the survey loader refuses to run without a salt

#: what the store every case starts from holds: the territories and indicator definitions the records may point
#: to, and one partners record; each case loads under the key KEY (its own graph), unless its args give one
BASELINE = [
    ("territories", [LOADER_DATA / "territories" / f"cog-{level}.csv" for level in ("regions", "departements",
                                                                                      "communes")]),
    ("indicators", [LOADER_DATA / "indicators" / "definitions.csv"]),
    ("partners", ["id,name,kind\nbaseline-corpus,Organisation de référence,association\n"]),
]
KEY = "corpus"


def _case_id(sidecar: Path) -> str:
    return str(sidecar.relative_to(CORPUS)).removesuffix(".expect.json")


def _input_of(sidecar: Path) -> Path:
    return sidecar.with_name(sidecar.name.removesuffix(".expect.json"))


def _invoke(*args: str):
    return CliRunner().invoke(load, list(args), env={"AGRS_SURVEY_SALT": SALT})


def _content(store: Path) -> list[str]:
    """Every quad of a (closed) embedded store, as sorted text: what "unchanged" compares."""
    opened = ox.Store.read_only(str(store))
    try:
        return sorted(str(quad) for quad in opened)
    finally:
        del opened


@pytest.fixture(scope="module", autouse=True)
def resources_once():
    """Parse the shapes and the ontology once for the module, not once per `agrs load` (the same real resources:
    each command would parse the same files again, a second or more of each case)."""
    loaded = Resources.load()
    original = Resources.__dict__["load"]
    Resources.load = classmethod(lambda cls: loaded)
    yield
    Resources.load = original


@pytest.fixture(scope="session")
def baseline_store(tmp_path_factory) -> Path:
    """A store holding the ontology and the BASELINE graphs, built once and copied by each case."""
    folder = tmp_path_factory.mktemp("corpus-baseline")
    for kind, sources in BASELINE:
        files = []
        for source in sources:
            if isinstance(source, str):
                files.append(folder / f"{kind}.csv")
                files[-1].write_text(source, encoding="utf-8")
            else:
                files.append(source)
        result = _invoke(kind, *map(str, files), "--store", str(folder / "store"), "--quarantine", str(folder / "q"))
        assert result.exit_code == 0, result.output
    return folder / "store"


def test_the_corpus_is_not_empty():
    assert FOLDERS, f"no loader folder under {CORPUS}"
    assert CASES, f"no sidecar under {CORPUS}"
    for folder in FOLDERS:
        assert list(folder.rglob("*.expect.json")), f"{folder} holds no case"


def test_folders_are_loaders():
    assert {folder.name for folder in FOLDERS} <= set(LOADERS), "a folder under tests/data/bad/ names no loader"


def test_every_file_has_its_sidecar():
    inputs = [
        path for folder in FOLDERS for path in folder.rglob("*")
        if path.is_file() and not path.name.endswith(".expect.json") and not path.name.startswith("_")
    ]  # fmt: skip
    assert inputs
    missing = [
        str(path.relative_to(CORPUS)) for path in inputs if not path.with_name(path.name + ".expect.json").is_file()
    ]
    assert not missing, f"files without a sidecar: {missing}"
    orphans = [_case_id(sidecar) for sidecar in CASES if not _input_of(sidecar).is_file()]
    assert not orphans, f"sidecars without their file: {orphans}"


@pytest.mark.parametrize("sidecar", CASES, ids=_case_id)
def test_case(sidecar: Path, baseline_store: Path, tmp_path: Path):
    expect = json.loads(sidecar.read_text(encoding="utf-8"))
    assert set(expect) <= SIDECAR_KEYS, f"unknown keys in {sidecar.name}: {set(expect) - SIDECAR_KEYS}"
    assert expect["exit"] in (0, 1, 2) and expect.get("why"), f"{sidecar.name}: give the exit code and why"
    kind = sidecar.relative_to(CORPUS).parts[0]
    store, quarantine = tmp_path / "store", tmp_path / "quarantine"
    shutil.copytree(baseline_store, store)
    before = _content(store)
    extra = [arg.replace("{dir}", str(sidecar.parent)).replace("{repo}", str(REPO)) for arg in expect.get("args", [])]
    if "--key" not in extra and "--graph" not in extra:
        extra += ["--key", KEY]
    result = _invoke(kind, str(_input_of(sidecar)), *extra, "--store", str(store), "--quarantine", str(quarantine))

    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}\n{output}"
    )
    assert "Traceback" not in output, output
    assert result.exit_code == expect["exit"], output
    for text in expect.get("stderr", []):
        assert text in result.stderr, f"{text!r} not in stderr:\n{result.stderr}"

    if expect.get("loaded") is not None:
        assert _loaded(result.stdout) == expect["loaded"], result.stdout
    # Split on line feeds only: str.splitlines would also split inside a record at U+0085 or U+2028.
    texts = [path.read_text("utf-8") for path in sorted(quarantine.glob("*.jsonl"))]
    lines = [line for text in texts for line in text.split("\n") if line]
    if expect.get("quarantined") is not None:
        assert len(lines) == expect["quarantined"], "\n".join(lines)
    quarantined = "\n".join(json.dumps(json.loads(line), ensure_ascii=False) for line in lines)
    for text in expect.get("reasons", []):
        assert text in quarantined, f"{text!r} not in the quarantine:\n{quarantined}"
    if expect["exit"] == 2:
        assert _content(store) == before, "the store changed although the load could not run"


def _loaded(stdout: str) -> int:
    """The `loaded` count of the summary line `read R / loaded L / rejected J` (0 when there is none)."""
    for line in stdout.splitlines():
        if line.startswith("read ") and " / loaded " in line:
            return int(line.split(" / loaded ")[1].split()[0])
    return 0
