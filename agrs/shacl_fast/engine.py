"""Evaluate compiled shapes over a pyoxigraph store's default graph, set at a time, with pySHACL's verdicts.

Each shape's focus nodes come from its targets at once (one index or SPARQL query per target); each property
shape's value nodes for all its focus nodes at once, from per-predicate indexes read from the store with one
SELECT each the first time a predicate is needed (or, when only a few nodes are asked for, with a SELECT over
those nodes). Terms are keys (agrs.shacl_fast.terms: the strings of Oxigraph's TSV results), which Python hashes
fast. The constraints then run in Python over (focus, values), each written after pySHACL's component of the same
name (same comparisons, same results: one per value node, or one per focus node for counts, hasValue,
uniqueLang and the qualified counts). Checks of literals that are not plainly decided from the key go through
rdflib terms (cached per term), so that datatypes, ill-typed literals and comparisons are rdflib's, as in
pySHACL. A shape evaluated on value nodes (sh:node, sh:not, sh:and, sh:or, sh:xone, sh:qualifiedValueShape) is
evaluated once per (shape, node).
"""

import re
from collections import defaultdict
from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, XSD
from rdflib.term import Node

from agrs.shacl_fast.compile import Path, Shape, SparqlQuery
from agrs.shacl_fast.terms import (
    RDF_LANG_STRING,
    XSD_STRING,
    columns,
    datatype_of,
    is_blank,
    is_iri,
    is_literal,
    parse_literal,
    rows,
    rows_with_header,
    to_oxigraph,
    to_rdflib,
)

try:  # pySHACL's literal ordering, so that range checks agree with it exactly
    from pyshacl.rdfutil.compare import compare_literal
except ImportError:  # pragma: no cover - pyshacl is a dependency
    compare_literal = None

DEFAULT = ox.DefaultGraph()
RDF_TYPE = f"<{RDF.type}>"
SUBCLASS = f"<{RDFS.subClassOf}>"
FEW = 256  # below this many nodes, look a predicate up for those nodes instead of reading it whole

# Result: (focus, path node, value, component, shape node, severity, messages); focus and value are keys.
Result = tuple


class Data:
    """Read access to the default graph of a store, with the indexes and caches of one validation."""

    def __init__(self, store: ox.Store):
        self.store = store
        self.forward: dict[str, dict] = {}
        self.backward: dict[str, dict] = {}
        self.node_cache: dict[tuple, list] = {}
        self.rdflib_terms: dict = {}
        self._supers: dict = {}

    def select(self, query: str, **options) -> list[list[str]]:
        """Run a SELECT over the default graph; return rows of keys."""
        return rows(self.store, query, default_graph=DEFAULT, **options)

    def load(self, predicate: str, inverse: bool = False) -> dict:
        """Read every (subject, object) of a predicate into an index: {subject: [objects]} or the inverse."""
        subjects, objects = columns(self.store, f"SELECT ?s ?o WHERE {{ ?s {predicate} ?o }}", 2, default_graph=DEFAULT)
        index: dict = defaultdict(list)
        if inverse:
            subjects, objects = objects, subjects
        for s, o in zip(subjects, objects, strict=True):
            index[s].append(o)
        (self.backward if inverse else self.forward)[predicate] = index
        return index

    def objects_of(self, predicate: str, nodes: Iterable, inverse: bool = False) -> dict:
        """Return {node: [objects]} (or [subjects], when inverse) for the given nodes."""
        index = (self.backward if inverse else self.forward).get(predicate)
        if index is None:
            nodes = nodes if isinstance(nodes, (list, set, dict)) else list(nodes)
            if len(nodes) > FEW:
                index = self.load(predicate, inverse)
        if index is not None:
            return {n: index.get(n, ()) for n in nodes}
        todo = [n for n in nodes if (predicate, n, inverse) not in self.node_cache]
        if todo:
            self._lookup(predicate, todo, inverse)
        return {n: self.node_cache[(predicate, n, inverse)] for n in nodes}

    def _lookup(self, predicate: str, nodes: list, inverse: bool) -> None:
        """Look a predicate up for a few nodes: one query with VALUES, blank nodes one by one."""
        found = {n: [] for n in nodes}
        pattern = f"?o {predicate} ?n" if inverse else f"?n {predicate} ?o"
        named = [n for n in nodes if not is_blank(n) and not (is_literal(n) and not inverse)]
        if named:
            query = f"SELECT ?n ?o WHERE {{ VALUES ?n {{ {' '.join(named)} }} {pattern} }}"
            for n, o in self.select(query):
                found[n].append(o)
        for n in nodes:
            if is_blank(n):
                query = f"SELECT ?n ?o WHERE {{ {pattern} }}"
                found[n] = [row[1] for row in self.select(query, substitutions={ox.Variable("n"): to_oxigraph(n)})]
        for n, values in found.items():
            self.node_cache[(predicate, n, inverse)] = values

    def index(self, predicate: str, inverse: bool = False) -> dict:
        """Return the whole index of a predicate: {subject: [objects]} (or {object: [subjects]})."""
        found = (self.backward if inverse else self.forward).get(predicate)
        return found if found is not None else self.load(predicate, inverse)

    def superclasses(self, cls: str) -> set:
        """Return cls and every class it is an rdfs:subClassOf*, in the data graph (pySHACL: transitive_objects)."""
        found = self._supers.get(cls)
        if found is None:
            forward = self.index(SUBCLASS)
            found, todo = {cls}, [cls]
            while todo:
                for parent in forward.get(todo.pop(), ()):
                    if parent not in found:
                        found.add(parent)
                        todo.append(parent)
            self._supers[cls] = found
        return found

    def subclasses(self, cls: str) -> set:
        """Return cls and every class that is rdfs:subClassOf* it in the data graph."""
        backward = self.index(SUBCLASS, inverse=True)
        found, todo = {cls}, [cls]
        while todo:
            for child in backward.get(todo.pop(), ()):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return found

    def rdflib(self, key: str) -> Node:
        """Return the rdflib term of a key (cached: literal checks convert the same values often)."""
        found = self.rdflib_terms.get(key)
        if found is None:
            found = self.rdflib_terms[key] = to_rdflib(key)
        return found


