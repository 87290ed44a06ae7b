"""Prometheus-style metrics at `/metrics`, in the text exposition format (version 0.0.4); off unless
`agrs serve --metrics`.

What is counted (names prefixed `agrs_`):
- `http_requests_total{route,method,status}`: every answered request; `route` is the URL rule that matched
  (`/api/<name>`, `/id/<path:rest>`…, or `(unmatched)`), so the label set stays bounded whatever clients send;
- `http_request_duration_seconds{route}`: a latency histogram (from the app's first hook to its last: the time
  waitress spends queueing or sending the body is not in it);
- `http_rejected_total{route,status}`: answers 413 (body too large), 429 (too many requests) and 503 (busy, or a
  query past the timeout) — what a client was turned away with;
- `query_timeouts_total{route}`: queries stopped at the query timeout (their worker killed);
- `http_requests_in_flight`, `query_workers`, `query_workers_busy`, `writes_total` (writes through this server
  since it started), `slow_queries_total` (lines the slow-query log wrote, when it is on);
- `store_graphs{kind}` and `store_triples{kind}` (kind "data": the current versions of the data graphs, "plain":
  the plain graphs), read again only when the store changed since the last scrape (`Runtime.version`: a write
  through this server, or on a remote store a change of its registry); reading them costs a registry read and a
  count of each plain graph, never a scan of the data graphs;
- `process_start_time_seconds`.

Who may read it: with no metrics token, loopback clients only (127.0.0.0/8, ::1; others get 403). With a token
(`--metrics-token`, $AGRS_METRICS_TOKEN), every client must send `Authorization: Bearer <token>`, loopback ones
too: behind a reverse proxy on the same host every client looks like loopback. The metrics token is not the write
token, so that a monitoring system never holds the power to write.

The format is written here (about a hundred lines) rather than with prometheus_client: that library's registry
is module-global state (this server keeps none: two apps in one process must not share counters), and its
multiprocess mode is not needed (only the serving process answers requests; the query workers count nothing).
"""

import hmac
import ipaddress
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from flask import Flask, Response, current_app, g, request

from agrs.server.protocol.executor import TIMED_OUT

KEY = "agrs.metrics"  # app.extensions key of the app's Metrics
ROUTE = "/metrics"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: upper bounds (seconds) of the latency histogram's buckets; +Inf is added
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
REJECTED = (413, 429, 503)
#: methods kept as labels; any other is counted as "other" (a client may send any token as a method)
METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"}
TOKEN_ENV = "AGRS_METRICS_TOKEN"


@dataclass
class _Histogram:
    buckets: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))
    total: float = 0.0
    count: int = 0

    def observe(self, seconds: float) -> None:
        for index, bound in enumerate(BUCKETS):
            if seconds <= bound:
                self.buckets[index] += 1
                break
        self.total += seconds
        self.count += 1


