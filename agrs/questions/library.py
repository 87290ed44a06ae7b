"""The library of stored questions: `Question` (header, SPARQL, parameters), reading files, running on a store."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from agrs.questions.answer import Answer, answer_of
from agrs.questions.binding import insert_values, paginate
from agrs.questions.checks import check_binding, check_prefix_lines, check_scope, check_sparql
from agrs.questions.errors import ParameterError, QuestionError
from agrs.questions.federated import Endpoint, allowlist_from_environment, check_allowed, check_services, rebind_service
from agrs.questions.header import check_header, compose_header, header_text
from agrs.questions.parameters import Parameter, declared_parameters
from agrs.questions.sparql_scan import shape_of, variables_of
from agrs.store.base import Dataset


@dataclass
class Question:
    """A stored question: its header, its SPARQL text as written, its parameters."""

    name: str  # the file stem, also the API path /api/<name>
    path: Path
    sparql: str
    summary: str
    summary_fr: str
    description: str
    description_fr: str
    tags: list[str]
    method: str = "GET"
    pagination: int | None = None
    parameters: list[Parameter] = field(default_factory=list)
    form: str = "SELECT"
    #: the variables a SELECT names, in order (empty for ASK and for SELECT *; subject, predicate, object for
    #: CONSTRUCT and DESCRIBE)
    variables: list[str] = field(default_factory=list)
    #: the endpoints a federated question calls with SERVICE (agrs.questions.federated); empty for the others
    endpoints: list[Endpoint] = field(default_factory=list)

    @property
    def federated(self) -> bool:
        """Whether the question calls other endpoints (SERVICE): it then runs only under a federation allowlist."""
        return bool(self.endpoints)

    def endpoints_for(self, values: Mapping[str, object] | None = None) -> list[str]:
        """Return the IRIs of the endpoints the question bound with `values` calls (its `<name>_endpoint` values)."""
        terms = self.terms(values)
        return [terms[e.parameter].value if e.parameter in terms else e.iri for e in self.endpoints]

    def parameter(self, name: str) -> Parameter:
        """Return the named parameter (ParameterError when the question has none of that name)."""
        for parameter in self.parameters:
            if parameter.name == name:
                return parameter
        known = ", ".join(p.name for p in self.parameters) or "none"
        raise ParameterError(f"{self.name} has no parameter {name!r} (its parameters: {known})")

    def terms(self, values: Mapping[str, object] | None = None) -> dict[str, ox.NamedNode | ox.Literal]:
        """Return {parameter name: term} for `values` plus defaults; ParameterError on a bad or missing value.

        A value of None or "" leaves the parameter unset (its default applies, if any).
        """
        values = dict(values or {})
        for name in values:
            self.parameter(name)
        terms, missing = {}, []
        for parameter in self.parameters:
            value = values.get(parameter.name)
            if value is None or value == "":
                value = parameter.default
            if value is None:
                if parameter.required:
                    missing.append(parameter.name)
                continue
            terms[parameter.name] = parameter.term(value)
        if missing:
            raise ParameterError(f"{self.name} needs a value for: {', '.join(missing)}")
        return terms

    def bind(self, values: Mapping[str, object] | None = None) -> str:
        """Return the SPARQL text with `values` (and defaults) bound by a VALUES block opening the WHERE group."""
        terms = self.terms(values)
        parameters = {name: self.parameter(name) for name in terms}
        values_of = ((parameters[name].variable, term) for name, term in terms.items() if not parameters[name].endpoint)
        sparql = insert_values(self.sparql, values_of)
        # An endpoint is a SERVICE target, which must be a constant: its value is written in place of the IRI.
        for name, term in terms.items():
            if parameters[name].endpoint and term.value != parameters[name].endpoint:
                sparql = rebind_service(sparql, parameters[name].endpoint, term.value)
        return sparql

    def sparql_for(self, values: Mapping[str, object] | None = None, *, limit: int | None = None,
                   offset: int = 0) -> str:  # fmt: skip
        """Return the bound SPARQL text, restricted to `limit` rows from `offset` (SELECT only)."""
        sparql = self.bind(values)
        if (limit is None and not offset) or self.form != "SELECT":
            return sparql
        return paginate(sparql, limit, offset)

    def run(self, store, values: Mapping[str, object] | None = None, *, limit: int | None = None, offset: int = 0,
            graphs: Iterable[str] | None = None, infer: bool = True,
            allowlist: Iterable[str] | None = None) -> Answer:  # fmt: skip
        """Run the question on `store` (an agrs Store) and return its Answer.

        The default graph is the union of the current graphs (the inferred ones unless `infer` is false), or of
        `graphs` if given. A federated question runs only when `allowlist` (default: $AGRS_FEDERATION_ALLOWLIST)
        covers every endpoint it calls (FederationNotAllowed otherwise): the store's engine calls them itself.
        """
        if self.federated:
            allowed = tuple(allowlist) if allowlist is not None else allowlist_from_environment()
            check_allowed(self, values, allowed)
        sparql = self.sparql_for(values, limit=limit, offset=offset)
        dataset = Dataset(default=tuple(graphs)) if graphs is not None else Dataset(infer=infer)
        return answer_of(store.query(sparql, dataset=dataset))

    def enumeration_query(self, name: str, limit: int = 1000) -> str:
        """Return a query listing the distinct values the data gives parameter `name` (grlc's `enumerate`)."""
        variable = self.parameter(name).variable
        shape = shape_of(self.sparql)
        prologue = self.sparql[: shape.form_start]
        group = self.sparql[shape.group_open : shape.group_close + 1]
        return (
            f"{prologue}SELECT DISTINCT ?{variable} WHERE {{\n{group}\nFILTER(BOUND(?{variable}))\n}}\n"
            f"ORDER BY ?{variable}\nLIMIT {int(limit)}\n"
        )


def parse_question(path: str | Path, text: str | None = None, *, check_prefixes: bool = True) -> Question:
    """Read and check one question file; QuestionError (file:line: message) on anything wrong."""
    path = Path(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise QuestionError(f"cannot read the file: {error}", path) from error
    header, header_lines = header_text(text, path)
    mapping = compose_header(header, path)
    parameters = declared_parameters(variables_of(text), path)
    fields = check_header(mapping, parameters, path, header_lines)
    form, projected = check_sparql(text, path, bool(parameters))
    if check_prefixes:
        check_prefix_lines(text, path)
    check_services(text, fields["endpoints"], path)
    question = Question(name=path.stem, path=path, sparql=text, parameters=fields.pop("parameters"), form=form,
                        variables=projected, **fields)  # fmt: skip
    check_scope(question)
    check_binding(question)
    return question


def load_library(folder: str | Path | None = None, *, allowlist: Iterable[str] = ()) -> dict[str, Question]:
    """Return {stem: Question} for `folder`/*.rq (default: the packaged queries/cq/); QuestionError on a bad file.

    With the default folder, the federated questions (queries/federated/) join the library only when `allowlist`
    (a federation allowlist) is not empty: off by default. A folder named by the caller is read as it is.
    """
    if folder is None:
        from agrs.paths import queries_dir

        library = load_library(queries_dir() / "cq")
        if tuple(allowlist):
            library.update(load_library(queries_dir() / "federated"))
        return library
    folder = Path(folder)
    return {path.stem: parse_question(path) for path in sorted(folder.glob("*.rq"))}
