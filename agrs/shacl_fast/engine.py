"""Evaluate compiled shapes over a pyoxigraph store's default graph, set at a time, with pySHACL's verdicts.

Each shape's focus nodes come from its targets at once (one index scan or SPARQL query per target); each property
shape's value nodes for all its focus nodes at once, from per-predicate indexes loaded from the store the first
time a predicate is needed (or looked up node by node when only a few nodes are asked for). The constraints then
run in Python over (focus, values), each one written after pySHACL's component of the same name (same
comparisons, same results: one per value node, or one per focus node for counts, hasValue, uniqueLang and the
qualified counts). The per-value checks of literals go through rdflib terms (cached per term), so that
datatypes, ill-typed literals and value comparisons are rdflib's, as in pySHACL. A shape evaluated on value nodes
(sh:node, sh:not, sh:and, sh:or, sh:xone, sh:qualifiedValueShape) is evaluated once per (shape, node).
"""

import re
from collections import defaultdict
from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, XSD
from rdflib.term import Node

from agrs.shacl_fast.compile import Path, Shape, SparqlQuery
from agrs.store.terms import term_to_oxigraph, to_rdflib

try:  # pySHACL's literal ordering, so that range checks agree with it exactly
    from pyshacl.rdfutil.compare import compare_literal
except ImportError:  # pragma: no cover - pyshacl is a dependency
    compare_literal = None

DEFAULT = ox.DefaultGraph()
RDF_TYPE = ox.NamedNode(str(RDF.type))
SUBCLASS = ox.NamedNode(str(RDFS.subClassOf))
FEW = 256  # below this many nodes, look predicates up node by node instead of loading them whole

# Result: (focus, path node, value, component, shape node, severity, messages), terms of the data as pyoxigraph.
Result = tuple


class Data:
    """Read access to the default graph of a store, with the indexes and caches of one validation."""

    def __init__(self, store: ox.Store):
        self.store = store
        self.forward: dict[ox.NamedNode, dict] = {}
        self.backward: dict[ox.NamedNode, dict] = {}
        self.node_cache: dict[tuple, list] = {}
        self.rdflib_terms: dict = {}
        self._supers: dict = {}
        self._subclasses: dict | None = None

    def load(self, predicate: ox.NamedNode) -> None:
        """Load every (subject, object) of a predicate into both indexes."""
        forward: dict = defaultdict(list)
        backward: dict = defaultdict(list)
        for quad in self.store.quads_for_pattern(None, predicate, None, DEFAULT):
            s, o = quad.subject, quad.object
            forward[s].append(o)
            backward[o].append(s)
        self.forward[predicate] = forward
        self.backward[predicate] = backward

    def objects_of(self, predicate: ox.NamedNode, nodes: Iterable, inverse: bool = False) -> dict:
        """Return {node: [objects]} (or subjects, when inverse) for the given nodes."""
        nodes = list(nodes)
        index = (self.backward if inverse else self.forward).get(predicate)
        if index is None and len(nodes) > FEW:
            self.load(predicate)
            index = (self.backward if inverse else self.forward)[predicate]
        if index is not None:
            return {n: index.get(n, ()) for n in nodes}
        found = {}
        for n in nodes:
            key = (predicate, n, inverse)
            cached = self.node_cache.get(key)
            if cached is None:
                if inverse:
                    cached = [q.subject for q in self.store.quads_for_pattern(None, predicate, n, DEFAULT)]
                elif isinstance(n, ox.Literal):
                    cached = []
                else:
                    cached = [q.object for q in self.store.quads_for_pattern(n, predicate, None, DEFAULT)]
                self.node_cache[key] = cached
            found[n] = cached
        return found

    def subjects_with(self, predicate: ox.NamedNode) -> dict:
        """Return the forward index of a predicate (loaded whole)."""
        if predicate not in self.forward:
            self.load(predicate)
        return self.forward[predicate]

    def objects_with(self, predicate: ox.NamedNode) -> dict:
        """Return the backward index of a predicate (loaded whole)."""
        if predicate not in self.backward:
            self.load(predicate)
        return self.backward[predicate]

    def superclasses(self, cls) -> set:
        """Return cls and every class it is an rdfs:subClassOf*, in the data graph (pySHACL: transitive_objects)."""
        found = self._supers.get(cls)
        if found is None:
            forward = self.subjects_with(SUBCLASS)
            found, todo = {cls}, [cls]
            while todo:
                for parent in forward.get(todo.pop(), ()):
                    if parent not in found:
                        found.add(parent)
                        todo.append(parent)
            self._supers[cls] = found
        return found

    def subclasses(self, cls) -> set:
        """Return cls and every class that is rdfs:subClassOf* it in the data graph."""
        backward = self.objects_with(SUBCLASS)
        found, todo = {cls}, [cls]
        while todo:
            for child in backward.get(todo.pop(), ()):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return found

    def rdflib(self, term) -> Node:
        """Return the rdflib term of a pyoxigraph term (cached: literal checks convert the same values often)."""
        found = self.rdflib_terms.get(term)
        if found is None:
            found = self.rdflib_terms[term] = to_rdflib(term)
        return found