class Evaluator:
    """Evaluate the shapes of a plan over one store."""

    def __init__(self, shapes: dict[Node, Shape], data: Data):
        self.shapes = shapes
        self.data = data
        self.memo: dict[Node, dict] = defaultdict(dict)  # shape node -> {value node: its results}
        self.verdicts: dict[Node, dict] = defaultdict(dict)  # shape node -> {value node: conforms}
        self.value_cache: dict = {}

    # --- Targets ---------------------------------------------------------------------------------------------

    def focus_nodes(self, shape: Shape, focus: set | None) -> list:
        """Return the focus nodes of a shape's targets (limited to `focus` when given)."""
        data = self.data
        found: set = set(shape.target_nodes)
        few = focus is not None and len(focus) <= FEW
        if few:
            for cls in shape.target_classes:
                classes = data.subclasses(cls)
                types = data.objects_of(RDF_TYPE, focus)
                found.update(n for n in focus if any(t in classes for t in types[n]))
            for predicate in shape.subjects_of:
                found.update(n for n, objs in data.objects_of(predicate, focus).items() if objs)
            for predicate in shape.objects_of:
                found.update(n for n, subs in data.objects_of(predicate, focus, inverse=True).items() if subs)
        elif shape.target_query:
            found.update(columns(data.store, shape.target_query, 1, default_graph=DEFAULT)[0])
        for query in shape.sparql_targets:
            if few:
                for node in focus:
                    if data.select(query.text, substitutions={ox.Variable("this"): to_oxigraph(node)}):
                        found.add(node)
            else:
                header, body = rows_with_header(data.store, query.text, default_graph=DEFAULT)
                if "this" in header:
                    column = header.index("this")
                    found.update(row[column] for row in body if row[column])
        if focus is not None:
            found &= focus
        return list(found)

    # --- Paths -----------------------------------------------------------------------------------------------

    def values(self, path: Path, nodes, inverse: bool = False) -> dict:
        """Return {node: value nodes} for a path, as pyshacl's value_nodes_from_path finds them.

        A predicate's values are the index's lists (distinct: the store holds each triple once); other paths
        give sets.
        """
        kind = path.kind
        if kind == "pred":
            return self.data.objects_of(path.predicate, nodes, inverse)
        if kind == "inv":
            return self.values(path.parts[0], nodes, not inverse)
        if kind == "seq":
            current = {n: {n} for n in nodes}
            for part in path.parts:
                middle = {m for ms in current.values() for m in ms}
                step = self.values(part, middle, inverse)
                current = {n: {v for m in ms for v in step[m]} for n, ms in current.items()}
            return current
        if kind == "alt":
            found = {n: set() for n in nodes}
            for part in path.parts:
                for n, vs in self.values(part, nodes, inverse).items():
                    found[n].update(vs)
            return found
        inner = path.parts[0]
        if kind == "zeroOrOne":
            return {n: {n, *vs} for n, vs in self.values(inner, nodes, inverse).items()}
        # zeroOrMore / oneOrMore: the closure of each node.
        found = {}
        first = self.values(inner, nodes, inverse)
        for n in nodes:
            seen = {n} if kind == "zeroOrMore" else set()
            frontier = set(first[n])
            while frontier:
                frontier -= seen
                if not frontier:
                    break
                seen |= frontier
                step = self.values(inner, frontier, inverse)
                frontier = {v for vs in step.values() for v in vs}
            found[n] = seen
        return found

    def value_nodes(self, shape: Shape, nodes) -> dict:
        """Return {focus: value nodes}: the node itself for a node shape, its path's values otherwise."""
        if not shape.is_property:
            return {n: (n,) for n in nodes}
        return self.values(shape.path, nodes)

    # --- Shapes ----------------------------------------------------------------------------------------------

    def run(self, focus: set | None = None) -> list[Result]:
        """Validate every shape on its targets; return the results."""
        results = []
        for shape in self.shapes.values():
            if shape.deactivated or not shape.has_targets:
                continue
            nodes = self.focus_nodes(shape, focus)
            if nodes:
                results += self.evaluate(shape, nodes)
        return results

    def evaluate(self, shape: Shape, nodes) -> list[Result]:
        """Return the results of validating `nodes` against `shape` (pyshacl's Shape.validate)."""
        if shape.deactivated or not nodes:
            return []
        results: list[Result] = []
        if (
            shape.prefilters is not None
            and len(nodes) > FEW
            and not all(p in self.data.forward for p in shape.path_predicates)
        ):
            # Read only the (focus, value) pairs that may fault, one query per constraint (the path's predicates
            # are not read yet: reading them whole is what this saves).
            focus = nodes if isinstance(nodes, (set, dict)) else set(nodes)
            for (parameter, args), prefilter in zip(shape.constraints, shape.prefilters, strict=True):
                if prefilter is None:
                    continue
                candidates: dict = defaultdict(set)
                found = columns(
                    self.data.store, self.prefilter_query(shape.path.text, prefilter), 2, default_graph=DEFAULT
                )
                for s, v in zip(*found, strict=True):
                    if s in focus:
                        candidates[s].add(v)
                if candidates:
                    CHECKS[parameter](self, shape, args, candidates, results)
            return results
        fvn = self.value_nodes(shape, nodes)
        for parameter, args in shape.constraints:
            CHECKS[parameter](self, shape, args, fvn, results)
        return results

    def prefilter_query(self, path: str, prefilter) -> str:
        """Return the SELECT ?s ?v of the pairs of a path a constraint may fault."""
        if isinstance(prefilter, str):
            return f"SELECT ?s ?v WHERE {{ ?s {path} ?v FILTER ({prefilter}) }}"
        _class, classes = prefilter
        parts = []
        for cls in classes:
            instances_of = " ".join(sorted(self.data.subclasses(cls)))
            parts.append(f"{{ ?s {path} ?v MINUS {{ VALUES ?t {{ {instances_of} }} ?v {RDF_TYPE} ?t }} }}")
        return f"SELECT ?s ?v WHERE {{ {' UNION '.join(parts)} }}"

    def outcomes(self, shape_node: Node, nodes: Iterable) -> dict:
        """Return {node: its results} against a shape (empty: conforms), each (shape, node) evaluated once."""
        shape = self.shapes.get(shape_node)
        if shape is None:
            raise ValueError(f"shape {shape_node} is not a well-formed SHACL shape")
        memo = self.memo[shape_node]
        todo = [n for n in set(nodes) if n not in memo]
        if todo:
            found: dict = {n: [] for n in todo}
            for r in self.evaluate(shape, todo):
                found[r[0]].append(r)
            memo.update(found)
        return memo

    def conforming(self, shape_node: Node, nodes: Iterable) -> dict:
        """Return {node: conforms} for nodes against a shape."""
        memo = self.outcomes(shape_node, nodes)
        verdicts = self.verdicts[shape_node]
        for n in nodes:
            if n not in verdicts:
                verdicts[n] = not memo[n]
        return verdicts

    # --- Results ---------------------------------------------------------------------------------------------

    @staticmethod
    def result(shape: Shape, focus, component, value=None, path=None, messages=None, details=()) -> Result:
        """Return one result of a core constraint (its messages: the shape's sh:message).

        `details`: the results a value node got against the shape of a failed sh:node, which pySHACL adds to the
        report (as sh:detail) and agrs.shacl reads as results too.
        """
        return (
            focus,
            path if path is not None else shape.path_node,
            value,
            component,
            shape.node,
            shape.severity,
            shape.messages if messages is None else messages,
            details,
        )

    def literal(self, key: str) -> Node:
        """Return the rdflib term of a key."""
        return self.data.rdflib(key)


