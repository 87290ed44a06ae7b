"""Compile a SHACL shapes graph (rdflib) once into plain Python objects the engine evaluates.

The shapes found, their targets, paths and constraint parameters follow pySHACL's reading of the shapes graph
(pyshacl.shapes_graph and pyshacl.shape), so that the same shapes run on the same focus nodes. Anything the
engine cannot evaluate with pySHACL's verdicts is named in `unsupported`: the caller then falls back to pySHACL.
"""

import re
from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH, XSD
from rdflib.term import Node

from agrs.shacl_fast.terms import key_of
from agrs.store.terms import term_to_oxigraph

# Constraint parameters of SHACL core and SPARQL-based constraints (pyshacl.constraints.ALL_CONSTRAINT_PARAMETERS).
CORE_PARAMETERS = {
    SH["class"], SH.datatype, SH.nodeKind, SH.minCount, SH.maxCount, SH.minExclusive, SH.minInclusive,
    SH.maxExclusive, SH.maxInclusive, SH.minLength, SH.maxLength, SH.pattern, SH.languageIn, SH.uniqueLang,
    SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals, SH["not"], SH["and"], SH["or"], SH.xone, SH.node,
    SH.property, SH.qualifiedValueShape, SH.closed, SH.hasValue, SH["in"], SH.sparql,
}  # fmt: skip
# Parameters pySHACL knows (with advanced features) that this engine does not evaluate.
UNSUPPORTED_PARAMETERS = {SH.expression, SH.rule, SH.js, SH.jsFunctionName}

SHAPE_EXPECTING = (SH.property, SH.node, SH["not"], SH.qualifiedValueShape)
LIST_EXPECTING = (SH["and"], SH["or"], SH.xone)


@dataclass(eq=False)
class Path:
    """A SHACL property path: kind is pred, seq, inv, alt, zeroOrMore, oneOrMore or zeroOrOne."""

    kind: str
    predicate: str | None = None  # the predicate's key, <iri>
    parts: list["Path"] = field(default_factory=list)
    # A sequence of one element nested in another sequence returns that element only (pySHACL's recursion).
    text: str = ""


@dataclass(eq=False)
class SparqlQuery:
    """A SPARQL SELECT from the shapes (a SPARQL target or constraint), with its prefixes applied."""

    node: Node
    text: str
    messages: tuple[Literal, ...] = ()
    deactivated: bool = False
    binds_this: bool = True
    # Where `VALUES $this { … }` can open the WHERE group to run the query for many focus nodes at once (one
    # SELECT, no subquery, $this projected: joining first is pre-binding then), else None.
    values_at: int | None = None

    def with_values(self, keys: list[str]) -> str:
        """Return the query with $this bound to each of the keys (IRIs or literals) by a VALUES block."""
        at = self.values_at
        return f"{self.text[:at]} VALUES $this {{ {' '.join(keys)} }} {self.text[at:]}"


@dataclass(eq=False)
class Shape:
    """One shape: its node in the shapes graph, targets, path (property shapes) and constraint parameters."""

    node: Node
    is_property: bool
    path_node: Node | None = None
    path: Path | None = None
    severity: Node = SH.Violation
    messages: tuple[Literal, ...] = ()
    deactivated: bool = False
    # Targets, as keys (agrs.shacl_fast.terms).
    target_nodes: list[str] = field(default_factory=list)
    target_classes: list[str] = field(default_factory=list)
    subjects_of: list[str] = field(default_factory=list)
    objects_of: list[str] = field(default_factory=list)
    sparql_targets: list[SparqlQuery] = field(default_factory=list)
    # (component parameter, compiled arguments) in the order pySHACL would meet them.
    constraints: list[tuple[URIRef, object]] = field(default_factory=list)
    # For a property shape whose constraints only ever fault single values: per constraint, a SPARQL FILTER on
    # (?s, ?v) keeping every pair that may fault (a superset), so that a large validation reads those pairs only.
    prefilters: list | None = None  # str (a FILTER), ("class", [class keys]) or None (nothing to check)
    path_predicates: set[str] = field(default_factory=set)
    # The union of the class and property targets as one SELECT DISTINCT ?this (None without such targets).
    target_query: str | None = None

    @property
    def has_targets(self) -> bool:
        """Whether the shape selects focus nodes of its own (else it only runs nested in another shape)."""
        return bool(
            self.target_nodes or self.target_classes or self.subjects_of or self.objects_of or self.sparql_targets
        )


