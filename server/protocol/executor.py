"""Query workers: processes reading checkpoints of the store (or a remote store), killed when a query runs too long.

pyoxigraph cannot cancel a running query, so queries run in worker processes ("spawn" context: the parent holds
RocksDB and threads, which a fork would copy half-way). Each worker opens read-only a checkpoint of the store
(agrs.server.snapshots: a folder nobody writes, so the read-only open is defined behaviour, unlike one of the
store the serving process writes) and opens the newer one a job names (`store_changed(path)`, called after every
write), so a query sees the writes made before it was sent. Such a worker reads the registry once per checkpoint:
a small query costs what pyoxigraph's does plus a pipe round trip.

A request thread takes an idle worker (waiting `queue_wait` seconds at most for one, or using the light lane: see
`QueryExecutor.run`), sends it a `Job`, and waits up to `query_timeout` seconds; past that the worker is killed
(the work really stops), a fresh one is started in its place, and the request gets 503 — what Fuseki answers to
a query that timed out. The other workers keep serving meanwhile.

On a remote store (agrs.store.remote) the workers open its RemoteLocation (picklable) instead of a checkpoint:
the server it names does its own isolation, so there is nothing to checkpoint, and a write through this server
needs no reopen (`store_changed` only counts it). Why processes there too: agrs.server.app._open_remote.

A worker runs the query, negotiates the media type once it knows the kind of result (SELECT/ASK give results,
CONSTRUCT/DESCRIBE give triples), counts the rows or triples as pyoxigraph serialises them and stops at
`max_rows` + 1: a result over the cap is an error naming the cap (400), never a truncated result; so is a
serialised answer over `max_response_bytes`.
"""

import hashlib
import multiprocessing
import queue
import re
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyoxigraph as ox

from agrs.store.base import Dataset
from agrs.store.results import is_boolean, is_triples

START_TIMEOUT = 120.0  # seconds a new worker may take to import pyoxigraph and open the store
STOP_TIMEOUT = 2.0  # seconds a worker asked to stop gets before it is killed

#: media types of SELECT/ASK and of CONSTRUCT/DESCRIBE answers, in the order the server prefers them, with
#: pyoxigraph's serialiser of each
RESULTS_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
}
RESULT_TYPES = tuple(RESULTS_FORMATS)
#: the answer header carrying a Job's graph tag (Job.tag_graph) from the worker; the route turns it into an ETag
ETAG_HEADER = "X-Agrs-Graph-Tag"
GRAPH_TYPES = tuple(GRAPH_FORMATS)


# --- small questions: answered in the request thread --------------------------------------------------------------
# A question of one triple pattern at most, with no FILTER, OPTIONAL, ORDER BY, DISTINCT, aggregate, OFFSET, path,
# subquery or SERVICE, cannot run long: pyoxigraph answers it by one index lookup (ASK stops at the first match)
# and streams its rows, so the row cap (max_rows, checked as the rows are written) stops the largest one within
# a fraction of a second. Those run in the request thread on the pages' read-only checkpoint (pyoxigraph releases
# the GIL while it evaluates and serialises: measured, a 1 ms ticker in another thread kept ticking through a 1 s
# query), saving the pipe round trip to a worker; every other query goes to a killable worker. A text the patterns
# below do not recognise (a comment, a brace in a literal…) simply goes to a worker.
_IRI = r"<[^<>\"{}|^`\\\s]*>"
_NAME = r"(?:[A-Za-z][\w.-]*)?:[\w.-]*"
_VAR = r"[?$][A-Za-z_]\w*"
_LITERAL = rf'"[^"\\{{}}\n]*"(?:@[A-Za-z-]+|\^\^(?:{_IRI}|{_NAME}))?|-?\d+(?:\.\d+)?'
_TERM = rf"(?:{_IRI}|{_VAR}|{_NAME}|a|{_LITERAL})"
_PATTERN = rf"\{{\s*(?:{_TERM}\s+{_TERM}\s+{_TERM}\s*\.?\s*)?\}}"
_PROLOGUE = rf"(?:\s*PREFIX\s+{_NAME}\s*{_IRI}|\s*BASE\s*{_IRI})*"
_SELECT = rf"SELECT\s+(?:\*|(?:{_VAR}\s*)+)\s*(?:WHERE\s*)?{_PATTERN}\s*(?:LIMIT\s+\d+\s*)?"
_ASK = rf"ASK\s*(?:WHERE\s*)?{_PATTERN}\s*"
SMALL_QUESTION = re.compile(rf"{_PROLOGUE}\s*(?:{_SELECT}|{_ASK})", re.IGNORECASE)
SMALL_TEXT = 2000  # characters: a longer text is not a small question


