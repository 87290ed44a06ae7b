"""SPARQL 1.1 Update over HTTP (`handle_update`, called by the /sparql route) and the rewriting it needs.

The store's own default graph is in no query's dataset and the store refuses to write it, so the *default graph
of writes* is the plain graph `https://w3id.org/agrs/graph/default` (agrs.graphs.DEFAULT_WRITE_GRAPH):
`INSERT DATA { <s> <p> <o> }`, `DELETE … WHERE` without GRAPH, `CLEAR DEFAULT`, `LOAD <x>` and the Graph Store's
`?default` all read and write it, and queries see it in their union like every other graph. pyoxigraph knows
nothing of this, nor of the protocol's `using-graph-uri` / `using-named-graph-uri`, so the update text is rewritten
before it runs:

- an operation with a WHERE gets `WITH <default>` (unless it has its own WITH), and the protocol's USING /
  USING NAMED clauses before its WHERE (an update that has USING or WITH itself and protocol parameters is
  refused, as the SPARQL 1.1 Protocol says);
- INSERT DATA / DELETE DATA / DELETE WHERE with triples outside GRAPH become the equivalent `WITH <default>
  INSERT {…} WHERE {}` / `DELETE {…} WHERE {…}`;
- CLEAR / DROP DEFAULT, LOAD without INTO, ADD / COPY / MOVE DEFAULT name the default graph instead;
- CLEAR / DROP ALL and NAMED apply to the graphs SPARQL Update may write (every plain graph outside
  `https://w3id.org/agrs/graph/`, and the default graph for ALL): the project's data graphs are never touched.

The project's graphs under `https://w3id.org/agrs/graph/` (data graphs, their versions, the registry, the
provenance) are refused: data graphs are written through the Graph Store, which checks them with the SHACL
shapes, or by `agrs load`.
"""

import re
import time
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import pyoxigraph as ox
from flask import Response, request

from agrs.graphs import DEFAULT_WRITE_GRAPH, PROJECT_GRAPHS
from agrs.server.auth import write_refusal
from agrs.server.responses import text_response
from agrs.server.runtime import runtime
from agrs.store import guard, registry
from agrs.store.base import QueryError, StoreError

UPDATE_TYPE = "application/sparql-update"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
USING_PARAMETER, USING_NAMED_PARAMETER = "using-graph-uri", "using-named-graph-uri"

LOAD_OR_SERVICE = re.compile(r"load|service|\\u|\\U", re.IGNORECASE)  # escapes: `\u004cOAD` is LOAD too
WHERE_TO_WRITE = (
    "the project's data graphs are written through the Graph Store (PUT or POST /graph-store?graph=IRI, checked "
    "against the SHACL shapes) or by `agrs load`; SPARQL Update writes other graphs"
)


