"""The SPARQL 1.1 Graph Store HTTP Protocol on /graph-store: GET, HEAD, PUT, POST, DELETE of one graph.

A graph is named by `?graph=IRI` (indirect identification) or `?default`; a path under /graph-store/ names the
graph whose IRI is that URL (direct identification), which is also where a POST to /graph-store without a graph
creates one (201, `Location` = the new graph's IRI).

Three kinds of graph, three ways to write them:
- the project's data graphs (under `https://w3id.org/agrs/graph/<kind>/<key>`): the whole new content (for POST,
  the current content plus the body) passes the core's SHACL gate (agrs.validate.gate_graph) or nothing is written
  (422 with the report); it is then committed as a new version with its provenance (agrs.commit), like a load;
- `?default`, the default graph of writes: the plain graph `https://w3id.org/agrs/graph/default` (see
  server/protocol/update.py), which queries see in their union; it always exists (GET gives 200, maybe empty);
- any other IRI: a plain graph, written by SPARQL Update in one transaction, not gated.
The registry, the provenance graph and version graphs (`…/v<n>`) are read-only here.

Reads are public; writes need the bearer token (server/auth.py) and run one at a time under the write lock (a
writer waits for it `--update-timeout` seconds at most: 503 past it).

Reads are bounded like /sparql's queries: the graph is serialised in a killable query worker, under the row cap
(`--max-rows`) and the size cap (`--max-response-bytes`): 400 naming the cap past them, 503 past the query
timeout; never a truncated graph. A graph IRI holding a character no IRI may hold (a space, a control such as
U+0085, or one of `<>"{}|^` and the backtick) is 400.

Concurrency: GET and HEAD answer a strong `ETag`: a data graph's current version IRI, a plain graph's SHA-256 of
its sorted N-Triples (`"sha256-…"`: exact whoever wrote it, stable across restarts; see `graph_tag`), and
`If-None-Match` gives 304. PUT, POST and DELETE honour `If-Match` (a tag, or `*`: the graph exists) and
`If-None-Match` (`*`: the graph does not exist yet), checked under the write lock: 412 with the current tag
otherwise. So a read-modify-write sending the ETag it read never overwrites a change made meanwhile.
"""

import hashlib
import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
from flask import Blueprint, Response, request

from agrs.graphs import DEFAULT_WRITE_GRAPH, PROJECT_GRAPHS, SYSTEM_GRAPHS
from agrs.ns import prefixes
from agrs.server.auth import write_refusal
from agrs.server.protocol.executor import ETAG_HEADER
from agrs.server.protocol.update import write_lock
from agrs.server.responses import text_response
from agrs.server.runtime import runtime
from agrs.store import registry
from agrs.store.base import StoreError, VersionConflict

GRAPH_STORE_KIND = "graph-store"  # the provenance kind of a write to a data graph outside …/graph/<kind>/<key>

blueprint = Blueprint("graph_store", __name__)

ROUTE = "/graph-store"
METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE"]

#: media types a request body may have -> pyoxigraph syntax
BODY_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}
DATASET_TYPES = ("application/n-quads", "application/trig")
MULTIPART = "multipart/form-data"
#: media types GET answers in (the first is the default) -> pyoxigraph syntax
ANSWER_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}
#: triples a PUT/POST may bring to a plain graph: the store checks every SPARQL update with rdflib, whose
#: translation of INSERT DATA grows with the square of its size (1,000 triples: 2.7 s; 2,000: 9 s), and a plain
#: graph can only be written by SPARQL Update. Data graphs have no such limit (bulk-loaded by replace_graph).
PLAIN_GRAPH_LIMIT = 1000


