"""The survey loader: responses to an XLSForm questionnaire, as KoboToolbox and ODK Central export them.

The form (`--form`, read by loaders/xlsform.py) is itself a record of the load: the campaign, the
questionnaire and its questions. Each row of a response table is one respondent: a pseudonymised
`agrs:Respondent` (IRI from a salted SHA-256 of the respondent id; names, e-mails and phone numbers are
dropped when reading), its `agrs:Submission` and one `agrs:Response` per answered question. Choices, required
answers, number types and numeric constraints are checked here; whether the territory exists is the gate's.
"""

import hashlib
import re
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from agrs.loaders.base import Loader
from agrs.loaders.tabular import TRUNCATED, Row, Workbook, csv_line, format_of, normalise, read_csv, truncation_problems
from agrs.loaders.territory_codes import territory_iri
from agrs.loaders.xlsform import FORM_SHEETS, Form, Question, TermResolver, bounds, clauses, form_id, read_form
from agrs.ns import AGRS, ID
from agrs.records import Problem, RawRecord, ReadError, Record

SALT_VARIABLE = "AGRS_SURVEY_SALT"
#: headers of the submission's id and time, as KoboToolbox and ODK Central name them
UUID_HEADERS = {"uuid", "key", "meta-instanceid", "instanceid"}
TIME_HEADERS = {"submission-time", "submissiondate"}
UUID, SUBMITTED, FORM = "__uuid__", "__submitted__", "__form__"
#: a respondent row's own index (Kobo `_index`), and its repeat instances (repeat name → one dict per instance)
INDEX, REPEATS = "__index__", "__repeats__"
#: headers of a repeat table that name the row it belongs to: Kobo `_parent_index` (→ `_index`),
#: `_submission__uuid` (→ `_uuid`), ODK Central `PARENT_KEY` (→ `KEY`, the instance id)
PARENT_HEADERS = {"parent-index": INDEX, "submission-uuid": UUID, "parent-key": UUID}
TRUE_CELLS = {"1", "true", "vrai", "yes", "oui", "x"}
FALSE_CELLS = {"", "0", "false", "faux", "no", "non"}