# --- Value type -----------------------------------------------------------------------------------------------


def check_class(ev: Evaluator, shape: Shape, classes, fvn, out) -> None:
    """sh:class: each value node is a SHACL instance of each class (rdf:type/rdfs:subClassOf* in the data)."""
    data = ev.data
    values = {v for vs in fvn.values() for v in vs if not is_literal(v)}
    types = data.objects_of(RDF_TYPE, values)
    for _class_node, cls in classes:
        ok = {v for v in values if any(cls in data.superclasses(t) for t in types[v])}
        for f, vs in fvn.items():
            for v in vs:
                if v not in ok:
                    out.append(ev.result(shape, f, SH.ClassConstraintComponent, v))


def _datatype_matches(v: Node, rule: URIRef) -> bool:
    """pySHACL's DatatypeConstraintComponent test on one rdflib term."""
    if not isinstance(v, Literal):
        return False
    datatype, lang = v.datatype, v.language
    if datatype == rule:
        if getattr(v, "ill_typed", None) is True:
            return False
        return _actual_datatype(v, rule)
    if rule == RDFS.Literal:
        return True
    if rule == RDFS.Datatype and datatype:
        return True
    if datatype is None and lang is None and rule == XSD.string:
        return _actual_datatype(v, rule)
    if rule == RDF.langString and lang:
        return _actual_datatype(v, rule)
    return False