class Metrics:
    """The counters of one app; safe to update from waitress's request threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self.requests: Counter = Counter()  # (route, method, status) -> n
        self.rejected: Counter = Counter()  # (route, status) -> n
        self.timeouts: Counter = Counter()  # route -> n
        self.durations: dict[str, _Histogram] = {}
        self.in_flight = 0
        self.started = time.time()
        self._store: tuple[str, dict] | None = None  # (store version, sizes)
        self._store_lock = threading.Lock()

    def begin(self) -> None:
        """Count a request as in flight."""
        with self._lock:
            self.in_flight += 1

    def end(self) -> None:
        """Count a request as done (in flight no more)."""
        with self._lock:
            self.in_flight -= 1

    def record(self, route: str, method: str, status: int, seconds: float | None, timed_out: bool) -> None:
        """Count one answered request."""
        method = method if method in METHODS else "other"
        with self._lock:
            self.requests[(route, method, status)] += 1
            if status in REJECTED:
                self.rejected[(route, status)] += 1
            if timed_out:
                self.timeouts[route] += 1
            if seconds is not None:
                self.durations.setdefault(route, _Histogram()).observe(seconds)

    def store_sizes(self, runtime) -> dict | None:
        """Return {kind: [graphs, triples]} of the store, read again only when it changed since the last read.

        One scrape reads it while the others (if any) use the previous figures; None when never read yet and
        unreadable (a remote store down)."""
        known = self._store
        version = runtime.version
        if known is not None and known[0] == version:
            return known[1]
        if not self._store_lock.acquire(blocking=known is None):
            return known[1]
        try:
            sizes = {"data": [0, 0], "plain": [0, 0]}
            try:
                for entry in runtime.reader.visible_graphs():
                    kind = sizes["data" if entry.versioned else "plain"]
                    kind[0] += 1
                    kind[1] += entry.triples
            except Exception:  # an unreadable store must not fail the scrape: the figures are left out
                return known[1] if known is not None else None
            self._store = (version, sizes)
            return sizes
        finally:
            self._store_lock.release()

    def exposition(self, runtime, slow_queries: int | None) -> str:
        """Return every metric in the Prometheus text format."""
        with self._lock:
            requests, rejected = dict(self.requests), dict(self.rejected)
            timeouts, in_flight = dict(self.timeouts), self.in_flight
            durations = {route: (list(h.buckets), h.total, h.count) for route, h in self.durations.items()}
        out = _Writer()
        out.family("http_requests_total", "counter", "Requests answered, by route (URL rule), method and status.")
        for (route, method, status), count in sorted(requests.items()):
            out.sample("http_requests_total", count, route=route, method=method, status=str(status))
        out.family("http_request_duration_seconds", "histogram", "Time from the app's first hook to its last.")
        for route, (buckets, total, count) in sorted(durations.items()):
            cumulative = 0
            for bound, n in zip(BUCKETS, buckets, strict=True):
                cumulative += n
                out.sample("http_request_duration_seconds_bucket", cumulative, route=route, le=_number(bound))
            out.sample("http_request_duration_seconds_bucket", count, route=route, le="+Inf")
            out.sample("http_request_duration_seconds_sum", total, route=route)
            out.sample("http_request_duration_seconds_count", count, route=route)
        out.family("http_rejected_total", "counter", "Answers 413, 429 and 503: clients turned away.")
        for (route, status), count in sorted(rejected.items()):
            out.sample("http_rejected_total", count, route=route, status=str(status))
        out.family("query_timeouts_total", "counter", "Queries stopped at the query timeout (worker killed).")
        for route, count in sorted(timeouts.items()):
            out.sample("query_timeouts_total", count, route=route)
        out.family("http_requests_in_flight", "gauge", "Requests being answered now.")
        out.sample("http_requests_in_flight", in_flight)
        workers, busy = _workers(runtime.queries)
        out.family("query_workers", "gauge", "Query worker processes (running or starting).")
        out.sample("query_workers", workers)
        out.family("query_workers_busy", "gauge", "Query workers not idle (running a query, or starting).")
        out.sample("query_workers_busy", busy)
        out.family("writes_total", "counter", "Writes committed through this server since it started.")
        out.sample("writes_total", runtime.writes)
        if slow_queries is not None:
            out.family("slow_queries_total", "counter", "Queries the slow-query log recorded.")
            out.sample("slow_queries_total", slow_queries)
        sizes = self.store_sizes(runtime)
        if sizes is not None:
            out.family("store_graphs", "gauge", "Graphs a query sees: data graphs (current versions), plain graphs.")
            for kind, (graphs, _) in sorted(sizes.items()):
                out.sample("store_graphs", graphs, kind=kind)
            out.family("store_triples", "gauge", "Triples of those graphs.")
            for kind, (_, triples) in sorted(sizes.items()):
                out.sample("store_triples", triples, kind=kind)
        out.family("process_start_time_seconds", "gauge", "When the server started (Unix time).")
        out.sample("process_start_time_seconds", self.started)
        return out.text()


def _workers(executor) -> tuple[int, int]:
    """(workers, busy workers) of a QueryExecutor; (0, 0) without one.

    Read from its private fields, under its lock: a public accessor belongs to server/protocol/executor.py (owned
    by another part); `len` and `qsize` are cheap and never block on a running query. The idle workers wait in
    `_idle`, and the light lane's (when the executor has one) in `_light`."""
    if executor is None:
        return 0, 0
    with executor._lock:
        total = len(executor._workers)
    idle = sum(lane.qsize() for lane in (getattr(executor, "_idle", None), getattr(executor, "_light", None)) if lane)
    return total, max(total - idle, 0)


