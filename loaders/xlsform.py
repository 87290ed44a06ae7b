"""Read an XLSForm questionnaire (`survey`, `choices`, `settings` sheets) that carries the `agrs_term` column.

The form says how to read a response table (question names, groups, labels, choice lists) and what each
question is about: `agrs_term` maps a question, a group or a choice to an ontology term (CURIE or IRI). A group
whose term is a survey point (`survey-point:commons-needs`…) holds the survey's questions; outside such groups
the terms `agrs:Respondent` (the respondent's id), `agrs:actorType` and `agrs:territory` describe the
respondent, and `schema:name`, `schema:email`, `schema:telephone` mark identifying answers that are never
stored. A `select_one` question whose term is `agrs:spatialScale` or `agrs:timeHorizon` places the question
before it in the same group on a scale.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, SDO

from agrs.loaders.tabular import Workbook, normalise
from agrs.ns import AGRS, BASE, SRC, SURVEY_POINT, prefixes
from agrs.paths import ontology_dir
from agrs.records import ReadError

SCHEMA = str(SDO)
#: the sheets that make a workbook an XLSForm (`settings` is optional)
FORM_SHEETS = ("survey", "choices")
#: terms marking an identifying answer: read to be dropped, never stored
PERSONAL_TERMS = frozenset(URIRef(SCHEMA + name) for name in ("name", "email", "telephone", "givenName", "familyName"))
#: term → the role of a question outside the survey's points
PROFILE_ROLES = {AGRS.Respondent: "respondent_id", AGRS.actorType: "actor_type", AGRS.territory: "territory"}
SCALE_ROLES = {AGRS.spatialScale: "spatial", AGRS.timeHorizon: "temporal"}
#: XLSForm types that collect no answer from the respondent
NO_ANSWER = {"start", "end", "today", "deviceid", "note", "calculate", "username", "phonenumber", "audit",
             "subscriberid", "simserial", "start-geopoint", "hidden"}  # fmt: skip
GROUP_START, GROUP_END = ("begin_group", "begin_repeat"), ("end_group", "end_repeat")
LANGUAGE_NAMES = {"french": "fr", "francais": "fr", "english": "en", "anglais": "en"}
FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
#: one comparison of a relevant expression: ${q} = 'v', ${q} != 'v', selected(${q}, 'v')
CONDITION = re.compile(
    r"\s*(?:selected\(\s*\$\{(?P<sq>[^}]+)\}\s*,\s*'(?P<sv>[^']*)'\s*\)|\$\{(?P<q>[^}]+)\}\s*(?P<op>!?=)\s*'(?P<v>[^']*)')\s*"
)
#: one comparison of a numeric constraint: . >= 0
BOUND = re.compile(r"\s*\.\s*(?P<op><=|>=|<|>|=|!=)\s*(?P<n>-?[0-9]+(?:\.[0-9]+)?)\s*")


@dataclass
class Choice:
    """One choice of a list: its name (the code stored in exports), its labels by language, its concept."""

    name: str
    labels: dict[str, str]
    term: URIRef | None


@dataclass
class Question:
    """One row of the survey sheet that collects an answer."""

    name: str
    type: str  # the base type: text, integer, decimal, date, select_one, select_multiple…
    list_name: str | None
    labels: dict[str, str]
    groups: list[tuple[str, dict[str, str]]]  # enclosing groups: (name, labels), outermost first
    row: int
    term: URIRef | None = None
    role: str = "ignored"  # question, respondent_id, actor_type, territory, personal, spatial, temporal, ignored
    point: URIRef | None = None
    required: bool = False
    relevant: str = ""
    constraint: str = ""
    constraint_message: str = ""
    qualifies: str | None = None  # for a scale question: the question it places on a scale
    repeat: str | None = None  # the repeat group it is in: answered once per instance of the repeat
    scales: dict[str, str] = field(default_factory=dict)  # for a question: "spatial"/"temporal" → scale question


@dataclass
class Form:
    """A parsed XLSForm: settings, questions in form order, choice lists."""

    file: str
    form_id: str
    title: str
    version: str
    campaign: str
    questions: dict[str, Question]
    choices: dict[str, list[Choice]]
    repeats: dict[str, dict[str, str]] = field(default_factory=dict)  # repeat group name → its labels

    def by_role(self, role: str) -> Question | None:
        """Return the first question with `role` (respondent_id, actor_type, territory), or None."""
        return next((q for q in self.questions.values() if q.role == role), None)

    def choice(self, question: Question, value: str) -> Choice | None:
        """Return the choice of `question` named, or labelled (any language, loosely), `value`."""
        options = self.choices.get(question.list_name or "", [])
        for option in options:
            if option.name == value:
                return option
        wanted = normalise(value)
        return next((o for o in options if wanted in {normalise(label) for label in o.labels.values()}), None)

    def asked_of(self, question: Question) -> list[URIRef]:
        """Return the actor types a question is put to: those its `relevant` names, else every actor type."""
        actor = self.by_role("actor_type")
        if actor is None:
            return []
        options = self.choices.get(actor.list_name or "", [])
        chosen: list[Choice] = []
        for chain in clauses(question.relevant) or [[]]:
            named = {c["v"] or c["sv"] for c in chain if (c["q"] or c["sq"]) == actor.name and c["op"] != "!="}
            if not named:
                return [o.term for o in options if o.term is not None]  # a clause open to every actor type
            chosen += [o for o in options if o.name in named and o not in chosen]
        return [o.term for o in options if o in chosen and o.term is not None]


def conditions(expression: str) -> list[re.Match] | None:
    """Split an `and` chain of comparisons into its comparisons, or None when it is not one.

    Only `${q} = 'v'`, `${q} != 'v'` and `selected(${q}, 'v')` are understood, joined by `and`; see `clauses`
    for `or`.
    """
    if not expression.strip():
        return []
    found = []
    for part in re.split(r"\band\b", _unwrap(expression)):
        match = CONDITION.fullmatch(_unwrap(part))
        if match is None:
            return None
        found.append(match)
    return found


def clauses(expression: str) -> list[list[re.Match]] | None:
    """Split a relevant expression into `or`-ed `and` chains of comparisons (disjunctive normal form).

    `${a} = 'x' or (${b} = 'y' and selected(${c}, 'z'))` gives two clauses; the question is relevant when every
    comparison of one clause holds. An empty expression is one empty clause (always relevant). None when the
    expression is anything else (nested `or` inside `and`, arithmetic, other functions): the caller then treats
    the question as possibly relevant.
    """
    if not expression.strip():
        return [[]]
    found = []
    for part in re.split(r"\bor\b", _unwrap(expression)):
        chain = conditions(part)
        if not chain:
            return None
        found.append(chain)
    return found


def _unwrap(text: str) -> str:
    """Remove parentheses around a whole expression: `(${a} = 'x')` → `${a} = 'x'` (not those of selected(…))."""
    text = text.strip()
    while text.startswith("(") and text.endswith(")"):
        depth = 0
        for index, char in enumerate(text):
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth == 0 and index < len(text) - 1:
                return text  # the first parenthesis closes before the end: not one wrapping pair
        text = text[1:-1].strip()
    return text


def bounds(constraint: str) -> list[tuple[str, float]] | None:
    """Parse a numeric constraint (`. >= 0 and . <= 100`) into (operator, number) pairs; None when not one."""
    if not constraint.strip():
        return []
    found = []
    for part in re.split(r"\band\b", constraint):
        match = BOUND.fullmatch(part)
        if match is None:
            return None
        found.append((match["op"], float(match["n"])))
    return found


def _language(header: str) -> str | None:
    """Return the language of a `label::French (fr)` style header: the code in parentheses, else by name."""
    _, _, suffix = header.partition("::")
    code = re.search(r"\(([A-Za-z-]+)\)", suffix)
    if code:
        return code.group(1).lower()
    return LANGUAGE_NAMES.get(normalise(suffix), normalise(suffix) or None)


def _table(workbook: Workbook, sheet) -> list[tuple[int, dict[str, str]]]:
    """Return the non-empty rows of a sheet as (row number, {header: text}); headers keep their case."""
    rows = list(workbook.rows(sheet))
    if not rows:
        return []
    header = [cell.strip() for cell in rows[0].cells]
    return [(row.line, dict(zip(header, row.cells, strict=False))) for row in rows[1:]]


def _labels(row: dict[str, str], column: str, default: str) -> dict[str, str]:
    """Return {language: text} of the `column` (label, hint, constraint_message…) columns of a row."""
    labels = {}
    for header, value in row.items():
        base = header.split("::", 1)[0].strip().lower()
        if base == column and value:
            labels[_language(header) if "::" in header else default] = value
    return labels


def ontology_terms(graph: Graph) -> frozenset[URIRef]:
    """Return the AGRS terms a graph describes: IRIs in the AGRS namespace, not ontology documents or sources."""
    documents = set(graph.subjects(RDF.type, OWL.Ontology))
    return frozenset(
        node for node in graph.subjects()
        if isinstance(node, URIRef) and node.startswith(BASE) and not node.startswith(SRC) and node not in documents
    )  # fmt: skip


class TermResolver:
    """Expands CURIEs and IRIs of the `agrs_term` column and checks that AGRS terms exist in the ontology."""

    def __init__(self, folder: Path | None = None, *, terms: frozenset[URIRef] | None = None):
        if terms is None:
            # Alone, without the pipeline's merged ontology: the files that declare AGRS terms.
            folder = folder or ontology_dir()
            graph = Graph()
            for module in sorted([*(folder / "modules").glob("*.ttl"), *(folder / "alignments").glob("*.ttl")]):
                graph.parse(module, format="turtle")
            terms = ontology_terms(graph)
        self.known = terms
        self.prefixes = prefixes()

    @classmethod
    def from_graph(cls, ontology: Graph) -> "TermResolver":
        """Return a resolver over the merged ontology (the one the pipeline has already parsed)."""
        return cls(terms=ontology_terms(ontology))

    def resolve(self, value: str, file: str, line: int, sheet: str) -> URIRef | None:
        """Return the term's IRI (None for an empty cell); ReadError for an unknown prefix or AGRS term."""
        value = value.strip().strip("<>")
        if not value:
            return None
        if re.match(r"https?://", value):
            iri = URIRef(value)
        else:
            prefix, colon, local = value.partition(":")
            if not colon or prefix not in self.prefixes:
                raise ReadError(file, f"sheet {sheet!r}: {value!r} is neither a CURIE with a known prefix nor an IRI",
                                line=line, field="agrs_term")  # fmt: skip
            iri = URIRef(self.prefixes[prefix] + local)
        if str(iri).startswith(BASE) and iri not in self.known:
            raise ReadError(file, f"sheet {sheet!r}: {value!r} is not a term of the ontology", line=line,
                            field="agrs_term")  # fmt: skip
        if not str(iri).startswith(BASE) and iri not in PERSONAL_TERMS:
            raise ReadError(file, f"sheet {sheet!r}: {value!r} is outside the AGRS ontology (only schema:name, "
                            "schema:email and schema:telephone may mark identifying questions)", line=line,
                            field="agrs_term")  # fmt: skip
        return iri


