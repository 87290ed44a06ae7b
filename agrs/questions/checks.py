"""The checks a question's SPARQL must pass when its file is read: valid, prefixes as in agrs/ns.py, parameters
reachable by the VALUES block, and still valid once bound. Each raises QuestionError naming the file."""

import re
from pathlib import Path
from typing import TYPE_CHECKING

from agrs.questions.errors import QuestionError
from agrs.questions.sparql_scan import code_tokens, prefix_declarations, projection, shape_of, subquery_projects

if TYPE_CHECKING:
    from agrs.questions.library import Question

#: a value of each type for binding every parameter in a trial (a parameter without default)
SAMPLES = {"iri": "https://w3id.org/agrs/id/sample", "integer": "1", "decimal": "1.5", "boolean": "true",
           "date": "2020-01-01"}  # fmt: skip


def check_sparql(text: str, path: Path, has_parameters: bool) -> tuple[str, list[str]]:
    """Check that the text is one valid SPARQL query (rdflib's parser, prefixes resolved); return form and variables.

    The variables are those a SELECT names, in order (none for SELECT * and ASK; subject, predicate, object for
    CONSTRUCT and DESCRIBE).
    """
    from agrs.sparql_text import translate_query

    variables = _engine_variables(text)
    try:
        # rdflib's parse (about a second for a question with label columns) only when the engine's is not enough:
        # a SERVICE, or a query the engine refuses (rdflib's error names the line).
        algebra = translate_query(text).algebra if variables is None else {"PV": variables}
    except Exception as error:  # pyparsing's ParseException, rdflib's errors on undeclared prefixes…
        line = getattr(error, "lineno", None)
        message = getattr(error, "msg", None) or str(error)
        raise QuestionError(f"not valid SPARQL: {message}", path, line) from None
    try:
        shape = shape_of(text)
    except ValueError as error:
        raise QuestionError(f"cannot find the query's WHERE group: {error}", path) from None
    if shape.short_construct and has_parameters:
        raise QuestionError("a CONSTRUCT WHERE { … } short form cannot take parameters: write the template", path)
    if shape.form == "SELECT":
        star = any(token.text == "*" for token in projection(text, shape))
        return shape.form, [] if star else [str(variable) for variable in algebra.get("PV", [])]
    return shape.form, (["subject", "predicate", "object"] if shape.form in ("CONSTRUCT", "DESCRIBE") else [])


def _engine_variables(text: str) -> list[str] | None:
    """Return the variables a SELECT projects, as the store's engine (pyoxigraph) parses it on an empty store.

    None when it cannot tell: a SERVICE (an empty store would try to reach it), a form other than SELECT, or a
    query the engine refuses (the caller then asks rdflib, whose error names the line).
    """
    import pyoxigraph as ox

    if re.search(r"\bSERVICE\b", text, re.IGNORECASE):
        return None
    try:
        answer = ox.Store().query(text)
    except Exception:  # SyntaxError and evaluation errors alike: rdflib decides
        return None
    from agrs.store.results import is_solutions

    if not is_solutions(answer):
        return None
    return [variable.value for variable in answer.variables]


def check_prefix_lines(text: str, path: Path) -> None:
    """Refuse a PREFIX line whose name agrs/ns.py binds to another namespace."""
    from agrs.ns import prefixes

    known = prefixes()
    for name, iri, line in prefix_declarations(text):
        if name == ":":  # the empty prefix lexes as punctuation
            continue
        prefix = name[:-1] if name.endswith(":") else None
        if prefix in known and iri is not None and iri[1:-1] != known[prefix]:
            raise QuestionError(f"PREFIX {prefix}: is <{known[prefix]}> in AGRS (agrs/ns.py), not {iri}", path, line)


def check_scope(question: "Question") -> None:
    """Refuse a parameter the outermost VALUES block cannot reach: used only in subqueries that do not project it.

    Such a binding would be silently ignored (the subquery's variable is another variable), so the question would
    answer for every value.
    """
    tokens = code_tokens(question.sparql)
    shape = shape_of(question.sparql)
    for parameter in question.parameters:
        occurrences = []  # for each use: whether every enclosing subquery projects the variable
        stack: list[bool] = []  # per open brace: True when it opens a subquery hiding the variable
        for i, token in enumerate(tokens):
            if token.start <= shape.group_open or token.start > shape.group_close:
                continue
            if token.text == "{":
                following = tokens[i + 1] if i + 1 < len(tokens) else None
                subquery = following is not None and following.kind == "word" and following.text.upper() == "SELECT"
                stack.append(subquery and not subquery_projects(tokens, i + 1, parameter.variable))
            elif token.text == "}":
                if stack:
                    stack.pop()
            elif token.kind == "var" and token.text[1:] == parameter.variable:
                occurrences.append(not any(stack))
        if occurrences and not any(occurrences):
            raise QuestionError(f"parameter ?{parameter.variable} is used only inside subqueries that do not project "
                                "it: the VALUES block of the outermost group cannot reach it (project it)",
                                question.path)  # fmt: skip


def check_binding(question: "Question") -> None:
    """Bind every parameter to a sample value and parse the result: the VALUES block must land where it is valid."""
    if not question.parameters:
        return
    from agrs.sparql_text import parse_query

    values = {p.name: p.default or SAMPLES.get(p.type, "sample") for p in question.parameters}
    bound = question.sparql_for(values, limit=2, offset=1)
    try:
        if re.search(r"\bSERVICE\b", bound, re.IGNORECASE):
            parse_query(bound)  # an empty store would try to reach the service: rdflib's parser only
        else:
            # The engine's own parser, on an empty in-memory store: milliseconds, where rdflib's parse of a
            # question with label columns takes about a second.
            import pyoxigraph as ox

            answer = ox.Store().query(bound)
            from agrs.store.results import is_boolean

            if not is_boolean(answer):
                list(answer)
    except Exception as error:
        message = f"the query with its parameters bound is not valid SPARQL: {error}"
        raise QuestionError(message, question.path) from None