def _actual_datatype(v: Literal, rule: URIRef) -> bool:
    from datetime import date, datetime, time
    from decimal import Decimal

    value = v.value
    if rule in (XSD.string, RDF.langString):
        return isinstance(value, (str, bytes))
    checks = {
        XSD.integer: int, XSD.float: float, XSD.decimal: Decimal, XSD.boolean: bool, XSD.date: date,
        XSD.time: time, XSD.dateTime: datetime,
    }  # fmt: skip
    kind = checks.get(rule)
    return True if kind is None else isinstance(value, kind)


_INTEGER = re.compile(r"[+-]?[0-9]+")
XSD_INTEGER = str(XSD.integer)
SPECIAL_DATATYPES = {str(RDFS.Literal), str(RDFS.Datatype), XSD_STRING, RDF_LANG_STRING}


def _datatype_ok(ev: Evaluator, v: str, rule: URIRef, rule_text: str) -> bool:
    """Whether a value matches sh:datatype, deciding plain cases from the key and the others with rdflib."""
    if not is_literal(v):
        return False
    datatype = datatype_of(v)
    if rule_text == XSD_STRING:
        return datatype == XSD_STRING  # a plain or xsd:string literal's value is always a str
    if rule_text == RDF_LANG_STRING:
        return datatype == RDF_LANG_STRING
    if datatype != rule_text and rule_text not in SPECIAL_DATATYPES:
        return False  # rdflib: another datatype never matches (the branches above need rdfs:Literal/Datatype)
    if rule_text == XSD_INTEGER and v[0] != '"' and _INTEGER.fullmatch(v):
        return True  # a canonical integer Oxigraph wrote bare: rdflib reads it as a well-typed int
    return _datatype_matches(ev.literal(v), rule)


def check_datatype(ev: Evaluator, shape: Shape, rules, fvn, out) -> None:
    """sh:datatype, with pySHACL's reading of ill-typed literals (rdflib's)."""
    rule = rules[0]
    rule_text = str(rule)
    cache = ev.value_cache.setdefault(("datatype", rule), {})
    for f, vs in fvn.items():
        for v in vs:
            ok = cache.get(v)
            if ok is None:
                ok = cache[v] = _datatype_ok(ev, v, rule, rule_text)
            if not ok:
                out.append(ev.result(shape, f, SH.DatatypeConstraintComponent, v))


def _node_kind(key: str) -> tuple:
    if key[0] == "<":
        return (SH.IRI, SH.IRIOrLiteral, SH.BlankNodeOrIRI)
    if key[:2] == "_:":
        return (SH.BlankNode, SH.BlankNodeOrLiteral, SH.BlankNodeOrIRI)
    return (SH.Literal, SH.BlankNodeOrLiteral, SH.IRIOrLiteral)


def check_node_kind(ev: Evaluator, shape: Shape, rules, fvn, out) -> None:
    """sh:nodeKind."""
    rule = rules[0]
    for f, vs in fvn.items():
        for v in vs:
            if rule not in _node_kind(v):
                out.append(ev.result(shape, f, SH.NodeKindConstraintComponent, v))


# --- Cardinality ------------------------------------------------------------------------------------------------


def check_min_count(ev: Evaluator, shape: Shape, count, fvn, out) -> None:
    """sh:minCount: one result per focus node with too few values."""
    if count == 0:
        return
    for f, vs in fvn.items():
        if len(vs) < count:
            out.append(ev.result(shape, f, SH.MinCountConstraintComponent))