class Evaluator:
    """Evaluate the shapes of a plan over one store."""

    def __init__(self, shapes: dict[Node, Shape], data: Data):
        self.shapes = shapes
        self.data = data
        self.memo: dict[Node, dict] = defaultdict(dict)  # shape node -> {value node: conforms}
        self.value_cache: dict = {}

    # --- Targets ---------------------------------------------------------------------------------------------

    def focus_nodes(self, shape: Shape, focus: set | None) -> list:
        """Return the focus nodes of a shape's targets (limited to `focus` when given)."""
        data = self.data
        found: set = set(shape.target_nodes)
        few = focus is not None and len(focus) <= FEW
        for cls in shape.target_classes:
            classes = data.subclasses(cls)
            if few:
                types = data.objects_of(RDF_TYPE, focus)
                found.update(n for n in focus if any(t in classes for t in types[n]))
            else:
                backward = data.objects_with(RDF_TYPE)
                for c in classes:
                    found.update(backward.get(c, ()))
        for predicate in shape.subjects_of:
            if few:
                found.update(n for n, objs in data.objects_of(predicate, focus).items() if objs)
            else:
                found.update(data.subjects_with(predicate))
        for predicate in shape.objects_of:
            if few:
                found.update(n for n, subs in data.objects_of(predicate, focus, inverse=True).items() if subs)
            else:
                found.update(data.objects_with(predicate))
        for query in shape.sparql_targets:
            if few:
                for node in focus:
                    solutions = data.store.query(
                        query.text, substitutions={ox.Variable("this"): node}, default_graph=DEFAULT
                    )
                    if any(True for _ in solutions):
                        found.add(node)
            else:
                for solution in data.store.query(query.text, default_graph=DEFAULT):
                    node = solution["this"]
                    if node is not None:
                        found.add(node)
        if focus is not None:
            found &= focus
        return list(found)

    # --- Paths -----------------------------------------------------------------------------------------------

    def values(self, path: Path, nodes: list, inverse: bool = False) -> dict:
        """Return {node: set of value nodes} for a path, as pyshacl's value_nodes_from_path finds them."""
        kind = path.kind
        if kind == "pred":
            return {n: set(v) for n, v in self.data.objects_of(path.predicate, nodes, inverse).items()}
        if kind == "inv":
            return self.values(path.parts[0], nodes, not inverse)
        if kind == "seq":
            current = {n: {n} for n in nodes}
            for part in path.parts:
                middle = {m for ms in current.values() for m in ms}
                step = self.values(part, list(middle), inverse)
                current = {n: {v for m in ms for v in step[m]} for n, ms in current.items()}
            return current
        if kind == "alt":
            found = {n: set() for n in nodes}
            for part in path.parts:
                for n, vs in self.values(part, nodes, inverse).items():
                    found[n] |= vs
            return found
        inner = path.parts[0]
        if kind == "zeroOrOne":
            return {n: {n} | vs for n, vs in self.values(inner, nodes, inverse).items()}
        # zeroOrMore / oneOrMore: the closure, breadth first over all nodes at once.
        found = {}
        first = self.values(inner, nodes, inverse)
        for n in nodes:
            seen = {n} if kind == "zeroOrMore" else set()
            frontier = set(first[n])
            while frontier:
                frontier -= seen
                seen |= frontier
                if not frontier:
                    break
                step = self.values(inner, list(frontier), inverse)
                frontier = {v for vs in step.values() for v in vs}
            found[n] = seen
        return found

    def value_nodes(self, shape: Shape, nodes: list) -> dict:
        """Return {focus: set of value nodes}: the node itself for a node shape, its path's values otherwise."""
        if not shape.is_property:
            return {n: {n} for n in nodes}
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

    def evaluate(self, shape: Shape, nodes: list) -> list[Result]:
        """Return the results of validating `nodes` against `shape` (pyshacl's Shape.validate)."""
        if shape.deactivated or not nodes:
            return []
        fvn = self.value_nodes(shape, nodes)
        results: list[Result] = []
        for parameter, args in shape.constraints:
            method = CHECKS[parameter]
            method(self, shape, args, fvn, results)
        return results

    def conforming(self, shape_node: Node, nodes: Iterable) -> dict:
        """Return {node: conforms} for nodes against a shape, each (shape, node) evaluated once."""
        shape = self.shapes.get(shape_node)
        if shape is None:
            raise ValueError(f"shape {shape_node} is not a well-formed SHACL shape")
        memo = self.memo[shape_node]
        todo = [n for n in set(nodes) if n not in memo]
        if todo:
            failing = {r[0] for r in self.evaluate(shape, todo)}
            for n in todo:
                memo[n] = n not in failing
        return memo

    # --- Results ---------------------------------------------------------------------------------------------

    @staticmethod
    def result(shape: Shape, focus, component, value=None, path=None, messages=None) -> Result:
        """Return one result of a core constraint (its messages: the shape's sh:message)."""
        return (
            focus,
            path if path is not None else shape.path_node,
            value,
            component,
            shape.node,
            shape.severity,
            shape.messages if messages is None else messages,
        )

    def literal(self, term) -> Node:
        """Return the rdflib term of a data term."""
        return self.data.rdflib(term)