def read_form(path: Path, resolver: TermResolver | None = None) -> Form:
    """Parse an XLSForm workbook; ReadError naming the sheet's row and column when it cannot be used."""
    file = str(path)
    with Workbook(path, what="XLSForm workbook") as workbook:
        sheets = {name: workbook.sheet(name, hidden=True) for name in (*FORM_SHEETS, "settings")}
        for needed in FORM_SHEETS:
            if sheets[needed] is None:
                raise ReadError(file, f"an XLSForm needs a {needed!r} sheet (sheets found: {workbook.names})")
        settings = _settings(workbook, sheets["settings"])
        tables = {name: _table(workbook, sheets[name]) for name in FORM_SHEETS}
    resolver = resolver or TermResolver()
    default = _language("x::" + settings["default_language"]) if settings.get("default_language") else "fr"
    form_id = settings.get("form_id") or path.stem
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", form_id):
        raise ReadError(file, f"sheet 'settings': form_id {form_id!r} must be letters, digits, _ . or -",
                        line=2, field="form_id")  # fmt: skip
    choices = _choices(tables["choices"], file, resolver, default)
    repeats: dict[str, dict[str, str]] = {}
    questions = _questions(tables["survey"], file, resolver, default, choices, repeats)
    title = settings.get("form_title") or form_id
    campaign = normalise(settings.get("agrs_campaign") or form_id)
    return Form(file, form_id, title, settings.get("version", ""), campaign, questions, choices, repeats)


