"""The library of stored questions: `queries/cq/*.rq`, grlc-style parameterised SPARQL, parsed strictly.

A question file is plain SPARQL (runnable as-is in any endpoint) opening with a header of `#+ ` lines holding
YAML (the grlc convention): `summary`, `summary_fr`, `description`, `description_fr`, `tags` (required),
`method`, `pagination`, `defaults`, `enumerate`, `params` (optional). Any other key is an error naming the file
and line, and so are the grlc keys AGRS does not use (`endpoint`, `transform`, `endpoint_in_url`).

Parameters are the query's `?_name_type` (required) and `?__name_type` (optional) variables, type one of
`iri`, `literal`, `integer`, `decimal`, `boolean`, `date`, `en`, `fr` (no known suffix: `literal`). An unbound
parameter matches anything, so the file answers for every value when run as it is. A value is bound as an RDF
term serialised here, after validation, in a `VALUES` block inserted as the first element of the outermost
WHERE group: never spliced as text, and before any GROUP BY (a trailing VALUES would be joined after the
aggregation). Anything that is not a well-formed term of the parameter's type is refused (`ParameterError`).

    library = load_library()                       # {stem: Question}; QuestionError on a bad file
    sparql = library["cq01-…"].bind({"territory": "https://w3id.org/agrs/id/commune/33063"})
    answer = library["cq01-…"].run(store, {"territory": "…"}, limit=10)   # Answer(variables, rows)
    answer.to_json()                               # SPARQL 1.1 JSON results (a dict)

The modules, one job each: errors (the two exceptions), header (the `#+` YAML header), sparql_scan (the lexer
finding variables and the outermost WHERE group), parameters (the grlc variables), binding (values → RDF terms →
VALUES block; paging), checks (what a file's SPARQL must pass), answer (results and their JSON/CSV), library
(Question, reading files, running), federated (questions that call other endpoints: queries/federated/, the
`endpoints:` header key, the allowlist).
"""

from agrs.questions.answer import Answer, answer_of, term_json
from agrs.questions.binding import TYPES, XSD, describe_terms, paginate
from agrs.questions.errors import ParameterError, QuestionError
from agrs.questions.federated import Endpoint, FederationNotAllowed, allowed, load_federated
from agrs.questions.header import OPTIONAL_KEYS, REQUIRED_KEYS, UNSUPPORTED_KEYS
from agrs.questions.library import Question, load_library, parse_question
from agrs.questions.parameters import Parameter, split_variable

__all__ = [
    "OPTIONAL_KEYS",
    "REQUIRED_KEYS",
    "TYPES",
    "UNSUPPORTED_KEYS",
    "XSD",
    "Answer",
    "Endpoint",
    "FederationNotAllowed",
    "Parameter",
    "ParameterError",
    "Question",
    "QuestionError",
    "allowed",
    "answer_of",
    "describe_terms",
    "load_federated",
    "load_library",
    "paginate",
    "parse_question",
    "split_variable",
    "term_json",
]