def _values_position(text: str) -> int | None:
    """Return the index just inside the WHERE group of a single-SELECT query projecting $this, else None."""
    # Blank out strings, IRIs and comments (same length, so that positions hold).
    pattern = r'"[^"\n]*"|\'[^\'\n]*\'|<[^<>\s"]*>|#[^\n]*'
    without_strings = re.sub(pattern, lambda m: " " * len(m.group(0)), text)
    if len(re.findall(r"\bSELECT\b", without_strings, re.I)) != 1:
        return None
    select = re.search(r"\bSELECT\b(.*?)\bWHERE\s*\{", without_strings, re.I | re.S)
    if select is None or not re.search(r"[$?]this\b", select.group(1)):
        return None
    return select.end()


def key(term: Node) -> str:
    """Return the engine's key of an rdflib term of the shapes graph (agrs.shacl_fast.terms)."""
    if isinstance(term, URIRef):
        return f"<{term}>"
    return key_of(term_to_oxigraph(term))


SUBCLASS_PATH = f"<{RDF.type}>/<{RDFS.subClassOf}>*"
NODE_KIND_FILTERS = {
    SH.IRI: "!isIRI(?v)", SH.BlankNode: "!isBlank(?v)", SH.Literal: "!isLiteral(?v)",
    SH.BlankNodeOrIRI: "isLiteral(?v)", SH.BlankNodeOrLiteral: "isIRI(?v)", SH.IRIOrLiteral: "isBlank(?v)",
}  # fmt: skip


def _prefilter(parameter: URIRef, args) -> str | None:
    """Return the FILTER keeping every (?s, ?v) a value-local constraint may fault, or "" when it cannot say."""
    if parameter == SH["class"]:
        return ("class", [cls for _, cls in args])  # MINUS the instances, the subclasses being the data's
    if parameter == SH.nodeKind:
        return NODE_KIND_FILTERS.get(args[0], "")
    if parameter == SH.datatype:
        if args[0] == XSD.string:
            return f"!(isLiteral(?v) && DATATYPE(?v) = <{XSD.string}>)"
        if args[0] == RDF.langString:
            return '!(isLiteral(?v) && LANG(?v) != "")'
        return ""
    if parameter == SH["in"]:
        keys, members = args
        if any(isinstance(m, BNode) for m in members):
            return ""
        iris = [k for k in keys if k[0] == "<"]
        # Literals are always kept: SPARQL's = compares values, pySHACL compares terms.
        return f"!isIRI(?v) || ?v NOT IN ({', '.join(iris)})" if iris else "true"
    if parameter == SH.disjoint:
        return " || ".join(f"EXISTS {{ ?s {p} ?v }}" for p in args)
    if parameter == SH.minCount and args == 0:
        return None
    return ""


def prefilters(shape: "Shape") -> list | None:
    """Return a property shape's per-constraint prefilters when all its constraints have one (see Shape)."""
    if not shape.is_property or shape.path is None or not _plain_path(shape.path) or not shape.constraints:
        return None
    found = [_prefilter(parameter, args) for parameter, args in shape.constraints]
    return None if any(f == "" for f in found) else found


def _predicates(path: "Path") -> set[str]:
    """Return the keys of the predicates a path reads."""
    if path.kind == "pred":
        return {path.predicate}
    return set().union(*(_predicates(p) for p in path.parts)) if path.parts else set()


def _plain_path(path: "Path") -> bool:
    """Whether SPARQL's property path gives pySHACL's values: predicates in sequences and alternatives."""
    return path.kind == "pred" or (path.kind in ("seq", "alt") and all(_plain_path(p) for p in path.parts))


def target_query(shape: "Shape") -> str | None:
    """Return one SELECT DISTINCT ?this over a shape's class and property targets, or None."""
    parts = [f"{{ ?this {SUBCLASS_PATH} {cls} }}" for cls in shape.target_classes]
    parts += [f"{{ ?this {p} ?any }}" for p in shape.subjects_of]
    parts += [f"{{ ?any {p} ?this }}" for p in shape.objects_of]
    return f"SELECT DISTINCT ?this WHERE {{ {' UNION '.join(parts)} }}" if parts else None


