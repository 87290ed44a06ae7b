"""The server's settings: one frozen object, built from the command line and the environment, passed to create_app."""

import os
from dataclasses import dataclass, field
from pathlib import Path

TOKEN_ENV = "AGRS_WRITE_TOKEN"
QUESTIONS_ENV = "AGRS_QUESTIONS"


@dataclass(frozen=True)
class ServerConfig:
    """Everything `create_app` needs; no module-level state anywhere in the server."""

    #: a folder (the embedded store), or a remote store: an http(s) URL or an agrs.store.location.RemoteLocation
    store: Path | object
    host: str = "127.0.0.1"
    port: int = 8000
    #: writes (SPARQL Update, Graph Store PUT/POST/DELETE) are refused unless a token is set
    write_token: str | None = None
    #: seconds a query may run before its worker process is killed (the client gets 503 with a message)
    query_timeout: float = 30.0
    #: SELECT rows / CONSTRUCT triples above which the answer is an error, never a truncated result
    max_rows: int = 100_000
    #: bytes of serialised result above which the answer is an error
    max_response_bytes: int = 64 * 1024 * 1024
    #: query worker processes (each holds a read-only view of the store)
    query_workers: int = 2
    #: origins allowed to read cross-site (CORS); "*" for any
    cors_origins: tuple[str, ...] = ("*",)
    #: IRIs (exact, or prefixes ending with "/") that SERVICE and LOAD may reach; empty: none
    federation_allowlist: tuple[str, ...] = ()
    #: where Graph Store writes to gated graphs put nothing (all or nothing) but may report
    quarantine_dir: Path = field(default_factory=lambda: Path("quarantine"))
    #: the stored questions /api/ serves (*.rq files); None: the packaged queries/cq/
    questions_dir: Path | None = None
    # --- issue 15: bounds that keep one client from taking the server (see docs in `agrs serve --help`) ---
    #: bytes a request body may have on every route but the Graph Store's writes (queries, updates, forms): 413 past it
    max_query_body: int = 1024 * 1024
    #: bytes a Graph Store PUT/POST body may have (it is parsed in memory: about 10x its size): 413 past it
    max_write_body: int = 32 * 1024 * 1024
    #: seconds a SPARQL Update may take (its WHERE is first timed in a killable worker) and a writer may wait
    #: for the write lock; past it: 503, nothing written
    update_timeout: float = 30.0
    #: seconds a query waits for a busy worker before 503 (never the whole query timeout: a waiting request holds
    #: a request thread)
    queue_wait: float = 5.0
    #: worker queries one client address may have running or waiting at once (429 past it); 0: no limit (the
    #: default: behind a reverse proxy every client has the proxy's address)
    client_queries: int = 0
    #: extra worker processes kept for light queries (see server/protocol/lanes.py) while the others are busy
    light_workers: int = 1
    #: seconds a query may run in a light worker (it is killed past it, and the client told to retry)
    light_timeout: float = 2.0
    #: waitress: request threads, open connections, and seconds an idle connection is kept
    threads: int = 16
    connection_limit: int = 1000
    channel_timeout: int = 30
    #: serve Prometheus-style metrics at /metrics (agrs.server.metrics); off: /metrics is a 404
    metrics: bool = False
    #: the bearer token /metrics then needs from every client; None: loopback clients only
    metrics_token: str | None = None
    #: where slow queries are logged as JSON lines ("-": stderr, else a file); None: no slow-query log
    slow_query_log: str | None = None
    #: milliseconds from which a query is slow (agrs.server.slow_log)
    slow_query_ms: float = 2000.0
    #: per-graph read access: agrs.server.access.AccessPolicy (None: the default, diagnostics restricted)
    access: object | None = None

    @classmethod
    def from_environment(cls, store: Path, **options) -> "ServerConfig":
        """Return a config taking the write token ($AGRS_WRITE_TOKEN) and question folder ($AGRS_QUESTIONS) from the
        environment unless `options` gives them."""
        if options.get("write_token") is None:
            options["write_token"] = os.environ.get(TOKEN_ENV) or None
        if options.get("questions_dir") is None:
            folder = os.environ.get(QUESTIONS_ENV)
            options["questions_dir"] = Path(folder) if folder else None
        return cls(store=store, **options)