class GraphStoreError(Exception):
    """A request the Graph Store answers with an error; `status` is the HTTP status."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Target:
    """The graph a request is about, and how it is stored."""

    iri: str
    kind: str  # "default", "plain", "data" (gated, versioned) or "system" (read-only)

    @classmethod
    def of(cls, iri: str) -> "Target":
        """Classify a graph IRI (checked to be absolute)."""
        if iri == DEFAULT_WRITE_GRAPH:
            return cls(iri, "default")
        if not registry.ABSOLUTE_IRI.match(iri):
            raise GraphStoreError(400, f"the graph must be an absolute IRI, not {iri!r}")
        if iri in SYSTEM_GRAPHS or registry.is_version_iri(iri):
            return cls(iri, "system")
        if iri.startswith(PROJECT_GRAPHS) or runtime().store.current_version(iri) is not None:
            return cls(iri, "data")  # a data graph loaded with `agrs load --graph` may be outside the namespace
        return cls(iri, "plain")


@blueprint.route(ROUTE, methods=METHODS)
def indirect() -> Response:
    """Serve a graph named by `?graph=IRI` or `?default`; POST without either creates a new graph."""
    named, default = request.args.getlist("graph"), "default" in request.args
    if len(named) > 1 or (named and default):
        return text_response(400, "name one graph: either ?graph=IRI or ?default")
    if not named and not default:
        if request.method == "POST":
            return _create()
        return text_response(400, "name the graph: ?graph=IRI (URL-encoded) or ?default")
    return _serve(DEFAULT_WRITE_GRAPH if default else named[0])


@blueprint.route(f"{ROUTE}/<path:name>", methods=METHODS)
def direct(name: str) -> Response:
    """Serve the graph whose IRI is this URL (direct identification)."""
    return _serve(request.base_url)


def _serve(iri: str) -> Response:
    try:
        check_iri(iri)
        target = Target.of(iri)
        if request.method in ("GET", "HEAD"):
            from agrs.server import access

            if access.hides(iri):  # 404 as for a graph that does not exist: a 403 would say that it exists
                raise GraphStoreError(404, f"there is no graph <{iri}> in the store")
            return _get(target)
        refusal = write_refusal()
        if refusal is not None:
            return refusal
        if target.kind == "system":
            raise GraphStoreError(403, f"<{iri}> is managed by the store (registry, provenance or a version graph)")
        if request.method == "DELETE":
            return _delete(target)
        return _write(target, replace=request.method == "PUT")
    except _Rejected as error:
        return _rejected(error.verdict)
    except GraphStoreError as error:
        return text_response(error.status, str(error))


def _create() -> Response:
    """POST to the Graph Store itself: store the body in a new plain graph; 201 with its IRI in Location."""
    refusal = write_refusal()
    if refusal is not None:
        return refusal
    iri = f"{request.host_url.rstrip('/')}{ROUTE}/{uuid.uuid4()}"
    try:
        _write(Target(iri, "plain"), replace=True)
    except GraphStoreError as error:
        return text_response(error.status, str(error))
    return Response(status=201, headers={"Location": iri})


#: what an IRI may not hold (RFC 3987): spaces and controls (C0, DEL, C1 such as U+0085), the line and paragraph
#: separators, and the characters SPARQL and Turtle forbid between < and >; percent-encoded they are fine
NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\\x7f-\x9f\u2028\u2029\ufffe\uffff\ud800-\udfff]')


def check_iri(iri: str) -> None:
    """Raise GraphStoreError(400) when `iri` holds a character an IRI may not hold, naming it and where."""
    found = NOT_IN_IRI.search(iri)
    if found is not None:
        character = found.group()
        raise GraphStoreError(
            400,
            f"the graph IRI holds U+{ord(character):04X} ({unicodedata.name(character, 'a control character')}) at "
            f"character {found.start() + 1}, which an IRI may not hold: percent-encode it in the IRI itself "
            f"(%{'%'.join(f'{byte:02X}' for byte in character.encode('utf-8', 'surrogatepass'))}), then URL-encode "
            "the whole IRI in ?graph=",
        )


# --- reading ---------------------------------------------------------------------------------------------------


def _get(target: Target) -> Response:
    """Answer GET/HEAD: the graph, serialised in a killable query worker under the row and size caps (as /sparql's
    queries: a large graph is an error naming the cap, never a truncated graph, and never read in this process),
    with its ETag (see `graph_tag`); 304 to an If-None-Match that holds it."""
    from agrs.server.conneg import negotiate
    from agrs.server.protocol.sparql import answer_response, client_of

    media_type = negotiate(request.headers.get("Accept"), list(ANSWER_FORMATS), request.args.get("format"))
    if media_type is None:
        offered = ", ".join(ANSWER_FORMATS)
        raise GraphStoreError(406, f"none of the types in Accept is available; offered: {offered}")
    state = runtime()
    if not _exists(state.reader, target):
        raise GraphStoreError(404, f"there is no graph <{target.iri}> in the store")
    answer = state.queries.run(_graph_job(target, media_type), client_of(request))
    tag = answer.headers.pop(ETAG_HEADER, None)
    response = answer_response(answer)
    if answer.status != 200:
        return response
    response.set_etag(tag)  # strong: the same tag is the same bytes for the same Accept (Vary: Accept)
    response.headers["Cache-Control"] = "no-cache"
    if request.if_none_match.star_tag or request.if_none_match.contains_weak(tag):
        return Response(status=304, headers={"ETag": response.headers["ETag"], "Vary": "Accept"})
    return response


def _graph_job(target: Target, media_type: str | None, *, tag_only: bool = False):
    """The query worker's job that reads the target graph (by its logical IRI: the worker reads its own current
    version) and tags the answer with the graph's ETag."""
    from agrs.server.protocol.executor import Job
    from agrs.store.base import Dataset

    config = runtime().config
    return Job(
        sparql="CONSTRUCT WHERE { ?s ?p ?o }", dataset=Dataset(default=(target.iri,), named=()),
        format=media_type or "application/n-triples", max_rows=config.max_rows,
        max_bytes=config.max_response_bytes, tag_graph=target.iri, tag_only=tag_only,
    )  # fmt: skip