def is_small(sparql: str) -> bool:
    """Whether `sparql` is a small question (one triple pattern at most, no operator that could make it run long)."""
    return len(sparql) <= SMALL_TEXT and SMALL_QUESTION.fullmatch(sparql) is not None


# --- light queries: those the light lane takes while every other worker is busy ------------------------------
# A static guess, cheap and conservative: no aggregate, grouping, sorting, DISTINCT, subquery, SERVICE or
# arbitrary-length path (the constructs whose cost grows with the whole data), and a short text. A guess may be
# wrong (a join of unselective patterns); the light lane's own short timeout bounds what a wrong guess costs.
HEAVY_CONSTRUCTS = re.compile(
    r"\b(?:COUNT|SUM|AVG|MIN|MAX|SAMPLE|GROUP_CONCAT|GROUP\s+BY|ORDER\s+BY|DISTINCT|REDUCED|SERVICE|HAVING)\b"
    r"|\{[^{}]*\bSELECT\b|[>\w)][*+]",
    re.IGNORECASE,
)


def is_light(sparql: str) -> bool:
    """Whether `sparql` may use the light lane: a short text without the constructs that make a query long."""
    return len(sparql) <= SMALL_TEXT and HEAVY_CONSTRUCTS.search(sparql) is None


@dataclass(frozen=True)
class Job:
    """One query to run: the text, the protocol's dataset, what the client accepts, the limits."""

    sparql: str
    #: what the query reads: the request's default-graph-uri / named-graph-uri and infer flag (agrs.store.Dataset)
    dataset: Dataset = field(default_factory=Dataset)
    accept: str | None = None
    format: str | None = None
    max_rows: int = 100_000
    max_bytes: int = 64 * 1024 * 1024
    #: what relative IRIs in the query resolve against (the endpoint's URL)
    base_iri: str | None = None
    #: the checkpoint folder (or remote location) to read, set by QueryExecutor.run: the newest one; None: the
    #: one the worker has open
    snapshot: object = None
    #: open `snapshot` again even when the worker has it open already (a store read in place after a write: tests)
    reopen: bool = False
    #: answer the tag only, with an empty body (a write's precondition check)
    tag_only: bool = False
    #: a graph whose entity tag the answer carries (header ETAG_HEADER): its current version when it is a data
    #: graph, else a digest of its triples (the Graph Store's GET, and its If-Match checks)
    tag_graph: str | None = None
    #: answer the graphs the update `sparql` writes (agrs.store.guard.update_targets) in Answer.value instead of
    #: running a query: rdflib's parse of a large update takes long (1,000 triples of INSERT DATA: 10 s), so it is
    #: timed, and killed, here before the server parses it again in its own process
    update_targets: bool = False


@dataclass
class Answer:
    """What a query gave: a body to send (status 200) or an error (`status` >= 400, `body` holds the message)."""

    status: int
    body: bytes
    media_type: str = "text/plain; charset=utf-8"
    kind: str | None = None  # "select", "ask", "construct" (CONSTRUCT and DESCRIBE), None when unknown
    count: int | None = None  # rows (SELECT), triples (CONSTRUCT/DESCRIBE), 1 (ASK)
    headers: dict[str, str] = field(default_factory=dict)
    value: object = None  # what a job that is not a query returns (Job.update_targets)

    @classmethod
    def error(cls, status: int, message: str, kind: str | None = None) -> "Answer":
        """Return an error answer whose body is `message` as plain text."""
        return cls(status, (message.rstrip("\n") + "\n").encode(), kind=kind)


