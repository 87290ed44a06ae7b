"""Read access per graph, in the core: which graphs are restricted, what a token may do, a store without them.

Used by the server (agrs.server.access: per request) and by `agrs export` (restricted graphs left out unless
asked). The rules and tokens, and what "derived from a restricted graph" means, are described there.
"""

import hashlib
import hmac
import re
from dataclasses import dataclass, replace
from pathlib import Path

from agrs.graphs import GRAPH, PROVENANCE_GRAPH, REGISTRY_GRAPH, graph_iri
from agrs.ns import PROV
from agrs.store.base import Dataset, Store
from agrs.store.registry import VERSION_IRI

READ_RESTRICTED = "read-restricted"
WRITE = "write"
ROLES = (READ_RESTRICTED, WRITE)
#: restricted with no configuration: every diagnostic
DEFAULT_RESTRICTED = (graph_iri("diagnostic", ""),)
#: the bookkeeping graphs that name other graphs (agrs.export.PUSH_GRAPH: no import, the core must not need it)
BOOKKEEPING = (REGISTRY_GRAPH, PROVENANCE_GRAPH, str(GRAPH["push"]))
ACCESS_ENV = "AGRS_ACCESS"
_HASH = re.compile(r"^sha256:([0-9a-f]{64})$")


class AccessFileError(ValueError):
    """The access file cannot be read, or a line of it is not a rule."""


@dataclass(frozen=True)
class AccessPolicy:
    """The rules (IRI or prefix → restricted or not) and the tokens (SHA-256 hex → roles)."""

    rules: tuple[tuple[str, bool], ...] = tuple((prefix, True) for prefix in DEFAULT_RESTRICTED)
    tokens: tuple[tuple[str, frozenset[str]], ...] = ()

    def rule(self, graph: str) -> bool | None:
        """Return whether a rule restricts `graph` (True), opens it (False), or None when no rule names it."""
        best, chosen = -1, None
        for target, restricted in self.rules:
            if target.endswith("/") or target.endswith("*"):  # a prefix: ends with / or with * (stripped)
                prefix = target.removesuffix("*")
                matches, weight = graph.startswith(prefix), len(prefix)
            else:
                matches, weight = graph == target, 1 << 30  # an exact IRI beats any prefix
            if matches and weight >= best:
                best, chosen = weight, restricted
        return chosen

    def roles_of(self, token: str, write_token: str | None) -> frozenset[str] | None:
        """Return the roles of `token` (the write token has both), or None when it is no known token."""
        if write_token and hmac.compare_digest(token.encode(), write_token.encode()):
            return frozenset(ROLES)
        digest = hashlib.sha256(token.encode()).hexdigest()
        found = None
        for known, roles in self.tokens:  # every entry compared, in constant time each
            if hmac.compare_digest(digest, known):
                found = roles
        return found

    @property
    def writers(self) -> bool:
        """Whether a token of the file may write."""
        return any(WRITE in roles for _, roles in self.tokens)


def load_policy(path: Path | None) -> AccessPolicy:
    """Read an access file (see the module's docstring); None gives the default policy. AccessFileError if bad."""
    policy = AccessPolicy()
    if path is None:
        return policy
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise AccessFileError(f"cannot read the access file {path}: {error}") from error
    rules, tokens = list(policy.rules), []
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        where = f"{path}, line {number}"
        if words[0] in ("restricted", "public") and len(words) == 2:
            if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$", words[1]):
                raise AccessFileError(f"{where}: not an absolute IRI: {words[1]!r}")
            rules.append((words[1], words[0] == "restricted"))
        elif words[0] == "token" and len(words) >= 3:
            match = _HASH.match(words[1].lower())
            if match is None:
                raise AccessFileError(
                    f"{where}: a token is given by its SHA-256, `sha256:` and 64 hex digits (printf %s TOKEN | "
                    "sha256sum), never in clear"
                )
            unknown = [role for role in words[2:] if role not in ROLES]
            if unknown:
                raise AccessFileError(f"{where}: unknown role {unknown[0]!r}; roles: {', '.join(ROLES)}")
            tokens.append((match[1], frozenset(words[2:])))
        else:
            raise AccessFileError(
                f"{where}: expected `restricted IRI`, `public IRI` or `token sha256:HEX ROLE…`, not {line.strip()!r}"
            )
    return AccessPolicy(tuple(rules), tuple(tokens))


