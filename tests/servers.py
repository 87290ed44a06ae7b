"""Remote SPARQL servers for the tests (Virtuoso, Oxigraph server, Fuseki), started on loopback by fixtures.

Each fixture is session-scoped: the server starts once, on a free 127.0.0.1 port with its data in a temporary
folder, and is stopped (its whole process group killed) when the session ends. Tests call `reset()` to empty it
between uses. A server that is not installed skips the tests that ask for it, with the reason.

    oxigraph_server   PyPI `oxigraph`'s binary: `oxigraph serve --location DIR --bind 127.0.0.1:PORT`
    virtuoso_server   Debian virtuoso-opensource 7.2 (`virtuoso-t`, `isql-vt`), config/virtuoso/virtuoso.ini
    fuseki_server     `java -jar jena-fuseki-server-5.x.jar` (AGRS_FUSEKI_JAR or .cache/fuseki/*.jar),
                      config/fuseki/agrs-tdb2.ttl; scripts/install-fuseki.sh downloads the jar

Outside pytest, `python tests/servers.py virtuoso` starts one and prints its URLs until Ctrl-C (the benchmark
benchmarks/remote_stores.py uses `start_server` the same way).
"""

from __future__ import annotations

import atexit
import glob
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "config"

__all__ = [
    "ServerInfo",
    "ServerUnavailable",
    "fuseki_server",
    "oxigraph_server",
    "start_server",
    "virtuoso_server",
]

#: The user the fixtures create on the servers that have users (Virtuoso, Fuseki); the password is random per run.
SERVER_USER = "agrs"


class ServerUnavailable(RuntimeError):
    """The server is not installed here (the message says what is missing and how to install it)."""