class QueryExecutor:
    """Runs SPARQL queries in `config.query_workers` worker processes; safe to call from many threads."""

    def __init__(self, config, snapshot: "str | Path | object | None" = None):
        self.config = config
        self._context = multiprocessing.get_context("spawn")
        self._idle: queue.Queue[_Worker] = queue.Queue()
        #: idle workers of the light lane: kept for light queries while every other worker is busy (see `run`)
        self._light: queue.Queue[_Worker] = queue.Queue()
        self._clients: dict[str, int] = {}  # worker queries running or waiting, per client
        self._waiting = 0  # requests waiting for a worker (each holds a request thread)
        self._lock = threading.Lock()
        self._workers: set[_Worker] = set()
        self._generation = 0
        # What jobs read: a checkpoint folder (a folder nobody writes) or a remote store's RemoteLocation (picklable,
        # compared by value); None: config.store itself, read-only (tests, tools)
        self._snapshot = _location(snapshot if snapshot is not None else config.store)
        self._closed = False
        lanes = [False] * max(1, config.query_workers) + [True] * max(0, config.light_workers)
        started = [self._start(light) for light in lanes]
        try:
            for worker in started:
                worker.wait_ready(START_TIMEOUT)
                self._queue(worker).put(worker)
        except BaseException:
            self.close()
            raise

    @property
    def generation(self) -> int:
        """The number of writes announced so far (what a job carries so that its worker sees them)."""
        with self._lock:
            return self._generation

    @property
    def snapshot(self):
        """The checkpoint folder (or remote location) the next jobs read."""
        with self._lock:
            return self._snapshot

    def store_changed(self, snapshot: "str | Path | None" = None, *, reopen: bool = True) -> None:
        """Make the workers open `snapshot` (a newer checkpoint; None: reopen the same one) before their next job.

        `reopen=False` only counts the write: a remote store's workers read the server's current state anyway."""
        with self._lock:
            self._generation += 1
            if snapshot is not None:
                self._snapshot = _location(snapshot)
            if not reopen:
                for worker in self._workers:
                    worker.generation = self._generation

    def in_use(self) -> set:
        """Return the checkpoint folders (or locations) the workers hold open (those may not be deleted)."""
        with self._lock:
            return {worker.snapshot for worker in self._workers}

    def run(self, job: Job, client: str | None = None, *, timeout: float | None = None) -> Answer:
        """Run `job` in a worker and return its answer; 503 when it timed out or no worker became free in time.

        How a busy server still answers small queries (issue 15; measured in tests/test_availability.py):
        - `client` (the request's address: sparql.client_of) may have at most `config.client_queries` worker
          queries running or waiting (0: no limit): past it, 429 at once, so one client cannot take every
          worker, nor every request thread;
        - a query takes an idle general worker when there is one; when every one is busy, a *light* query (see
          `is_light`) goes to the light lane (`config.light_workers` more workers), where it may run
          `config.light_timeout` seconds only: a query misjudged light is killed there and told to retry later,
          so heavy work never holds the light lane for long;
        - otherwise it waits for a general worker `config.queue_wait` seconds at most (never the whole query
          timeout), and only while fewer than half the request threads are waiting: past either, 503 with
          Retry-After, so the request threads stay free for pages and small questions.
        `timeout` overrides the query timeout (updates' dry runs use the update timeout).
        """
        config = self.config
        timeout = config.query_timeout if timeout is None else timeout
        limit = config.client_queries
        with self._lock:
            if client is not None and limit and self._clients.get(client, 0) >= limit:
                return _busy(429, f"you have {limit} queries running or waiting, this server's limit per client "
                                  "(agrs serve --client-queries): wait for their answers")  # fmt: skip
            if client is not None:
                self._clients[client] = self._clients.get(client, 0) + 1
        try:
            worker, budget, light = self._take(job, timeout)
            if worker is None:
                return budget  # the 503 answer
            return self._ask(worker, job, budget, light)
        finally:
            if client is not None:
                with self._lock:
                    left = self._clients.get(client, 1) - 1
                    if left:
                        self._clients[client] = left
                    else:
                        self._clients.pop(client, None)

    def _take(self, job: Job, timeout: float):
        """Return (worker, its time budget, whether it is a light one), or (None, a 503 Answer, False)."""
        config = self.config
        try:
            return self._idle.get_nowait(), timeout, False
        except queue.Empty:
            pass
        light_timeout = min(config.light_timeout, timeout)
        if config.light_workers and is_light(job.sparql):
            try:
                wait = min(light_timeout, config.queue_wait)
                return self._light.get(timeout=wait), light_timeout, True
            except queue.Empty:
                pass
        wait = min(config.queue_wait, timeout)
        with self._lock:
            # a waiting request holds a request thread: keep at least half of them for pages and small questions
            if self._waiting >= max(1, config.threads // 2):
                return None, _busy(503, f"every query worker is busy and {self._waiting} requests wait already; "
                                        "try again later"), False  # fmt: skip
            self._waiting += 1
        try:
            return self._idle.get(timeout=wait), timeout, False
        except queue.Empty:
            general = sum(not worker.light for worker in self._workers)
            return None, _busy(503, f"all {general} query workers stayed busy for {wait:g} s; try again later"), False
        finally:
            with self._lock:
                self._waiting -= 1

    def _ask(self, worker: "_Worker", job: Job, timeout: float, light: bool) -> Answer:
        """Send `job` to `worker` and wait `timeout` seconds for its answer; past it, kill and replace the worker."""
        with self._lock:
            snapshot, fresh = self._snapshot, self._generation
        # A job names what to read only when the worker holds something else, or must reopen it after a write.
        changed = snapshot != worker.snapshot
        job = replace(job, snapshot=snapshot if changed or worker.generation != fresh else None,
                      reopen=not changed and worker.generation != fresh)  # fmt: skip
        try:
            worker.connection.send(job)
            if worker.connection.poll(timeout):
                answer = worker.connection.recv()
                worker.snapshot, worker.generation = snapshot, fresh
                self._queue(worker).put(worker)
                return answer
        except (EOFError, OSError) as error:
            self._replace(worker)
            return Answer.error(500, f"the query worker died while running the query ({error or 'no answer'})")
        self._replace(worker)
        if light:
            return _busy(503, f"every query worker is busy with long queries, and this query ran past {timeout:g} s "
                              "in the worker kept for short ones; try again later")  # fmt: skip
        return Answer.error(503, f"the query was stopped after {timeout:g} s, this server's query timeout: {TIMED_OUT}")

    def _queue(self, worker: "_Worker") -> queue.Queue:
        return self._light if worker.light else self._idle

    def close(self) -> None:
        """Stop every worker (ask, then kill those that do not stop)."""
        with self._lock:
            self._closed = True
            workers = list(self._workers)
            self._workers.clear()
        for worker in workers:
            worker.stop()

    def _start(self, light: bool = False) -> "_Worker":
        with self._lock:
            snapshot, generation = self._snapshot, self._generation
        worker = _Worker(self._context, snapshot)
        worker.light = light
        worker.generation = generation
        with self._lock:
            if self._closed:
                worker.stop()
                raise RuntimeError("the query executor is closed")
            self._workers.add(worker)
        return worker

    def _replace(self, worker: "_Worker") -> None:
        """Kill `worker` and start another in its place; it joins the idle ones once it has opened the store."""
        with self._lock:
            self._workers.discard(worker)
            closed = self._closed
        worker.kill()
        if closed:
            return
        try:
            fresh = self._start(worker.light)
        except RuntimeError:
            return
        # The new process needs a moment to import pyoxigraph and open the store: wait in the background, so
        # that the request that timed out is answered now, and no other query is charged for the start.
        threading.Thread(target=self._when_ready, args=(fresh,), daemon=True, name="agrs-worker-start").start()

    def _when_ready(self, worker: "_Worker") -> None:
        try:
            worker.wait_ready(START_TIMEOUT)
        except RuntimeError:
            with self._lock:
                self._workers.discard(worker)
            worker.kill()
            return
        self._queue(worker).put(worker)


def _busy(status: int, message: str) -> Answer:
    """Return a "come back later" answer (429 or 503) with Retry-After."""
    answer = Answer.error(status, message)
    answer.headers["Retry-After"] = "2"
    return answer


#: what a client whose query timed out may do
TIMED_OUT = "narrow it (LIMIT, more selective patterns) or ask the administrator for a longer timeout"


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, context, store):
        self.snapshot = store  # the folder (or remote location) it holds open
        self.light = False  # a worker of the light lane (see QueryExecutor.run)
        self.generation = 0
        self.connection, child = context.Pipe()
        self.process = context.Process(target=serve, args=(child, store), daemon=True, name="agrs-query")
        self.process.start()
        child.close()

    def wait_ready(self, timeout: float) -> None:
        """Wait for the worker's greeting (sent once the store is open); raise RuntimeError if it fails."""
        try:
            if not self.connection.poll(timeout):
                raise RuntimeError(f"the query worker did not start within {timeout:g} s")
            greeting = self.connection.recv()
        except (EOFError, OSError) as error:
            raise RuntimeError(f"the query worker exited while starting ({error})") from error
        if greeting != "ready":
            raise RuntimeError(f"the query worker could not start: {greeting}")

    def stop(self) -> None:
        """Ask the worker to exit; kill it when it does not within STOP_TIMEOUT."""
        try:
            self.connection.send(None)
        except (OSError, ValueError):
            pass
        self.process.join(STOP_TIMEOUT)
        self.kill()

    def kill(self) -> None:
        """Kill the process (SIGKILL: a running query cannot be interrupted otherwise) and close the pipe."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join(STOP_TIMEOUT)
        self.connection.close()


def _location(where):
    """Return what a worker opens: a folder as a string (picklable, compared by value), a RemoteLocation as is."""
    return str(where) if isinstance(where, (str, Path)) else where


# --- in the worker process ---------------------------------------------------------------------------------------


def serve(connection, location) -> None:
    """The worker's loop: open the store read-only, greet, then answer jobs until told to stop (None) or EOF.

    `location` is what agrs.store.open_store takes: a checkpoint folder (a string) or a remote store's
    RemoteLocation."""
    from agrs.store import open_store

    try:
        store = open_store(location, read_only=True)
    except Exception as error:  # the parent reports it: the store is missing, unreadable…
        connection.send(f"{type(error).__name__}: {error}")
        return
    opened = location
    _warm_up()
    connection.send("ready")
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return
        if job is None:
            store.close()
            return
        try:
            if job.snapshot is not None and (job.reopen or job.snapshot != opened):
                store.close()
                opened = job.snapshot
                store = open_store(opened, read_only=True)
            answer = execute(store, job)
        except Exception as error:  # anything unexpected still gets an answer, so the request is not left waiting
            answer = Answer.error(500, f"the query failed: {type(error).__name__}: {error}")
        connection.send(answer)


def _warm_up() -> None:
    """Import and exercise rdflib's SPARQL Update parser now (about a second): an update's dry run (Job.
    update_targets) is timed against the update timeout, which must not pay for the import."""
    from agrs.store import guard

    try:
        guard.update_targets("INSERT DATA { GRAPH <urn:agrs:warm-up> { <urn:a> <urn:b> <urn:c> } }")
    except Exception:  # the real job reports what fails
        pass


def execute(store, job: Job) -> Answer:
    """Run `job` on `store` (any agrs.store.Store) and serialise the result; used in worker processes."""
    from agrs.server.conneg import negotiate
    from agrs.store.base import QueryError, StoreError, StoreIOError
    from agrs.store.errors import QueryTimeout

    started = time.monotonic()
    if job.update_targets:
        from agrs.store import guard

        try:
            return Answer(200, b"", value=guard.update_targets(job.sparql))
        except QueryError as error:
            return Answer.error(400, str(error))
    try:
        result = store.query(job.sparql, dataset=job.dataset, base_iri=job.base_iri)
    except QueryError as error:
        return Answer.error(400, str(error))
    except QueryTimeout as error:  # a remote store's HTTP timeout: what a killed worker answers
        return Answer.error(503, f"{error}; {TIMED_OUT}")
    except StoreIOError as error:
        return Answer.error(500, str(error))
    except StoreError as error:
        return Answer.error(400, str(error))
    if is_triples(result):
        kind, offered = "construct", GRAPH_TYPES
    else:
        kind, offered = ("ask" if is_boolean(result) else "select"), RESULT_TYPES
    media_type = negotiate(job.accept, offered, job.format)
    if media_type is None:
        asked = f"format={job.format!r}" if job.format else f"Accept: {job.accept}"
        return Answer.error(
            406, f"no acceptable format for this {kind.upper()} result ({asked}); offered: " + ", ".join(offered), kind
        )
    digest = None
    try:
        if kind == "construct":
            body, count, digest = _graph_body(result, media_type, job.max_rows, job.tag_graph is not None)
        elif kind == "ask":
            body, count = result.serialize(format=RESULTS_FORMATS[media_type]), 1
        else:
            body, count = _results_body(result, media_type, job.max_rows)
    except TooMany as error:
        return Answer.error(400, str(error), kind)
    except OSError as error:
        return Answer.error(500, f"the query failed while its result was read: {error}", kind)
    if len(body) > job.max_bytes:
        return Answer.error(
            400,
            f"the answer would be {len(body)} bytes, over this server's cap of {job.max_bytes} bytes: "
            "ask for fewer rows (LIMIT, OFFSET) or fewer columns",
            kind,
        )
    charset = "" if media_type == "application/rdf+xml" else "; charset=utf-8"
    answer = Answer(200, b"" if job.tag_only else body, media_type + charset, kind, count)
    if job.tag_graph is not None:
        version = store.current_version(job.tag_graph)
        answer.headers[ETAG_HEADER] = version if version is not None else f"sha256-{digest}"
    answer.headers["X-Query-Time-Ms"] = f"{(time.monotonic() - started) * 1000:.1f}"
    return answer


class TooMany(Exception):
    """The result has more rows (or triples) than the server's cap."""


