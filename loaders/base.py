"""The contract every loader fulfils: read files into raw records, map each record to RDF."""

import functools
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from rdflib import URIRef

from agrs.records import Problem, RawRecord, Record

if TYPE_CHECKING:
    from rdflib import Graph


class Loader:
    """A loader for one kind of source; subclasses set `kind` and implement `read` and `map`.

    `read` yields raw records with line numbers and raises agrs.records.ReadError when a file cannot be read
    at all. `map` turns one raw record into triples and never touches the store; a record it cannot map gets
    `problems` (it will be quarantined), it does not raise.
    """

    kind: str = ""
    #: the graph's key when the user gives none (`https://w3id.org/agrs/graph/<kind>/<default_key>`)
    default_key: str = "default"
    #: whether the source is synthetic (invented for a demonstration, not observed): set by the constructor, or by
    #: `read` when the file itself says so (a diagnostic workbook's `synthetic` field); the pipeline then marks the
    #: load and its graph version `agrs:synthetic true` in the provenance, which pages and /api answers show
    synthetic: bool = False
    #: the merged ontology, when the pipeline has handed it over (see `use_ontology`)
    ontology: "Graph | None" = None

    #: whether every record `map` returns is screened (see `screen`): set by the tabular loaders, whose cells are
    #: free text typed by hand; a subclass that sets it has its `map` wrapped once, when the class is defined
    screened: bool = False
    #: fields that must hold text (or a number), never a JSON object or list: a JSON source's wrong types
    text_fields: frozenset[str] = frozenset()

    def __init_subclass__(cls, **options) -> None:
        super().__init_subclass__(**options)
        own = cls.__dict__.get("map")
        if cls.screened and own is not None and not getattr(own, "screens", False):
            cls.map = _screening(own)

    def use_ontology(self, ontology: "Graph") -> None:
        """Take the merged ontology the pipeline has already parsed, to build controlled vocabularies from.

        The pipeline calls it before reading. A loader used alone (no call) parses the ontology files it needs
        itself; a loader whose vocabularies come from the ontology rebuilds them from this graph.
        """
        self.ontology = ontology

    def read(self, path: Path) -> Iterator[RawRecord]:
        """Yield the raw records of one file."""
        raise NotImplementedError

    def map(self, raw: RawRecord) -> Record:
        """Map one raw record to RDF."""
        raise NotImplementedError

    def after_gate(self, records: "Sequence[Record]") -> None:
        """Called by the pipeline after the SHACL gate, before the commit: a loader may reword the gate's problems
        in its source's terms (the diagnostic loader names the column a result's path comes from)."""

    def finish(self, records: list[Record]) -> None:
        """Complete, in place, what one record cannot say alone: called once after every file of a load is mapped.

        Most loaders need nothing here. It may add triples (about a record's own subjects) and warnings to
        records; it never touches the store.
        """


Built = TypeVar("Built")


class FromOntology(Generic[Built]):
    """Something a loader builds from the ontology (its controlled values): the one given to the loader, else built
    from the merged ontology the pipeline handed over, else from the ontology files; built again when the pipeline
    hands over another ontology."""

    def __init__(self, from_graph: "Callable[[Graph], Built]", from_files: Callable[[], Built], given=None):
        self._from_graph, self._from_files, self._given = from_graph, from_files, given
        self._built: Built | None = None
        self._source: object = self  # what `_built` was built from (self: nothing yet)

    def get(self, ontology: "Graph | None") -> Built:
        """Return the values for `ontology` (the loader's `ontology` attribute: None when used alone)."""
        if self._given is not None:
            return self._given
        if self._source is not ontology:
            self._built = self._from_files() if ontology is None else self._from_graph(ontology)
            self._source = ontology
        return self._built


# --- Screening the records of hand-made sources ----------------------------------------------------------

#: characters no text cell means: C0 controls but tab and line ends, DEL, C1 controls, non-characters, surrogates
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
#: what an IRI may not hold (SPARQL's and N-Triples' IRIREF): spaces, controls and <>"{}|^`\
NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')
CONTROL_NAMES = {"\x00": "NUL", "\x07": "BEL", "\x08": "BACKSPACE", "\x1b": "ESC", "\x7f": "DEL", "\x85": "NEL"}
ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
#: RawRecord field a reader sets to {field: "a JSON object" | "a JSON list"} for values of the wrong JSON type
WRONG_TYPE = "_wrong_json_type"


