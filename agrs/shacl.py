"""The one SHACL validator: pySHACL run once, and its report read into plain records.

Every validation of AGRS goes through `validate` — the loads' gate, the Graph Store's gate (agrs.validate), the
ontology check's meta-shapes and its SHACL-for-SHACL check (agrs.checks.shapes) — and every reader of a report
reads `ValidationResult` records, never the report graph. pySHACL's verdicts are the reference: a faster
validator can later stand behind `validate` as long as it gives the same records (focus node, path, value,
constraint component, source shape, severity, messages).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.resources import files

from pyshacl import validate as pyshacl_validate
from rdflib import BNode, Graph, Literal
from rdflib.namespace import RDF, SH
from rdflib.term import Node, URIRef

from agrs.ns import bind_all, curie
from agrs.sparql_text import translate_query

Triple = tuple[Node, Node, Node]


@dataclass(frozen=True)
class ValidationResult:
    """One sh:ValidationResult, as plain data.

    `path` is the sh:resultPath (an IRI, or a blank node for a complex path whose description is `path_triples`).
    """

    focus: Node
    severity: URIRef
    path: Node | None = None
    value: Node | None = None
    component: URIRef | None = None
    shape: Node | None = None
    messages: tuple[Literal, ...] = ()
    path_triples: tuple[Triple, ...] = field(default=(), compare=False)
    # A result nested under another one (pySHACL's sh:detail of a failed sh:node), not a result of the report.
    detail: bool = field(default=False, compare=False)

    @property
    def is_violation(self) -> bool:
        """Whether the result rejects its focus node (sh:Violation); warnings and infos do not."""
        return self.severity == SH.Violation

    def text(self, default: str = "does not conform to the shapes") -> str:
        """Return the message as one line: the English one, then the French one (`en / fr`).

        pySHACL drops the language tags of messages it fills in (a SPARQL constraint's `{?end}`): untagged
        messages are then all kept, in a stable order, rather than one picked at random.
        """
        english = [str(m) for m in self.messages if isinstance(m, Literal) and m.language == "en"]
        french = [str(m) for m in self.messages if isinstance(m, Literal) and m.language == "fr"]
        other = [str(m) for m in self.messages if not (isinstance(m, Literal) and m.language in ("en", "fr"))]
        return " / ".join([*english[:1], *french[:1]]) or " / ".join(sorted(other)) or default

    def english(self, default: str = "constraint not met") -> str:
        """Return the English message, else the first one, else `default`."""
        for message in self.messages:
            if isinstance(message, Literal) and message.language == "en":
                return str(message)
        return str(self.messages[0]) if self.messages else default

    def path_text(self) -> str | None:
        """Return the path as a CURIE (`agrs:basedIn`), `<iri>` outside the known namespaces, or None."""
        if self.path is None:
            return None
        if isinstance(self.path, BNode):
            return "(complex path)"
        return curie(str(self.path)) or f"<{self.path}>"

    def shape_name(self) -> str | None:
        """Return the last segment of the source shape's IRI (`Territory-hasLevel`), or None for a blank shape."""
        return local_name(self.shape) if isinstance(self.shape, URIRef) else None


@dataclass
class ValidationReport:
    """A validation's verdict and its results."""

    conforms: bool
    results: list[ValidationResult]

    def graph(self) -> Graph:
        """Return the report as a SHACL validation report graph, with the project's prefixes."""
        return report_graph(self.results, self.conforms)


class DataGraph(Graph):
    """A data graph whose SPARQL queries are parsed once per text.

    pySHACL runs a SPARQL constraint once per focus node with the same text (and the node as a binding), and
    rdflib would parse it every time (0.1 s each: a load of 2,000 dated records spent 90 % of its time parsing
    one query). Parsing goes through agrs.sparql_text's lock, since the server validates in request threads.
    """

    def __init__(self):
        super().__init__()
        self._prepared: dict[str, object] = {}

    def query(self, query_object, *args, **kwargs):
        """Run a query like rdflib does, reusing the translated algebra of a query text seen before."""
        if isinstance(query_object, str):
            prepared = self._prepared.get(query_object)
            if prepared is None:
                prepared = self._prepared[query_object] = translate_query(query_object)
            query_object = prepared
        return super().query(query_object, *args, **kwargs)


def validate(data: Graph, shapes: Graph, *, inplace: bool = True, allow_warnings: bool = False) -> ValidationReport:
    """Validate `data` against `shapes` with pySHACL (no inference, SHACL-AF on) and return its report.

    `inplace`: the data graph is not copied first (pySHACL would, for nothing: no inference runs, so it does not
    change the data; the copy was about half of a 5,000-observation batch's time). `allow_warnings`: results of
    severity sh:Warning or sh:Info do not break conformance.
    """
    conforms, report, _ = pyshacl_validate(
        data, shacl_graph=shapes, inference="none", advanced=True, inplace=inplace, allow_warnings=allow_warnings
    )
    return ValidationReport(bool(conforms), results_of(report))


def validate_store(store, plan, *, focus=None, shapes: Graph | None = None) -> ValidationReport:
    """Validate a pyoxigraph store's default graph with a compiled plan (agrs.shacl_fast), or pySHACL as fallback.

    `plan` comes from `agrs.shacl_fast.compile_shapes` (or `Resources.shacl_plan`). When it lists unsupported
    constructs, the store's default graph is copied into an rdflib graph and validated with pySHACL against
    `shapes` (the plan's own shapes graph when not given); `focus` then keeps the results about those focus nodes.
    """
    if not plan.unsupported:
        return plan.validate(store, focus=focus)
    import pyoxigraph

    from agrs.store.terms import triple_to_rdflib

    data = DataGraph()
    for quad in store.quads_for_pattern(None, None, None, pyoxigraph.DefaultGraph()):
        data.add(triple_to_rdflib(quad.triple))
    report = validate(data, shapes if shapes is not None else plan.shapes_graph)
    if focus is None:
        return report
    focus = set(focus)
    results = [result for result in report.results if result.focus in focus]
    return ValidationReport(not results, results)


def results_of(report: Graph) -> list[ValidationResult]:
    """Read every sh:ValidationResult of a SHACL report graph into records."""
    results = []
    details = set(report.objects(None, SH.detail))
    for node in report.subjects(RDF.type, SH.ValidationResult):
        value = report.value
        path = value(node, SH.resultPath)
        results.append(
            ValidationResult(
                focus=value(node, SH.focusNode),
                severity=value(node, SH.resultSeverity),
                path=path,
                value=value(node, SH.value),
                component=value(node, SH.sourceConstraintComponent),
                shape=value(node, SH.sourceShape),
                messages=tuple(sorted(report.objects(node, SH.resultMessage), key=_message_key)),
                path_triples=tuple(_description(report, path)) if isinstance(path, BNode) else (),
                detail=node in details,
            )
        )
    return results


def report_graph(results: Iterable[ValidationResult], conforms: bool) -> Graph:
    """Return a SHACL validation report graph holding `results`."""
    graph = Graph()
    bind_all(graph)
    report = BNode()
    graph.add((report, RDF.type, SH.ValidationReport))
    graph.add((report, SH.conforms, Literal(conforms)))
    for result in results:
        node = BNode()
        graph.add((report, SH.result, node))
        graph.add((node, RDF.type, SH.ValidationResult))
        for prop, term in (
            (SH.focusNode, result.focus), (SH.resultSeverity, result.severity), (SH.resultPath, result.path),
            (SH.value, result.value), (SH.sourceConstraintComponent, result.component),
            (SH.sourceShape, result.shape),
        ):  # fmt: skip
            if term is not None:
                graph.add((node, prop, term))
        for message in result.messages:
            graph.add((node, SH.resultMessage, message))
        for triple in result.path_triples:
            graph.add(triple)
    return graph


def shacl_shacl() -> Graph:
    """Return the W3C SHACL-for-SHACL shapes graph (shipped with pySHACL): what a valid shapes graph is."""
    return Graph().parse(str(files("pyshacl") / "assets" / "shacl-shacl.ttl"), format="turtle")


def local_name(node: Node) -> str:
    """Return the last segment of an IRI (after the last `/` or `#`)."""
    return str(node).rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _message_key(message: Node) -> tuple[str, str]:
    return (getattr(message, "language", None) or "", str(message))


def _description(graph: Graph, node: Node) -> list[Triple]:
    """Return `node`'s outgoing triples, following blank nodes (a complex path's structure)."""
    found, todo, seen = [], [node], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for _, predicate, object_ in graph.triples((current, None, None)):
            found.append((current, predicate, object_))
            if isinstance(object_, BNode):
                todo.append(object_)
    return found