# --- what is restricted in a store -----------------------------------------------------------------------------

#: (derived graph's version or the provenance's generated version, a version it used)
USED = f"""SELECT ?by ?used WHERE {{
  {{ GRAPH ?by {{ ?activity <{PROV.used}> ?used }} }}
  UNION {{ GRAPH <{PROVENANCE_GRAPH}> {{ ?activity <{PROV.generated}> ?by ; <{PROV.used}> ?used }} }}
}}"""


def restricted_graphs(store: Store, policy: AccessPolicy) -> frozenset[str]:
    """Return the graphs of `store` a caller without `read-restricted` may not read (logical and plain IRIs).

    The graphs a rule restricts; the derived graphs computed from one of them (transitively) unless a rule opens
    them; and, when any graph is restricted, the bookkeeping graphs (they name the others).
    """
    current = store.current_versions()
    plain = store.plain_graphs()
    restricted = {graph for graph in [*current, *plain] if policy.rule(graph)}
    owner = {version: graph for graph, version in current.items()}
    edges: list[tuple[str, str]] = []
    for row in store.query(USED, dataset=Dataset(default=(), named=None, merge=False)):
        by, used = row["by"].value, row["used"].value
        match = VERSION_IRI.match(used)
        user = owner.get(by)
        if match is not None and user is not None and policy.rule(user) is None:
            edges.append((user, match["graph"]))
    changed = True
    while changed:  # derived from derived data (a roll-up of inferred triples…): to the fixpoint
        changed = False
        for user, used in edges:
            if used in restricted and user not in restricted:
                restricted.add(user)
                changed = True
    if restricted:
        restricted.update(name for name in BOOKKEEPING if name in plain)
    return frozenset(restricted)


class RestrictedView:
    """A store seen without some graphs: every read of the Store interface leaves them out (agrs.store.base).

    What it does not define (the store's location, `read_only`…) is the store's own.
    """

    def __init__(self, store: Store, hidden: frozenset[str]):
        self._store, self.hidden = store, hidden

    def __getattr__(self, name: str):
        return getattr(self._store, name)

    def query(self, sparql: str, *, dataset: Dataset | None = None, graphs=None, union: bool = True, base_iri=None):
        """Run a query as Store.query does, its dataset hiding the restricted graphs."""
        if dataset is None:
            if graphs is not None:
                dataset = Dataset(default=tuple(graphs), merge=False)
            else:
                dataset = Dataset() if union else Dataset(default=())
        return self._store.query(sparql, dataset=hide(dataset, self.hidden), base_iri=base_iri)

    def graphs(self):
        """The current graphs the caller may read."""
        return [info for info in self._store.graphs() if info.graph not in self.hidden]

    def current_versions(self) -> dict[str, str]:
        """The current versions of the graphs the caller may read."""
        return {g: v for g, v in self._store.current_versions().items() if g not in self.hidden}

    def current_version(self, graph: str) -> str | None:
        """The current version of `graph`, None when hidden."""
        return None if graph in self.hidden else self._store.current_version(graph)

    def plain_graphs(self) -> list[str]:
        """The plain graphs the caller may read."""
        return [name for name in self._store.plain_graphs() if name not in self.hidden]

    def visible_graphs(self):
        """The named graphs the caller's queries see."""
        return [entry for entry in self._store.visible_graphs() if entry.graph not in self.hidden]

    def triples(self, graph: str):
        """The triples of `graph`: none when hidden."""
        return iter(()) if graph in self.hidden else self._store.triples(graph)


def hide(dataset: Dataset, hidden: frozenset[str]) -> Dataset:
    """Return `dataset` also hiding `hidden`."""
    return dataset if not hidden else replace(dataset, hidden=dataset.hidden | hidden)
