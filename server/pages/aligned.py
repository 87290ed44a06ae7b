"""One row per relation on a page: an entailed property and its aligned equivalents are shown once.

`agrs reason` materialises, for `<commune> agrs:within <epci>`, also `geo:sfWithin` and `schema:containedInPlace`
(the alignments of ontology/alignments/ make agrs:within their sub-property), and `agrs:within` for every
`agrs:directlyWithin`… A page listing them all names the same places three times. Here a property whose values
are all shown by the rows of its sub-properties (or of an equivalent property ranked first: AGRS's own before the
aligned vocabularies') is folded: it is named beside the row that shows its values ("aussi / also:
schema:containedInPlace"), and a super-property that adds values shows only those, saying that it also holds the
values of the rows it restates. The property hierarchy (rdfs:subPropertyOf, owl:equivalentProperty, transitive)
is read from the served ontology once per ontology version and kept in the app.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from flask import current_app

from agrs.ns import BASE
from agrs.server.pages.render import Link, PropertyRow, Value, curie

EXTENSION_KEY = "agrs.property_hierarchy"
HIERARCHY = """SELECT DISTINCT ?a ?r ?b WHERE {
  VALUES ?r { <http://www.w3.org/2000/01/rdf-schema#subPropertyOf> <http://www.w3.org/2002/07/owl#equivalentProperty> }
  ?a ?r ?b FILTER(isIRI(?a) && isIRI(?b) && ?a != ?b) }"""


@dataclass(frozen=True)
class Hierarchy:
    """For each property, every property it is a sub-property of or equivalent to (transitively), itself excluded."""

    supers: dict[str, frozenset[str]]

    def below(self, lower: str, upper: str) -> bool:
        """Whether `lower`'s row shows what `upper` says: a sub-property, or an equivalent ranked before it."""
        if upper not in self.supers.get(lower, ()):
            return False
        return lower not in self.supers.get(upper, ()) or _rank(lower) < _rank(upper)


def _rank(iri: str) -> tuple:
    """The order among equivalent properties: AGRS's own first, then by CURIE."""
    return (not iri.startswith(BASE), curie(iri), iri)


def hierarchy_from(pairs) -> Hierarchy:
    """Build the transitive closure from (a, relation, b) rows: `a ⊑ b`, and `b ⊑ a` too for equivalences."""
    direct: dict[str, set[str]] = defaultdict(set)
    for a, relation, b in pairs:
        direct[a].add(b)
        if relation.endswith("#equivalentProperty"):
            direct[b].add(a)
    supers: dict[str, frozenset[str]] = {}
    for start in list(direct):
        seen, stack = set(), [start]
        while stack:
            for nxt in direct.get(stack.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        seen.discard(start)
        supers[start] = frozenset(seen)
    return Hierarchy(supers)


def property_hierarchy(query, version: str | None) -> Hierarchy:
    """Return the served ontology's property hierarchy, read once per ontology `version` (None: the files)."""
    cached = current_app.extensions.get(EXTENSION_KEY)
    if cached is not None and cached[0] == version:
        return cached[1]
    rows = [(row["a"].value, row["r"].value, row["b"].value) for row in query(HIERARCHY)]
    hierarchy = hierarchy_from(rows)
    current_app.extensions[EXTENSION_KEY] = (version, hierarchy)
    return hierarchy


@dataclass
class FoldedRow:
    """A property row as shown: its values, the equivalent properties folded into it, the rows it also holds."""

    property: Link
    values: list[Value]
    also: list[Link] = field(default_factory=list)  # properties whose values this row shows
    besides: list[Link] = field(default_factory=list)  # rows whose values this property also holds (not repeated)


def _key(value: Value):
    if value.link is not None:
        return ("iri", value.link.iri)
    if value.nested:
        return ("node", id(value))  # a blank node's description is never folded
    return ("literal", value.text, value.language, value.datatype.iri if value.datatype else None)


def fold_rows(rows: list[PropertyRow], hierarchy: Hierarchy) -> list[FoldedRow]:
    """Fold the rows of properties that only restate others (see the module's docstring); keep the order."""
    keys = {row.property.iri: {_key(value) for value in row.values} for row in rows}
    links = {row.property.iri: row.property for row in rows}
    subs = {p: [q for q in keys if q != p and hierarchy.below(q, p)] for p in keys}
    covered = {p: set().union(*(keys[q] for q in subs[p])) for p in keys}
    folded = {p for p in keys if subs[p] and keys[p] <= covered[p]}
    shown: dict[str, FoldedRow] = {}
    for row in rows:
        p = row.property.iri
        if p in folded:
            continue
        values = [value for value in row.values if _key(value) not in covered[p]]
        besides = [links[q] for q in sorted(subs[p], key=_rank) if q not in folded and keys[q] & keys[p]]
        shown[p] = FoldedRow(row.property, values, besides=besides)
    for p in sorted(folded, key=_rank):
        targets = [q for q in subs[p] if q not in folded]
        target = min(targets, key=lambda q: (-len(keys[q] & keys[p]), _rank(q)))
        shown[target].also.append(_also_link(links[p]))
    return [shown[row.property.iri] for row in rows if row.property.iri in shown]


def fold_incoming(pairs: list[tuple], hierarchy: Hierarchy) -> list[tuple]:
    """Fold the incoming (subject, property) pairs of one subject the same way: (subject, property, also)."""
    by_subject: dict[str, set[str]] = defaultdict(set)
    for subject, prop in pairs:
        by_subject[subject.iri if subject else None].add(prop.iri)
    also: dict[tuple, list[Link]] = defaultdict(list)
    folded = set()
    for subject, prop in pairs:
        key = subject.iri if subject else None
        if key is None:
            continue
        lower = [q for q in by_subject[key] if q != prop.iri and hierarchy.below(q, prop.iri)]
        if lower:
            folded.add((key, prop.iri))
            minimal = [q for q in lower if not any(hierarchy.below(r, q) for r in lower if r != q)]
            also[(key, min(minimal, key=_rank))].append(_also_link(prop))
    return [
        (subject, prop, sorted(also.get((subject.iri if subject else None, prop.iri), []), key=lambda x: x.text))
        for subject, prop in pairs
        if (subject.iri if subject else None, prop.iri) not in folded
    ]


def _also_link(prop: Link) -> Link:
    """The link naming a folded property: its CURIE (the vocabulary it comes from shows)."""
    return Link(prop.href, curie(prop.iri), prop.iri, prop.local)