def _settings(workbook: Workbook, sheet) -> dict[str, str]:
    """Return the settings sheet's one row as {column: text} (empty without the sheet)."""
    table = _table(workbook, sheet) if sheet is not None else []
    return dict(table[0][1]) if table else {}


def form_id(path: Path) -> str:
    """Return a form's id (settings' `form_id`, else the file's stem) without reading its questions."""
    with Workbook(path, what="XLSForm workbook") as workbook:
        return _settings(workbook, workbook.sheet("settings", hidden=True)).get("form_id") or path.stem


def _choices(table: list, file: str, resolver: TermResolver, default: str) -> dict[str, list[Choice]]:
    """Read the choices sheet into lists by list name."""
    lists: dict[str, list[Choice]] = {}
    for line, row in table:
        list_name, name = row.get("list_name", "") or row.get("list name", ""), row.get("name", "")
        if not list_name or not name:
            raise ReadError(file, "sheet 'choices': every row needs a list_name and a name", line=line,
                            field="name" if list_name else "list_name")  # fmt: skip
        if any(choice.name == name for choice in lists.get(list_name, [])):
            raise ReadError(file, f"sheet 'choices': {name!r} twice in list {list_name!r}", line=line, field="name")
        term = resolver.resolve(row.get("agrs_term", ""), file, line, "choices")
        lists.setdefault(list_name, []).append(Choice(name, _labels(row, "label", default), term))
    return lists