class _Writer:
    """Lines of the text exposition format."""

    def __init__(self):
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str) -> None:
        self.lines.append(f"# HELP agrs_{name} {help_text}")
        self.lines.append(f"# TYPE agrs_{name} {kind}")

    def sample(self, name: str, value: float, **labels: str) -> None:
        text = ",".join(f'{key}="{_label(value)}"' for key, value in labels.items())
        self.lines.append(f"agrs_{name}{{{text}}} {_number(value)}" if text else f"agrs_{name} {_number(value)}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _label(value: str) -> str:
    """Escape a label value as the format says: backslash, double quote, line feed."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


def is_loopback(address: str | None) -> bool:
    """Whether `address` (a client's IP address as WSGI gives it) is a loopback address."""
    if not address:
        return False
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _sent_token() -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def refusal(token: str | None) -> str | None:
    """Return why the current request may not read the metrics, or None when it may (see the module docstring)."""
    if token:
        sent = _sent_token()
        # compare_digest: the time taken must not tell how much of a guessed token was right.
        if sent is None or not hmac.compare_digest(sent.encode(), token.encode()):
            return "/metrics needs `Authorization: Bearer <token>` (the server's metrics token)"
        return None
    if not is_loopback(request.remote_addr):
        return "/metrics answers loopback clients only (or start the server with --metrics-token)"
    return None


# --- the hooks ---------------------------------------------------------------------------------------------------


def install(app: Flask) -> Metrics | None:
    """When the app's config turns metrics on, count every request and serve /metrics; return the Metrics."""
    config = app.config["AGRS"]
    if not getattr(config, "metrics", False):
        return None  # off: nothing is counted, /metrics is a 404 like any unknown path
    metrics = Metrics()
    app.extensions[KEY] = metrics
    app.before_request(_begin)
    app.after_request(_record)
    app.teardown_request(_end)
    app.add_url_rule(ROUTE, "metrics", _serve, methods=["GET"])
    return metrics


def _begin() -> None:
    g.agrs_metrics_started = time.perf_counter()
    current_app.extensions[KEY].begin()


def _end(error=None) -> None:
    if g.get("agrs_metrics_started") is not None:
        current_app.extensions[KEY].end()


def _record(response: Response) -> Response:
    started = g.get("agrs_metrics_started")
    seconds = None if started is None else time.perf_counter() - started
    route = request.url_rule.rule if request.url_rule is not None else "(unmatched)"
    noted = g.get("agrs_query")  # (job, answer) of the query this request ran, if any (see slow_log)
    timed_out = (
        noted is not None and noted[1].status == 503 and TIMED_OUT.encode() in (noted[1].body or b"")
    )  # fmt: skip
    current_app.extensions[KEY].record(route, request.method, response.status_code, seconds, timed_out)
    return response


def _serve() -> Response:
    from agrs.server import slow_log
    from agrs.server.runtime import runtime

    config = current_app.config["AGRS"]
    refused = refusal(getattr(config, "metrics_token", None))
    if refused is not None:
        return Response(refused + "\n", status=403, content_type="text/plain; charset=utf-8",
                        headers={"Cache-Control": "no-store"})  # fmt: skip
    log = current_app.extensions.get(slow_log.KEY)
    body = current_app.extensions[KEY].exposition(runtime(), None if log is None else log.count)
    return Response(body, content_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})