# --- Value type -----------------------------------------------------------------------------------------------


def check_class(ev: Evaluator, shape: Shape, classes, fvn, out) -> None:
    """sh:class: each value node is a SHACL instance of each class (rdf:type/rdfs:subClassOf* in the data)."""
    data = ev.data
    values = {v for vs in fvn.values() for v in vs if not isinstance(v, ox.Literal)}
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


def check_datatype(ev: Evaluator, shape: Shape, rules, fvn, out) -> None:
    """sh:datatype, with pySHACL's reading of ill-typed literals (rdflib's)."""
    rule = rules[0]
    cache = ev.value_cache.setdefault(("datatype", rule), {})
    for f, vs in fvn.items():
        for v in vs:
            ok = cache.get(v)
            if ok is None:
                ok = cache[v] = isinstance(v, ox.Literal) and _datatype_matches(ev.literal(v), rule)
            if not ok:
                out.append(ev.result(shape, f, SH.DatatypeConstraintComponent, v))


NODE_KINDS = {
    ox.BlankNode: (SH.BlankNode, SH.BlankNodeOrLiteral, SH.BlankNodeOrIRI),
    ox.Literal: (SH.Literal, SH.BlankNodeOrLiteral, SH.IRIOrLiteral),
    ox.NamedNode: (SH.IRI, SH.IRIOrLiteral, SH.BlankNodeOrIRI),
}


