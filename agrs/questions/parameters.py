"""A question's parameters: the grlc variables `?_name_type` (required) and `?__name_type` (optional)."""

import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from agrs.questions.binding import TYPES, term_of
from agrs.questions.errors import ParameterError, QuestionError

NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def split_variable(variable: str) -> tuple[str, str, bool] | None:
    """Return (name, type, required) of a grlc parameter variable (`_name_type`, `__name_type`), else None."""
    if not variable.startswith("_"):
        return None
    required = not variable.startswith("__")
    stem = variable[1:] if required else variable[2:]
    head, _, suffix = stem.rpartition("_")
    if head and suffix in TYPES:
        return head, suffix, required
    return stem, "literal", required


@dataclass(frozen=True)
class Parameter:
    """One parameter of a question: `?_name_type` (required) or `?__name_type` (optional)."""

    name: str
    type: str
    required: bool
    default: str | None = None
    description: str | None = None
    description_fr: str | None = None
    enumerate: bool = False
    #: the SPARQL variable, without `?` (`_name_type`, `__name_type`, or `_name` for an unsuffixed literal)
    variable: str = ""
    #: for the parameter of a federated question's endpoint (agrs.questions.federated): the IRI its SERVICE
    #: clauses write, which a value replaces (no VALUES block: a SERVICE target must be a constant)
    endpoint: str | None = None

    def __post_init__(self):
        if not self.variable:
            object.__setattr__(self, "variable", ("_" if self.required else "__") + f"{self.name}_{self.type}")

    def term(self, value) -> ox.NamedNode | ox.Literal:
        """Return the RDF term of `value` for this parameter; ParameterError when it is not a valid one."""
        try:
            return term_of(value, self.type)
        except ValueError as error:
            raise ParameterError(f"parameter {self.name} ({self.type}): {error}") from None


def declared_parameters(variables: dict[str, int], path: Path) -> dict[str, Parameter]:
    """Return the parameters the query's `?_…` variables declare, by name; conflicting spellings are errors.

    `variables` maps each variable of the query to the line of its first use (for the messages).
    """
    parameters: dict[str, Parameter] = {}
    for variable, line in variables.items():
        split = split_variable(variable)
        if split is None:
            continue
        name, type_, required = split
        if not NAME_PATTERN.fullmatch(name):
            raise QuestionError(f"?{variable}: a parameter name must be a letter then letters, digits or _",
                                path, line)  # fmt: skip
        parameter = Parameter(name, type_, required, variable=variable)
        other = parameters.get(name)
        if other is not None and other.variable != parameter.variable:
            raise QuestionError(f"?{variable} and ?{other.variable} name the same parameter {name!r} differently",
                                path, line)  # fmt: skip
        parameters[name] = parameter
    return parameters