def graph_tag(state, target: Target) -> str | None:
    """Return the target graph's entity tag now, or None when it does not exist.

    A data graph's is its current version IRI (a version never changes: cheap and exact). A plain graph has no
    version, so its tag is the SHA-256 of its sorted N-Triples, computed in a query worker: exact whoever wrote it
    (the Graph Store, SPARQL Update, another process on a remote store) and the same after a restart; it costs a
    read of the graph, which the write path only pays when the request has If-Match or If-None-Match.
    """
    if target.kind == "data":
        return state.store.current_version(target.iri)
    if not _exists(state.store, target):
        return None
    answer = state.queries.run(_graph_job(target, None, tag_only=True))
    if answer.status != 200:
        raise GraphStoreError(
            answer.status if answer.status >= 500 else 412,
            "cannot compare the graph with If-Match / If-None-Match: " + answer.body.decode("utf-8", "replace"),
        )
    return answer.headers[ETAG_HEADER]


def check_preconditions(state, target: Target) -> None:
    """Raise GraphStoreError(412) unless the request's If-Match / If-None-Match hold for the graph as it is now.

    Called under the write lock, so nothing changes between the check and the write: a read-modify-write that
    sends the ETag it read loses no concurrent change (the second writer gets 412, reads again and retries)."""
    if_match, if_none_match = request.if_match, request.if_none_match
    if not if_match and not if_none_match:
        return
    current = graph_tag(state, target)
    shown = "none (the graph does not exist)" if current is None else f'"{current}"'
    if if_match and (current is None or not (if_match.star_tag or if_match.contains(current))):
        raise GraphStoreError(
            412,
            f"If-Match failed: the graph <{target.iri}> has changed since you read it (its ETag is now {shown}); "
            "GET it again, redo your change on what you get, and send the new ETag",
        )
    if if_none_match and current is not None and (if_none_match.star_tag or if_none_match.contains_weak(current)):
        what = "exists already" if if_none_match.star_tag else "still has the ETag you sent"
        raise GraphStoreError(412, f"If-None-Match failed: the graph <{target.iri}> {what} (its ETag is {shown})")


