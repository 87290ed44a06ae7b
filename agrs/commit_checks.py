"""What a writer asks the store before it commits: is the content unchanged since its last load, and which
references of other graphs would a new version leave dangling. These only read the store (agrs.commit writes).
"""

from collections.abc import Iterable, Sequence

import pyoxigraph as ox

from agrs.graphs import PROVENANCE_GRAPH
from agrs.ns import AGRS, PROV
from agrs.records import Record
from agrs.store.base import Store

REFERENCE_CHUNK = 500  # IRIs per VALUES block when asking which other graphs point at them
MAX_DANGLING_WARNINGS = 50  # a reload dropping thousands of referenced nodes reports a sample and a count


def last_load(store: Store, graph: str) -> dict[str, str] | None:
    """Return the content digest, shapes digest and rejected count of the load behind `graph`'s current version.

    None when there is none: a graph dropped since, or a version whose load left no provenance (killed after
    the switch); the source is then loaded again.
    """
    current = store.current_version(graph)
    if current is None:
        return None
    query = f"""
        PREFIX prov: <{PROV}>
        PREFIX agrs: <{AGRS}>
        SELECT ?digest ?shapes ?rejected WHERE {{
            ?load a agrs:Load ; prov:generated <{current}> ; agrs:contentDigest ?digest .
            OPTIONAL {{ ?load agrs:shapesDigest ?shapes }}
            OPTIONAL {{ ?load agrs:recordsRejected ?rejected }}
        }} LIMIT 1"""
    for row in store.query(query, graphs=[PROVENANCE_GRAPH]):
        return {name: row[name].value for name in ("digest", "shapes", "rejected") if row[name] is not None}
    return None


def is_unchanged(store: Store, graph: str, digest: str, shapes_digest: str | None = None) -> bool:
    """Return whether loading this content again would give the current version of `graph` once more.

    True when the current version was loaded from content with this digest, against these shapes (when given),
    with no record rejected: a rejection may depend on data other sources have loaded since (a partner whose
    project was missing), so such a source is always loaded again.
    """
    last = last_load(store, graph)
    if last is None or last.get("digest") != digest:
        return False
    if shapes_digest is not None and last.get("shapes") != shapes_digest:
        return False
    return last.get("rejected", "0") == "0"


def current_subjects(store: Store, graph: str) -> set[str]:
    """Return the IRIs that are subjects in the current version of `graph`."""
    return {s.value for s, _, _ in store.triples(graph) if isinstance(s, ox.NamedNode)}


def dangling_references(store: Store, graph: str, dropped: Iterable[str]) -> list[str]:
    """Return warnings for triples of OTHER current graphs whose object is one of `dropped` (IRIs).

    `dropped` = the subjects of the current version that the new content no longer describes.
    """
    others = {info.version: info.graph for info in store.graphs() if info.graph != graph}
    dropped = sorted(dropped)
    if not others or not dropped:
        return []
    warnings: list[str] = []
    total = 0
    for start in range(0, len(dropped), REFERENCE_CHUNK):
        values = " ".join(f"<{iri}>" for iri in dropped[start : start + REFERENCE_CHUNK])
        query = f"SELECT ?g ?s ?p ?o WHERE {{ VALUES ?o {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }}"
        for row in store.query(query):
            source = others.get(row["g"].value)
            if source is None:
                continue  # the graph being replaced, or a system graph
            total += 1
            if len(warnings) < MAX_DANGLING_WARNINGS:
                warnings.append(
                    f"{row['s']} {row['p']} {row['o']} (in {source}): {row['o']} is no longer described by {graph}"
                )
    if total > len(warnings):
        warnings.append(f"… and {total - len(warnings)} more references to nodes {graph} no longer describes")
    return warnings


def new_subjects(records: Sequence[Record]) -> set[str]:
    """Return the IRIs the valid records have as subject in their triples (what the new version describes)."""
    return {str(s) for record in records if not record.rejected for s, _, _ in record.triples}