class _LineCounter:
    """A file-like sink for pyoxigraph serialisers: keeps the bytes, counts lines, stops past `cap` lines."""

    def __init__(self, cap: int, too_many: str):
        self.chunks: list[bytes] = []
        self.lines = 0
        self.cap, self.too_many = cap, too_many

    def write(self, data) -> int:
        """Keep `data`; raise TooMany as soon as more than `cap` lines were written."""
        chunk = bytes(data)
        self.chunks.append(chunk)
        self.lines += chunk.count(b"\n")
        if self.lines > self.cap:
            raise TooMany(self.too_many)
        return len(chunk)

    def flush(self) -> None:
        """Do nothing: the bytes are kept in memory (pyoxigraph flushes its writer when done)."""

    def getvalue(self) -> bytes:
        """Return everything written."""
        return b"".join(self.chunks)


def _too_many(cap: int, what: str) -> str:
    return (
        f"the result has more than {cap} {what}, this server's cap (agrs serve --max-rows): ask for fewer "
        "(LIMIT, and OFFSET to page through them); no partial result is sent"
    )


def _results_body(solutions, media_type: str, max_rows: int) -> tuple[bytes, int]:
    """Serialise SELECT solutions; TSV first (one line a row, so rows are counted as they come), then converted."""
    sink = _LineCounter(max_rows + 1, _too_many(max_rows, "rows"))  # + 1: the header line
    solutions.serialize(sink, format=ox.QueryResultsFormat.TSV)
    tsv = sink.getvalue()
    rows = max(sink.lines - 1, 0)
    if media_type == "text/tab-separated-values":
        return tsv, rows
    parsed = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
    return parsed.serialize(format=RESULTS_FORMATS[media_type]), rows


def _graph_body(triples, media_type: str, max_rows: int, digest: bool = False) -> tuple[bytes, int, str | None]:
    """Serialise CONSTRUCT/DESCRIBE triples; N-Triples first (one line a triple, counted), then converted.

    `digest`: also return the SHA-256 of the sorted N-Triples lines (the same content gives the same digest)."""
    from agrs.ns import prefixes

    sink = _LineCounter(max_rows, _too_many(max_rows, "triples"))
    triples.serialize(sink, format=ox.RdfFormat.N_TRIPLES)
    ntriples = sink.getvalue()
    hashed = hashlib.sha256(b"\n".join(sorted(ntriples.splitlines()))).hexdigest() if digest else None
    if media_type == "application/n-triples":
        return ntriples, sink.lines, hashed
    parsed = ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES)
    target = GRAPH_FORMATS[media_type]
    used = None
    if target in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML):
        # Only the prefixes the triples use: a short answer should not open with forty prefix lines.
        used = {name: iri for name, iri in prefixes().items() if b"<" + iri.encode() in ntriples}
    return ox.serialize(parsed, format=target, prefixes=used), sink.lines, hashed
