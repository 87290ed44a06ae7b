"""A fast SHACL validator over a pyoxigraph store, whose verdicts are pySHACL's.

    plan = compile_shapes(shapes_graph)        # once; pure, reusable, thread-safe
    if not plan.unsupported:
        report = plan.validate(store)           # the store's default graph is the data graph
        report = plan.validate(store, focus={URIRef(...)})   # results about these focus nodes only

The shapes are compiled once (agrs.shacl_fast.compile); a validation reads the store set at a time and checks the
constraints in Python the way pySHACL does (agrs.shacl_fast.engine). `plan.unsupported` names the constructs the
engine does not evaluate (recursive shapes, SHACL rules, custom constraint components, sh:expression…): the caller
then validates with pySHACL (agrs.shacl.validate), which stays the reference.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import BNode, Graph
from rdflib.term import Node

from agrs.shacl import ValidationReport, ValidationResult, _description, _message_key
from agrs.shacl_fast.compile import Compiler, Shape, key
from agrs.shacl_fast.engine import Data, Evaluator


@dataclass
class Plan:
    """The compiled shapes of one shapes graph; `validate` runs them on a store."""

    shapes: dict[Node, Shape]
    unsupported: list[str]
    shapes_graph: Graph = field(repr=False)
    _paths: dict = field(default_factory=dict, repr=False)

    def validate(self, data: ox.Store, *, focus: Iterable[Node] | None = None) -> ValidationReport:
        """Validate the store's default graph; with `focus`, keep the results about those focus nodes only.

        Raises ValueError when the plan has unsupported constructs (the caller must use pySHACL then).
        """
        if self.unsupported:
            raise ValueError("shapes use constructs the fast engine does not evaluate: " + ", ".join(self.unsupported))
        focus_terms = None if focus is None else {key(node) for node in focus}
        evaluator = Evaluator(self.shapes, Data(data))
        raw = evaluator.run(focus_terms)
        results: list[ValidationResult] = []
        # Not deduplicated: pySHACL reports a focus node reached through two shapes sharing a property shape twice.
        self._add(evaluator, raw, results, detail=False)
        return ValidationReport(not results, results)

    def _add(self, evaluator: Evaluator, raw: list, results: list, *, detail: bool) -> None:
        """Append raw results as records, each followed by its details (the results of a failed sh:node)."""
        rdflib = evaluator.data.rdflib
        for focus_node, path, value, component, shape, severity, messages, details in raw:
            results.append(
                ValidationResult(
                    focus=rdflib(focus_node),
                    severity=severity,
                    path=path,
                    value=None if value is None else rdflib(value),
                    component=component,
                    shape=shape,
                    messages=tuple(sorted(messages, key=_message_key)),
                    path_triples=self._path_triples(path),
                    detail=detail,
                )
            )
            if details:
                self._add(evaluator, details, results, detail=True)

    def _path_triples(self, path: Node | None) -> tuple:
        if not isinstance(path, BNode):
            return ()
        found = self._paths.get(path)
        if found is None:
            found = self._paths[path] = tuple(_description(self.shapes_graph, path))
        return found


def compile_shapes(shapes: Graph) -> Plan:
    """Compile a shapes graph into a Plan (see the module's docstring)."""
    compiler = Compiler(shapes)
    compiled = compiler.compile()
    return Plan(compiled, compiler.unsupported, shapes)


__all__ = ["Plan", "compile_shapes"]
