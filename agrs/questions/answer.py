"""A question's answer and its serialisations: SPARQL 1.1 Query Results JSON and CSV."""

import csv
import io
from dataclasses import dataclass

import pyoxigraph as ox

from agrs.questions.binding import XSD


@dataclass
class Answer:
    """A question's answer: SELECT rows (`variables`, `rows` of term-or-None), an ASK `boolean`, or triples.

    A CONSTRUCT answer has the variables subject, predicate, object and one row per triple.
    """

    variables: list[str]
    rows: list[dict[str, object]]
    boolean: bool | None = None

    def to_json(self) -> dict:
        """Return the answer as SPARQL 1.1 Query Results JSON (a dict ready for json.dumps)."""
        if self.boolean is not None:
            return {"head": {}, "boolean": self.boolean}
        bindings = [{name: term_json(term) for name, term in row.items() if term is not None} for row in self.rows]
        return {"head": {"vars": list(self.variables)}, "results": {"bindings": bindings}}

    def to_csv(self) -> str:
        """Return the answer as SPARQL 1.1 Query Results CSV (IRIs and lexical values, no datatypes)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        if self.boolean is not None:
            writer.writerow(["boolean"])
            writer.writerow(["true" if self.boolean else "false"])
            return out.getvalue()
        writer.writerow(self.variables)
        for row in self.rows:
            writer.writerow([_csv_value(row.get(name)) for name in self.variables])
        return out.getvalue()


def answer_of(result) -> Answer:
    """Return the Answer of a store's query results (solutions, boolean or triples; embedded or remote store)."""
    from agrs.store.results import is_boolean, is_triples

    if is_boolean(result):
        return Answer([], [], boolean=bool(result))
    if is_triples(result):
        rows = [{"subject": t.subject, "predicate": t.predicate, "object": t.object} for t in result]
        return Answer(["subject", "predicate", "object"], rows)
    variables = [variable.value for variable in result.variables]
    return Answer(variables, [{name: solution[name] for name in variables} for solution in result])


def term_json(term) -> dict:
    """Return one RDF term as a SPARQL JSON results binding object."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        item = {"type": "literal", "value": term.value}
        if term.language:
            item["xml:lang"] = term.language
        elif term.datatype.value != XSD + "string":
            item["datatype"] = term.datatype.value
        return item
    if isinstance(term, ox.Triple):
        parts = zip(("subject", "predicate", "object"), (term.subject, term.predicate, term.object), strict=True)
        return {"type": "triple", "value": {name: term_json(part) for name, part in parts}}
    raise TypeError(f"not an RDF term: {term!r}")


def _csv_value(term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term.value if isinstance(term, ox.NamedNode | ox.Literal) else str(term)
