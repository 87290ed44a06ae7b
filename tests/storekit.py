"""What the store tests share: two logical graphs, a property, triples to load, and result readers."""

import pyoxigraph as ox

A = "https://w3id.org/agrs/graph/test/a"
B = "https://w3id.org/agrs/graph/test/b"
P = ox.NamedNode("https://w3id.org/agrs/test/p")
ALL_TRIPLES = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"


def make_triples(prefix: str, count: int, start: int = 0) -> list[tuple]:
    """Return `count` triples `<id/prefix/i> P "prefix i"` (pyoxigraph terms)."""
    return [(ox.NamedNode(f"https://w3id.org/agrs/id/{prefix}/{i}"), P, ox.Literal(f"{prefix} {i}")) for i in
            range(start, start + count)]


def rows(result) -> set[tuple]:
    """Return the solutions of a SELECT as a set of tuples."""
    return {tuple(solution) for solution in result}


def data_rows(result) -> set[tuple]:
    """Return the (s, p, o) solutions whose property is P (the test data, not the registry's)."""
    return {row for row in rows(result) if row[1] == P}
