"""What a query returns, whichever store ran it: pyoxigraph's result objects, and TripleResults for remote graphs.

The embedded store returns pyoxigraph's QuerySolutions, QueryBoolean and QueryTriples. A remote store returns
the first two too (pyoxigraph parses SPARQL results documents into them), but pyoxigraph cannot build a
QueryTriples from a parsed graph: CONSTRUCT and DESCRIBE answers come as a TripleResults, which iterates and
serialises like one. Callers ask `is_triples` / `is_boolean` / `is_solutions` instead of testing pyoxigraph's
classes.
"""

import io
from collections.abc import Iterable, Iterator

import pyoxigraph as ox


class TripleResults:
    """The triples a CONSTRUCT or DESCRIBE returned: iterable of `ox.Triple`, serialisable like ox.QueryTriples."""

    def __init__(self, triples: Iterable[ox.Triple]):
        self._triples = list(triples)

    def __iter__(self) -> Iterator[ox.Triple]:
        return iter(self._triples)

    def __len__(self) -> int:
        return len(self._triples)

    def __repr__(self) -> str:
        return f"<TripleResults: {len(self._triples)} triples>"

    def serialize(self, output=None, format: ox.RdfFormat = ox.RdfFormat.N_TRIPLES):
        """Write the triples in `format` to `output` (a path or a binary file), or return them as bytes."""
        target = io.BytesIO() if output is None else output
        ox.serialize(self._triples, target, format)
        return target.getvalue() if output is None else None


def is_triples(result) -> bool:
    """Return whether `result` is a graph (the answer of CONSTRUCT or DESCRIBE)."""
    return isinstance(result, ox.QueryTriples | TripleResults)


def is_boolean(result) -> bool:
    """Return whether `result` is the answer of an ASK."""
    return isinstance(result, ox.QueryBoolean)


def is_solutions(result) -> bool:
    """Return whether `result` is a table of solutions (the answer of a SELECT)."""
    return isinstance(result, ox.QuerySolutions)
