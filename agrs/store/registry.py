"""The registry of graph versions: its vocabulary and the SPARQL that reads and switches it.

Plain SPARQL text, so that every kind of store (embedded now, remote later) keeps the same registry. In the
registry graph, for each logical graph G that was ever loaded:

    <G> a agrs:DataGraph ; agrs:currentVersion <G/vN> .        # no currentVersion once dropped
    <G/vK> a agrs:GraphVersion ; agrs:versionOf <G> .          # every version ever allocated, K = 1…N
    <G/vK> void:triples 1234 .                                 # for every version that was once current
    <G/vK> dcterms:created "…"^^xsd:dateTime .                 # when it first became current
    <G/vK> agrs:kept true .                                    # a former current version whose data are kept

A version is allocated (versionOf) *before* its data are written, so that a killed load leaves a trace:
a version that is not current and still has data is garbage. A version that never became current (no
void:triples) is forgotten once collected; one that was current stays in the registry as history, so that
the version IRIs named by provenance records are never reused.

History: at a switch the version that stops being current is marked `agrs:kept` (same transaction), and the
store then drops the data of the kept versions beyond its retention count (agrs.store.retention), newest kept
first: the mark is removed before the data, so a kill in between leaves unmarked data, which the next
write-open collects. Kept versions are never in a query's dataset (neither the union nor the named graphs);
a rollback is a switch back to one of them (`rollback_switch`).

The store keeps the merge of the current graphs materialised (agrs.graphs.UNION_GRAPHS); the registry says
whether it is up to date with the versions it names:

    <union> a agrs:UnionGraph .                                # the union graphs were built…
    <union> agrs:stale true .                                  # …but are being brought up to date (or a write died)
    <G/vK> agrs:sharesTriplesWith <H/vJ> .                     # two versions that hold a common triple

The stale mark is written in the same transaction as the switch it follows, and removed once the union graphs
match the registry: a query that needs the union never reads it while it is stale. `sharesTriplesWith` is
recorded when a version becomes current (versions never change, so the fact never goes stale): a query whose
FROM clauses name graphs that share no triple can read them as they are stored.
"""

import re

from agrs.graphs import REGISTRY_GRAPH, SYSTEM_GRAPHS, UNION_GRAPH, UNION_GRAPHS
from agrs.ns import BASE, DCTERMS, RDF, VOID

DATA_GRAPH = BASE + "DataGraph"
GRAPH_VERSION = BASE + "GraphVersion"
CURRENT_VERSION = BASE + "currentVersion"
VERSION_OF = BASE + "versionOf"
UNION_CLASS = BASE + "UnionGraph"
STALE = BASE + "stale"
SHARES = BASE + "sharesTriplesWith"
KEPT = BASE + "kept"
CREATED = str(DCTERMS.created)
VOID_TRIPLES = str(VOID.triples)
RDF_TYPE = str(RDF.type)
XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"

# A version graph's IRI: the logical graph's IRI, "/v" and a decimal number.
VERSION_IRI = re.compile(r"^(?P<graph>.+)/v(?P<number>[0-9]+)$")

# What SPARQL accepts between < and >, with a scheme: the IRIs this module writes into SPARQL text.
ABSOLUTE_IRI = re.compile(r'^[a-zA-Z][a-zA-Z0-9+.-]*:[^\x00-\x20<>"{}|^`\\]*$')

PROLOGUE = f"PREFIX agrs: <{BASE}>\nPREFIX void: <{VOID}>\nPREFIX dcterms: <{DCTERMS}>\n"


def version_iri(graph: str, number: int) -> str:
    """Return the IRI of version `number` of logical graph `graph`."""
    return f"{graph}/v{number}"


def version_number(version: str) -> int:
    """Return the number of a version graph's IRI (`…/v12` → 12)."""
    match = VERSION_IRI.match(version)
    if match is None:
        raise ValueError(f"not a version graph IRI: {version}")
    return int(match["number"])


def is_version_iri(iri: str) -> bool:
    """Return whether an IRI has the shape of a version graph (`…/v<n>`)."""
    return VERSION_IRI.match(iri) is not None