class SurveyLoader(Loader):
    """Loads survey responses (one record per respondent) and the questionnaire they answer."""

    kind = "survey"
    screened = True  # control characters, wrong JSON types and bad IRIs quarantined (loaders.base.screen)
    default_key = "default"

    def __init__(self, form: Path | str | None = None, salt: str | None = None):
        self.form_path = Path(form) if form else None
        self.salt = salt
        self._form: Form | None = None
        self._seen: set[str] = set()
        if self.form_path is not None and self.form_path.is_file():
            # The graph is named after the questionnaire: two forms load into two graphs. Only the settings are
            # read now: the questions' terms are checked when reading, against the pipeline's ontology if given.
            self.default_key = normalise(form_id(self.form_path))

    def use_ontology(self, ontology: Graph) -> None:
        """Check the form's terms against the merged ontology the pipeline holds (read before the form is)."""
        super().use_ontology(ontology)
        self._form = None

    @property
    def form(self) -> Form:
        """The parsed questionnaire (ReadError when none was given or it cannot be read)."""
        if self._form is None:
            if self.form_path is None:
                raise ReadError("(no form)", "the survey loader needs the questionnaire: --form FORM.xlsx")
            resolver = TermResolver.from_graph(self.ontology) if self.ontology is not None else None
            self._form = read_form(self.form_path, resolver)
        return self._form

    def read(self, path: Path) -> Iterator[RawRecord]:
        """Yield the questionnaire record for the form file, else one record per respondent of a response table."""
        path = Path(path)
        if not path.is_file():
            raise ReadError(str(path), "no such file")
        if not self.salt:
            raise ReadError(str(path), f"no salt for the respondents' pseudonyms: set ${SALT_VARIABLE} or --salt")
        if self.form_path is not None and path.resolve() == self.form_path.resolve():
            self.form  # noqa: B018 - parse now: a broken form is a read error, before any record
            yield RawRecord(str(path), None, {FORM: self.form.form_id}, None)
            return
        if format_of(path, formats=("csv", "xlsx")) == "xlsx":
            yield from self._workbook(path)
        else:
            # A CSV export puts each repeat group in a file of its own beside the main one: `<stem>-<repeat>.csv`
            # (ODK Central's layout, with PARENT_KEY) or `<stem>.<repeat>.csv`.
            repeats = {}
            for name in self.form.repeats:
                for sibling in (path.with_name(f"{path.stem}-{name}.csv"), path.with_name(f"{path.stem}.{name}.csv")):
                    if sibling.is_file():
                        rows = read_csv(sibling.read_bytes(), str(sibling))
                        repeats[name] = _repeat_instances(self.form, name, rows, str(sibling))
                        break
            yield from self._table(str(path), read_csv(path.read_bytes(), str(path)), repeats=repeats)

    def _workbook(self, path: Path) -> Iterator[RawRecord]:
        """Yield the respondents of the first visible sheet of a Kobo XLSX export (repeat groups are other sheets)."""
        with Workbook(path) as workbook:
            if all(workbook.sheet(name, hidden=True) for name in FORM_SHEETS):
                raise ReadError(str(path), "this is an XLSForm, not responses: give it with --form")
            # Kobo writes each repeat group on a sheet of its own, named after it (cut to Excel's 31 characters).
            repeats = {}
            for name in self.form.repeats:
                sheet = workbook.sheet(name[:31], hidden=True)
                if sheet is not None:
                    repeats[name] = _repeat_instances(self.form, name, workbook.rows(sheet), str(path))
            yield from self._table(str(path), workbook.rows(workbook.first_visible()), sheet=True, repeats=repeats)

    def _table(self, file: str, rows: Iterator[Row], *, sheet: bool = False, repeats=None) -> Iterator[RawRecord]:
        """Turn rows (the header first) into records; a sheet row's text is its cells without trailing commas.

        `repeats` (repeat name → {parent key → instances}) gives each row the instances of its repeat groups,
        found by the row's `_index` or its instance id.
        """
        header = next(rows, None)
        if header is None:
            raise ReadError(file, "empty file: no header row", line=1)
        columns = _Columns(self.form, header.cells, file, header.line)
        for row in rows:
            record = columns.record(file, row, csv_line(row.cells).rstrip(",") if sheet else row.text)
            if repeats:
                keys = [(INDEX, str(record.fields.get(INDEX) or "")), (UUID, str(record.fields.get(UUID) or ""))]
                record.fields[REPEATS] = {
                    name: next((by_key[key] for key in keys if key[1] and key in by_key), [])
                    for name, by_key in repeats.items()
                }  # fmt: skip
            yield record

    def map(self, raw: RawRecord) -> Record:
        """Map the questionnaire record, or one respondent's row; bad answers become problems."""
        if FORM in raw.fields:
            return _questionnaire(self.form, raw)
        return _Respondent(self.form, self.salt or "", raw, self._seen).map()


class _Columns:
    """The header of a response table, matched to the form's questions (by name, path or label)."""

    def __init__(self, form: Form, header: list[str], file: str, line: int):
        self.form, self.header = form, header
        keys = _header_keys(form)
        self.targets: list[tuple[str, str | None] | None] = []
        taken: set[tuple[str, str | None]] = set()
        for cell in header:
            key = normalise(cell.removeprefix("_"))
            target = None
            if key in UUID_HEADERS or normalise(cell.rpartition("/")[2]) == "instanceid":
                target = (UUID, None)
            elif key == "index":
                target = (INDEX, None)
            elif key in TIME_HEADERS:
                target = (SUBMITTED, None)
            else:
                # Ambiguous labels ("À quelle échelle ?") are resolved in form order, as exports list them.
                target = next((t for t in keys.get(key, []) if t not in taken), None)
            if target in ((UUID, None), (SUBMITTED, None)) and target in taken:
                target = None  # ODK Central repeats the instance id (meta-instanceID, KEY): the first one counts
            if target is not None and target in taken:
                raise ReadError(file, f"two columns mean {target[0]!r} (the second is {cell!r})", line=line,
                                field=target[0])  # fmt: skip
            if target is not None:
                taken.add(target)
            self.targets.append(target)
        respondent = form.by_role("respondent_id")
        if not ((respondent and (respondent.name, None) in taken) or (UUID, None) in taken):
            raise ReadError(file, "no respondent id column (the form's agrs:Respondent question, _uuid or KEY)",
                            line=line, field=respondent.name if respondent else "_uuid")  # fmt: skip

    def record(self, file: str, row: Row, text: str) -> RawRecord:
        """Return the record of one row, without the identifying answers (in its fields and its text)."""
        fields: dict[str, Any] = {TRUNCATED: row.truncated} if row.truncated else {}
        cells = row.cells
        shown = list(cells)
        for index, (target, cell) in enumerate(zip(self.targets, cells, strict=False)):
            if target is None:
                continue
            name, choice = target
            question = self.form.questions.get(name)
            if question is not None and question.role == "personal":
                shown[index] = ""  # pseudonymisation starts here: not even the quarantine keeps it
                continue
            fields[f"{name}/{choice}" if choice else name] = cell.strip()
        return RawRecord(file, row.line, fields, csv_line(shown).rstrip(",") if shown != cells else text)


