"""The inference rules of `agrs reason`, compiled from the schema into SPARQL queries.

The schema (class and property axioms) is read from the asserted graphs, then each rule is compiled for one
target: a query whose answers are the target's entailed triples that the data do not assert. Compiling against
the schema's closure makes each query complete in one step, so that the fixpoint needs few rounds:

- *closure* of a transitive property t (prp-trp, with prp-spo1, prp-inv1/2, prp-symp, prp-eqp1/2): one
  property path `(a|^b|…)+` over every property whose triples make t-triples, each with its direction;
- *property* q (prp-spo1, prp-eqp1/2, prp-inv1/2, prp-symp): one path `a|^b|…` over the properties that make
  q-triples in one step; a transitive property among them is read as it stands, since its closure is computed
  first (see agrs.derived.reason);
- *type* C (cax-sco, cax-eqc1/2, prp-dom, prp-rng, scm-uni for named unions, owl:disjointUnionOf): the
  instances of C's named sub-classes, and the subjects (objects) of the properties whose domain (range) is one
  of them, together with the properties that make those;
- *hasValue* R (cls-hv1): the instances of a restriction `R owl:onProperty p ; owl:hasValue v` get `p v`.
  These are the only triples that make other rules' inputs, hence the rounds.

Left out, on purpose: types to blank-node classes (restrictions, anonymous unions: no query can name them),
to datatypes, owl:Thing and rdfs:Resource; literal subjects; cls-hv2, cls-svf1/2, cls-avf (they only type
blank-node classes here, or need classes the ontology does not declare); owl:sameAs, functional and inverse
functional properties (prp-fp/ifp only make sameAs), property chains, keys (unused); the consistency rules
(disjointness, cax-dw, prp-irp…): HermiT checks the ontology, SHACL the data.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox

from agrs import ns

# The namespaces as strings: the rules compare pyoxigraph terms' `.value`s with them.
RDF, RDFS, OWL, XSD = (str(namespace) for namespace in (ns.RDF, ns.RDFS, ns.OWL, ns.XSD))
RDF_TYPE = RDF + "type"
SUB_CLASS_OF = RDFS + "subClassOf"
SUB_PROPERTY_OF = RDFS + "subPropertyOf"

# Classes whose membership says nothing a query needs (rdfs:Resource, owl:Thing) or that literals belong to.
TRIVIAL_CLASSES = {RDFS + "Resource", OWL + "Thing", RDFS + "Literal", RDF + "langString", RDF + "PlainLiteral"}

FORWARD, INVERSE = False, True  # the direction of an atom: (property, inverse?)

# Every schema triple the rules use, in one query; list members (owl:unionOf…) are unfolded by the query.
SCHEMA_QUERY = f"""SELECT ?s ?p ?o WHERE {{
  {{ VALUES ?p {{ <{SUB_CLASS_OF}> <{SUB_PROPERTY_OF}> <{RDFS}domain> <{RDFS}range> <{OWL}inverseOf>
                 <{OWL}equivalentClass> <{OWL}equivalentProperty> <{OWL}onProperty> <{OWL}hasValue> }}
    ?s ?p ?o }}
  UNION {{ VALUES ?o {{ <{OWL}TransitiveProperty> <{OWL}SymmetricProperty> }}
           ?s <{RDF_TYPE}> ?o BIND(<{RDF_TYPE}> AS ?p) }}
  UNION {{ VALUES ?p {{ <{OWL}unionOf> <{OWL}disjointUnionOf> }} ?s ?p ?list . ?list <{RDF}rest>*/<{RDF}first> ?o }}
}}"""


@dataclass
class Schema:
    """The axioms the rules use; nodes are pyoxigraph terms (named nodes, or blank nodes for restrictions)."""

    sub_class: dict = field(default_factory=lambda: defaultdict(set))  # class -> its direct sub-classes
    sub_property: dict = field(default_factory=lambda: defaultdict(set))  # property -> its direct sub-properties
    inverse: dict = field(default_factory=lambda: defaultdict(set))  # property -> its inverses (both ways)
    transitive: set = field(default_factory=set)
    symmetric: set = field(default_factory=set)
    domain: dict = field(default_factory=lambda: defaultdict(set))  # property -> classes
    range: dict = field(default_factory=lambda: defaultdict(set))
    on_property: dict = field(default_factory=dict)  # restriction -> property
    has_value: dict = field(default_factory=dict)  # restriction -> value
    asserted: set = field(default_factory=set)  # the (s, p, o) of the asserted subClassOf/subPropertyOf triples


def schema_from_rows(rows: Iterable) -> Schema:
    """Build the schema from the solutions (?s ?p ?o) of SCHEMA_QUERY."""
    schema = Schema()
    for row in rows:
        subject, predicate, object_ = row["s"], row["p"].value, row["o"]
        if isinstance(subject, ox.Literal) or (isinstance(object_, ox.Literal) and predicate != OWL + "hasValue"):
            continue
        if predicate in (SUB_CLASS_OF, SUB_PROPERTY_OF):
            schema.asserted.add((subject, predicate, object_))
            (schema.sub_class if predicate == SUB_CLASS_OF else schema.sub_property)[object_].add(subject)
        elif predicate in (OWL + "equivalentClass", OWL + "equivalentProperty"):
            table = schema.sub_class if predicate == OWL + "equivalentClass" else schema.sub_property
            table[object_].add(subject)
            table[subject].add(object_)
        elif predicate in (OWL + "unionOf", OWL + "disjointUnionOf"):
            schema.sub_class[subject].add(object_)  # every member of a union is a sub-class of it
        elif predicate == OWL + "inverseOf":
            schema.inverse[subject].add(object_)
            schema.inverse[object_].add(subject)
        elif predicate == RDF_TYPE:
            (schema.transitive if object_.value == OWL + "TransitiveProperty" else schema.symmetric).add(subject)
        elif predicate == RDFS + "domain":
            schema.domain[subject].add(object_)
        elif predicate == RDFS + "range":
            schema.range[subject].add(object_)
        elif predicate == OWL + "onProperty":
            schema.on_property[subject] = object_
        elif predicate == OWL + "hasValue":
            schema.has_value[subject] = object_
    return schema


@dataclass(frozen=True)
class Rule:
    """One compiled rule: a SELECT whose solutions give the entailed triples of one target not yet asserted.

    `reads` are the predicates whose triples the query reads: a rule is run again when a round adds some.
    `needs` are the keys of the triples it reads or excludes: predicate IRIs, and ("a", class IRI) for types.
    A graph holding none of them cannot change its answer: the rule's dataset leaves it out (on the
    observatory, the closure of agrs:within runs 4 times faster on its one graph than on the union of five).
    """

    name: str
    kind: str  # closure, property, type, hasValue
    sparql: str
    reads: frozenset
    needs: frozenset
    make: Callable  # solution -> ox.Triple, or None (a literal subject)
    target: str  # the IRI of the property, or of the class for a type rule, whose triples it infers
    template: str = ""  # the CONSTRUCT template of the triples a solution makes (see `construct`)

    @property
    def construct(self) -> str:
        """Return the rule as a CONSTRUCT query: its triples come out of Oxigraph as pyoxigraph Triples.

        Same triples as `make` over the SELECT's solutions (a template triple with a literal subject is not
        produced), without a Python call and a Triple built per solution: on size S the rules' own Python time
        was as long as the queries'.
        """
        return f"CONSTRUCT {{ {self.template} }} WHERE {{ {{ {self.sparql} }} }}"


def _closure(start, table: dict) -> set:
    """Return `start` and every node reached from it through `table` (node -> set of nodes)."""
    seen, stack = {start}, [start]
    while stack:
        for nxt in table.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def _makers(schema: Schema, prop, direction: bool) -> list:
    """Return the atoms whose triples make a `prop` triple (in `direction`) in one step of prp-spo1/inv/symp."""
    atoms = [(sub, direction) for sub in schema.sub_property.get(prop, ())]
    atoms += [(inverse, not direction) for inverse in schema.inverse.get(prop, ())]
    if prop in schema.symmetric:
        atoms.append((prop, not direction))
    return atoms


def walk(schema: Schema, prop, *, through_transitive: bool = True) -> set:
    """Return the atoms (property, direction) whose triples make `prop` triples, `prop` itself included.

    With `through_transitive` false, the walk stops at a transitive property other than `prop` (its closure is
    computed on its own, and read as it stands): that atom is returned but not expanded.
    """
    start = (prop, FORWARD)
    atoms, stack = {start}, [start]
    while stack:
        atom = stack.pop()
        if not through_transitive and atom[0] in schema.transitive and atom[0] != prop:
            continue
        for nxt in _makers(schema, *atom):
            if nxt not in atoms and isinstance(nxt[0], ox.NamedNode):  # `[ owl:inverseOf p ]` has no name
                atoms.add(nxt)
                stack.append(nxt)
    return atoms


def term(node) -> str:
    """Return a named node or literal as SPARQL text (pyoxigraph's N-Triples form is valid SPARQL)."""
    return str(node)


def _path(atoms: Iterable) -> str:
    return "|".join(sorted(("^" if direction else "") + term(prop) for prop, direction in atoms))


def _named(nodes: Iterable) -> list:
    return sorted((node for node in nodes if isinstance(node, ox.NamedNode)), key=str)


def _usable_class(node) -> bool:
    return isinstance(node, ox.NamedNode) and node.value not in TRIVIAL_CLASSES and not node.value.startswith(XSD)


def _pair_query(path: str, target: str) -> str:
    # MINUS, not FILTER NOT EXISTS: on the observatory the anti-join is 30 times faster (0.28 s against 8 s).
    return f"SELECT ?s ?o WHERE {{ {{ SELECT DISTINCT ?s ?o WHERE {{ ?s {path} ?o }} }} MINUS {{ ?s {target} ?o }} }}"


def closure_rules(schema: Schema) -> list[Rule]:
    """Compile one rule per transitive property: its closure over everything that makes its triples."""
    rules = []
    for prop in _named(schema.transitive):
        atoms = walk(schema, prop)
        rules.append(_pair_rule("closure", prop, atoms, f"({_path(atoms)})+"))
    return rules


def property_rules(schema: Schema) -> list[Rule]:
    """Compile one rule per non-transitive property that other properties (or itself, if symmetric) make."""
    rules = []
    targets = set(schema.sub_property) | set(schema.inverse) | schema.symmetric
    for prop in _named(targets):
        if prop in schema.transitive or prop.value == RDF_TYPE:
            continue
        atoms = walk(schema, prop, through_transitive=False)
        if atoms == {(prop, FORWARD)}:
            continue
        rules.append(_pair_rule("property", prop, atoms, _path(atoms)))
    return rules


def _pair_rule(kind: str, prop, atoms, path: str) -> Rule:
    """Return the rule making `prop`'s (s, o) pairs from what `path` (over `atoms`) reaches."""
    reads = _reads(atoms)
    return Rule(
        f"{kind} {prop.value}",
        kind,
        _pair_query(path, term(prop)),
        reads,
        reads | {prop.value},
        _pair_maker(prop),
        prop.value,
        f"?s {term(prop)} ?o",
    )


def _reads(atoms: Iterable) -> frozenset:
    return frozenset(prop.value for prop, _ in atoms)


# Literal subjects (an inverse or a range over a datatype property) are dropped here: FILTER(!isLiteral(…)) in
# the queries made the type rule of agrs:Territory 5 times slower (10.8 s against 2.0 s).
def _pair_maker(prop) -> Callable:
    return lambda row: None if isinstance(row["s"], ox.Literal) else ox.Triple(row["s"], prop, row["o"])


def instances(schema: Schema, cls) -> tuple[list[str], frozenset, frozenset]:
    """Return the SPARQL group patterns binding ?x to the instances of `cls`, the predicates they read, their needs.

    Instances are those typed with a named sub-class (cax-sco), and the subjects (objects) of every property
    whose domain (range) is a sub-class (prp-dom, prp-rng), or of a property that makes its triples.
    """
    subclasses = _closure(cls, schema.sub_class)
    patterns, reads = [], set()
    typed = _named(subclasses)
    if typed:
        patterns.append(f"{{ VALUES ?d {{ {' '.join(map(term, typed))} }} ?x <{RDF_TYPE}> ?d }}")
        reads.add(RDF_TYPE)
    subjects, objects = set(), set()
    for axioms, side in ((schema.domain, FORWARD), (schema.range, INVERSE)):
        for prop, classes in axioms.items():
            if classes & subclasses and isinstance(prop, ox.NamedNode):
                atoms = walk(schema, prop)
                for atom_prop, direction in atoms:
                    (objects if direction != side else subjects).add(atom_prop)
    for atom_prop in _named(subjects):
        patterns.append(f"{{ ?x {term(atom_prop)} [] }}")
    for atom_prop in _named(objects):
        patterns.append(f"{{ [] {term(atom_prop)} ?x }}")
    reads |= {prop.value for prop in subjects | objects if isinstance(prop, ox.NamedNode)}
    needs = (reads - {RDF_TYPE}) | {("a", node.value) for node in typed}
    return patterns, frozenset(reads), frozenset(needs)


def _instance_query(patterns: list[str], target: str) -> str:
    union = "\n    UNION ".join(patterns)
    return f"SELECT ?x WHERE {{ {{ SELECT DISTINCT ?x WHERE {{\n    {union} }} }}\n  MINUS {{ {target} }} }}"


def type_rules(schema: Schema) -> list[Rule]:
    """Compile one rule per named class that has sub-classes, or is (above) a domain or a range."""
    classes = set(schema.sub_class)
    for axioms in (schema.domain, schema.range):
        for targets in axioms.values():
            classes |= targets
    # A class above a domain or a range: every super-class of one.
    supers = defaultdict(set)
    for parent, children in schema.sub_class.items():
        for child in children:
            supers[child].add(parent)
    reached = set()
    for cls in classes:
        reached |= _closure(cls, supers)
    rules = []
    for cls in _named(reached):
        if not _usable_class(cls):
            continue
        patterns, reads, needs = instances(schema, cls)
        if not patterns:
            continue
        sparql = _instance_query(patterns, f"?x <{RDF_TYPE}> {term(cls)}")
        needs |= {("a", cls.value)}
        rules.append(
            Rule(
                f"type {cls.value}",
                "type",
                sparql,
                reads,
                needs,
                _type_maker(cls),
                cls.value,
                f"?x <{RDF_TYPE}> {term(cls)}",
            )
        )
    return rules


def _type_maker(cls) -> Callable:
    rdf_type = ox.NamedNode(RDF_TYPE)
    return lambda row: None if isinstance(row["x"], ox.Literal) else ox.Triple(row["x"], rdf_type, cls)


def has_value_rules(schema: Schema) -> list[Rule]:
    """Compile one rule per (property, value) of the hasValue restrictions with a named property (cls-hv1)."""
    restrictions = defaultdict(list)  # (property, value) -> restrictions: several classes may fix the same value
    for restriction, value in schema.has_value.items():
        prop = schema.on_property.get(restriction)
        if isinstance(prop, ox.NamedNode) and not isinstance(value, ox.BlankNode):
            restrictions[(prop, value)].append(restriction)
    rules = []
    for (prop, value), nodes in sorted(restrictions.items(), key=lambda item: (str(item[0][0]), str(item[0][1]))):
        patterns, reads, needs = [], frozenset(), frozenset({prop.value})
        for node in nodes:
            more, more_reads, more_needs = instances(schema, node)
            patterns += [pattern for pattern in more if pattern not in patterns]
            reads, needs = reads | more_reads, needs | more_needs
        if not patterns:
            continue
        sparql = _instance_query(patterns, f"?x {term(prop)} {term(value)}")
        name = f"hasValue {prop.value} {value.value if isinstance(value, ox.NamedNode) else value}"
        rules.append(
            Rule(
                name,
                "hasValue",
                sparql,
                reads,
                needs,
                _value_maker(prop, value),
                prop.value,
                f"?x {term(prop)} {term(value)}",
            )
        )
    return rules


def _value_maker(prop, value) -> Callable:
    return lambda row: None if isinstance(row["x"], ox.Literal) else ox.Triple(row["x"], prop, value)


def schema_triples(schema: Schema, only: Sequence[str] | None = None) -> set:
    """Return the entailed subClassOf and subPropertyOf triples between named terms (scm-sco, scm-spo).

    The transitive closure of each hierarchy, without the reflexive triples and without what is asserted;
    with `only` (namespaces), the triples whose super-class or super-property is in one of them.
    """
    triples = set()
    for predicate, table in ((SUB_CLASS_OF, schema.sub_class), (SUB_PROPERTY_OF, schema.sub_property)):
        node = ox.NamedNode(predicate)
        for parent in _named(table):
            if not _in(parent.value, only):
                continue
            for child in _named(_closure(parent, table)):
                if child != parent and (child, predicate, parent) not in schema.asserted:
                    triples.add(ox.Triple(child, node, parent))
    return triples


def compile_rules(schema: Schema, only: Sequence[str] | None = None) -> tuple[list[Rule], list[Rule]]:
    """Return the closure rules (run first) and the other rules (property, type, hasValue), in a fixed order.

    With `only` (namespaces), the rules whose target is in one of them, and the closures those rules read.
    """
    others = property_rules(schema) + type_rules(schema) + has_value_rules(schema)
    others = [rule for rule in others if _in(rule.target, only)]
    read = set().union(*(rule.reads for rule in others))
    closures = [rule for rule in closure_rules(schema) if _in(rule.target, only) or rule.target in read]
    return closures, others


def _in(iri: str, namespaces: Sequence[str] | None) -> bool:
    return namespaces is None or any(iri.startswith(namespace) for namespace in namespaces)
