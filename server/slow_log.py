"""The slow-query log: one JSON object a line for each query that took longer than a threshold; off by default.

`agrs serve --slow-query-log FILE` (or `-` for stderr) turns it on; `--slow-query-ms` sets the threshold
(default 2000 ms). Off by default because, unlike the access log, it holds the query text, which may name people
or reveal what a researcher is after: whoever turns it on decides where such text may be kept.

Which requests: those that ran a query, /sparql queries and /api/ questions (the SPARQL text the question was
filled into), whatever their status — a query stopped at the timeout is logged with status 503. Updates are not
(their text is data to write). The duration is the request's, from the app's first hook to its last.

Fields: `time` (UTC, ISO 8601, ms), `duration_ms`, `client` (the address), `method`, `path` (no query string),
`status`, `kind` (select, ask, construct or query), `rows` (rows, triples, or 1 for ASK; null when unknown),
`dataset` (`default`, `named`: the protocol's default-graph-uri and named-graph-uri, null when not given;
`infer`), `digest` (the first 16 hex digits of the SHA-256 of the query with its whitespace runs made one space:
the same query asked again, however indented, has the same digest), `chars` (the query's length), `query` (its
first QUERY_CHARS characters) and `truncated`. Control characters are escaped: JSON escapes C0 ones (a line feed
in a query is `\\n`), and this log escapes DEL, the C1 controls (U+0085, next line) and U+2028/U+2029 (line and
paragraph separators) too, which JSON allows raw but which split lines in many readers — the access log's rule
(agrs.server.access_log.escape_separators). No header is logged, so
neither is a token sent with the request.
"""

import hashlib
import json
import sys
import threading
import time
from datetime import UTC, datetime

from flask import Flask, Response, current_app, g, request

from agrs.server.access_log import escape_separators  # one rule for what a log line escapes

KEY = "agrs.slow_log"  # app.extensions key of the app's SlowLog
QUERY_CHARS = 2000  # characters of the query text kept in a line
DEFAULT_MS = 2000.0


class SlowLog:
    """Where one app writes its slow queries: "-" (stderr) or a file (opened for each line, appended to: slow
    queries are rare, and a log rotated away is simply created again)."""

    def __init__(self, where: str, threshold_ms: float):
        self.where = where
        self.threshold_ms = threshold_ms
        self.count = 0  # lines written (exposed by /metrics)
        self._lock = threading.Lock()  # waitress serves from several threads: lines must not interleave

    def write(self, entry: dict) -> None:
        """Write `entry` as one JSON line, its raw control characters escaped."""
        line = escape_separators(json.dumps(entry, ensure_ascii=False, separators=(",", ":"))) + "\n"
        with self._lock:
            self.count += 1
            try:
                if self.where == "-":
                    sys.stderr.write(line)
                    sys.stderr.flush()
                else:
                    with open(self.where, "a", encoding="utf-8") as stream:
                        stream.write(line)
            except (OSError, ValueError):  # a full disk or closed stream must not fail the request
                pass


def digest(sparql: str) -> str:
    """The first 16 hex digits of the SHA-256 of `sparql` with each run of whitespace made one space."""
    return hashlib.sha256(" ".join(sparql.split()).encode()).hexdigest()[:16]


def entry(job, answer, duration_ms: float, status: int) -> dict:
    """Return the log line's fields for `job` (an executor Job) and its `answer`, in the current request."""
    dataset = job.dataset
    return {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "duration_ms": round(duration_ms, 1),
        "client": request.remote_addr,
        "method": request.method,
        "path": request.path,
        "status": status,
        "kind": answer.kind or "query",
        "rows": answer.count,
        "dataset": {
            "default": None if dataset.default is None else list(dataset.default),
            "named": None if dataset.named is None else list(dataset.named),
            "infer": dataset.infer,
        },
        "digest": digest(job.sparql),
        "chars": len(job.sparql),
        "query": job.sparql[:QUERY_CHARS],
        "truncated": len(job.sparql) > QUERY_CHARS,
    }


# --- the hooks ---------------------------------------------------------------------------------------------------


def install(app: Flask) -> SlowLog | None:
    """When the app's config names a slow-query log, log the slow queries there; return the SlowLog."""
    config = app.config["AGRS"]
    where = getattr(config, "slow_query_log", None)
    if not where:
        return None
    log = SlowLog(str(where), getattr(config, "slow_query_ms", DEFAULT_MS))
    app.extensions[KEY] = log
    app.before_request(_start)
    app.after_request(_record)
    return log


def _start() -> None:
    g.agrs_slow_started = time.perf_counter()


def _record(response: Response) -> Response:
    noted = g.get("agrs_query")  # (job, answer), noted by /sparql and /api/ when they ran a query
    started = g.get("agrs_slow_started")
    if noted is None or started is None:
        return response
    log: SlowLog = current_app.extensions[KEY]
    duration_ms = (time.perf_counter() - started) * 1000
    if duration_ms >= log.threshold_ms:
        job, answer = noted
        log.write(entry(job, answer, duration_ms, response.status_code))
    return response