def _screening(map_record: Callable[[Any, RawRecord], Record]) -> Callable[[Any, RawRecord], Record]:
    """Wrap a loader's `map` so that its record is screened, and an exception becomes the record's problem."""

    @functools.wraps(map_record)
    def map(self, raw: RawRecord) -> Record:
        screened = screen(raw, self.text_fields)
        if any(problem.rule == "json-type" for problem in screened):
            # A value of the wrong type is not mapped at all: its repr must reach neither the graph nor a message.
            return Record(raw, problems=screened)
        try:
            record = map_record(self, raw)
        except Exception as error:  # one record's fault must not stop the load with a traceback
            record = Record(raw)
            record.problems.append(
                Problem(f"this record could not be mapped ({type(error).__name__}: {error})", None, "mapping-error")
            )
        record.problems.extend(screened + screen(RawRecord(raw.file, raw.line, {}), triples=record.triples))
        return record

    map.screens = True
    return map


def screen(raw: RawRecord, text_fields: frozenset[str] = frozenset(), triples: Sequence[tuple] = ()) -> list[Problem]:
    """Return the problems no loader should let through, whatever it maps: control characters in a field (NUL
    included: named with the field and the character's position), a JSON object or list where a text is expected,
    and an IRI no store can hold (a URL cell with `>` or a quote would otherwise be spliced into a query)."""
    problems = []
    for name, value in raw.fields.items():
        if isinstance(name, str) and name.startswith("_"):
            continue  # the readers' own markers (truncated row, stray cells…)
        if name in text_fields and isinstance(value, dict | list | bool):
            what = {dict: "a JSON object", list: "a JSON list", bool: "true or false"}[type(value)]
            problems.append(Problem(f"wrong JSON type: {what} where a text is expected", str(name), "json-type"))
            continue
        for text in _texts(value):
            found = CONTROL.search(text)
            if found is not None:
                problems.append(Problem(_control_message(found.group(), found.start(), text), str(name), "control"))
                break
    for name, what in (raw.fields.get(WRONG_TYPE) or {}).items():
        problems.append(Problem(f"wrong JSON type: {what} where a text is expected", name, "json-type"))
    bad = sorted({str(node) for triple in triples for node in triple if isinstance(node, URIRef) and not _iri_ok(node)})
    problems.extend(Problem(f"{iri!r} is not a valid IRI: {_iri_fault(iri)}", None, "iri") for iri in bad[:3])
    return problems


#: how deep the values of a JSON field are searched: no field of a source nests deeper
MAX_DEPTH = 16


def _texts(value: Any, depth: int = 0) -> Iterator[str]:
    """Yield every string a field's value holds (JSON values nest; deeper than MAX_DEPTH is not searched)."""
    if isinstance(value, str):
        yield value
    elif depth < MAX_DEPTH and isinstance(value, dict | list | tuple):
        for item in value.values() if isinstance(value, dict) else value:
            yield from _texts(item, depth + 1)


def _control_message(char: str, index: int, text: str) -> str:
    code = f"U+{ord(char):04X}"
    name = CONTROL_NAMES.get(char) or unicodedata.name(char, "a control character")
    return (
        f"control character {code} ({name}) at character {index + 1} of {len(text)}: not text a cell means "
        "(a binary or corrupted file?); remove it"
    )


def _iri_ok(iri: str) -> bool:
    return bool(ABSOLUTE.match(iri)) and NOT_IN_IRI.search(iri) is None


def _iri_fault(iri: str) -> str:
    found = NOT_IN_IRI.search(iri)
    if found is not None:
        return f"it holds {found.group()!r} (U+{ord(found.group()):04X}), which no IRI may hold"
    return "it is not absolute (no scheme such as https:)"


def quarantine_duplicates(
    records: Sequence[Record], key_of: Callable[[Record], str | None], field: str | None, *, per_file: bool = False
) -> None:
    """Keep the first record of each key; give each later one a « duplicate id » problem naming the first's line.

    Two records with one key describe one thing twice: merged, they would give it two names, and the SHACL gate
    would reject every copy with a message about names, not about the key. Rejected records count too (the first
    copy is the one the author meant, even when it has another fault). `key_of` returns None for a record without key.
    With `per_file`, only records of one file are compared (files that each describe a thing may overlap).
    """
    first: dict[tuple[str, str], RawRecord] = {}
    for record in records:
        key = key_of(record)
        if not key:
            continue
        seen = first.setdefault((record.raw.file if per_file else "", key), record.raw)
        if seen is not record.raw:
            where = f"line {seen.line}" if seen.file == record.raw.file else f"{seen.file}:{seen.line}"
            record.problems.append(Problem(
                f"duplicate id {key!r}: {where} has it already; only the first record is kept", field, "duplicate-id",
            ))  # fmt: skip
