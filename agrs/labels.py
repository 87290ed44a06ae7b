"""Picking a term's label: one picker for the pages (French first) and the documentation (English first).

Labels are `skos:prefLabel` and `rdfs:label` unless the caller names other properties; the preferred languages are
a parameter. Within a language the first property that has a value wins, and among its values the smallest text,
so that the choice never depends on the order a graph happens to yield its triples.
"""

from collections.abc import Sequence

from rdflib import Graph, Literal
from rdflib.namespace import RDFS, SKOS
from rdflib.term import Node

LABEL_PROPERTIES = (SKOS.prefLabel, RDFS.label)
DEFINITION_PROPERTIES = (SKOS.definition, RDFS.comment)
FRENCH_FIRST = ("fr", "en")
ENGLISH_FIRST = ("en", "fr")


def label_in(
    graph: Graph, node: Node, language: str | None, predicates: Sequence[Node] = LABEL_PROPERTIES
) -> str | None:
    """Return `node`'s label in `language` (None: an untagged label), or None when it has none."""
    for predicate in predicates:
        found = sorted(str(value) for value in graph.objects(node, predicate)
                       if isinstance(value, Literal) and value.language == language)  # fmt: skip
        if found:
            return found[0]
    return None


def best_label(
    graph: Graph, node: Node, prefer: Sequence[str] = FRENCH_FIRST, predicates: Sequence[Node] = LABEL_PROPERTIES
) -> str | None:
    """Return `node`'s label in the first of the `prefer` languages it has, else untagged, else any language."""
    others = sorted({value.language for predicate in predicates for value in graph.objects(node, predicate)
                     if isinstance(value, Literal) and value.language and value.language not in prefer})  # fmt: skip
    for language in (*prefer, None, *others):
        found = label_in(graph, node, language, predicates)
        if found:
            return found
    return None


def texts(
    graph: Graph, node: Node, predicates: Sequence[Node], prefer: Sequence[str] = FRENCH_FIRST
) -> list[tuple[str | None, str]]:
    """Return the (language, text) of `node`'s literals for `predicates`: the `prefer` languages first, in order."""
    found = {(value.language, str(value)) for predicate in predicates for value in graph.objects(node, predicate)
             if isinstance(value, Literal)}  # fmt: skip
    return sorted(found, key=lambda item: (language_rank(item[0], prefer), item[0] or "", item[1]))


def language_rank(language: str | None, prefer: Sequence[str] = FRENCH_FIRST) -> int:
    """Return where a language sorts: its place in `prefer`, the others after."""
    return prefer.index(language) if language in prefer else len(prefer)