def check_max_count(ev: Evaluator, shape: Shape, count, fvn, out) -> None:
    """sh:maxCount: one result per focus node with too many values."""
    for f, vs in fvn.items():
        if len(vs) > count:
            out.append(ev.result(shape, f, SH.MaxCountConstraintComponent))


# --- Value range ------------------------------------------------------------------------------------------------


def _range_check(component: URIRef, accept):
    def check(ev: Evaluator, shape: Shape, bounds, fvn, out) -> None:
        for bound in bounds:
            bound_is_string = isinstance(bound.value, str)
            # Integers against an xsd:integer bound compare as Python ints, as rdflib does.
            int_bound = bound.value if bound.datatype == XSD.integer and type(bound.value) is int else None
            cache = ev.value_cache.setdefault((component, bound), {})
            for f, vs in fvn.items():
                for v in vs:
                    ok = cache.get(v)
                    if ok is None:
                        ok = False
                        if int_bound is not None and v[0] != '"' and _INTEGER.fullmatch(v):
                            difference = int(v) - int_bound
                            ok = accept((difference > 0) - (difference < 0))
                        elif is_literal(v):
                            lit = ev.literal(v)
                            v_is_string = isinstance(lit.value, str)
                            if bound_is_string == v_is_string:
                                try:
                                    ok = accept(compare_literal(lit, bound))
                                except (TypeError, NotImplementedError):
                                    ok = False
                        cache[v] = ok
                    if not ok:
                        out.append(ev.result(shape, f, component, v))

    check.__doc__ = f"{component.removeprefix(str(SH))}: the value compared with the bound as pySHACL does."
    return check


# --- String based -----------------------------------------------------------------------------------------------


def _string_of(ev: Evaluator, v: str) -> str:
    """pySHACL's value_node_to_string: the Python value of a string literal, else the lexical form or IRI."""
    if v[0] == "<":
        return v[1:-1]
    if v[:2] == "_:":
        return v[2:]
    lexical, datatype, _language = parse_literal(v)
    if datatype in (XSD_STRING, RDF_LANG_STRING):
        return lexical
    lit = ev.literal(v)
    if lit.value is not None and lit.datatype in (None, RDF.langString, XSD.string):
        return str(lit.value)
    return str(lit)


def check_min_length(ev: Evaluator, shape: Shape, length, fvn, out) -> None:
    """sh:minLength (blank nodes fail unless the minimum is 0)."""
    for f, vs in fvn.items():
        for v in vs:
            ok = length == 0 or (not is_blank(v) and len(_string_of(ev, v)) >= length)
            if not ok:
                out.append(ev.result(shape, f, SH.MinLengthConstraintComponent, v))


def check_max_length(ev: Evaluator, shape: Shape, length, fvn, out) -> None:
    """sh:maxLength (blank nodes fail)."""
    for f, vs in fvn.items():
        for v in vs:
            if is_blank(v) or len(_string_of(ev, v)) > length:
                out.append(ev.result(shape, f, SH.MaxLengthConstraintComponent, v))


def check_pattern(ev: Evaluator, shape: Shape, patterns, fvn, out) -> None:
    """sh:pattern (with sh:flags): re.search on the string of each value; blank nodes fail."""
    for pattern in patterns:
        cache = ev.value_cache.setdefault(("pattern", pattern), {})
        for f, vs in fvn.items():
            for v in vs:
                ok = cache.get(v)
                if ok is None:
                    ok = cache[v] = not is_blank(v) and bool(pattern.search(_string_of(ev, v)))
                if not ok:
                    out.append(ev.result(shape, f, SH.PatternConstraintComponent, v))


def _language(key: str) -> str | None:
    if key[0] != '"' or key[-1] == '"':
        return None
    return parse_literal(key)[2]


def check_language_in(ev: Evaluator, shape: Shape, languages, fvn, out) -> None:
    """sh:languageIn: the language (or its first part), lower-cased, is listed; '*' accepts any language."""
    wildcard = "*" in languages
    for f, vs in fvn.items():
        for v in vs:
            lang = _language(v)
            ok = False
            if lang:
                lang = lang.lower()
                ok = wildcard or lang in languages or lang.split("-")[0] in languages
            if not ok:
                out.append(ev.result(shape, f, SH.LanguageInConstraintComponent, v))


def check_unique_lang(ev: Evaluator, shape: Shape, _unique, fvn, out) -> None:
    """sh:uniqueLang: one result (no value) per language used twice by a focus node."""
    for f, vs in fvn.items():
        if len(vs) < 2:
            continue
        seen, duplicates = set(), set()
        for v in vs:
            lang = _language(v)
            if lang:
                lang = lang.lower()
                (duplicates if lang in seen else seen).add(lang)
        for _ in duplicates:
            out.append(ev.result(shape, f, SH.UniqueLangConstraintComponent))