def _repeat_instances(form: Form, repeat: str, rows: Iterator[Row], file: str) -> dict[tuple[str, str], list[dict]]:
    """Read a repeat group's table: {(key kind, parent key): [instance fields, in order]}.

    A column is a question of the repeat when its last path segment (`group/repeat/question`,
    `group-repeat-question`) or its label is the question's; `question/choice` columns are read as flags like the
    main table's. The parent key is `_parent_index`, `_submission__uuid` or `PARENT_KEY`.
    """
    names = {q.name for q in form.questions.values() if q.repeat == repeat}
    header = next(rows, None)
    if header is None:
        return {}
    keys = {k: t for k, t in _header_keys(form).items() if all(target[0] in names for target in t)}
    columns: list[tuple[str, str | None] | None] = []
    parent: list[str | None] = []
    for cell in header.cells:
        key = normalise(cell.removeprefix("_"))
        parent.append(PARENT_HEADERS.get(key))
        segments = [normalise(part) for part in re.split(r"[/-]", cell) if part]
        target = next((keys[k][0] for k in (key, *segments[-1:]) if k in keys), None)
        if target is None and len(segments) >= 2 and normalise("/".join(cell.split("/")[-2:])) in keys:
            target = keys[normalise("/".join(cell.split("/")[-2:]))][0]
        columns.append(target)
    if not any(parent):
        raise ReadError(file, f"the table of repeat {repeat!r} has no _parent_index, _submission__uuid or "
                        "PARENT_KEY column: its rows cannot be joined to the respondents",
                        line=header.line)  # fmt: skip
    found: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        fields = {}
        for target, cell in zip(columns, row.cells, strict=False):
            if target is not None:
                fields[f"{target[0]}/{target[1]}" if target[1] else target[0]] = cell.strip()
        for kind, cell in zip(parent, row.cells, strict=False):
            if kind is not None and cell.strip():
                found.setdefault((kind, cell.strip()), []).append(fields)
    return found


def _header_keys(form: Form) -> dict[str, list[tuple[str, str | None]]]:
    """Map every way an export may head a column (names, group paths, labels) to (question, choice)."""
    keys: dict[str, list[tuple[str, str | None]]] = {}

    def add(text: str, target: tuple[str, str | None]) -> None:
        key = normalise(text)
        if key and target not in keys.setdefault(key, []):
            keys[key].append(target)

    for question in form.questions.values():
        names = [question.name]
        group_names = [g[0] for g in question.groups]
        names += ["/".join([*group_names[i:], question.name]) for i in range(len(group_names))]
        labels = list(question.labels.values())
        for language in question.labels:
            path = [g[1].get(language, "") for g in question.groups]
            labels += ["/".join([*path[i:], question.labels[language]]) for i in range(len(path))]
        for head in names + labels:
            add(head, (question.name, None))
            for choice in form.choices.get(question.list_name or "", []):
                for tail in [choice.name, *choice.labels.values()]:
                    add(f"{head}/{tail}", (question.name, choice.name))
    return keys


# --- Mapping -----------------------------------------------------------------------------------