def check_graph_iri(graph: str) -> None:
    """Refuse, with ValueError, a logical graph IRI the registry cannot manage."""
    if graph in SYSTEM_GRAPHS:
        raise ValueError(f"{graph} is a system graph: it is written by SPARQL updates, not replaced")
    if graph in UNION_GRAPHS:
        raise ValueError(f"{graph} is the store's union of the current graphs: only the store writes it")
    if not ABSOLUTE_IRI.match(graph):
        raise ValueError(f"not an absolute IRI: {graph!r}")
    if is_version_iri(graph):
        # G/v2 could then be both a logical graph and version 2 of G.
        raise ValueError(f"{graph} ends like a version graph (/v<n>): name the graph otherwise")


def _iri(value: str) -> str:
    return f"<{value}>"


REGISTRY = _iri(REGISTRY_GRAPH)

CURRENT_VERSIONS = (
    PROLOGUE
    + f"""SELECT ?graph ?version ?triples WHERE {{
  GRAPH {REGISTRY} {{ ?graph agrs:currentVersion ?version OPTIONAL {{ ?version void:triples ?triples }} }}
}} ORDER BY ?graph"""
)

ALL_VERSIONS = (
    PROLOGUE
    + f"""SELECT ?version ?graph ?current ?triples ?kept WHERE {{
  GRAPH {REGISTRY} {{
    ?version agrs:versionOf ?graph
    OPTIONAL {{ ?graph agrs:currentVersion ?current }}
    OPTIONAL {{ ?version void:triples ?triples }}
    OPTIONAL {{ ?version agrs:kept ?kept }}
  }}
}}"""
)

DATA_GRAPHS = PROLOGUE + f"SELECT ?graph WHERE {{ GRAPH {REGISTRY} {{ ?graph a agrs:DataGraph }} }}"


def versions_of(graph: str) -> str:
    """Return the query listing every registered version of `graph` (?version)."""
    return PROLOGUE + f"SELECT ?version WHERE {{ GRAPH {REGISTRY} {{ ?version agrs:versionOf {_iri(graph)} }} }}"


def allocate(graph: str, version: str) -> str:
    """Return the update that records `version` as a (not yet current) version of `graph`."""
    return (
        PROLOGUE
        + f"""INSERT DATA {{ GRAPH {REGISTRY} {{
  {_iri(graph)} a agrs:DataGraph .
  {_iri(version)} a agrs:GraphVersion ; agrs:versionOf {_iri(graph)} .
}} }}"""
    )


def switch(graph: str, version: str, triples: int, created: str | None = None) -> str:
    """Return the one update that makes `version` (holding `triples` triples) the current version of `graph`.

    The version current until then is marked kept (history) in the same transaction; `created` (an xsd:dateTime
    lexical form) is recorded as the new version's creation time. Three operations in one request (one
    transaction), not DELETE/INSERT … WHERE { OPTIONAL … }: Virtuoso 7.2 inserts nothing when that WHERE's
    only OPTIONAL does not match (a graph's first version).
    """
    stamp = f'\n  {_iri(version)} dcterms:created "{created}"^^<{XSD_DATETIME}> .' if created else ""
    return (
        PROLOGUE
        + f"""{_keep_current(graph)} ;
DELETE WHERE {{ GRAPH {REGISTRY} {{ {_iri(graph)} agrs:currentVersion ?old }} }} ;
INSERT DATA {{ GRAPH {REGISTRY} {{
  {_iri(graph)} agrs:currentVersion {_iri(version)} .
  {_iri(version)} void:triples {int(triples)} .{stamp}
}} }}"""
    )


def rollback_switch(graph: str, version: str) -> str:
    """Return the one update that makes the kept `version` current again (the current one becomes kept)."""
    return (
        PROLOGUE
        + f"""{_keep_current(graph)} ;
DELETE WHERE {{ GRAPH {REGISTRY} {{ {_iri(graph)} agrs:currentVersion ?old }} }} ;
DELETE WHERE {{ GRAPH {REGISTRY} {{ {_iri(version)} agrs:kept ?any }} }} ;
INSERT DATA {{ GRAPH {REGISTRY} {{ {_iri(graph)} agrs:currentVersion {_iri(version)} }} }}"""
    )