# --- Property pairs ---------------------------------------------------------------------------------------------


def check_equals(ev: Evaluator, shape: Shape, predicates, fvn, out) -> None:
    """sh:equals: one result per value missing on either side."""
    for predicate in predicates:
        others = ev.data.objects_of(predicate, fvn)
        for f, vs in fvn.items():
            mine, compare = set(vs), set(others[f])
            for v in mine - compare:
                out.append(ev.result(shape, f, SH.EqualsConstraintComponent, v))
            for v in compare - mine:
                out.append(ev.result(shape, f, SH.EqualsConstraintComponent, v))


def check_disjoint(ev: Evaluator, shape: Shape, predicates, fvn, out) -> None:
    """sh:disjoint: one result per value shared with the other property."""
    for predicate in predicates:
        candidates = [f for f, vs in fvn.items() if vs]
        others = ev.data.objects_of(predicate, candidates)
        for f in candidates:
            if others[f]:
                for v in set(fvn[f]) & set(others[f]):
                    out.append(ev.result(shape, f, SH.DisjointConstraintComponent, v))


def _less_than(component: URIRef, or_equal: bool):
    def check(ev: Evaluator, shape: Shape, predicates, fvn, out) -> None:
        for predicate in predicates:
            candidates = [f for f, vs in fvn.items() if vs]
            others = ev.data.objects_of(predicate, candidates)
            for f in candidates:
                for v in fvn[f]:
                    if is_blank(v):
                        raise ValueError("cannot compare a blank node with sh:lessThan(OrEquals)")
                    value, v_is_string = _comparable(ev, v)
                    for c in others[f]:
                        if is_blank(c):
                            raise ValueError("cannot compare a blank node with sh:lessThan(OrEquals)")
                        compare, c_is_string = _comparable(ev, c)
                        if v_is_string != c_is_string:
                            bad = True
                        elif or_equal:
                            bad = not (value <= compare)
                        else:
                            bad = not (value < compare)
                        if bad:
                            out.append(ev.result(shape, f, component, v))

    check.__doc__ = f"{component.removeprefix(str(SH))}: each value against each value of the other property."
    return check


def _comparable(ev: Evaluator, key: str):
    """Return what pySHACL compares for sh:lessThan: the string of an IRI or string literal, else the rdflib term."""
    if key[0] == "<":
        return key[1:-1], True
    lit = ev.literal(key)
    if isinstance(lit.value, str):
        return lit.value, True
    return lit, False


# --- Logical and shape based ------------------------------------------------------------------------------------


def _all_values(fvn) -> set:
    return {v for vs in fvn.values() for v in vs}


def check_not(ev: Evaluator, shape: Shape, shapes, fvn, out) -> None:
    """sh:not: a result per value node that conforms to the negated shape."""
    for other in shapes:
        conforms = ev.conforming(other, _all_values(fvn))
        for f, vs in fvn.items():
            for v in vs:
                if conforms[v]:
                    out.append(ev.result(shape, f, SH.NotConstraintComponent, v))


def _logical(component: URIRef, accept):
    def check(ev: Evaluator, shape: Shape, lists, fvn, out) -> None:
        values = _all_values(fvn)
        for members in lists:
            members = list(dict.fromkeys(members)) if component != SH.XoneConstraintComponent else members
            verdicts = [ev.conforming(m, values) for m in members]
            for f, vs in fvn.items():
                for v in vs:
                    if not accept(sum(1 for verdict in verdicts if verdict[v]), len(verdicts)):
                        out.append(ev.result(shape, f, component, v))

    check.__doc__ = f"{component.removeprefix(str(SH))}: value nodes against a list of shapes."
    return check


def check_node(ev: Evaluator, shape: Shape, shapes, fvn, out) -> None:
    """sh:node: a result per value node that does not conform to the node shape."""
    for other in shapes:
        target = ev.shapes.get(other)
        if target is None or target.is_property:
            raise ValueError(f"sh:node {other} is not a well-formed node shape")
        outcomes = ev.outcomes(other, _all_values(fvn))
        for f, vs in fvn.items():
            for v in vs:
                if outcomes[v]:
                    out.append(ev.result(shape, f, SH.NodeConstraintComponent, v, details=tuple(outcomes[v])))