def question_iri(form: Form, name: str) -> URIRef:
    """Return the IRI of a question of a form: `…/id/question/<form_id>/<name>`."""
    return ID[f"question/{form.form_id}/{name}"]


def _questionnaire(form: Form, raw: RawRecord) -> Record:
    """Map the form to its campaign, questionnaire and questions (one record)."""
    record = Record(raw)
    campaign, questionnaire = ID[f"survey-campaign/{form.campaign}"], ID[f"questionnaire/{form.form_id}"]
    add = record.triples.append
    for node, classes in ((campaign, (AGRS.SurveyCampaign, AGRS.Endeavour)), (questionnaire, (AGRS.Questionnaire,))):
        record.subjects.add(node)
        for cls in classes:
            add((node, RDF.type, cls))
        add((node, RDFS.label, Literal(form.title, lang="fr")))
    add((campaign, AGRS.usesQuestionnaire, questionnaire))
    for question in form.questions.values():
        if question.role != "question":
            continue
        node = question_iri(form, question.name)
        record.subjects.add(node)
        add((questionnaire, AGRS.hasQuestion, node))
        add((node, RDF.type, AGRS.Question))
        for language, label in question.labels.items():
            add((node, RDFS.label, Literal(label, lang=language)))
        add((node, AGRS.surveyPoint, question.point))
        for actor_type in form.asked_of(question):
            add((node, AGRS.askedOf, actor_type))
        add((node, AGRS.asksSpatialScale, Literal("spatial" in question.scales)))
        add((node, AGRS.asksTimeHorizon, Literal("temporal" in question.scales)))
        add((node, AGRS.formFieldName, Literal(question.name)))
        if question.term is not None:
            add((node, AGRS.isAbout, question.term))
        # A select question is also about each concept it offers: what the questionnaire asks (CQ24).
        for choice in form.choices.get(question.list_name or "", []):
            if choice.term is not None:
                add((node, AGRS.isAbout, choice.term))
    return record