class Compiler:
    """Read a shapes graph into Shapes; collects the constructs it cannot evaluate."""

    def __init__(self, graph: Graph):
        self.g = graph
        self.unsupported: list[str] = []
        self.shapes: dict[Node, Shape] = {}

    def note(self, construct: str) -> None:
        """Record one unsupported construct (once)."""
        if construct not in self.unsupported:
            self.unsupported.append(construct)

    # --- Which nodes are shapes (pyshacl.shapes_graph._build_node_shape_cache) -----------------------------------

    def shape_nodes(self) -> tuple[set[Node], set[Node]]:
        """Return (node shapes, property shapes) as pySHACL finds them."""
        g = self.g
        node_shapes = set(g.subjects(RDF.type, SH.NodeShape))
        prop_shapes = set(g.subjects(RDF.type, SH.PropertyShape))
        implied = set()
        for predicate in (SH.targetClass, SH.targetNode, SH.targetObjectsOf, SH.targetSubjectsOf, SH.property, SH.node):
            implied.update(s for s, _ in g.subject_objects(predicate))
        values = set()
        for predicate in SHAPE_EXPECTING:
            values.update(o for _, o in g.subject_objects(predicate))
        for predicate in LIST_EXPECTING:
            for _, lst in g.subject_objects(predicate):
                values.update(g.items(lst))
        for node in implied | values:
            if node in node_shapes or node in prop_shapes:
                continue
            if (node, SH.path, None) in g:
                prop_shapes.add(node)
            else:
                node_shapes.add(node)
        return node_shapes, prop_shapes

    def compile(self) -> dict[Node, Shape]:
        """Compile every shape of the graph."""
        g = self.g
        if any(g.subjects(RDF.type, SH.ConstraintComponent)):
            self.note("custom constraint components (sh:ConstraintComponent)")
        if any(g.subject_objects(SH.rule)):
            self.note("SHACL rules (sh:rule)")
        if any(g.subject_objects(SH.shapesGraph)) or any(g.subject_objects(SH.entailment)):
            self.note("sh:shapesGraph / sh:entailment")
        node_shapes, prop_shapes = self.shape_nodes()
        for node in node_shapes:
            self.shapes[node] = self.shape(node, False)
        for node in prop_shapes:
            self.shapes[node] = self.shape(node, True)
        self.check_recursion()
        return self.shapes

    def shape(self, node: Node, is_property: bool) -> Shape:
        """Compile one shape."""
        g = self.g
        shape = Shape(node, is_property)
        if is_property:
            paths = list(g.objects(node, SH.path))
            if len(paths) != 1:
                self.note(f"property shape with {len(paths)} sh:path")
            else:
                shape.path_node = paths[0]
                shape.path = self.path(paths[0])
        deactivated = list(g.objects(node, SH.deactivated))
        shape.deactivated = bool(deactivated) and isinstance(deactivated[0], Literal) and bool(deactivated[0].value)
        severities = list(g.objects(node, SH.severity))
        shape.severity = severities[0] if severities else SH.Violation
        shape.messages = tuple(g.objects(node, SH.message))
        shape.target_nodes = [key(t) for t in g.objects(node, SH.targetNode)]
        classes = set(g.objects(node, SH.targetClass))
        # Implicit class targets: the shape is also an rdfs:Class (or a declared subclass of it) in the shapes graph.
        class_types = set(g.subjects(RDFS.subClassOf, RDFS.Class)) | {RDFS.Class}
        if set(g.objects(node, RDF.type)) & class_types:
            classes.add(node)
        shape.target_classes = [key(c) for c in classes if isinstance(c, URIRef)]
        if any(isinstance(c, (BNode, Literal)) for c in classes):
            self.note("sh:targetClass with a blank node or literal")
        shape.subjects_of = [key(p) for p in g.objects(node, SH.targetSubjectsOf) if isinstance(p, URIRef)]
        shape.objects_of = [key(p) for p in g.objects(node, SH.targetObjectsOf) if isinstance(p, URIRef)]
        for target in g.objects(node, SH.target):
            selects = list(g.objects(target, SH.select))
            if selects or (target, RDF.type, SH.SPARQLTarget) in g:
                if not selects:
                    self.note("sh:SPARQLTarget without sh:select")
                    continue
                shape.sparql_targets.append(SparqlQuery(target, self.prefixed(target, str(selects[0]))))
            else:
                self.note("SHACL-AF target types (sh:SPARQLTargetType, sh:JSTarget)")
        parameters = set(g.predicates(node, None))
        for parameter in parameters & UNSUPPORTED_PARAMETERS:
            self.note(f"sh:{parameter.removeprefix(str(SH))}")
        for parameter in sorted(parameters & CORE_PARAMETERS):
            self.constraint(shape, parameter)
        shape.prefilters = prefilters(shape)
        shape.path_predicates = _predicates(shape.path) if shape.path is not None else set()
        shape.target_query = target_query(shape)
        return shape

    # --- Constraint parameters -----------------------------------------------------------------------------------

    def constraint(self, shape: Shape, parameter: URIRef) -> None:
        """Compile the arguments of one constraint component of a shape."""
        g, node = self.g, shape.node
        values = list(g.objects(node, parameter))
        name = parameter.removeprefix(str(SH))
        if parameter in (SH.datatype, SH.nodeKind) and len(values) != 1:
            self.note(f"sh:{name} with {len(values)} values")
            return
        if parameter in (SH.minCount, SH.maxCount):
            for value in values:
                shape.constraints.append((parameter, int(value.value)))
            return
        if parameter == SH["class"]:
            shape.constraints.append((parameter, [(c, key(c)) for c in values]))
            return
        if parameter == SH.pattern:
            flags = list(g.objects(node, SH.flags))
            re_flags = 0
            if flags:
                text = str(flags[0].value).lower()
                re_flags |= re.I if "i" in text else 0
                re_flags |= re.M if "m" in text else 0
            compiled = []
            for p in values:
                source = str(p.value) if p.value is not None and len(p.value) > 1 else str(p)
                compiled.append(re.compile(source, re_flags))
            shape.constraints.append((parameter, compiled))
            return
        if parameter == SH.languageIn:
            for lst in values[:1]:
                shape.constraints.append((parameter, {str(item.value).lower() for item in g.items(lst)}))
            return
        if parameter == SH.uniqueLang:
            if values and bool(values[0].value):
                shape.constraints.append((parameter, True))
            return
        if parameter in (SH.minLength, SH.maxLength):
            shape.constraints.append((parameter, int(values[0].value)))
            return
        if parameter == SH.hasValue:
            shape.constraints.append((parameter, [(v, key(v)) for v in values]))
            return
        if parameter in (SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals):
            if any(not isinstance(v, URIRef) for v in values):
                self.note(f"sh:{name} with a value that is not an IRI")
                return
            shape.constraints.append((parameter, [key(v) for v in values]))
            return
        if parameter in (SH["and"], SH["or"], SH.xone):
            lists = [list(g.items(lst)) for lst in values]
            shape.constraints.append((parameter, lists))
            return
        if parameter == SH["in"]:
            members = {member for lst in values for member in g.items(lst)}
            shape.constraints.append((parameter, ({key(m) for m in members}, members)))
            return
        if parameter == SH.closed:
            if values and bool(values[0].value):
                ignored = set()
                for lst in g.objects(node, SH.ignoredProperties):
                    ignored.update(g.items(lst))
                paths = set()
                for prop in g.objects(node, SH.property):
                    path = g.value(prop, SH.path)
                    if path is not None:
                        paths.add(path)
                ignored_keys = {key(p) for p in ignored if isinstance(p, URIRef)}
                shape.constraints.append((parameter, (ignored_keys, {key(p) for p in paths if isinstance(p, URIRef)})))
            return
        if parameter == SH.qualifiedValueShape:
            if not shape.is_property:
                return  # pySHACL ignores it on node shapes (ConstraintLoadWarning)
            mins = [int(v.value) for v in g.objects(node, SH.qualifiedMinCount)]
            maxs = [int(v.value) for v in g.objects(node, SH.qualifiedMaxCount)]
            disjoint = any(bool(v.value) for v in g.objects(node, SH.qualifiedValueShapesDisjoint))
            if not mins and not maxs:
                self.note("sh:qualifiedValueShape without qualified counts")
                return
            siblings: dict[Node, list[Node]] = {}
            for value_shape in values:
                found = set()
                if disjoint:
                    for parent in g.subjects(SH.property, node):
                        for prop in g.objects(parent, SH.property):
                            found.update(s for s in g.objects(prop, SH.qualifiedValueShape) if s != value_shape)
                siblings[value_shape] = list(found)
            shape.constraints.append(
                (parameter, (values, mins[0] if mins else None, maxs[0] if maxs else None, siblings))
            )
            return
        if parameter == SH.sparql:
            queries = []
            for constraint in values:
                selects = list(g.objects(constraint, SH.select))
                if not selects:
                    self.note("sh:sparql without sh:select (ASK)")
                    continue
                deactivated = any(bool(getattr(d, "value", False)) for d in g.objects(constraint, SH.deactivated))
                text = str(selects[0])
                if re.search(r"[\s{}()][$?](shapesGraph|currentShape|value)\b", text):
                    self.note("SPARQL constraint using $shapesGraph, $currentShape or $value")
                    continue
                if re.search(r"[\s{}()][$?]PATH\b", text):
                    if shape.path is None:
                        self.note("$PATH without a path")
                        continue
                    text = re.sub(r"([\s{}()])[\$\?]PATH", lambda m: m.group(1) + shape.path.text, text)
                query = SparqlQuery(
                    constraint,
                    self.prefixed(constraint, text),
                    tuple(g.objects(constraint, SH.message)),
                    deactivated,
                    bool(re.search(r"([\s{}()])[\$\?]this", text)),
                )
                query.values_at = _values_position(query.text)
                queries.append(query)
            shape.constraints.append((parameter, queries))
            return
        # Parameters whose values are used as they are (nodes of the shapes graph).
        shape.constraints.append((parameter, values))

    # --- Paths and prefixes --------------------------------------------------------------------------------------

    def path(self, node: Node, depth: int = 0) -> Path:
        """Compile a SHACL path; `text` is its SPARQL property path (for $PATH)."""
        g = self.g
        if isinstance(node, URIRef):
            return Path("pred", key(node), text=f"<{node}>")
        if isinstance(node, Literal) or depth > 10:
            self.note("ill-formed sh:path")
            return Path("pred", "<urn:agrs:shacl-fast:invalid-path>", text="<urn:x>")
        first = g.value(node, RDF.first)
        if first is not None:
            items = list(g.items(node))
            if len(items) < 2 and depth == 0:
                self.note("sequence path of fewer than two items")
            parts = [self.path(item, depth + 1) for item in items]
            return Path("seq", parts=parts, text="(" + "/".join(p.text for p in parts) + ")")
        inverse = g.value(node, SH.inversePath)
        if inverse is not None:
            inner = self.path(inverse, depth + 1)
            return Path("inv", parts=[inner], text=f"(^{inner.text})")
        alternatives = g.value(node, SH.alternativePath)
        if alternatives is not None:
            parts = [self.path(item, depth + 1) for item in g.items(alternatives)]
            if len(parts) < 2:
                self.note("alternative path of fewer than two items")
            return Path("alt", parts=parts, text="(" + "|".join(p.text for p in parts) + ")")
        for kind, suffix in (("zeroOrMore", "*"), ("oneOrMore", "+"), ("zeroOrOne", "?")):
            inner_node = g.value(node, SH[kind + "Path"])
            if inner_node is not None:
                inner = self.path(inner_node, depth + 1)
                return Path(kind, parts=[inner], text=f"({inner.text}){suffix}")
        self.note("ill-formed sh:path")
        return Path("pred", "<urn:agrs:shacl-fast:invalid-path>", text="<urn:x>")

    def prefixed(self, node: Node, text: str) -> str:
        """Return a query with the PREFIX declarations of its sh:prefixes (pySHACL's collect_prefixes)."""
        g = self.g
        prefixes_values = set(g.objects(node, SH.prefixes))
        if not prefixes_values:
            return text
        graph_declares = set(g.objects(g.identifier, SH.declare)) if g.identifier else set()
        ontologies = set(g.subjects(RDF.type, OWL.Ontology))
        global_declares = set(graph_declares)
        for ontology in ontologies:
            global_declares.update(g.objects(ontology, SH.declare))
        prefixes: dict[str, str] = {}
        for value in prefixes_values:
            own = set(g.objects(value, SH.declare))
            declares = own | graph_declares if own and value in ontologies else global_declares | own
            for declare in declares:
                prefix, namespace = g.value(declare, SH.prefix), g.value(declare, SH.namespace)
                if prefix is None or namespace is None:
                    self.note("ill-formed sh:declare")
                    continue
                prefixes[str(prefix.value)] = str(namespace.value)
        header = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in prefixes.items())
        return f"{header}\n{text}"

    def check_recursion(self) -> None:
        """Note recursive shapes (a shape reaching itself through shape references): pySHACL cuts them its own way."""
        g = self.g
        edges: dict[Node, set[Node]] = {}
        for node in self.shapes:
            refs = set()
            for predicate in SHAPE_EXPECTING:
                refs.update(g.objects(node, predicate))
            for predicate in LIST_EXPECTING:
                for lst in g.objects(node, predicate):
                    refs.update(g.items(lst))
            edges[node] = refs
        state: dict[Node, int] = {}

        def visit(node: Node) -> bool:
            state[node] = 1
            for ref in edges.get(node, ()):
                if state.get(ref) == 1 or (ref not in state and visit(ref)):
                    return True
            state[node] = 2
            return False

        for node in list(edges):
            if node not in state and visit(node):
                self.note("recursive shapes")
                return