def _questions(
    table: list, file: str, resolver, default: str, choices: dict[str, list[Choice]], repeats: dict | None = None
) -> dict[str, Question]:
    """Read the survey sheet: questions with their groups, repeats, roles, points and scale questions.

    A repeat group (`begin_repeat` … `end_repeat`, or `begin repeat`) is a group whose questions are answered
    once per instance; its name and labels go to `repeats`, and its questions carry `repeat`. Repeats within a
    repeat are refused (a read error naming the row): exports nest them in tables this loader does not join.
    """
    questions: dict[str, Question] = {}
    repeats = {} if repeats is None else repeats
    groups: list[tuple[str, dict[str, str], URIRef | None, bool]] = []  # name, labels, term, is a repeat
    last_in_group: dict[int, Question] = {}  # depth → the last survey question met at that depth
    for line, row in table:
        # `begin group` and `begin_group` (and repeat, end) are the same in XLSForm.
        kind = re.sub(r"(?i)^(begin|end)[ _](group|repeat)\b", lambda m: f"{m[1]}_{m[2]}".lower(),
                      row.get("type", "").strip())  # fmt: skip
        base, _, rest = kind.partition(" ")
        name = row.get("name", "").strip()
        if base in GROUP_START:
            is_repeat = base == "begin_repeat"
            if is_repeat and any(g[3] for g in groups):
                raise ReadError(file, f"sheet 'survey': repeat {name!r} is within another repeat (nested repeats "
                                "are not supported)", line=line, field="type")  # fmt: skip
            labels = _labels(row, "label", default)
            groups.append((name, labels, resolver.resolve(row.get("agrs_term", ""), file, line, "survey"), is_repeat))
            if is_repeat:
                if not FIELD_NAME.fullmatch(name) or name in repeats:
                    raise ReadError(file, f"sheet 'survey': repeat name {name!r} is missing or used twice",
                                    line=line, field="name")  # fmt: skip
                repeats[name] = labels
            continue
        if base in GROUP_END:
            if not groups:
                raise ReadError(file, f"sheet 'survey': {base} without a group to close", line=line, field="type")
            if groups[-1][3] != (base == "end_repeat"):
                raise ReadError(file, f"sheet 'survey': {base} closes {groups[-1][0]!r}, which is a "
                                f"{'repeat' if groups[-1][3] else 'group'}", line=line, field="type")  # fmt: skip
            last_in_group.pop(len(groups), None)
            groups.pop()
            continue
        if not base or base in NO_ANSWER:
            continue
        if not FIELD_NAME.fullmatch(name):
            raise ReadError(file, f"sheet 'survey': question name {name!r} is not an XLSForm name", line=line,
                            field="name")  # fmt: skip
        if name in questions:
            raise ReadError(file, f"sheet 'survey': question name {name!r} is used twice", line=line, field="name")
        list_name = rest.split()[0] if base.startswith("select_") and rest.split() else None
        if base.startswith("select_") and list_name not in choices:
            raise ReadError(file, f"sheet 'survey': choice list {list_name!r} is not in the choices sheet",
                            line=line, field="type")  # fmt: skip
        question = Question(
            name, base, list_name, _labels(row, "label", default), [(g[0], g[1]) for g in groups], line,
            term=resolver.resolve(row.get("agrs_term", ""), file, line, "survey"),
            required=normalise(row.get("required", "")) in ("yes", "true", "1", "oui"),
            relevant=row.get("relevant", ""), constraint=row.get("constraint", ""),
            constraint_message=next(iter(_labels(row, "constraint_message", default).values()), ""),
        )  # fmt: skip
        question.repeat = next((g[0] for g in reversed(groups) if g[3]), None)
        point = next((g[2] for g in reversed(groups) if g[2] is not None), None)
        _assign_role(question, point, last_in_group.get(len(groups)), file)
        if question.role == "question":
            last_in_group[len(groups)] = question
        questions[name] = question
    if groups:
        raise ReadError(file, f"sheet 'survey': group {groups[-1][0]!r} is never closed", field="type")
    return questions