def check_node_kind(ev: Evaluator, shape: Shape, rules, fvn, out) -> None:
    """sh:nodeKind."""
    rule = rules[0]
    for f, vs in fvn.items():
        for v in vs:
            if rule not in NODE_KINDS.get(type(v), ()):
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
            cache = ev.value_cache.setdefault((component, bound), {})
            for f, vs in fvn.items():
                for v in vs:
                    ok = cache.get(v)
                    if ok is None:
                        ok = False
                        if isinstance(v, ox.Literal):
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


def _string_of(ev: Evaluator, v) -> str:
    """pySHACL's value_node_to_string: the Python value of a string literal, else the lexical form or IRI."""
    if isinstance(v, ox.Literal):
        lit = ev.literal(v)
        if lit.value is not None and lit.datatype in (None, RDF.langString, XSD.string):
            return str(lit.value)
        return str(lit)
    return v.value


def check_min_length(ev: Evaluator, shape: Shape, length, fvn, out) -> None:
    """sh:minLength (blank nodes fail unless the minimum is 0)."""
    for f, vs in fvn.items():
        for v in vs:
            ok = length == 0 or (not isinstance(v, ox.BlankNode) and len(_string_of(ev, v)) >= length)
            if not ok:
                out.append(ev.result(shape, f, SH.MinLengthConstraintComponent, v))


def check_max_length(ev: Evaluator, shape: Shape, length, fvn, out) -> None:
    """sh:maxLength (blank nodes fail)."""
    for f, vs in fvn.items():
        for v in vs:
            if isinstance(v, ox.BlankNode) or len(_string_of(ev, v)) > length:
                out.append(ev.result(shape, f, SH.MaxLengthConstraintComponent, v))


def check_pattern(ev: Evaluator, shape: Shape, patterns, fvn, out) -> None:
    """sh:pattern (with sh:flags): re.search on the string of each value; blank nodes fail."""
    for pattern in patterns:
        cache = ev.value_cache.setdefault(("pattern", pattern), {})
        for f, vs in fvn.items():
            for v in vs:
                ok = cache.get(v)
                if ok is None:
                    ok = cache[v] = not isinstance(v, ox.BlankNode) and bool(pattern.search(_string_of(ev, v)))
                if not ok:
                    out.append(ev.result(shape, f, SH.PatternConstraintComponent, v))


def check_language_in(ev: Evaluator, shape: Shape, languages, fvn, out) -> None:
    """sh:languageIn: the language (or its first part), lower-cased, is listed; '*' accepts any language."""
    wildcard = "*" in languages
    for f, vs in fvn.items():
        for v in vs:
            ok = False
            if isinstance(v, ox.Literal) and v.language:
                lang = v.language.lower()
                ok = wildcard or lang in languages or lang.split("-")[0] in languages
            if not ok:
                out.append(ev.result(shape, f, SH.LanguageInConstraintComponent, v))


def check_unique_lang(ev: Evaluator, shape: Shape, _unique, fvn, out) -> None:
    """sh:uniqueLang: one result (no value) per language used twice by a focus node."""
    for f, vs in fvn.items():
        seen, duplicates = set(), set()
        for v in vs:
            if isinstance(v, ox.Literal) and v.language:
                lang = v.language.lower()
                (duplicates if lang in seen else seen).add(lang)
        for _ in duplicates:
            out.append(ev.result(shape, f, SH.UniqueLangConstraintComponent))


# --- Property pairs ---------------------------------------------------------------------------------------------


def _compared(ev: Evaluator, predicate: Node, nodes) -> dict:
    return ev.data.objects_of(term_to_oxigraph(predicate), nodes)


def check_equals(ev: Evaluator, shape: Shape, predicates, fvn, out) -> None:
    """sh:equals: one result per value missing on either side."""
    for predicate in predicates:
        others = _compared(ev, predicate, list(fvn))
        for f, vs in fvn.items():
            compare = set(others[f])
            for v in vs - compare:
                out.append(ev.result(shape, f, SH.EqualsConstraintComponent, v))
            for v in compare - vs:
                out.append(ev.result(shape, f, SH.EqualsConstraintComponent, v))