def _prefixes(media_type: str, triples: list[ox.Triple]) -> dict[str, str] | None:
    """Return the project's prefixes that the triples use (Turtle only: the other syntaxes have none)."""
    if media_type != "text/turtle":
        return None
    iris = {term.value for triple in triples for term in triple if isinstance(term, ox.NamedNode)}
    table = prefixes()
    used = {prefix for prefix, namespace in table.items() if any(iri.startswith(namespace) for iri in iris)}
    return {prefix: table[prefix] for prefix in sorted(used)}


def _exists(store, target: Target) -> bool:
    if target.kind == "default":
        return True
    if target.kind == "data":
        return store.current_version(target.iri) is not None
    return store.plain_graph_exists(target.iri)


def _triples(store, target: Target):
    if target.kind == "data":
        return store.triples(target.iri)
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{target.iri}> {{ ?s ?p ?o }} }}"
    return ((triple.subject, triple.predicate, triple.object) for triple in store.query(query, graphs=()))


# --- writing ---------------------------------------------------------------------------------------------------


def _write(target: Target, *, replace: bool) -> Response:
    """PUT (replace) or POST (merge) the request body into the target graph."""
    triples, digest, size = _body_triples(target.iri)
    state = runtime()
    with write_lock(state, GraphStoreError):
        check_preconditions(state, target)
        try:
            if target.kind == "data":
                created = _write_data(state.store, target.iri, triples, replace, digest, size)
            else:
                created = _write_plain(state.store, target, triples, replace)
        finally:
            state.after_write()
    return Response(status=201 if created else 204)


def _write_plain(store, target: Target, triples: list[ox.Triple], replace: bool) -> bool:
    """Write a plain graph by SPARQL Update (one transaction); return whether the graph is new."""
    if len(triples) > PLAIN_GRAPH_LIMIT:
        raise GraphStoreError(
            413,
            f"{len(triples)} triples: a plain graph takes at most {PLAIN_GRAPH_LIMIT} per request (it is written by "
            "SPARQL Update); send the rest in further POSTs, or write a data graph under "
            f"{PROJECT_GRAPHS}<kind>/<key>, which is bulk-loaded",
        )
    created = target.kind != "default" and not _exists(store, target)
    graph = f"<{target.iri}>"
    operations = [f"DROP SILENT GRAPH {graph}"] if replace else []
    if target.kind != "default":
        operations.append(f"CREATE SILENT GRAPH {graph}")  # an empty PUT still makes the graph exist
    if triples:
        # One INSERT DATA: blank node labels are scoped to the request, so the payload cannot be split.
        body = " .\n".join(str(triple) for triple in triples)
        operations.append(f"INSERT DATA {{ GRAPH {graph} {{\n{body} .\n}} }}")
    try:
        store.update(" ;\n".join(operations))
    except StoreError as error:
        raise GraphStoreError(409, f"cannot write <{target.iri}>: {error}") from error
    return created


def _write_data(store, graph: str, triples: list[ox.Triple], replace: bool, digest: str, size: int) -> bool:
    """Gate and commit a data graph as a new version (PUT: the body; POST: current content + body)."""
    from agrs.commit import Source, commit_graph
    from agrs.graphs import key_of, source_of
    from agrs.records import SourceFile
    from agrs.store.terms import triple_to_rdflib
    from agrs.validate import gate_graph

    started = datetime.now(UTC)
    old = store.current_version(graph)
    if not replace and old is not None:
        triples = [*(ox.Triple(*triple) for triple in store.triples(graph)), *triples]
    content = {triple_to_rdflib(triple) for triple in triples}
    resources = runtime().resources()
    verdict = gate_graph(store, graph, content, resources)
    if not verdict.conforms:
        raise _Rejected(verdict)
    kind, key = source_of(graph) or (GRAPH_STORE_KIND, key_of(GRAPH_STORE_KIND, graph))
    body = SourceFile(Path(f"graph-store-{request.method.lower()}"), digest, size)
    try:
        commit_graph(
            store, Source(kind, key, graph), triples, started=started, files=[body],
            counts=(len(content), len(content), 0), shapes_digest=resources.shapes_digest, expected_version=old,
        )  # fmt: skip
    except VersionConflict as error:
        raise GraphStoreError(409, f"{error}: try again") from error
    except StoreError as error:
        raise GraphStoreError(409, f"cannot write <{graph}>: {error}") from error
    return old is None