def check_property(ev: Evaluator, shape: Shape, shapes, fvn, out) -> None:
    """sh:property: the property shape validated on every value node; its results are passed up.

    pySHACL validates a value node once per focus node it is a value of, and reports each time: so do we.
    """
    if not shape.is_property:
        values, repeats = fvn, None  # a node shape's value nodes are its focus nodes, once each
    else:
        repeats = defaultdict(int)
        for vs in fvn.values():
            for v in vs:
                repeats[v] += 1
        values = repeats
    if not values:
        return
    for other in shapes:
        target = ev.shapes.get(other)
        if target is None or not target.is_property:
            raise ValueError(f"sh:property {other} is not a well-formed property shape")
        found = ev.evaluate(target, values)
        if repeats is not None:
            found = [r for r in found for _ in range(repeats.get(r[0], 1))]
        out += found


def check_qualified(ev: Evaluator, shape: Shape, args, fvn, out) -> None:
    """sh:qualifiedValueShape with sh:qualifiedMin/MaxCount (and sh:qualifiedValueShapesDisjoint)."""
    value_shapes, min_count, max_count, siblings = args
    values = _all_values(fvn)
    for value_shape in value_shapes:
        conforms = ev.conforming(value_shape, values)
        sibling_verdicts = [ev.conforming(s, values) for s in siblings[value_shape] if s in ev.shapes]
        for f, vs in fvn.items():
            if sibling_verdicts:
                number = sum(1 for v in vs if conforms[v] and not any(verdict[v] for verdict in sibling_verdicts))
            else:
                number = sum(map(conforms.__getitem__, vs))
            if max_count is not None and number > max_count:
                out.append(ev.result(shape, f, SH.QualifiedMaxCountConstraintComponent))
            if min_count is not None and number < min_count:
                out.append(ev.result(shape, f, SH.QualifiedMinCountConstraintComponent))


# --- Other ------------------------------------------------------------------------------------------------------

RDFS_RESOURCE = f"<{RDFS.Resource}>"


def check_closed(ev: Evaluator, shape: Shape, args, fvn, out) -> None:
    """sh:closed: a result per (predicate, object) of a value node outside the shape's properties."""
    ignored, paths = args
    values = [v for v in _all_values(fvn) if not is_literal(v)]
    outgoing: dict = defaultdict(list)
    named = [v for v in values if is_iri(v)]
    if named:
        query = f"SELECT ?n ?p ?o WHERE {{ VALUES ?n {{ {' '.join(named)} }} ?n ?p ?o }}"
        for n, p, o in ev.data.select(query):
            outgoing[n].append((p, o))
    for v in values:
        if is_blank(v):
            query = "SELECT ?n ?p ?o WHERE { ?n ?p ?o }"
            for _n, p, o in ev.data.select(query, substitutions={ox.Variable("n"): to_oxigraph(v)}):
                outgoing[v].append((p, o))
    for f, vs in fvn.items():
        for v in vs:
            for p, o in outgoing.get(v, ()):
                if (p == RDF_TYPE and o == RDFS_RESOURCE) or p in ignored or p in paths:
                    continue  # rdf:type rdfs:Resource: pySHACL's ALWAYS_IGNORE
                out.append(ev.result(shape, f, SH.ClosedConstraintComponent, o, path=to_rdflib(p)))


def check_has_value(ev: Evaluator, shape: Shape, expected, fvn, out) -> None:
    """sh:hasValue: one result (no value) per focus node without the value."""
    for hv, target in expected:
        for f, vs in fvn.items():
            if target in vs:
                continue
            if isinstance(hv, Literal) and any(is_literal(v) and ev.literal(v) == hv for v in vs):
                continue
            out.append(ev.result(shape, f, SH.HasValueConstraintComponent))


def check_in(ev: Evaluator, shape: Shape, args, fvn, out) -> None:
    """sh:in: a result per value node not in the list (rdflib term equality)."""
    allowed_keys, allowed = args
    has_literals = any(isinstance(a, Literal) for a in allowed)
    for f, vs in fvn.items():
        for v in vs:
            if v in allowed_keys:
                continue
            if has_literals and is_literal(v) and ev.literal(v) in allowed:
                continue
            out.append(ev.result(shape, f, SH.InConstraintComponent, v))


# --- SPARQL-based constraints -----------------------------------------------------------------------------------

THIS = ox.Variable("this")