def check_disjoint(ev: Evaluator, shape: Shape, predicates, fvn, out) -> None:
    """sh:disjoint: one result per value shared with the other property."""
    for predicate in predicates:
        others = _compared(ev, predicate, list(fvn))
        for f, vs in fvn.items():
            for v in vs & set(others[f]):
                out.append(ev.result(shape, f, SH.DisjointConstraintComponent, v))


def _less_than(component: URIRef, or_equal: bool):
    def check(ev: Evaluator, shape: Shape, predicates, fvn, out) -> None:
        for predicate in predicates:
            if not isinstance(predicate, URIRef):
                raise ValueError(f"the value of {component} must be an IRI")
            others = _compared(ev, predicate, list(fvn))
            for f, vs in fvn.items():
                for v in vs:
                    if isinstance(v, ox.BlankNode):
                        raise ValueError("cannot compare a blank node with sh:lessThan(OrEquals)")
                    value, v_is_string = _comparable(ev, v)
                    for c in others[f]:
                        if isinstance(c, ox.BlankNode):
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


def _comparable(ev: Evaluator, term):
    """Return what pySHACL compares for sh:lessThan: the string of an IRI or string literal, else the rdflib term."""
    if isinstance(term, ox.NamedNode):
        return term.value, True
    lit = ev.literal(term)
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
        conforms = ev.conforming(other, _all_values(fvn))
        for f, vs in fvn.items():
            for v in vs:
                if not conforms[v]:
                    out.append(ev.result(shape, f, SH.NodeConstraintComponent, v))


def check_property(ev: Evaluator, shape: Shape, shapes, fvn, out) -> None:
    """sh:property: the property shape validated on every value node; its results are passed up."""
    values = list(_all_values(fvn))
    if not values:
        return
    for other in shapes:
        target = ev.shapes.get(other)
        if target is None or not target.is_property:
            raise ValueError(f"sh:property {other} is not a well-formed property shape")
        out += ev.evaluate(target, values)


def check_qualified(ev: Evaluator, shape: Shape, args, fvn, out) -> None:
    """sh:qualifiedValueShape with sh:qualifiedMin/MaxCount (and sh:qualifiedValueShapesDisjoint)."""
    value_shapes, min_count, max_count, siblings = args
    values = _all_values(fvn)
    for value_shape in value_shapes:
        conforms = ev.conforming(value_shape, values)
        sibling_verdicts = [ev.conforming(s, values) for s in siblings[value_shape] if s in ev.shapes]
        for f, vs in fvn.items():
            number = sum(1 for v in vs if conforms[v] and not any(verdict[v] for verdict in sibling_verdicts))
            if max_count is not None and number > max_count:
                out.append(ev.result(shape, f, SH.QualifiedMaxCountConstraintComponent))
            if min_count is not None and number < min_count:
                out.append(ev.result(shape, f, SH.QualifiedMinCountConstraintComponent))


# --- Other ------------------------------------------------------------------------------------------------------


def check_closed(ev: Evaluator, shape: Shape, args, fvn, out) -> None:
    """sh:closed: a result per (predicate, object) of a value node outside the shape's properties."""
    ignored, paths = args
    ignored = {term_to_oxigraph(p) for p in ignored if isinstance(p, URIRef)}
    paths = {term_to_oxigraph(p) for p in paths if isinstance(p, URIRef)}
    for f, vs in fvn.items():
        for v in vs:
            if isinstance(v, ox.Literal):
                continue
            for quad in ev.data.store.quads_for_pattern(v, None, None, DEFAULT):
                p, o = quad.predicate, quad.object
                if p == RDF_TYPE and o == ox.NamedNode(str(RDFS.Resource)):
                    continue  # pySHACL's ALWAYS_IGNORE
                if p in ignored or p in paths:
                    continue
                out.append(ev.result(shape, f, SH.ClosedConstraintComponent, o, path=to_rdflib(p)))