class _Respondent:
    """The state of one respondent's row while it is being mapped."""

    def __init__(self, form: Form, salt: str, raw: RawRecord, seen: set[str]):
        self.form, self.salt, self.raw, self.seen = form, salt, raw, seen
        self.record = Record(raw)
        self.chosen: dict[str, list[str]] = {}  # question → choice names, for relevance
        self.instance: dict | None = None  # the repeat instance being mapped (its questions' cells)

    def value(self, name: str) -> str:
        question = self.form.questions.get(name.partition("/")[0])
        if question is not None and question.repeat is not None:
            return str((self.instance or {}).get(name) or "").strip()
        return str(self.raw.fields.get(name) or "").strip()

    def problem(self, field: str | None, message: str, rule: str) -> None:
        self.record.problems.append(Problem(message, field=field, rule=rule))

    def add(self, s, p, o) -> None:
        self.record.triples.append((s, p, o))

    def map(self) -> Record:
        self.record.problems += truncation_problems(self.raw.fields)
        respondent_q = self.form.by_role("respondent_id")
        respondent_id = self.value(respondent_q.name) if respondent_q else ""
        respondent_id = respondent_id or self.value(UUID).removeprefix("uuid:")
        if not respondent_id:
            self.problem(respondent_q.name if respondent_q else UUID, "the respondent id is required", "required")
            return self.record
        # Case-folded: the same e-mail typed twice with different capitals is one respondent.
        digest = hashlib.sha256(f"{self.salt}\x00{respondent_id.casefold()}".encode()).hexdigest()[:32]
        if digest in self.seen:
            self.problem(respondent_q.name if respondent_q else UUID,
                         "this respondent already answered in an earlier row (one record per respondent)",
                         "duplicate-respondent")  # fmt: skip
        self.seen.add(digest)
        respondent, submission = ID[f"respondent/{digest}"], ID[f"submission/{self.form.form_id}/{digest}"]
        self.record.subjects.update((respondent, submission))
        self.add(respondent, RDF.type, AGRS.Respondent)
        self.add(respondent, RDF.type, AGRS.Actor)
        self.add(submission, RDF.type, AGRS.Submission)
        self.add(submission, AGRS.respondent, respondent)
        self.add(submission, AGRS.inCampaign, ID[f"survey-campaign/{self.form.campaign}"])
        self._collect_choices()
        self._profile(respondent)
        self._submitted(submission)
        for question in self.form.questions.values():
            if question.role == "question" and question.repeat is None:
                self._response(question, submission, digest)
        self._repeats(submission, digest)
        return self.record

    def _repeats(self, submission: URIRef, digest: str) -> None:
        """Map each instance of each repeat group: one response per question and instance (`…/<question>/<n>`)."""
        for repeat, instances in (self.raw.fields.get(REPEATS) or {}).items():
            inside = [q for q in self.form.questions.values() if q.repeat == repeat]
            for number, instance in enumerate(instances, start=1):
                self.instance = instance
                for question in inside:
                    if question.type in ("select_one", "select_multiple"):
                        self.chosen[question.name] = self._choices(question)
                for question in inside:
                    if question.role == "question":
                        self._response(question, submission, digest, number)
        self.instance = None

    def _collect_choices(self) -> None:
        """Read every select question's chosen names first: relevance and scales depend on them."""
        for question in self.form.questions.values():
            if question.type in ("select_one", "select_multiple"):
                self.chosen[question.name] = self._choices(question)

    def _choices(self, question: Question) -> list[str]:
        """Return the chosen choice names (the main column, then one column per choice), noting unknown ones."""
        names: list[str] = []
        cell = self.value(question.name)
        if cell:
            whole = self.form.choice(question, cell)
            parts = [cell] if whole or question.type == "select_one" else re.split(r"[;\s]+", cell)
            for part in parts:
                choice = self.form.choice(question, part)
                if choice is None:
                    listed = ", ".join(c.name for c in self.form.choices[question.list_name or ""])
                    self.problem(question.name, f"unknown choice {part!r}; expected one of {listed}",
                                 "unknown-choice")  # fmt: skip
                elif choice.name not in names:
                    names.append(choice.name)
        for choice in self.form.choices.get(question.list_name or "", []):
            flag = normalise(self.value(f"{question.name}/{choice.name}"))
            if flag in TRUE_CELLS or flag == "1-0":
                names += [choice.name] if choice.name not in names else []
            elif flag not in FALSE_CELLS and flag != "0-0":
                self.problem(question.name, f"column {question.name}/{choice.name}: {flag!r} is not 1 or 0",
                             "choice-flag")  # fmt: skip
        if question.type == "select_one" and len(names) > 1:
            self.problem(question.name, f"one choice expected, got {' '.join(names)}", "one-choice")
        return names

    def _relevant(self, question: Question) -> bool | None:
        """Return whether a question applies to this respondent (None when its relevant is not understood).

        A relevant is `or`-ed `and` chains of comparisons (xlsform.clauses): relevant when one chain holds.
        """
        found = clauses(question.relevant)
        if found is None:
            return None
        return any(all(self._holds(match) for match in chain) for chain in found)

    def _holds(self, match) -> bool:
        """Return whether one comparison (${q} = 'v', ${q} != 'v', selected(${q}, 'v')) holds for this row."""
        name, wanted = (match["q"] or match["sq"]), (match["v"] if match["q"] else match["sv"])
        chosen = self.chosen.get(name, [self.value(name)])
        return (wanted in chosen) == (match["op"] != "!=")

    def _profile(self, respondent: URIRef) -> None:
        actor = self.form.by_role("actor_type")
        if actor is not None:
            for name in self.chosen.get(actor.name, []):
                term = next(c.term for c in self.form.choices[actor.list_name or ""] if c.name == name)
                if term is not None:
                    self.add(respondent, AGRS.actorType, term)
            if actor.required and not self.chosen.get(actor.name):
                self.problem(actor.name, "the actor type is required", "required")
        where = self.form.by_role("territory")
        if where is not None:
            value = self.value(where.name)
            territory = territory_iri(value) if value else None
            if value and territory is None:
                self.problem(where.name, f"territory {value!r} is not a well-formed code: 33063 or com:33063, "
                             "epci:246300701, dep:33, reg:75", "territory-format")  # fmt: skip
            elif territory is not None:
                self.add(respondent, AGRS.territory, territory)
            elif where.required:
                self.problem(where.name, "the territory is required", "required")

    def _submitted(self, submission: URIRef) -> None:
        value = self.value(SUBMITTED)
        if not value:
            return
        try:
            moment = datetime.fromisoformat(value.replace(" ", "T", 1))
        except ValueError:
            self.problem("_submission_time", f"{value!r} is not an ISO date and time (2024-05-14T10:32:00)",
                         "datetime")  # fmt: skip
            return
        self.add(submission, AGRS.submittedAt, Literal(moment.replace(microsecond=0)))

    def _response(self, question: Question, submission: URIRef, digest: str, instance: int | None = None) -> None:
        relevant = self._relevant(question)
        values = self._values(question)
        if values is None:
            return  # a bad value, already a problem
        if not values:
            if question.required and relevant:
                self.problem(question.name, f"an answer is required ({_label(question)})", "required")
            return
        suffix = f"/{instance}" if instance is not None else ""
        node = ID[f"response/{self.form.form_id}/{digest}/{question.name}{suffix}"]
        self.record.subjects.add(node)
        self.add(node, RDF.type, AGRS.Response)
        self.add(node, AGRS.answers, question_iri(self.form, question.name))
        self.add(node, AGRS.inSubmission, submission)
        for value in values:
            self.add(node, AGRS.answerValue if isinstance(value, Literal) else AGRS.answerConcept, value)
        for scale, predicate in (("spatial", AGRS.spatialScale), ("temporal", AGRS.timeHorizon)):
            scale_question = self.form.questions.get(question.scales.get(scale, ""))
            for name in self.chosen.get(scale_question.name, []) if scale_question else []:
                term = next(c.term for c in self.form.choices[scale_question.list_name or ""] if c.name == name)
                if term is not None:
                    self.add(node, predicate, term)

    def _values(self, question: Question) -> list | None:
        """Return the answer's literals and concepts ([] when unanswered, None when the answer is bad)."""
        if question.type in ("select_one", "select_multiple"):
            out: list = []
            for name in self.chosen.get(question.name, []):
                out.append(Literal(name))
                term = next(c.term for c in self.form.choices[question.list_name or ""] if c.name == name)
                if term is not None:
                    out.append(term)
            return out
        value = self.value(question.name)
        if not value:
            return []
        if question.type in ("integer", "decimal"):
            return self._number(question, value)
        if question.type == "date":
            parsed = _date(value)
            if parsed is None:
                self.problem(question.name, f"{value!r} is not a date (2024-03-01)", "date")
                return None
            return [Literal(parsed)]
        return [Literal(value)]

    def _number(self, question: Question, value: str) -> list | None:
        text = value.replace("\u00a0", "").replace(" ", "")
        try:
            number = Decimal(text.replace(",", ".") if question.type == "decimal" else text)
        except InvalidOperation:
            number = None
        if number is None or (question.type == "integer" and number != number.to_integral_value()):
            kind = "an integer" if question.type == "integer" else "a decimal number (12.5 or 12,5)"
            self.problem(question.name, f"{value!r} is not {kind}", f"not-{question.type}")
            return None
        for operator, bound in bounds(question.constraint) or []:
            if not _compare(float(number), operator, bound):
                message = question.constraint_message or f"must satisfy {question.constraint}"
                self.problem(question.name, f"{value}: {message} ({question.constraint})", "constraint")
                return None
        if question.type == "integer":
            return [Literal(int(number))]
        # One lexical form whatever the source wrote (12,50 or 12.5): CSV and XLSX exports give the same graph.
        return [Literal(format(number.normalize(), "f"), datatype=XSD.decimal)]


def _compare(value: float, operator: str, bound: float) -> bool:
    return {"<=": value <= bound, ">=": value >= bound, "<": value < bound, ">": value > bound,
            "=": value == bound, "!=": value != bound}[operator]  # fmt: skip


def _date(value: str) -> date | None:
    """Parse an ISO date (a spreadsheet's midnight datetime too) or a French dd/mm/yyyy one."""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value[:10], pattern).date()
        except ValueError:
            continue
    return None


def _label(question: Question) -> str:
    return question.labels.get("fr") or next(iter(question.labels.values()), question.name)


__all__ = ["SALT_VARIABLE", "SurveyLoader", "question_iri"]