class UpdateRefused(Exception):
    """The update cannot run as sent; `status` is the HTTP status that says why (400 or 403)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def handle_update() -> Response:
    """Run the SPARQL update of the current request (form `update=` or `application/sparql-update` body).

    204 on success; 400 for a malformed update or a dataset conflict, 401/403 for auth, 403 for an update that
    would write the project's graphs or reach a host not on the federation allowlist.
    """
    refusal = write_refusal()
    if refusal is not None:
        return refusal
    from agrs.server.access import update_refusal

    refusal = update_refusal()  # an update's WHERE reads every graph: not for a writer who may not read them all
    if refusal is not None:
        return refusal
    try:
        sparql = _update_text()
        using = request.args.getlist(USING_PARAMETER) + request.form.getlist(USING_PARAMETER)
        using_named = request.args.getlist(USING_NAMED_PARAMETER) + request.form.getlist(USING_NAMED_PARAMETER)
        run_update(sparql, using, using_named, base=request.base_url)
    except UpdateRefused as error:
        return text_response(error.status, str(error))
    return Response(status=204)


def run_update(
    sparql: str, using: Sequence[str] = (), using_named: Sequence[str] = (), *, base: str | None = None
) -> None:
    """Check, rewrite and run one SPARQL update under the write lock, then tell the query workers.

    `base` resolves the update's relative IRIs unless it declares its own BASE (the SPARQL endpoint's URL, as the
    protocol suggests). Raises UpdateRefused (400 or 403) when the update may not run.
    """
    for iri in [*using, *using_named]:
        if not registry.ABSOLUTE_IRI.match(iri):
            raise UpdateRefused(400, f"{USING_PARAMETER} / {USING_NAMED_PARAMETER}: not an absolute IRI: {iri!r}")
    operations = split_operations(sparql)
    if not any(operation.tokens for operation in operations):
        return  # an empty update (a prologue at most) is valid and does nothing
    state = runtime()
    # rdflib's SPARQL parser is not thread-safe (concurrent parses fail at random): every parse of an update,
    # ours, the federation guard's and the store's, happens under the write lock.
    with write_lock(state):
        deadline = time.monotonic() + state.config.update_timeout
        _check_federation(sparql)
        _check_targets(sparql, base, state, deadline)
        rewritten = rewrite(operations, using, using_named, _writable_graphs(state.store), state.store)
        if not rewritten:
            return  # CLEAR / DROP ALL with no graph to clear
        if base:
            rewritten = f"BASE <{base}>\n{rewritten}"  # a BASE in the text comes later, so it wins
        dry_run(state, rewritten, deadline)
        try:
            state.store.update(rewritten)
        except QueryError as error:
            status = 403 if str(error).startswith("update refused") else 400
            raise UpdateRefused(status, f"{error}; {WHERE_TO_WRITE}" if status == 403 else str(error)) from error
        except StoreError as error:
            raise UpdateRefused(400, str(error)) from error
        finally:
            # A failed update is rolled back, but telling the workers costs one reopen: never risk a stale view.
            state.after_write()


@contextmanager
def write_lock(state, refused: type | None = None):
    """Hold the server's write lock; a writer waits for it `update_timeout` seconds at most, then is refused with
    503 (`refused`: the exception class to raise, taking (status, message); UpdateRefused by default)."""
    timeout = state.config.update_timeout
    if not state.write_lock.acquire(timeout=timeout):
        raise (refused or UpdateRefused)(
            503, f"another write has held the store for more than {timeout:g} s (agrs serve --update-timeout); "
            "nothing was written: try again later",
        )  # fmt: skip
    try:
        yield
    finally:
        state.write_lock.release()


def dry_run(state, rewritten: str, deadline: float) -> None:
    """Time the update's costly parts in a killable query worker before it runs, and refuse it (503, nothing
    written; the caller releases the write lock) when they pass `deadline` (now + `update_timeout`).

    pyoxigraph cannot stop an update once started, and an update cannot run in a worker (the serving process is
    the store's one writer), but its time is the parse of its text (rdflib's, in the store's guard: it grows with
    the square of an INSERT DATA's size) and the evaluation of its WHERE clauses, plus the writes. So the worker
    parses the text the store will parse, then counts each WHERE's solutions (on the newest checkpoint); an update
    whose parts take longer than the timeout is stopped there, and one that passes runs about as long again here.
    """
    if state.queries is None:
        return
    from agrs.server.protocol.executor import Job

    _in_worker(state, Job(sparql=rewritten, update_targets=True), deadline)
    for sparql, dataset in where_queries(rewritten):
        _in_worker(state, Job(sparql=sparql, dataset=dataset, max_rows=1), deadline)


def _in_worker(state, job, deadline: float):
    """Run `job` in a query worker within what is left until `deadline`; UpdateRefused(503) past it."""
    timeout = state.config.update_timeout
    answer = state.queries.run(job, timeout=max(deadline - time.monotonic(), 0.1))
    if answer.status == 503:
        raise UpdateRefused(
            503,
            f"the update takes longer than {timeout:g} s, this server's update timeout (agrs serve --update-timeout), "
            "to parse or to evaluate its WHERE: it was stopped before writing anything; narrow it (more selective "
            "patterns), split it into smaller updates, or send bulk data to the Graph Store",
        )
    return answer


def where_queries(rewritten: str) -> list:
    """Return a `SELECT (COUNT(*) …) WHERE {…}` query and its Dataset for each operation of `rewritten` (as
    `rewrite` gives it) that has a WHERE clause: what the update's evaluation of that operation costs."""
    from agrs.store.base import Dataset

    found, prologue = [], ""
    for operation in split_operations(rewritten):
        prologue += operation.prologue  # PREFIX and BASE hold for the operations that follow
        items = operation.tokens
        top = [index for index, token in enumerate(items) if token.depth == 0]
        where = next((index for index in top if items[index].keyword == "WHERE"), None)
        if where is None or where + 1 >= len(items) or items[where + 1].kind != "open":
            continue
        default = [items[1].text[1:-1]] if items[0].keyword == "WITH" and items[1].kind == "iri" else []
        named = []
        for index in top:
            if items[index].keyword == "USING" and index + 1 < len(items):
                following = items[index + 1]
                if following.keyword == "NAMED" and index + 2 < len(items) and items[index + 2].kind == "iri":
                    named.append(items[index + 2].text[1:-1])
                elif following.kind == "iri":
                    default.append(following.text[1:-1])
        if any(items[index].keyword == "USING" for index in top):
            default = [iri for iri in default if iri != (items[1].text[1:-1] if items[0].keyword == "WITH" else None)]
        block = _block_text(operation, where + 1)
        found.append(
            (f"{prologue} SELECT (COUNT(*) AS ?agrs_n) WHERE {block}", Dataset(tuple(default), tuple(named) or None))
        )
    return found


def _check_targets(sparql: str, base: str | None, state=None, deadline: float | None = None) -> None:
    """Raise UpdateRefused: 400 when the update does not parse, 403 when it writes one of the project's graphs.

    With query workers (`state.queries`), the parse runs in one, stopped at `deadline` (see `dry_run`)."""
    try:
        if state is not None and state.queries is not None and deadline is not None:
            from agrs.server.protocol.executor import Job

            answer = _in_worker(state, Job(sparql=sparql, update_targets=True), deadline)
            if answer.status != 200:
                raise QueryError(answer.body.decode("utf-8", "replace").strip())
            targets = answer.value
        else:
            targets = guard.update_targets(sparql)
    except QueryError as error:
        raise UpdateRefused(400, _syntax_error(sparql, error, base)) from error
    for target in targets:
        reason = _refusal(target)
        if reason is not None:
            raise UpdateRefused(403, f"update refused: {reason}")


def _syntax_error(sparql: str, error: QueryError, base: str | None) -> str:
    """Return pyoxigraph's message for an update rdflib cannot read (it names the line and column), else rdflib's.

    pyoxigraph only parses by running: the update runs on an empty in-memory store, which is harmless unless it
    fetches something, so a text that mentions LOAD or SERVICE keeps rdflib's message.
    """
    if LOAD_OR_SERVICE.search(sparql):
        return str(error)
    try:
        ox.Store().update(sparql, base_iri=base)
    except SyntaxError as syntax:
        return f"invalid SPARQL update: {syntax}"
    except Exception:  # an evaluation error says nothing about the syntax: keep rdflib's message
        return str(error)
    return str(error)


def _update_text() -> str:
    """Return the update the request carries; UpdateRefused(400) for none, several, or undecodable bytes."""
    mimetype = request.mimetype
    if mimetype == UPDATE_TYPE:
        charset = request.mimetype_params.get("charset", "utf-8").lower()
        if charset not in ("utf-8", "utf8"):
            raise UpdateRefused(400, f"an {UPDATE_TYPE} body must be UTF-8, not {charset}")
        try:
            return request.get_data().decode("utf-8")
        except UnicodeDecodeError as error:
            raise UpdateRefused(400, f"the update is not valid UTF-8: {error}") from error
    if mimetype in FORM_TYPES:
        texts = request.form.getlist("update")
        if len(texts) != 1:
            raise UpdateRefused(400, f"send exactly one `update` parameter, not {len(texts)}")
        return texts[0]
    raise UpdateRefused(400, f"send an update as {UPDATE_TYPE} or as the form field `update`, not {mimetype!r}")


def _check_federation(sparql: str) -> None:
    """Refuse LOAD (and SERVICE) targets not on the allowlist: pyoxigraph would fetch them itself."""
    from agrs.server.protocol.federation import FederationRefused, FederationUnchecked, check_update

    try:
        check_update(sparql, runtime().config.federation_allowlist)
    except FederationRefused as error:
        raise UpdateRefused(403, str(error)) from error
    except FederationUnchecked as error:
        raise UpdateRefused(400, str(error)) from error


def _refusal(target) -> str | None:
    """Return why an update may not write `target` (an item of guard.update_targets), or None."""
    if isinstance(target, str) and target.startswith(PROJECT_GRAPHS) and target != DEFAULT_WRITE_GRAPH:
        return f"<{target}> is one of the project's graphs (under {PROJECT_GRAPHS}): {WHERE_TO_WRITE}"
    return None  # ALL / NAMED / DEFAULT are rewritten; the store refuses GRAPH ?g itself


def _writable_graphs(store) -> list[str]:
    """Return the plain graphs SPARQL Update may write (what CLEAR/DROP ALL reach), the default graph included."""
    return sorted(name for name in store.plain_graphs() if is_plain_iri(name) or name == DEFAULT_WRITE_GRAPH)


def is_plain_iri(iri: str) -> bool:
    """Return whether `iri` names a graph SPARQL Update writes: not under PROJECT_GRAPHS, not shaped like a version."""
    return not iri.startswith(PROJECT_GRAPHS) and not registry.is_version_iri(iri)


# --- reading the update's text ----------------------------------------------------------------------------------

TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
              |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<open>\{) | (?P<close>\}) | (?P<semicolon>;)
  | (?P<word>[^\s{};\#"'<]+)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    """One lexical unit of the update: its kind, its text, where it starts, and its brace depth."""

    kind: str
    text: str
    start: int
    depth: int

    @property
    def keyword(self) -> str:
        """The text upper-cased when the token is a word, else empty (keywords are case-insensitive)."""
        return self.text.upper() if self.kind == "word" else ""


@dataclass(frozen=True)
class Operation:
    """One operation of an update: its prologue text (PREFIX, BASE) and its tokens after the prologue."""

    prologue: str
    tokens: list[Token]
    text: str  # the operation's own text, prologue excluded


def tokens(sparql: str) -> list[Token]:
    """Return the tokens of `sparql` (spaces and comments dropped), each with its brace depth."""
    found, depth = [], 0
    for match in TOKEN.finditer(sparql):
        kind = match.lastgroup
        if kind in ("space", "comment"):
            continue
        if kind == "close":
            depth -= 1
        found.append(Token(kind, match.group(), match.start(), depth))
        if kind == "open":
            depth += 1
    return found


def split_operations(sparql: str) -> list[Operation]:
    """Split an update into its operations (at the `;` outside braces), each with its prologue."""
    operations, current = [], []
    for token in [*tokens(sparql), None]:
        if token is None or (token.kind == "semicolon" and token.depth == 0):
            if current:
                operations.append(_operation(sparql, current))
            current = []
        else:
            current.append(token)
    return operations


def _operation(sparql: str, items: list[Token]) -> Operation:
    index = 0
    while index < len(items) and items[index].keyword in ("PREFIX", "BASE"):
        index += 3 if items[index].keyword == "PREFIX" else 2
    end = items[-1].start + len(items[-1].text)
    if index >= len(items):  # a trailing prologue with no operation: keep it, it is valid SPARQL
        return Operation(sparql[items[0].start : end], [], "")
    start = items[index].start
    return Operation(sparql[items[0].start : start], items[index:], sparql[start:end])


# --- rewriting -----------------------------------------------------------------------------------------------


def rewrite(
    operations: Sequence[Operation],
    using: Sequence[str],
    using_named: Sequence[str],
    writable: Sequence[str],
    store=None,
) -> str:
    """Return the update text to run: see the module's docstring for what changes."""
    dataset = ""
    if using or using_named:
        # The store holds a data graph's content under its current version: read that one.
        resolve = (lambda iri: store.current_version(iri) or iri) if store is not None else (lambda iri: iri)
        clauses = [f"USING <{resolve(iri)}>" for iri in using]
        clauses += [f"USING NAMED <{resolve(iri)}>" for iri in using_named]
        dataset = " ".join(clauses) + " "
    parts, pending = [], ""
    for operation in operations:
        body = _rewrite_operation(operation, dataset, writable)
        if body:
            parts.append(pending + operation.prologue + body)
            pending = ""
        else:  # an operation that became nothing: its prologue still declares prefixes for the next ones
            pending += operation.prologue
    return " ;\n".join(parts)


def _rewrite_operation(operation: Operation, dataset: str, writable: Sequence[str]) -> str:
    items, text = operation.tokens, operation.text
    if not items:
        return ""
    first = items[0].keyword
    second = items[1].keyword if len(items) > 1 else ""
    default = f"<{DEFAULT_WRITE_GRAPH}>"
    if first in ("INSERT", "DELETE") and second == "DATA":
        block = _block_text(operation, 2)
        if not _has_default_triples(items[2:]):
            return text
        if first == "INSERT":
            return f"WITH {default} INSERT {block} WHERE {{}}"
        return f"WITH {default} DELETE {block} WHERE {{}}"
    if first == "DELETE" and second == "WHERE":
        if dataset:
            raise UpdateRefused(400, f"{USING_PARAMETER} / {USING_NAMED_PARAMETER} do not apply to DELETE WHERE")
        block = _block_text(operation, 2)
        return f"WITH {default} DELETE {block} WHERE {block}" if _has_default_triples(items[2:]) else text
    if first in ("WITH", "INSERT", "DELETE"):
        return _rewrite_modify(operation, dataset)
    if first in ("CLEAR", "DROP"):
        return _rewrite_clear(operation, writable)
    if first == "LOAD":
        if any(token.keyword == "INTO" for token in items):
            return text
        return f"{text} INTO GRAPH {default}"
    if first in ("ADD", "COPY", "MOVE"):
        return _replace_words(operation, {"DEFAULT": f"GRAPH {default}"})
    return text  # CREATE, or something the store's parser will name


def _rewrite_modify(operation: Operation, dataset: str) -> str:
    items, text = operation.tokens, operation.text
    top = [token for token in items if token.depth == 0]
    has_with = items[0].keyword == "WITH"
    has_using = any(token.keyword == "USING" for token in top)
    if dataset and (has_with or has_using):
        raise UpdateRefused(
            400,
            f"the update has its own {'WITH' if has_with else 'USING'} clause and the request has "
            f"{USING_PARAMETER} / {USING_NAMED_PARAMETER} parameters: the SPARQL 1.1 Protocol forbids both",
        )
    where = next((token for token in top if token.keyword == "WHERE"), None)
    base = operation.tokens[0].start
    if where is not None and dataset:
        cut = where.start - base
        text = text[:cut] + dataset + text[cut:]
    return text if has_with else f"WITH <{DEFAULT_WRITE_GRAPH}> {text}"


def _rewrite_clear(operation: Operation, writable: Sequence[str]) -> str:
    items = operation.tokens
    verb = items[0].keyword
    target = next((token.keyword for token in items[1:] if token.keyword in ("DEFAULT", "NAMED", "ALL")), None)
    if target is None:
        return operation.text  # CLEAR / DROP GRAPH <iri>
    if target == "DEFAULT":
        graphs = [DEFAULT_WRITE_GRAPH]
    elif target == "NAMED":
        graphs = [graph for graph in writable if graph != DEFAULT_WRITE_GRAPH]
    else:
        graphs = list(writable)
    # SILENT: the graphs were listed under the write lock, but DEFAULT may never have been written.
    return " ;\n".join(f"{verb} SILENT GRAPH <{graph}>" for graph in graphs)


def _replace_words(operation: Operation, replacements: dict[str, str]) -> str:
    text, base, pieces, last = operation.text, operation.tokens[0].start, [], 0
    for token in operation.tokens:
        if token.depth == 0 and token.keyword in replacements:
            start = token.start - base
            pieces += [text[last:start], replacements[token.keyword]]
            last = start + len(token.text)
    return "".join(pieces) + text[last:]


def _block_text(operation: Operation, index: int) -> str:
    """Return the text of the brace block that starts at token `index` of the operation."""
    items, base = operation.tokens, operation.tokens[0].start
    if index >= len(items) or items[index].kind != "open":
        raise UpdateRefused(400, f"expected {{ after {' '.join(t.text for t in items[:index])}")
    close = next((token for token in items[index + 1 :] if token.kind == "close" and token.depth == 0), None)
    if close is None:
        raise UpdateRefused(400, "unbalanced braces in the update")
    return operation.text[items[index].start - base : close.start - base + 1]


def _has_default_triples(block: Iterable[Token]) -> bool:
    """Return whether a quad block (`{ … }`, tokens from its opening brace) has triples outside GRAPH."""
    skip_graph = False
    for token in block:
        if token.depth != 1:
            continue
        if skip_graph:
            if token.kind == "open":
                skip_graph = False
            continue
        if token.keyword == "GRAPH":
            skip_graph = True
        elif token.kind == "close" or token.text == ".":
            continue
        else:
            return True
    return False