def check_has_value(ev: Evaluator, shape: Shape, expected, fvn, out) -> None:
    """sh:hasValue: one result (no value) per focus node without the value."""
    for hv in expected:
        target = term_to_oxigraph(hv)
        for f, vs in fvn.items():
            if target in vs:
                continue
            if isinstance(hv, Literal) and any(isinstance(v, ox.Literal) and ev.literal(v) == hv for v in vs):
                continue
            out.append(ev.result(shape, f, SH.HasValueConstraintComponent))


def check_in(ev: Evaluator, shape: Shape, lists, fvn, out) -> None:
    """sh:in: a result per value node not in the list (rdflib term equality)."""
    allowed = set().union(*lists) if lists else set()
    allowed_ox = {term_to_oxigraph(a) for a in allowed if not isinstance(a, Literal)}
    has_literals = any(isinstance(a, Literal) for a in allowed)
    for f, vs in fvn.items():
        for v in vs:
            if v in allowed_ox:
                continue
            if has_literals and isinstance(v, ox.Literal) and ev.literal(v) in allowed:
                continue
            out.append(ev.result(shape, f, SH.InConstraintComponent, v))


# --- SPARQL-based constraints -----------------------------------------------------------------------------------

THIS = ox.Variable("this")


def check_sparql(ev: Evaluator, shape: Shape, queries: list[SparqlQuery], fvn, out) -> None:
    """sh:sparql: the SELECT run once per focus node with $this pre-bound; a result per (distinct) solution."""
    for query in queries:
        if query.deactivated:
            continue
        for f in fvn:
            substitutions = {THIS: f} if query.binds_this else {}
            solutions = ev.data.store.query(query.text, substitutions=substitutions, default_graph=DEFAULT)
            names = [v.value for v in solutions.variables]
            seen = []
            for solution in solutions:
                row = {name: solution[name] for name in names if solution[name] is not None}
                if query.binds_this and "this" in names and row.get("this") is None:
                    row["this"] = f
                failure = row.pop("failure", None)
                if failure is not None:
                    key = True
                    if key in seen:
                        continue
                    seen.append(key)
                    out.append(_sparql_result(ev, shape, query, f, None, None, shape.node if False else None, row))
                    continue
                p, v, t = row.pop("path", None), row.pop("value", None), row.pop("this", None)
                if p is None and v is None and t is None:
                    continue
                key = (t, p, v, tuple(sorted(row.items(), key=lambda item: item[0])))
                if key in seen:
                    continue
                seen.append(key)
                out.append(_sparql_result(ev, shape, query, f, t, p, v, row))


def _sparql_result(ev: Evaluator, shape: Shape, query: SparqlQuery, f, t, p, v, row) -> Result:
    """One result of a SPARQL constraint: messages of the shape and the constraint, {?var} filled in, untagged."""
    focus = t if t is not None else f
    value = v if v is not None else (None if shape.is_property else f)
    path = to_rdflib(p) if p is not None else shape.path_node
    bound = {name: ev.literal(term) for name, term in row.items()}
    if t is not None:
        bound["this"] = ev.literal(t)
    if p is not None:
        bound["path"] = ev.literal(p)
    if value is not None:
        bound["value"] = ev.literal(value)
    messages = list(shape.messages)
    extra = [m for m in query.messages if m not in messages]
    if not extra and not messages:
        texts = []
    else:
        texts = messages + extra
    filled = []
    for m in texts:
        if isinstance(m, Literal):
            text = str(m.value)
            for name, term in bound.items():
                text = re.sub(f"{{[?$]{name}}}", str(term), text)
            filled.append(Literal(text))
        else:
            filled.append(m)
    return (focus, path, value, SH.SPARQLConstraintComponent, shape.node, shape.severity, tuple(filled))


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
