"""Read access per graph: which graphs are restricted, which tokens may read them, and the store each caller sees.

Graphs are public or restricted. An enterprise's diagnostic (its dependencies, CSR actions, immaterial capital:
the `diagnostic` loader's graphs, https://w3id.org/agrs/graph/diagnostic/<key>) is restricted by default, with no
configuration at all. `agrs serve --access FILE` ($AGRS_ACCESS) adds rules and tokens, one a line (# comments):

    restricted https://w3id.org/agrs/graph/partners/private      # an exact graph IRI
    restricted https://example.org/graphs/hr/                    # every graph under a prefix (ends with /)
    public https://w3id.org/agrs/graph/diagnostic/demo-*         # every graph whose IRI starts so (ends with *)
    public https://w3id.org/agrs/graph/diagnostic/demo-lagrasse  # an explicit exception: published
    token sha256:<64 hex digits> read-restricted                 # a token's SHA-256, never the token itself
    token sha256:<64 hex digits> read-restricted write

The most specific rule wins (an exact IRI over a prefix, a longer prefix over a shorter one); the built-in rule
`restricted https://w3id.org/agrs/graph/diagnostic/` is the shortest, so only an explicit `public` line opens one.

Derived data is restricted like its inputs: a graph whose current version was computed from a restricted graph
(the reasoner's inferred graph, a roll-up: their PROV activity `prov:used` a version of it, read from the
provenance graph and from the derived graph itself) is restricted too, transitively, unless a rule names it.
While any graph is restricted, the store's bookkeeping graphs (the registry, the provenance, the push records),
which name every graph, its size and the files it was loaded from, are restricted as well.

Roles: `read-restricted` reads every graph; `write` writes (agrs.server.auth). The write token
(`--write-token`) has both. A request without credentials reads the public graphs only; a request whose
credentials match no token is refused (401), so that a mistyped token is not taken for an anonymous reader.

A caller who may not read a graph gets a store in which it does not exist (`reader()`): queries run with
`Dataset.hidden` (agrs.store.base: the default graph is the merge of the other graphs, still a set; FROM,
FROM NAMED, GRAPH ?g, default-graph-uri and named-graph-uri never reach it), its name is in no graph list
(VoID, service description, /health), its IRIs' pages are 404 when it alone describes them, the Graph Store
answers 404 (as for a graph that does not exist: a 403 would say it exists), the dump leaves it out.
"""

import threading

from flask import Flask, current_app, g

from agrs.access import (
    READ_RESTRICTED,
    ROLES,
    WRITE,
    AccessFileError,
    AccessPolicy,
    RestrictedView,
    hide,
    load_policy,
    restricted_graphs,
)
from agrs.store.base import Dataset
from agrs.store.registry import VERSION_IRI

__all__ = ["READ_RESTRICTED", "ROLES", "WRITE", "AccessFileError", "AccessPolicy", "load_policy"]
KEY = "agrs.access"


class Unauthorized(Exception):
    """The request's credentials match no token."""


# --- the current request ---------------------------------------------------------------------------------------


def install(app: Flask) -> None:
    """Keep the app's access state and answer 401 to a request whose credentials match no token."""
    app.extensions[KEY] = {"lock": threading.Lock(), "version": None, "restricted": frozenset()}
    app.register_error_handler(Unauthorized, _unauthorized)


def _unauthorized(error):
    from agrs.server.responses import text_response

    answer = text_response(401, str(error))
    answer.headers["WWW-Authenticate"] = 'Bearer realm="agrs", error="invalid_token"'
    return answer


def policy() -> AccessPolicy:
    """The running app's access policy (the default one when none was configured)."""
    from agrs.server.runtime import runtime

    return getattr(runtime().config, "access", None) or AccessPolicy()


def roles() -> frozenset[str]:
    """The roles of the current request's caller: none when it sent no credentials. Unauthorized if unknown."""
    if "agrs_roles" in g:
        return g.agrs_roles
    from agrs.server.auth import sent_token
    from agrs.server.runtime import runtime

    token = sent_token()
    found: frozenset[str] = frozenset()
    if token is not None:
        known = policy().roles_of(token, runtime().config.write_token)
        if known is None:
            raise Unauthorized("the token sent is not one of this server's tokens: send a known one, or none to "
                               "read the public graphs")  # fmt: skip
        found = known
    g.agrs_roles = found
    return found


def restricted_now() -> frozenset[str]:
    """The graphs restricted in the store as the readers see it now (computed once per store version)."""
    from agrs.server.runtime import runtime

    state = current_app.extensions[KEY]
    version = runtime().version
    with state["lock"]:
        if state["version"] != version:
            state["restricted"] = restricted_graphs(runtime().reader, policy())
            state["version"] = version
        return state["restricted"]


def hidden() -> frozenset[str]:
    """The graphs the current request may not read (none for a caller with `read-restricted`)."""
    if READ_RESTRICTED in roles():
        return frozenset()
    return restricted_now()


def scope() -> str:
    """What the caller reads, for caches: "all" or "public"."""
    return "all" if READ_RESTRICTED in roles() else "public"


def reader():
    """The store the current request reads: the pages' reader, without the graphs the caller may not read."""
    from agrs.server.runtime import runtime

    shown_away = hidden()
    store = runtime().reader
    return store if not shown_away else RestrictedView(store, shown_away)


def restrict(dataset: Dataset) -> Dataset:
    """Return a query's dataset hiding what the current request may not read."""
    return hide(dataset, hidden())


def hides(iri: str) -> bool:
    """Whether the current request may not read graph `iri` (a logical graph, a plain graph or a version IRI)."""
    away = hidden()
    if iri in away:
        return True
    match = VERSION_IRI.match(iri)
    return match is not None and match["graph"] in away


def checkpoint_preparer(config):
    """Return what prepares the embedded store before each checkpoint for its public readers: the merge of the
    current versions they may read, kept as one graph (agrs.store.base.materialise_view), which their queries read
    as the others read the union graphs, instead of merging graphs in memory per query. It is made again only when
    a version it merges stops being current."""
    chosen = getattr(config, "access", None) or AccessPolicy()

    def prepare(store) -> None:
        from agrs.store.base import materialise_view

        # Views left by an earlier server are kept when they name the current versions (a version never changes:
        # `agrs purge` writes a new one), so only the first start after a load pays for them.
        materialise_view(store, restricted_graphs(store, chosen))

    return prepare


def update_refusal():
    """Return the 403 answer to a SPARQL Update from a caller without `read-restricted` while graphs are
    restricted (an update's WHERE reads the stored graphs as they are, so it could copy a restricted graph into
    a public one), else None."""
    if READ_RESTRICTED in roles() or not restricted_now():
        return None
    from agrs.server.responses import text_response

    return text_response(
        403,
        "this token may write but not read the restricted graphs, and a SPARQL Update reads "
        "every graph: use the Graph Store (PUT/POST a graph), or a token with read-restricted",
    )
