"""The RDF loader: Turtle, N-Triples, N-Quads, TriG, RDF/XML and JSON-LD files, one record per subject.

A record is one IRI subject with its outgoing triples, plus the descriptions of the blank nodes it references
(recursively), so that a rejected record takes its blank nodes with it. Blank nodes nobody references become
records of their own. The graph names inside quad files (N-Quads, TriG, JSON-LD) are not kept: every triple goes
into the target graph of the load.
"""

import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from rdflib import Dataset, Graph
from rdflib.term import BNode, Node

from agrs.loaders.base import Loader
from agrs.records import RawRecord, ReadError, Record

#: suffix → rdflib format; quad formats are parsed into a Dataset and merged
FORMATS = {
    ".ttl": "turtle",
    ".turtle": "turtle",
    ".nt": "nt",
    ".ntriples": "nt",
    ".nq": "nquads",
    ".nquads": "nquads",
    ".trig": "trig",
    ".rdf": "xml",
    ".owl": "xml",
    ".xml": "xml",
    ".jsonld": "json-ld",
    ".json": "json-ld",
}
QUAD_FORMATS = ("nquads", "trig", "json-ld")
TRIPLES = "_triples"  # the raw record's field holding its triples (rdflib terms)
LINE = re.compile(r"(?:line|at line|on line)[^0-9]{0,3}(\d+)|:(\d+):", re.IGNORECASE)


def rdf_format(path: Path) -> str:
    """Return the rdflib format of a file from its suffix; an unknown suffix is a ReadError."""
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise ReadError(str(path), f"unknown RDF file suffix {path.suffix!r} (known: {known})") from None


def parse(path: Path) -> Graph:
    """Parse a file into one graph (quads merged); a syntax error is a ReadError with the line when known."""
    if not path.is_file():
        raise ReadError(str(path), "no such file")
    form = rdf_format(path)
    try:
        if form in QUAD_FORMATS:
            dataset = Dataset()
            dataset.parse(path, format=form)
            merged = Graph()
            for s, p, o, _ in dataset.quads((None, None, None, None)):
                merged.add((s, p, o))
            return merged
        return Graph().parse(path, format=form)
    except Exception as error:  # rdflib raises many kinds: all mean "this file does not parse"
        text = str(error).strip() or type(error).__name__
        found = LINE.search(text)
        line = int(found.group(1) or found.group(2)) if found else None
        raise ReadError(str(path), f"not valid {form}: {text.splitlines()[0]}", line=line) from error


class RdfLoader(Loader):
    """Loads RDF files as they are (no mapping); the SHACL gate checks them like any other source."""

    kind = "rdf"
    default_key = "default"

    def read(self, path: Path) -> Iterator[RawRecord]:
        """Yield one raw record per IRI subject (with its blank nodes), numbered in subject order."""
        path = Path(path)
        graph = parse(path)
        for number, (subject, triples) in enumerate(_descriptions(graph), start=1):
            original = "\n".join(f"{s.n3()} {p.n3()} {o.n3()} ." for s, p, o in triples)
            yield RawRecord(str(path), number, {"subject": str(subject), TRIPLES: triples}, original)

    def map(self, raw: RawRecord) -> Record:
        """Return the record's triples as read; its subject is the node it describes."""
        triples = raw.fields[TRIPLES]
        return Record(raw, triples=list(triples), subjects={s for s, _, _ in triples})


def _descriptions(graph: Graph) -> Iterator[tuple[Node, list]]:
    """Group the triples by IRI subject, attaching referenced blank nodes' descriptions to their referrer."""
    outgoing: dict[Node, list] = defaultdict(list)
    referenced: set[Node] = set()
    for triple in graph:
        outgoing[triple[0]].append(triple)
        if isinstance(triple[2], BNode):
            referenced.add(triple[2])
    taken: set[Node] = set()
    roots = sorted((s for s in outgoing if not isinstance(s, BNode)), key=str)
    # Blank nodes no one references stand alone (after the IRIs, for stable numbering).
    roots += sorted((s for s in outgoing if isinstance(s, BNode) and s not in referenced), key=str)
    for root in roots:
        yield root, _closure(root, outgoing, taken)


def _closure(root: Node, outgoing: dict[Node, list], taken: set[Node]) -> list:
    """Return the triples of `root` and of the blank nodes reachable from it not yet given to another record."""
    triples, pending = [], [root]
    taken.add(root)
    while pending:
        node = pending.pop()
        for triple in outgoing.get(node, ()):
            triples.append(triple)
            target = triple[2]
            if isinstance(target, BNode) and target not in taken:
                taken.add(target)
                pending.append(target)
    return triples