@dataclass
class ServerInfo:
    """A running SPARQL server: its endpoints, the credentials updates need, and how to empty and stop it."""

    kind: str  # "oxigraph-server" | "virtuoso" | "fuseki"
    query_url: str
    update_url: str
    graph_store_url: str | None
    user: str | None
    password: str | None = field(repr=False)
    auth: str | None  # "basic" | "digest" | None (no authentication: Oxigraph server has none)
    reset: Callable[[], None] = field(repr=False)
    stop: Callable[[], None] = field(repr=False)
    base_url: str = ""
    folder: Path | None = None
    started_in: float = 0.0  # seconds from the process's start to its first answer
    system_graphs: frozenset[str] = frozenset()  # the server's own graphs, which reset() keeps (Virtuoso's)

    @property
    def location(self):
        """The server as an `agrs.store.location.RemoteLocation` (what `open_store` takes)."""
        from agrs.store.location import RemoteLocation  # H1a's class: imported late so this module loads without it

        return RemoteLocation(
            self.query_url, update_url=self.update_url, graph_store_url=self.graph_store_url,
            user=self.user, password=self.password, auth=self.auth,
        )  # fmt: skip

    def environment(self) -> dict[str, str]:
        """The AGRS_STORE_* variables a child `agrs` command needs to write to this server."""
        variables = {"AGRS_STORE_UPDATE_URL": self.update_url}
        if self.graph_store_url:
            variables["AGRS_STORE_GRAPH_STORE_URL"] = self.graph_store_url
        if self.user:
            variables |= {"AGRS_STORE_USER": self.user, "AGRS_STORE_PASSWORD": self.password or ""}
        if self.auth:
            variables["AGRS_STORE_AUTH"] = self.auth
        return variables

    # --- plain HTTP, independent of AGRS's client, so the fixtures test the servers and not the client ---------

    def opener(self, *, authenticated: bool = True) -> urllib.request.OpenerDirector:
        """A urllib opener that answers the server's basic or digest challenge with the fixture's user."""
        handlers = []
        if authenticated and self.user:
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            passwords.add_password(None, self.base_url, self.user, self.password)
            if self.auth == "digest":
                handlers.append(urllib.request.HTTPDigestAuthHandler(passwords))
            else:
                handlers.append(urllib.request.HTTPBasicAuthHandler(passwords))
        return urllib.request.build_opener(*handlers)

    def update(self, text: str, *, authenticated: bool = True, timeout: float = 300) -> tuple[int, str]:
        """POST a SPARQL update as a form (update=); return the status and the body, for errors too."""
        body = urllib.parse.urlencode({"update": text}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return _send(self.opener(authenticated=authenticated), self.update_url, body, headers, timeout)

    def query(self, text: str, *, timeout: float = 300) -> dict:
        """Run a SELECT or ASK by form POST (never a direct sparql-query POST: Virtuoso hangs on it); its JSON."""
        import json

        body = urllib.parse.urlencode({"query": text}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"}
        status, answer = _send(self.opener(authenticated=False), self.query_url, body, headers, timeout)
        if status != 200:
            raise RuntimeError(f"{self.kind}: query failed ({status}): {answer[:500]}")
        return json.loads(answer)

    def graphs(self) -> set[str]:
        """The names of the graphs that hold at least one triple."""
        answer = self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return {row["g"]["value"] for row in answer["results"]["bindings"]}

    def count(self, graph: str | None = None) -> int:
        """Triples in `graph`, or in all named graphs when None (system graphs included)."""
        # Not `{ ?s ?p ?o } UNION { GRAPH ?g … }`: Virtuoso's default graph is the union of all graphs (counted twice).
        pattern = f"GRAPH <{graph}> {{ ?s ?p ?o }}" if graph else "{ GRAPH ?g { ?s ?p ?o } }"
        answer = self.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")
        return int(answer["results"]["bindings"][0]["n"]["value"])


def _send(opener, url: str, body: bytes | None, headers: dict, timeout: float, method: str | None = None):
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with opener.open(request, timeout=timeout) as answer:
            return answer.status, answer.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", errors="replace")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- processes: each server runs in its own process group, killed whole at the end --------------------------

_RUNNING: list[subprocess.Popen] = []


def _spawn(command: list[str], folder: Path, log_name: str, env: dict | None = None) -> subprocess.Popen:
    # A new session (process group) so that stopping kills the server and any child it forked; stdout/stderr to
    # a file, not a pipe, since a full pipe would block the server.
    with (folder / log_name).open("wb") as log:
        process = subprocess.Popen(
            command, cwd=folder, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, env=env,
        )  # fmt: skip
    _RUNNING.append(process)
    return process


def _kill(process: subprocess.Popen, grace: float = 10) -> None:
    """SIGTERM the process group, then SIGKILL it if it is still there after `grace` seconds."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    # The leader may be gone while a child it forked lives on: the group is killed in every case.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if process.poll() is None:
        process.wait(timeout=30)
    if process in _RUNNING:
        _RUNNING.remove(process)


@atexit.register
def _kill_leftovers() -> None:
    # A session that dies without running the fixtures' finalizers (an internal error) still leaves no server.
    for process in list(_RUNNING):
        _kill(process, grace=2)


def _wait_until_answers(process: subprocess.Popen, url: str, log: Path, what: str, timeout: float = 120) -> float:
    """Poll `url` (a GET of ASK {}) until it answers 200; return the seconds it took. Raise if the process dies."""
    start = time.monotonic()
    probe = url + ("&" if "?" in url else "?") + urllib.parse.urlencode({"query": "ASK {}"})
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} before answering:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(probe, timeout=5) as answer:
                if answer.status == 200:
                    return time.monotonic() - start
        except (OSError, urllib.error.HTTPError):
            pass
        if time.monotonic() - start > timeout:
            _kill(process)
            raise RuntimeError(f"{what} did not answer {url} within {timeout:.0f} s:\n{_tail(log)}")
        time.sleep(0.1)


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --- Oxigraph server ---------------------------------------------------------------------------------------


def oxigraph_binary() -> str:
    """The `oxigraph` command (PyPI package `oxigraph`, the test extra): next to this Python first, then PATH."""
    beside = Path(sys.executable).parent / "oxigraph"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("oxigraph")
    if not found:
        raise ServerUnavailable("Oxigraph server not installed: `pip install oxigraph` (the `test` extra)")
    return found


def start_oxigraph(folder: Path) -> ServerInfo:
    """Start `oxigraph serve` on a free port with its store in `folder`; return when it answers."""
    binary = oxigraph_binary()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    (folder / "data").mkdir(parents=True, exist_ok=True)
    command = [binary, "serve", "--location", str(folder / "data"), "--bind", f"127.0.0.1:{port}"]
    started = time.monotonic()
    process = _spawn(command, folder, "oxigraph.log")
    _wait_until_answers(process, base + "/query", folder / "oxigraph.log", "oxigraph serve")
    info = ServerInfo(
        kind="oxigraph-server", query_url=base + "/query", update_url=base + "/update",
        graph_store_url=base + "/store", user=None, password=None, auth=None,
        reset=lambda: None, stop=lambda: _kill(process), base_url=base, folder=folder,
        started_in=time.monotonic() - started,
    )  # fmt: skip

    def reset() -> None:
        # Oxigraph has no system graphs: DROP ALL empties the named graphs and the default graph.
        status, body = info.update("DROP ALL")
        if status not in (200, 204):
            raise RuntimeError(f"oxigraph reset failed ({status}): {body[:500]}")

    info.reset = reset
    return info


# --- Virtuoso ----------------------------------------------------------------------------------------------

VIRTUOSO_INI = CONFIG / "virtuoso" / "virtuoso.ini"


def virtuoso_binaries() -> tuple[str, str]:
    """`virtuoso-t` and `isql-vt` (Debian virtuoso-opensource), or ServerUnavailable."""
    server = shutil.which("virtuoso-t") or "/usr/bin/virtuoso-t"
    isql = shutil.which("isql-vt") or "/usr/bin/isql-vt"
    if not (os.access(server, os.X_OK) and os.access(isql, os.X_OK)):
        raise ServerUnavailable(
            "Virtuoso not installed: `bash scripts/setup.sh --test` (Debian package virtuoso-opensource)"
        )
    return server, isql


def virtuoso_ini(database: Path, sql_port: int, http_port: int) -> str:
    """config/virtuoso/virtuoso.ini with its placeholders filled."""
    text = VIRTUOSO_INI.read_text(encoding="utf-8")
    filled = {"@DATABASE_DIR@": str(database), "@SQL_PORT@": str(sql_port), "@HTTP_PORT@": str(http_port)}
    for name, value in filled.items():
        text = text.replace(name, value)
    return text


def virtuoso_setup_sql(user: str, password: str, dba_password: str) -> str:
    """The ISQL script that makes `user` a SPARQL writer and lets SERVICE reach other endpoints.

    Measured on 7.2.5: `GRANT SPARQL_UPDATE TO "user"` is accepted by ISQL but not honoured over HTTP (SR186 on
    SPARQL_INSERT_DICT_CONTENT), USER_GRANT_ROLE is; granting SPARQL_SPONGE or SPARQL_LOAD_SERVICE_DATA to the
    writer *as well* breaks its updates again (SR186), and SPARQL_UPDATE alone already allows SERVICE. The
    anonymous user (SPARQL, behind /sparql) needs SPARQL_LOAD_SERVICE_DATA plus two object grants for SERVICE
    (else SQ070 "Must have select privileges on view DB.DBA.SPARQL_SINV_2").
    """
    return "\n".join([
        f"DB.DBA.USER_CREATE('{user}', '{password}');",
        f"DB.DBA.USER_GRANT_ROLE('{user}', 'SPARQL_UPDATE', 0);",
        "DB.DBA.USER_GRANT_ROLE('SPARQL', 'SPARQL_LOAD_SERVICE_DATA', 0);",
        'GRANT SELECT ON DB.DBA.SPARQL_SINV_2 TO "SPARQL";',
        'GRANT EXECUTE ON DB.DBA.SPARQL_SINV_IMP TO "SPARQL";',
        # The default `dba` password is known to everyone; this server is on loopback only, but change it anyway.
        f"DB.DBA.USER_CHANGE_PASSWORD('dba', 'dba', '{dba_password}');",
        "checkpoint;",
    ])  # fmt: skip


def start_virtuoso(folder: Path, *, user: str = SERVER_USER, password: str | None = None) -> ServerInfo:
    """Start Virtuoso with a new database in `folder`, create the SPARQL writer `user`; return when it answers."""
    server, isql = virtuoso_binaries()
    password = password or secrets.token_urlsafe(12)
    dba_password = secrets.token_urlsafe(12)
    database = folder / "db"
    database.mkdir(parents=True, exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    while http_port == sql_port:
        http_port = free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(virtuoso_ini(database, sql_port, http_port), encoding="utf-8")
    base = f"http://127.0.0.1:{http_port}"
    started = time.monotonic()
    process = _spawn([server, "+foreground", "+configfile", str(ini)], folder, "virtuoso.out")
    _wait_until_answers(process, base + "/sparql", database / "virtuoso.log", "virtuoso-t")
    setup = subprocess.run(
        [isql, f"127.0.0.1:{sql_port}", "dba", "dba", "VERBOSE=OFF", "BANNER=OFF", "PROMPT=OFF", "ERRORS=STDOUT"],
        input=virtuoso_setup_sql(user, password, dba_password), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    if setup.returncode != 0 or "Error" in setup.stdout:
        _kill(process)
        raise RuntimeError(f"Virtuoso's user setup failed ({setup.returncode}):\n{setup.stdout}\n{setup.stderr}")
    info = ServerInfo(
        kind="virtuoso", query_url=base + "/sparql", update_url=base + "/sparql-auth",
        graph_store_url=base + "/sparql-graph-crud-auth", user=user, password=password, auth="digest",
        reset=lambda: None, stop=lambda: _kill(process, grace=15), base_url=base, folder=folder,
        started_in=time.monotonic() - started,
    )  # fmt: skip
    # Virtuoso's own graphs (virtrdf#, the service description, ldp#, DAV/): whatever holds triples before any
    # test wrote is the server's, and reset() keeps it.
    system_graphs = info.system_graphs = frozenset(info.graphs())

    def reset() -> None:
        for graph in sorted(info.graphs() - system_graphs):
            # DROP SILENT: a graph another request just emptied is no error (Virtuoso answers 500 to a plain DROP
            # of a missing graph).
            status, body = info.update(f"DROP SILENT GRAPH <{graph}>")
            if status != 200:
                raise RuntimeError(f"virtuoso reset failed on <{graph}> ({status}): {body[:500]}")

    info.reset = reset
    return info


# --- Apache Jena Fuseki ------------------------------------------------------------------------------------

FUSEKI_CONFIG = CONFIG / "fuseki" / "agrs-tdb2.ttl"
FUSEKI_DATASET = "agrs"


def fuseki_jar() -> Path:
    """The Fuseki 5 server jar: $AGRS_FUSEKI_JAR, else the newest jar in .cache/fuseki/ (scripts/install-fuseki.sh).

    jena-fuseki-server-5.x.jar (Maven Central) and the fuseki-server.jar of the apache-jena-fuseki zip both do.
    """
    named = os.environ.get("AGRS_FUSEKI_JAR")
    if named:
        if not Path(named).is_file():
            raise ServerUnavailable(f"AGRS_FUSEKI_JAR names {named}, which is not a file")
        return Path(named)
    found = sorted(glob.glob(str(REPO / ".cache" / "fuseki" / "*.jar")), key=os.path.getmtime)
    if not found:
        raise ServerUnavailable(
            "Fuseki not installed: no jar in .cache/fuseki/ and AGRS_FUSEKI_JAR unset; `bash scripts/install-fuseki.sh`"
            " downloads it from Maven Central (unreachable from some machines: then set AGRS_FUSEKI_JAR)"
        )
    return Path(found[-1])


def java_binary() -> str:
    """Java 17 or newer (Fuseki 5 needs it)."""
    java = os.environ.get("AGRS_JAVA") or shutil.which("java")
    if not java:
        raise ServerUnavailable("Fuseki needs Java 17: `bash scripts/setup.sh` installs openjdk-17")
    return java


def start_fuseki(folder: Path, *, user: str = SERVER_USER, password: str | None = None) -> ServerInfo:
    """Start Fuseki 5 on a TDB2 dataset in `folder` (config/fuseki/agrs-tdb2.ttl); return when it answers."""
    jar, java = fuseki_jar(), java_binary()
    password = password or secrets.token_urlsafe(12)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    config = folder / "agrs-tdb2.ttl"
    text = FUSEKI_CONFIG.read_text(encoding="utf-8").replace("@DATABASE_DIR@", str(folder / "tdb2"))
    config.write_text(text, encoding="utf-8")
    # Jetty's realm file: "user: password" lines; the dataset's endpoints name who may update (allowedUsers).
    passwd = folder / "passwd"
    passwd.write_text(f"{user}: {password}\n", encoding="utf-8")
    passwd.chmod(0o600)
    command = [
        java, "-Xmx1g", "-jar", str(jar), "--localhost", f"--port={port}", f"--config={config}",
        f"--passwd={passwd}", "--auth=basic",
    ]  # fmt: skip
    started = time.monotonic()
    process = _spawn(command, folder, "fuseki.log", env={**os.environ, "FUSEKI_BASE": str(folder / "run")})
    dataset = f"{base}/{FUSEKI_DATASET}"
    _wait_until_answers(process, dataset + "/query", folder / "fuseki.log", "fuseki", timeout=180)
    info = ServerInfo(
        kind="fuseki", query_url=dataset + "/query", update_url=dataset + "/update", graph_store_url=dataset + "/data",
        user=user, password=password, auth="basic", reset=lambda: None, stop=lambda: _kill(process), base_url=base,
        folder=folder, started_in=time.monotonic() - started,
    )  # fmt: skip

    def reset() -> None:
        # TDB2 keeps no system graphs in the dataset: DROP ALL empties it (in one transaction).
        status, body = info.update("DROP ALL")
        if status not in (200, 204):
            raise RuntimeError(f"fuseki reset failed ({status}): {body[:500]}")

    info.reset = reset
    return info


# --- fixtures ----------------------------------------------------------------------------------------------

STARTERS: dict[str, Callable[[Path], ServerInfo]] = {
    "oxigraph-server": start_oxigraph,
    "virtuoso": start_virtuoso,
    "fuseki": start_fuseki,
}


def start_server(kind: str, folder: Path | None = None) -> ServerInfo:
    """Start a server of `kind` ("oxigraph-server", "virtuoso", "fuseki") in `folder` (a new temporary one if None).

    Raises ServerUnavailable when it is not installed. The caller stops it with `info.stop()`.
    """
    folder = folder or Path(tempfile.mkdtemp(prefix=f"agrs-{kind}-"))
    return STARTERS[kind](folder)


def _session_server(kind: str, tmp_path_factory):
    try:
        info = start_server(kind, tmp_path_factory.mktemp(kind))
    except ServerUnavailable as missing:
        pytest.skip(str(missing))
    try:
        yield info
    finally:
        info.stop()


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory):
    """Oxigraph server on loopback for the session (ServerInfo); skipped when the `oxigraph` binary is missing."""
    yield from _session_server("oxigraph-server", tmp_path_factory)


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory):
    """Virtuoso on loopback for the session (ServerInfo, digest auth); skipped when Virtuoso is not installed."""
    yield from _session_server("virtuoso", tmp_path_factory)


@pytest.fixture(scope="session")
def fuseki_server(tmp_path_factory):
    """Fuseki 5 (TDB2) on loopback for the session (ServerInfo, basic auth); skipped when no jar is found."""
    yield from _session_server("fuseki", tmp_path_factory)


if __name__ == "__main__":
    # `python tests/servers.py virtuoso`: start one for a manual session; Ctrl-C stops it.
    # SIGTERM (kill, pkill) must stop the server too, not leave it running without its folder's owner.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    started = start_server(sys.argv[1] if len(sys.argv) > 1 else "virtuoso")
    print(f"{started.kind} up in {started.started_in:.1f} s; folder {started.folder}")
    print(f"  query {started.query_url}\n  update {started.update_url}\n  graph store {started.graph_store_url}")
    if started.user:
        print(f"  AGRS_STORE_USER={started.user} AGRS_STORE_PASSWORD={started.password} AGRS_STORE_AUTH={started.auth}")
    try:
        signal.pause()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        started.stop()