def _keep_current(graph: str) -> str:
    # No OPTIONAL: when the graph has no current version, nothing is inserted.
    return (
        f"INSERT {{ GRAPH {REGISTRY} {{ ?old agrs:kept true }} }} "
        f"WHERE {{ GRAPH {REGISTRY} {{ {_iri(graph)} agrs:currentVersion ?old }} }}"
    )


def retire(graph: str) -> str:
    """Return the update that leaves `graph` without a current version (the last one is kept, as history)."""
    return (
        PROLOGUE
        + f"""{_keep_current(graph)} ;
DELETE WHERE {{ GRAPH {REGISTRY} {{ {_iri(graph)} agrs:currentVersion ?old }} }}"""
    )


def unkeep(versions: list[str]) -> str:
    """Return the update that removes the kept mark of `versions` (before their data are dropped)."""
    # A pattern, not DELETE DATA of `true`: the value is never matched literally (a server may store it otherwise).
    deletes = (f"DELETE WHERE {{ GRAPH {REGISTRY} {{ {_iri(version)} agrs:kept ?any }} }}" for version in versions)
    return PROLOGUE + " ;\n".join(deletes)


def set_triples(version: str, triples: int) -> str:
    """Return the update that records a new triple count for `version` (after a purge)."""
    return (
        PROLOGUE
        + f"""DELETE WHERE {{ GRAPH {REGISTRY} {{ {_iri(version)} void:triples ?n }} }} ;
INSERT DATA {{ GRAPH {REGISTRY} {{ {_iri(version)} void:triples {int(triples)} }} }}"""
    )


def history_of(graph: str) -> str:
    """Return the query listing the versions of `graph` that hold data: the current one and the kept ones.

    Columns ?version ?triples ?created ?current ?kept; the provenance activity is read apart (agrs.store.base).
    """
    return (
        PROLOGUE
        + f"""SELECT ?version ?triples ?created ?current ?kept WHERE {{ GRAPH {REGISTRY} {{
  ?version agrs:versionOf {_iri(graph)}
  OPTIONAL {{ ?version void:triples ?triples }}
  OPTIONAL {{ ?version dcterms:created ?created }}
  OPTIONAL {{ {_iri(graph)} agrs:currentVersion ?current }}
  OPTIONAL {{ ?version agrs:kept ?kept }}
}} }}"""
    )


KEPT_VERSIONS = (
    PROLOGUE
    + f"SELECT ?version ?graph WHERE {{ GRAPH {REGISTRY} {{ ?version agrs:kept ?k ; agrs:versionOf ?graph }} }}"
)


def forget(version: str) -> str:
    """Return the update that removes a never-current version from the registry (a collected killed load)."""
    return PROLOGUE + f"""DELETE WHERE {{ GRAPH {REGISTRY} {{ {_iri(version)} ?p ?o }} }}"""


# --- the union graphs' state ------------------------------------------------------------------------------------

UNION = _iri(UNION_GRAPH)

UNION_FRESH = (
    PROLOGUE
    + f"""ASK {{ GRAPH {REGISTRY} {{
  {UNION} a agrs:UnionGraph FILTER NOT EXISTS {{ {UNION} agrs:stale ?any }}
}} }}"""
)

# Full IRIs, no prologue: it also follows another operation in one request.
MARK_STALE = f"INSERT DATA {{ GRAPH {REGISTRY} {{ {UNION} <{STALE}> true }} }}"

SHARING = PROLOGUE + f"SELECT ?a ?b WHERE {{ GRAPH {REGISTRY} {{ ?a agrs:sharesTriplesWith ?b }} }}"


def stale_after(update: str) -> str:
    """Return `update` followed, in the same request (one transaction), by the union graphs' stale mark."""
    return update + " ;\n" + MARK_STALE


def mark_fresh(shares: list[tuple[str, str]] = ()) -> str:
    """Return the update that says the union graphs match the registry, recording pairs of versions sharing triples."""
    pairs = "".join(f"  {_iri(a)} agrs:sharesTriplesWith {_iri(b)} .\n" for a, b in shares)
    return (
        PROLOGUE
        + f"""DELETE WHERE {{ GRAPH {REGISTRY} {{ {UNION} agrs:stale ?any }} }} ;
INSERT DATA {{ GRAPH {REGISTRY} {{
  {UNION} a agrs:UnionGraph .
{pairs}}} }}"""
    )