def check_sparql(ev: Evaluator, shape: Shape, queries: list[SparqlQuery], fvn, out) -> None:
    """sh:sparql: the SELECT with $this pre-bound to each focus node; a result per (distinct) solution.

    Many focus nodes go in one query, bound by a VALUES block opening its WHERE group, when the query allows it
    (SparqlQuery.values_at); blank nodes, which VALUES cannot hold, one query each, as pySHACL does.
    """
    for query in queries:
        if query.deactivated:
            continue
        alone = list(fvn)
        if query.binds_this and query.values_at is not None and len(fvn) > 1:
            named = [f for f in fvn if not is_blank(f)]
            alone = [f for f in fvn if is_blank(f)]
            names, body = rows_with_header(ev.data.store, query.with_values(named), default_graph=DEFAULT)
            column = names.index("this")
            groups: dict = defaultdict(list)
            for line in body:
                groups[line[column]].append(line)
            for f in named:
                _sparql_rows(ev, shape, query, f, names, groups.get(f, ()), out)
        for f in alone:
            substitutions = {THIS: to_oxigraph(f)} if query.binds_this else {}
            names, body = rows_with_header(
                ev.data.store, query.text, substitutions=substitutions, default_graph=DEFAULT
            )
            _sparql_rows(ev, shape, query, f, names, body, out)


def _sparql_rows(ev: Evaluator, shape: Shape, query: SparqlQuery, f, names, body, out) -> None:
    """Turn the solutions for one focus node into results, without duplicates (pySHACL's _validate_sparql_query)."""
    seen = []
    for line in body:
        row = {name: value for name, value in zip(names, line, strict=False) if value}
        if query.binds_this and "this" in names and not row.get("this"):
            row["this"] = f
        if row.pop("failure", None) is not None:
            if True in seen:
                continue
            seen.append(True)
            out.append(_sparql_result(ev, shape, query, f, None, None, None, row))
            continue
        p, v, t = row.pop("path", None), row.pop("value", None), row.pop("this", None)
        if p is None and v is None and t is None:
            continue
        key = (t, p, v, tuple(sorted(row.items())))
        if key in seen:
            continue
        seen.append(key)
        out.append(_sparql_result(ev, shape, query, f, t, p, v, row))


def _sparql_result(ev: Evaluator, shape: Shape, query: SparqlQuery, f, t, p, v, row) -> Result:
    """One result of a SPARQL constraint: messages of the shape and the constraint, {?var} filled in, untagged."""
    focus = t if t is not None else f
    value = v if v is not None else (None if shape.is_property else f)
    path = ev.literal(p) if p is not None else shape.path_node
    bound = {name: ev.literal(term) for name, term in row.items()}
    if t is not None:
        bound["this"] = ev.literal(t)
    if p is not None:
        bound["path"] = ev.literal(p)
    if value is not None:
        bound["value"] = ev.literal(value)
    messages = list(shape.messages)
    extra = [m for m in query.messages if m not in messages]
    filled = []
    for m in messages + extra:
        if isinstance(m, Literal):
            text = str(m.value)
            for name, term in bound.items():
                text = re.sub(f"{{[?$]{name}}}", str(term), text)
            filled.append(Literal(text))
        else:
            filled.append(m)
    return (focus, path, value, SH.SPARQLConstraintComponent, shape.node, shape.severity, tuple(filled), ())


CHECKS = {
    SH["class"]: check_class,
    SH.datatype: check_datatype,
    SH.nodeKind: check_node_kind,
    SH.minCount: check_min_count,
    SH.maxCount: check_max_count,
    SH.minExclusive: _range_check(SH.MinExclusiveConstraintComponent, lambda c: c > 0),
    SH.minInclusive: _range_check(SH.MinInclusiveConstraintComponent, lambda c: c >= 0),
    SH.maxExclusive: _range_check(SH.MaxExclusiveConstraintComponent, lambda c: c < 0),
    SH.maxInclusive: _range_check(SH.MaxInclusiveConstraintComponent, lambda c: c <= 0),
    SH.minLength: check_min_length,
    SH.maxLength: check_max_length,
    SH.pattern: check_pattern,
    SH.languageIn: check_language_in,
    SH.uniqueLang: check_unique_lang,
    SH.equals: check_equals,
    SH.disjoint: check_disjoint,
    SH.lessThan: _less_than(SH.LessThanConstraintComponent, False),
    SH.lessThanOrEquals: _less_than(SH.LessThanOrEqualsConstraintComponent, True),
    SH["not"]: check_not,
    SH["and"]: _logical(SH.AndConstraintComponent, lambda passed, total: passed == total),
    SH["or"]: _logical(SH.OrConstraintComponent, lambda passed, total: passed > 0),
    SH.xone: _logical(SH.XoneConstraintComponent, lambda passed, total: passed == 1),
    SH.node: check_node,
    SH.property: check_property,
    SH.qualifiedValueShape: check_qualified,
    SH.closed: check_closed,
    SH.hasValue: check_has_value,
    SH["in"]: check_in,
    SH.sparql: check_sparql,
}

__all__ = ["CHECKS", "Data", "Evaluator"]