def _assign_role(question: Question, point: URIRef | None, previous: Question | None, file: str) -> None:
    """Set what a question is for: a survey question, a scale of the previous one, a respondent field…"""
    term = question.term
    if term in PERSONAL_TERMS:
        question.role = "personal"
    elif term in PROFILE_ROLES:
        question.role = PROFILE_ROLES[term]
    elif term in SCALE_ROLES:
        if previous is None:
            raise ReadError(file, "sheet 'survey': a scale question must follow the question it qualifies, in its "
                            "group", line=question.row, field="agrs_term")  # fmt: skip
        question.role, question.qualifies = SCALE_ROLES[term], previous.name
        previous.scales[SCALE_ROLES[term]] = question.name
    elif point is not None and point.startswith(str(SURVEY_POINT)):
        question.role, question.point = "question", point


def is_form(path: Path) -> bool:
    """Return whether a file is a workbook with `survey` and `choices` sheets (an XLSForm, not responses)."""
    try:
        with Workbook(path) as workbook:
            return all(workbook.sheet(name, hidden=True) is not None for name in FORM_SHEETS)
    except ReadError:
        return False


__all__ = [
    "FORM_SHEETS", "Choice", "Form", "Question", "TermResolver", "bounds", "clauses", "conditions", "form_id",
    "is_form", "ontology_terms", "read_form",
]  # fmt: skip