class _Rejected(GraphStoreError):
    """The SHACL gate refused the content: answered with the report."""

    def __init__(self, verdict):
        super().__init__(422, f"the graph does not conform to the shapes: {verdict.violations} violation(s)")
        self.verdict = verdict


def _rejected(verdict) -> Response:
    """Answer 422 with the SHACL report, as JSON when the client prefers it, else as Turtle."""
    from agrs.server.conneg import negotiate

    wanted = negotiate(request.headers.get("Accept"), ["text/turtle", "application/json"], None)
    if wanted == "application/json":
        return Response(verdict.as_json(), status=422, content_type="application/json")
    return Response(verdict.as_turtle(), status=422, content_type="text/turtle; charset=utf-8")


def _delete(target: Target) -> Response:
    state = runtime()
    with write_lock(state, GraphStoreError):
        check_preconditions(state, target)
        try:
            if target.kind == "data":
                existed = state.store.drop_graph(target.iri)
            elif target.kind == "default":
                existed = True
                state.store.update(f"DROP SILENT GRAPH <{target.iri}>")
            else:
                existed = _exists(state.store, target)
                if existed:
                    state.store.update(f"DROP GRAPH <{target.iri}>")
        finally:
            state.after_write()
    if not existed:
        raise GraphStoreError(404, f"there is no graph <{target.iri}> in the store")
    return Response(status=204)


# --- request bodies --------------------------------------------------------------------------------------------


def _body_triples(base: str) -> tuple[list[ox.Triple], str, int]:
    """Parse the request body (or each part of a multipart one); return its triples, SHA-256 and size."""
    if request.mimetype == MULTIPART:
        parts = [(part.read(), part.mimetype, part.mimetype_params, part.filename) for part in request.files.values()]
        if not parts:
            raise GraphStoreError(400, "the multipart body has no file part")
    else:
        parts = [(request.get_data(), request.mimetype, request.mimetype_params, None)]
    triples, digest, size = [], hashlib.sha256(), 0
    for data, mimetype, params, name in parts:
        triples += _parse(data, mimetype, params, base, name)
        digest.update(data)
        size += len(data)
    return triples, digest.hexdigest(), size


def _parse(data: bytes, mimetype: str, params: dict, base: str, name: str | None) -> list[ox.Triple]:
    where = f"part {name!r}: " if name else ""
    if not mimetype:
        if not data.strip():
            return []
        raise GraphStoreError(415, f"{where}say what the body is with Content-Type: one of {', '.join(BODY_FORMATS)}")
    if mimetype in DATASET_TYPES:
        raise GraphStoreError(
            415, f"{where}{mimetype} holds a dataset; the Graph Store writes one graph: send Turtle or N-Triples"
        )
    syntax = BODY_FORMATS.get(mimetype)
    if syntax is None:
        raise GraphStoreError(415, f"{where}cannot read {mimetype}; send one of {', '.join(BODY_FORMATS)}")
    charset = params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        try:
            data = data.decode(charset).encode("utf-8")
        except (LookupError, UnicodeDecodeError) as error:
            raise GraphStoreError(400, f"{where}cannot decode the body as {charset}: {error}") from error
    from agrs import rdf_input  # the one safe parse (no DTD entities, no remote context, bounded): rdf helper

    try:
        quads = rdf_input.parse_bytes(data, syntax, source=f"{where}the body", base=base)
        rdf_input.first_bad_literal(quads, data, f"{where}the body")
        return [ox.Triple(quad.subject, quad.predicate, quad.object) for quad in quads]
    except rdf_input.RdfInputError as error:
        raise GraphStoreError(413 if error.too_large else 400, f"invalid {syntax.name}: {error}") from error
