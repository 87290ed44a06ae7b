"""The RDF loader: Turtle, N-Triples, N-Quads, TriG, RDF/XML and JSON-LD files, one record per subject.

A record is one IRI subject with its outgoing triples, plus the descriptions of the blank nodes it references
(recursively), so that a rejected record takes its blank nodes with it. Blank nodes nobody references become
records of their own. The graph names inside quad files (N-Quads, TriG, JSON-LD) are not kept: every triple goes
into the target graph of the load.
"""

import warnings
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
from rdflib.term import BNode, Node

from agrs import rdf_input
from agrs.loaders.base import Loader
from agrs.records import Problem, RawRecord, ReadError, Record
from agrs.store.terms import triple_to_rdflib

#: suffix → syntax (agrs.rdf_input); quad syntaxes (N-Quads, TriG, JSON-LD) are merged into one graph
FORMATS = rdf_input.SUFFIXES
TRIPLES = "_triples"  # the raw record's field holding its triples (rdflib terms)
PROBLEMS = "_problems"  # the raw record's field holding what is wrong with its literals (ill-typed ones)


def rdf_format(path: Path) -> ox.RdfFormat:
    """Return the syntax of a file from its suffix; an unknown suffix is a ReadError."""
    try:
        return rdf_input.syntax_of(path)
    except rdf_input.RdfInputError as error:
        raise ReadError(str(path), error.reason) from None


def parse(path: Path) -> tuple[list[tuple], dict[tuple, str], bytes]:
    """Parse a file safely (agrs.rdf_input: no DTD, no network, bounded) into its distinct triples (rdflib terms,
    graph names dropped), the problems of the triples holding an ill-typed literal, and the file's bytes.

    Any fault that makes the file unreadable is a ReadError naming the line, the column and the term when known.
    """
    if not path.is_file():
        raise ReadError(str(path), "no such file")
    try:
        quads = rdf_input.read_file(path, rdf_format(path))
    except rdf_input.RdfInputError as error:
        reason = error.reason if not error.term or error.term in error.reason else f"{error.reason} (in {error.term})"
        if error.column is not None:
            reason = f"column {error.column}: {reason}"
        raise ReadError(str(path), reason, line=error.line) from None
    triples, problems, seen = [], {}, set()
    # Converted under the caller's warnings filter: rdflib warns about ill-typed literals (see RdfLoader.read).
    for quad in quads:
        key = (quad.subject, quad.predicate, quad.object)
        if key in seen:
            continue
        seen.add(key)
        triple = triple_to_rdflib(key)
        triples.append(triple)
        if isinstance(quad.object, ox.Literal):
            problem = rdf_input.literal_problem(quad.object)
            if problem:
                problems[triple] = problem
    return triples, problems, path.read_bytes() if problems else b""


class RdfLoader(Loader):
    """Loads RDF files as they are (no mapping); the SHACL gate checks them like any other source."""

    kind = "rdf"
    default_key = "default"

    def read(self, path: Path) -> Iterator[RawRecord]:
        """Yield one raw record per IRI subject (with its blank nodes), numbered in subject order; a record holding
        an ill-typed literal carries the line of that literal instead, for its quarantine entry."""
        path = Path(path)
        with warnings.catch_warnings():
            # rdflib warns about the ill-typed literals it builds ("weird boolean"): map() reports them properly.
            warnings.simplefilter("ignore", UserWarning)
            records = list(self._records(path))
        yield from records

    def _records(self, path: Path) -> Iterator[RawRecord]:
        triples, problems, data = parse(path)
        for number, (subject, described) in enumerate(_descriptions(triples), start=1):
            original = "\n".join(f"{s.n3()} {p.n3()} {o.n3()} ." for s, p, o in described)
            fields = {"subject": str(subject), TRIPLES: described}
            found = [(triple, problems[triple]) for triple in described if triple in problems]
            line = number
            if found:
                # The line of the first bad literal in the file, for the quarantine (the parser gives none).
                lexical = str(found[0][0][2])
                line = rdf_input.locate(data, f'"{lexical}"') or rdf_input.locate(data, lexical) or number
                fields[PROBLEMS] = [(str(triple[1]), message) for triple, message in found]
            yield RawRecord(str(path), line, fields, original)

    def map(self, raw: RawRecord) -> Record:
        """Return the record's triples as read (its subject is the node it describes); a record holding an
        ill-typed literal is rejected, naming the property and the literal."""
        triples = raw.fields[TRIPLES]
        problems = [Problem(message, field=prop, rule="rdf-literal") for prop, message in raw.fields.get(PROBLEMS, ())]
        return Record(raw, triples=list(triples), subjects={s for s, _, _ in triples}, problems=problems)


def _descriptions(triples: list[tuple]) -> Iterator[tuple[Node, list]]:
    """Group the triples by IRI subject, attaching referenced blank nodes' descriptions to their referrer.

    Blank nodes that only blank nodes reference, in a cycle (`_:a ex:p _:b . _:b ex:p _:a .`), become records of
    their own too, so that no triple is left out.
    """
    outgoing: dict[Node, list] = defaultdict(list)
    referenced: set[Node] = set()
    for triple in triples:
        outgoing[triple[0]].append(triple)
        if isinstance(triple[2], BNode):
            referenced.add(triple[2])
    taken: set[Node] = set()
    roots = sorted((s for s in outgoing if not isinstance(s, BNode)), key=str)
    # Blank nodes no one references stand alone (after the IRIs, for stable numbering).
    roots += sorted((s for s in outgoing if isinstance(s, BNode) and s not in referenced), key=str)
    for root in roots:
        yield root, _closure(root, outgoing, taken)
    for node in sorted((s for s in outgoing if s not in taken), key=str):
        if node not in taken:
            yield node, _closure(node, outgoing, taken)


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
