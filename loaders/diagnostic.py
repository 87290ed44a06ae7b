"""The diagnostic loader: the resilience-diagnostic workbook of a territory or an enterprise (`agrs-diagnostic/1`).

One workbook (XLSX) per diagnostic, or the same sheets as CSV files `<stem>.<sheet>.csv` in one folder (UTF-8 or
Windows-1252, `;` or `,`: the shared reader's rules). The sheets and their columns are documented in
loaders/README.md (« Diagnostic workbooks ») and in the template's instructions sheet (data/diagnostic/template.xlsx,
written by agrs.loaders.diagnostic_template). The `about` sheet holds the template version: a workbook of any
other version is refused whole (a ReadError: exit 2), as are one without a diagnostic key or with a malformed
subject; every other fault is one row's, quarantined with its sheet, row and column.

Concept cells take the concept's key or its French or English label (case- and accent-insensitive), looked up in
the ontology's concept schemes (never in a list of this module). Row ids are local to the diagnostic: the IRIs
are `https://w3id.org/agrs/id/<kind>/<diagnostic>-<id>`; every record's node links `agrs:inDiagnostic` to the
diagnostic. Whether a referenced row, territory or indicator exists is left to the SHACL gate, whose results are
then named by the column they come from (`after_gate`).
"""

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from agrs.loaders.base import FromOntology, Loader, quarantine_duplicates
from agrs.loaders.indicators import (
    AGGREGATIONS,
    UCUM_CODE,
    indicator_iri,
    parse_period,
    parse_value,
    period_iri,
    period_triples,
    unit_iri,
    unit_triples,
)
from agrs.loaders.partners import KINDS as ORGANISATION_KINDS
from agrs.loaders.tabular import TRUNCATED, Row, Workbook, format_of, normalise, read_csv, truncation_problems
from agrs.loaders.territory_codes import luhn_valid, territory_iri
from agrs.ns import AGRS, BASE, ID, ROLE, curie
from agrs.observations import decimal_literal, observation_iri
from agrs.records import Problem, RawRecord, ReadError, Record

TEMPLATE_VERSION = "agrs-diagnostic/1"
SDG = "http://metadata.un.org/sdg/"

#: sheet → its columns, in the template's order (the first is the row id, except for `about` and `values`)
SHEETS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "about": ("field", "value"),
        "actors": ("id", "name", "kind", "siren", "territory"),
        "commons": ("id", "label_fr", "label_en", "needs", "state", "spatial_scale", "depends_on", "actors",
                    "description"),
        "forces": ("id", "label", "mutation", "force_kind", "acts_on"),
        # Optional sheet (added within agrs-diagnostic/1): read before the impacts, which may name its ids.
        "disturbances": ("id", "label", "kind", "mutation", "driven_by", "materialises", "date"),
        "impacts": ("id", "label", "commons", "mutation", "force", "caused_by", "severity", "time_horizon",
                    "spatial_scale"),
        "risks": ("id", "label", "hazard", "hazard_degree", "commons", "exposure", "vulnerability", "time_horizon",
                  "spatial_scale"),
        "reactions": ("id", "label", "responds_to", "capacity", "crisis_phase", "actors"),
        "loops": ("id", "label", "triggered_by", "reactions", "strengthens", "opportunity"),
        "projects": ("id", "label", "kind", "needs", "mutations", "commons", "risks", "sdg", "levers", "crisis_phase",
                     "carried_by", "partners", "funders", "budget_eur", "start", "end", "includes", "based_on"),
        "value_chain": ("id", "stage", "label", "territory", "local_share"),
        "dependencies": ("id", "commons", "criticality"),
        "immaterial_capital": ("id", "kind", "label", "assessment"),
        "performance": ("id", "dimension", "assessment"),
        "indicators": ("key", "label_fr", "label_en", "theme", "unit", "aggregation"),
        "values": ("indicator", "territory", "period", "value"),
    }
)  # fmt: skip
#: sheets the loader does not read (written by the template generator)
UNREAD_SHEETS = ("instructions", "lists")
#: sheets only an enterprise diagnostic fills in
ENTERPRISE_SHEETS = ("value_chain", "dependencies", "immaterial_capital", "performance")
#: the header columns a sheet cannot lack (a missing one refuses the file); other columns may be left out
REQUIRED_COLUMNS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        **{sheet: ("id",) for sheet in SHEETS},
        "about": ("field", "value"),
        "indicators": ("key",),
        "values": ("indicator", "period", "value"),
    }
)
#: the fields of the `about` sheet
ABOUT_FIELDS = ("template_version", "diagnostic", "subject_kind", "territory", "enterprise", "date", "author",
                "synthetic", "label")  # fmt: skip

#: concept scheme (its IRI's last segment) of each concept column, by sheet
SCHEME_COLUMNS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "commons": {"needs": "need", "state": "commons-state", "spatial_scale": "scale"},
        "forces": {"mutation": "mutation"},
        "disturbances": {"mutation": "mutation"},
        "impacts": {"mutation": "mutation", "time_horizon": "temporal-scale", "spatial_scale": "scale"},
        "risks": {"hazard": "hazard", "time_horizon": "temporal-scale", "spatial_scale": "scale"},
        "reactions": {"capacity": "capacity", "crisis_phase": "crisis-phase"},
        "loops": {"strengthens": "capacity"},
        "projects": {"needs": "need", "mutations": "mutation", "levers": "lever", "crisis_phase": "crisis-phase"},
        "value_chain": {"stage": "value-chain-stage"},
        "immaterial_capital": {"kind": "immaterial-capital"},
        "performance": {"dimension": "performance-dimension"},
        "indicators": {"theme": "theme", "aggregation": "aggregation"},
    }
)
#: columns that hold several values separated by `|`
MULTI_VALUED = frozenset(
    {
        ("commons", "needs"), ("commons", "depends_on"), ("commons", "actors"), ("forces", "acts_on"),
        ("disturbances", "driven_by"), ("disturbances", "materialises"), ("impacts", "caused_by"),
        ("reactions", "responds_to"), ("reactions", "actors"), ("loops", "triggered_by"), ("loops", "reactions"),
        ("loops", "strengthens"), ("projects", "needs"), ("projects", "mutations"), ("projects", "commons"),
        ("projects", "risks"), ("projects", "sdg"), ("projects", "levers"), ("projects", "partners"),
        ("projects", "funders"), ("projects", "includes"),
    }
)  # fmt: skip

#: closed lists that are classes, not concepts: key → class (the classes' labels are accepted too)
ACTOR_KINDS: Mapping[str, URIRef] = MappingProxyType(
    {
        **{key: kind for key, kind in ORGANISATION_KINDS.items() if key != "network"},
        "inhabitant-group": AGRS.InhabitantGroup,
    }
)
FORCE_KINDS: Mapping[str, URIRef] = MappingProxyType({"material": AGRS.MaterialForce, "social": AGRS.SocialForce})
DISTURBANCE_KINDS: Mapping[str, URIRef] = MappingProxyType({"shock": AGRS.Shock, "chronic-stress": AGRS.ChronicStress})
#: project kind → its classes (stated explicitly: the gate runs without inference)
PROJECT_KINDS: Mapping[str, tuple[URIRef, ...]] = MappingProxyType(
    {
        "individual": (AGRS.IndividualProject, AGRS.Project, AGRS.Endeavour),
        "collective": (AGRS.CollectiveProject, AGRS.Project, AGRS.Endeavour),
        "territory-project": (AGRS.TerritoryProject, AGRS.CollectiveProject, AGRS.Project, AGRS.Endeavour),
        "crte-contract": (AGRS.CRTEContract, AGRS.TerritorialContract, AGRS.Endeavour),
        "csr-action": (AGRS.TerritorialCSRAction, AGRS.Project, AGRS.Endeavour),
    }
)
#: closed lists of the template that are not concept schemes: column → {key: class}
CLASS_COLUMNS: Mapping[tuple[str, str], Mapping[str, URIRef]] = MappingProxyType(
    {("actors", "kind"): ACTOR_KINDS, ("forces", "force_kind"): FORCE_KINDS,
     ("disturbances", "kind"): DISTURBANCE_KINDS,
     ("projects", "kind"): MappingProxyType({key: classes[0] for key, classes in PROJECT_KINDS.items()})}
)  # fmt: skip
SUBJECT_KINDS = ("territory", "enterprise")
#: the `<kind>` segment of each sheet's IRIs
IRI_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "commons": "commons", "forces": "force", "disturbances": "disturbance", "impacts": "impact", "risks": "risk",
        "reactions": "reaction",
        "loops": "resilience-loop", "projects": "project", "value_chain": "value-chain-link",
        "dependencies": "commons-dependency", "immaterial_capital": "immaterial-capital", "performance": "performance",
    }
)  # fmt: skip

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
#: an actor cell naming an existing organisation of the observatory: `org:<key>` (the partners loader's key)
ORG_PREFIX = "org:"
ROW_ID = re.compile(r"[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*")
SDG_CODE = re.compile(r"([1-9][0-9]?)(?:\.([0-9a-z]+))?")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: the column a problem names when it comes from the diagnostic's territory (the about sheet's)
ABOUT_TERRITORY = "about:territory"
#: how a SHACL result names a path that is not one property (agrs.shacl), and the endeavour → actor shortcuts the
#: project shape checks through such a path (an alternative path)
COMPLEX_PATH = "(complex path)"
ENDEAVOUR_ACTORS = (AGRS.carriedBy, AGRS.hasPartner, AGRS.fundedBy)
SHEET_FIELD = "_sheet"  # RawRecord field naming the sheet (sources' columns never start with "_")
EXTRA_CELLS = "_extra_cells"
YES, NO = ("yes", "oui", "true", "1", "y", "o"), ("no", "non", "false", "0", "n", "")

Triple = tuple[Node, Node, Node]


# --- Vocabulary read from the ontology ----------------------------------------------------------------------


@dataclass(frozen=True)
class Concept:
    """One concept of a scheme: its IRI, key and labels."""

    iri: URIRef
    key: str
    label_fr: str
    label_en: str


@dataclass(frozen=True)
class Vocabulary:
    """The concepts and classes the workbook's cells may name, read from the ontology so that they never drift."""

    #: scheme key (`need`) → its concepts, ordered by key
    schemes: Mapping[str, tuple[Concept, ...]]
    #: (sheet, column) of a class list → its "concepts" (the classes, their labels)
    classes: Mapping[tuple[str, str], tuple[Concept, ...]]
    #: actor class → the actor type its owl:hasValue restriction on agrs:actorType fixes
    implied_actor_types: Mapping[URIRef, URIRef] = field(default_factory=dict)

    @classmethod
    def from_graph(cls, graph: Graph) -> "Vocabulary":
        """Read the concept schemes the workbook uses and the labels of its class lists from the merged ontology."""
        used = sorted({scheme for columns in SCHEME_COLUMNS.values() for scheme in columns.values()})
        schemes = {scheme: scheme_concepts(graph, URIRef(BASE + scheme)) for scheme in used}
        classes = {
            column: tuple(_class_concept(graph, key, iri) for key, iri in kinds.items())
            for column, kinds in CLASS_COLUMNS.items()
        }
        implied = {}
        for actor_class in ACTOR_KINDS.values():
            for restriction in graph.objects(actor_class, RDFS.subClassOf):
                value = graph.value(restriction, OWL.hasValue)
                if (restriction, OWL.onProperty, AGRS.actorType) in graph and isinstance(value, URIRef):
                    implied[actor_class] = value
        return cls(MappingProxyType(schemes), MappingProxyType(classes), MappingProxyType(implied))

    @classmethod
    def from_ontology(cls) -> "Vocabulary":
        """Read them from the installed ontology's files (a loader used outside the pipeline)."""
        from agrs.resources import load_ontology

        return cls.from_graph(load_ontology()[0])

    def lookup(self, sheet: str, column: str) -> dict[str, URIRef]:
        """Map a column's normalised keys and labels to IRIs (keys win over another concept's label)."""
        concepts = self.concepts(sheet, column)
        found: dict[str, URIRef] = {}
        for concept in concepts:
            for label in (concept.label_fr, concept.label_en):
                if label:
                    found[normalise(label)] = concept.iri
        for concept in concepts:
            found[normalise(concept.key)] = concept.iri
        return found

    def concepts(self, sheet: str, column: str) -> tuple[Concept, ...]:
        """Return the values a concept or class column accepts."""
        if (sheet, column) in self.classes:
            return self.classes[(sheet, column)]
        return self.schemes.get(SCHEME_COLUMNS.get(sheet, {}).get(column, ""), ())


def scheme_concepts(graph: Graph, scheme: URIRef) -> tuple[Concept, ...]:
    """Return the concepts of a scheme (skos:inScheme), with their keys and French and English labels, by key."""
    concepts = []
    for iri in set(graph.subjects(SKOS.inScheme, scheme)):
        if isinstance(iri, URIRef):
            labels = {lang: _label(graph, iri, lang) for lang in ("fr", "en")}
            concepts.append(Concept(iri, str(iri).rsplit("/", 1)[1], labels["fr"], labels["en"]))
    return tuple(sorted(concepts, key=lambda concept: concept.key))


def _class_concept(graph: Graph, key: str, iri: URIRef) -> Concept:
    return Concept(iri, key, _label(graph, iri, "fr"), _label(graph, iri, "en"))


def _label(graph: Graph, node: URIRef, lang: str) -> str:
    for prop in (SKOS.prefLabel, RDFS.label):
        for label in graph.objects(node, prop):
            if isinstance(label, Literal) and label.language == lang:
                return str(label)
    return ""


# --- Files ---------------------------------------------------------------------------------------------------


def sheet_of_csv(path: Path) -> tuple[str, str] | None:
    """Return (stem, sheet) of a `<stem>.<sheet>.csv` file name, or None when the name has no sheet."""
    name = path.name
    if not name.lower().endswith(".csv"):
        return None
    stem, dot, sheet = name[: -len(".csv")].rpartition(".")
    return (stem, sheet) if dot and stem else None


def expand_files(paths: Iterable[Path | str]) -> list[list[Path]]:
    """Group the paths a user gives into diagnostics: each a list of files, the `about` sheet first.

    A path is a workbook (`.xlsx`), a CSV sheet `<stem>.<sheet>.csv` (its siblings of the same stem join it), or
    a folder (its workbooks and its CSV diagnostics). ReadError for a path that is none of these.
    """
    groups: dict[Path, list[Path]] = {}
    for path in map(Path, paths):
        if path.is_dir():
            members = sorted(path.glob("*.xlsx")) + sorted(path.glob("*.about.csv"))
            if not members:
                raise ReadError(str(path), "the folder holds no diagnostic (no .xlsx, no <stem>.about.csv)")
            for member in members:
                _add(groups, member)
        else:
            _add(groups, path)
    return list(groups.values())


def _add(groups: dict[Path, list[Path]], path: Path) -> None:
    named = sheet_of_csv(path)
    if named is None:
        if not path.is_file():
            raise ReadError(str(path), "no such file")
        groups.setdefault(path, [path])
        return
    stem, _ = named
    order = {sheet: index for index, sheet in enumerate(SHEETS)}
    siblings = [
        sibling for sibling in path.parent.glob(f"{glob_escape(stem)}.*.csv")
        if (sheet_of_csv(sibling) or ("", ""))[0] == stem and sheet_of_csv(sibling)[1] in SHEETS
    ]  # fmt: skip
    if not path.is_file():
        raise ReadError(str(path), "no such file")
    if not any(sheet_of_csv(sibling)[1] == "about" for sibling in siblings):
        raise ReadError(str(path), f"no {stem}.about.csv beside it: the about sheet holds the template version")
    groups[path.parent / stem] = sorted(siblings, key=lambda sibling: order[sheet_of_csv(sibling)[1]])


def glob_escape(text: str) -> str:
    """Escape glob's special characters in a file-name stem."""
    return re.sub(r"([*?\[])", r"[\1]", text)


@dataclass(frozen=True)
class DiagnosticSource:
    """One diagnostic to load: its key (the graph's), its files (about first), whether it is synthetic."""

    key: str
    files: tuple[Path, ...]
    synthetic: bool


def diagnostic_sources(paths: Iterable[Path | str]) -> list[DiagnosticSource]:
    """Return the diagnostics the paths hold, each read far enough to know its key and synthetic flag.

    ReadError for an unreadable file, a missing about sheet, an unknown template version or a bad key.
    """
    sources = []
    for files in expand_files(paths):
        about = read_about(files[0])
        sources.append(DiagnosticSource(about.key, tuple(files), about.synthetic))
    return sources


def load_diagnostics(
    paths: Iterable[Path | str], store, *, quarantine_dir: Path | str, force: bool = False, resources=None,
    key: str | None = None, graph: str | None = None, progress=None,
) -> list:  # fmt: skip
    """Load every diagnostic the paths hold, each as its own source; return their LoadSummary objects.

    What `agrs load diagnostic` does: the graph key is the diagnostic's key (unless `key` or `graph` is given, for
    one diagnostic only); a diagnostic whose about sheet says synthetic=yes gets the bundled synthetic sources'
    provenance notes and `agrs:synthetic true`. ReadError as for any load (nothing of that diagnostic is written).
    """
    from agrs.loaders.bundled import SYNTHETIC_NOTES
    from agrs.loaders.pipeline import run_load

    sources = diagnostic_sources(paths)
    if (key or graph) and len(sources) > 1:
        raise ValueError(f"a key or a graph names one graph: these paths hold {len(sources)} diagnostics")
    return [
        run_load(
            DiagnosticLoader(), source.files, store, graph=graph, key=None if graph else key or source.key,
            quarantine_dir=quarantine_dir, force=force, resources=resources, progress=progress,
            notes=SYNTHETIC_NOTES if source.synthetic else (), synthetic=source.synthetic,
        )
        for source in sources
    ]


# --- The about sheet -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class About:
    """What the `about` sheet says, checked; `fields` keeps every field as written, `lines` their rows."""

    file: str
    key: str
    subject_kind: str
    territory: URIRef | None
    enterprise: str
    synthetic: bool
    fields: Mapping[str, str]
    lines: Mapping[str, int]

    @property
    def iri(self) -> URIRef:
        return ID[f"diagnostic/{self.key}"]


def read_about(path: Path) -> About:
    """Read and check the about sheet of a workbook, or a `<stem>.about.csv` (or the one beside a sheet's CSV)."""
    path = Path(path)
    if format_of(path, formats=("csv", "xlsx")) == "xlsx":
        with Workbook(path) as workbook:
            sheet = workbook.sheet("about")
            if sheet is None:
                raise ReadError(str(path), "no 'about' sheet: is this an agrs diagnostic workbook (template "
                                           f"{TEMPLATE_VERSION})?")  # fmt: skip
            return _about(f"{path}[about]", workbook.rows(sheet))
    named = sheet_of_csv(path)
    if named is None:
        raise ReadError(str(path), "a diagnostic's CSV files are named <stem>.<sheet>.csv (<stem>.about.csv …)")
    about = path.with_name(f"{named[0]}.about.csv")
    if not about.is_file():
        raise ReadError(str(path), f"no {about.name} beside it: the about sheet holds the template version")
    return _about(str(about), read_csv(about.read_bytes(), str(about)))


def _about(file: str, rows: Iterator[Row]) -> About:
    header = next(rows, None)
    if header is None or [normalise(cell) for cell in header.cells[:2]] != ["field", "value"]:
        raise ReadError(file, "the about sheet's header must be: field, value", line=header.line if header else 1)
    fields: dict[str, str] = {}
    lines: dict[str, int] = {}
    for row in rows:
        name = normalise(row.cells[0]).replace("-", "_") if row.cells else ""
        if name:
            fields[name] = row.cells[1].strip() if len(row.cells) > 1 else ""
            lines[name] = row.line
    version = fields.get("template_version", "")
    if version != TEMPLATE_VERSION:
        shown = repr(version) if version else "missing"
        raise ReadError(
            file, f"template version {shown} is not {TEMPLATE_VERSION}, the only version this loader reads: "
            "the whole file is refused (fill in the current template, data/diagnostic/template.xlsx)",
            line=lines.get("template_version"), field="template_version",
        )  # fmt: skip
    key = fields.get("diagnostic", "")
    if not SLUG.fullmatch(key):
        raise ReadError(file, f"the diagnostic key {key!r} is not a slug (a-z, 0-9, single hyphens: 'bordeaux-2026')",
                        line=lines.get("diagnostic"), field="diagnostic")  # fmt: skip
    kind = normalise(fields.get("subject_kind", "")) or "territory"
    if kind not in SUBJECT_KINDS:
        raise ReadError(file, f"subject_kind {fields['subject_kind']!r} is neither territory nor enterprise",
                        line=lines.get("subject_kind"), field="subject_kind")  # fmt: skip
    code = fields.get("territory", "")
    territory = territory_iri(code) if code else None
    if territory is None:
        raise ReadError(file, f"the diagnostic's territory {code!r} is not a territory code ('33063', "
                        "'epci:200046977', 'dep:33', 'reg:75')",
                        line=lines.get("territory"), field="territory")  # fmt: skip
    enterprise = fields.get("enterprise", "")
    if kind == "enterprise" and not ROW_ID.fullmatch(enterprise):
        raise ReadError(file, "an enterprise diagnostic names its enterprise: the id of its row in the actors sheet",
                        line=lines.get("enterprise"), field="enterprise")  # fmt: skip
    synthetic = normalise(fields.get("synthetic", ""))
    if synthetic not in (*YES, *NO):
        raise ReadError(file, f"synthetic {fields['synthetic']!r} is neither yes nor no",
                        line=lines.get("synthetic"), field="synthetic")  # fmt: skip
    return About(file, key, kind, territory, enterprise, synthetic in YES, MappingProxyType(fields),
                 MappingProxyType(lines))  # fmt: skip


# --- Reading the other sheets --------------------------------------------------------------------------------


def _columns(sheet: str, header: Row, file: str) -> list[str | None]:
    known = {normalise(column): column for column in SHEETS[sheet]}
    columns: list[str | None] = []
    for cell in header.cells:
        column = known.get(normalise(cell))
        if column is not None and column in columns:
            raise ReadError(file, f"two columns mean {column!r}", line=header.line, field=column)
        columns.append(column)
    for required in REQUIRED_COLUMNS[sheet]:
        if required not in columns:
            found = ", ".join(repr(cell) for cell in header.cells if cell) or "none"
            raise ReadError(file, f"sheet {sheet!r}: required column missing (columns found: {found})",
                            line=header.line, field=required)  # fmt: skip
    return columns


def _sheet_records(sheet: str, file: str, rows: Iterator[Row]) -> Iterator[RawRecord]:
    header = next(rows, None)
    if header is None:
        return  # an empty sheet: nothing to load
    columns = _columns(sheet, header, file)
    for row in rows:
        fields: dict[str, Any] = {column: "" for column in SHEETS[sheet]}
        for column, cell in zip(columns, row.cells, strict=False):
            if column:
                fields[column] = cell.strip()
        extra = sum(1 for cell in row.cells[len(columns) :] if cell.strip())
        if extra:
            fields[EXTRA_CELLS] = extra
        if row.truncated:
            fields[TRUNCATED] = row.truncated
        fields[SHEET_FIELD] = sheet
        yield RawRecord(file, row.line, fields, row.text)


# --- Mapping -------------------------------------------------------------------------------------------------


@dataclass
class _Row:
    """One record being mapped: its sheet, its fields, what it adds, and which column each triple came from."""

    record: Record
    sheet: str
    about: About
    node: URIRef | None = None
    origins: dict[URIRef, list[str]] = field(default_factory=dict)

    def value(self, column: str) -> str:
        return str(self.record.raw.fields.get(column) or "").strip()

    def values(self, column: str) -> list[str]:
        return [item.strip() for item in self.value(column).split("|") if item.strip()]

    def problem(self, column: str | None, message: str, rule: str) -> None:
        self.record.problems.append(Problem(message, column, rule))

    def add(self, subject: Node, predicate: URIRef, obj: Node, column: str | None = None) -> None:
        self.record.triples.append((subject, predicate, obj))
        if column is not None and column not in self.origins.setdefault(predicate, []):
            self.origins[predicate].append(column)

    def local(self, kind: str, row_id: str) -> URIRef:
        return ID[f"{kind}/{self.about.key}-{row_id}"]


class DiagnosticLoader(Loader):
    """Loads resilience-diagnostic workbooks (`agrs-diagnostic/1`, XLSX or CSV sheets); see the module's doc."""

    kind = "diagnostic"
    screened = True  # control characters, wrong JSON types and bad IRIs quarantined (loaders.base.screen)
    default_key = "default"

    def __init__(self, vocabulary: Vocabulary | None = None):
        self._vocabulary = FromOntology(Vocabulary.from_graph, Vocabulary.from_ontology, vocabulary)
        self._abouts: dict[str, About] = {}  # about file → About
        self._lookups: dict[tuple[str, str], dict[str, URIRef]] = {}
        self._actors: dict[tuple[str, str], URIRef] = {}  # (diagnostic, actor id) → IRI
        self._units: dict[str, str | None] = {}  # indicator key → unit, for the indicators defined in this load
        #: id(record) → {predicate: column}, to name the column of a SHACL result
        self._origins: dict[int, dict[URIRef, list[str]]] = {}
        self._ids: dict[tuple[str, str], set[str]] = {}  # (diagnostic, sheet) → the row ids seen

    @property
    def vocabulary(self) -> Vocabulary:
        """The concepts the cells may name, from the pipeline's ontology, else from the ontology files."""
        return self._vocabulary.get(self.ontology)

    def use_ontology(self, ontology: Graph) -> None:
        """Take the merged ontology; the lookups are built again from it."""
        super().use_ontology(ontology)
        self._lookups = {}

    def _lookup(self, sheet: str, column: str) -> dict[str, URIRef]:
        if (sheet, column) not in self._lookups:
            self._lookups[(sheet, column)] = self.vocabulary.lookup(sheet, column)
        return self._lookups[(sheet, column)]

    # -- reading

    def read(self, path: Path) -> Iterator[RawRecord]:
        """Yield the about record, then one record per row of each sheet (XLSX), or of the CSV file's sheet."""
        path = Path(path)
        if format_of(path, formats=("csv", "xlsx")) == "xlsx":
            about = self._about(path)
            yield self._about_record(about)
            with Workbook(path) as workbook:
                for sheet_name in SHEETS:
                    if sheet_name == "about":
                        continue
                    sheet = workbook.sheet(sheet_name)
                    if sheet is not None:
                        yield from _sheet_records(sheet_name, f"{path}[{sheet_name}]", workbook.rows(sheet))
            return
        named = sheet_of_csv(path)
        if named is None or (named[1] not in SHEETS and named[1] not in UNREAD_SHEETS):
            raise ReadError(str(path), f"not a sheet of {TEMPLATE_VERSION}: name it <stem>.<sheet>.csv, <sheet> one "
                                       f"of {', '.join(SHEETS)}")  # fmt: skip
        about = self._about(path)
        if named[1] == "about":
            yield self._about_record(about)
        elif named[1] in SHEETS:
            yield from _sheet_records(named[1], str(path), read_csv(path.read_bytes(), str(path)))

    def _about(self, path: Path) -> About:
        about = read_about(path)
        self._abouts[about.file] = about
        self._abouts[str(path)] = about
        return about

    def _about_record(self, about: About) -> RawRecord:
        fields = {**about.fields, SHEET_FIELD: "about"}
        original = "; ".join(f"{name}={value}" for name, value in about.fields.items())
        return RawRecord(about.file, about.lines.get("diagnostic"), fields, original)

    def _about_of(self, raw: RawRecord) -> About:
        file = raw.file
        if file in self._abouts:
            return self._abouts[file]
        base = re.sub(r"\[[a-z_]+\]$", "", file)
        if base not in self._abouts:
            self._about(Path(base))
        return self._abouts[base]

    # -- mapping

    def map(self, raw: RawRecord) -> Record:
        """Map one row (or the about sheet); bad values become problems naming their column, never exceptions."""
        sheet = raw.fields.get(SHEET_FIELD, "")
        row = _Row(Record(raw), sheet, self._about_of(raw))
        row.record.problems += truncation_problems(raw.fields)
        if raw.fields.get(EXTRA_CELLS):
            row.problem(None, f"{raw.fields[EXTRA_CELLS]} non-empty cell(s) beyond the header's columns", "extra-cells")
        if sheet in ENTERPRISE_SHEETS and row.about.subject_kind != "enterprise":
            row.problem(None, f"sheet {sheet!r} is for an enterprise diagnostic (about: subject_kind enterprise)",
                        "enterprise-sheet")  # fmt: skip
        getattr(self, f"_map_{sheet}")(row)
        if row.record.problems:
            row.record.triples, row.record.subjects = [], set()
        else:
            self._origins[id(row.record)] = row.origins
        return row.record

    def finish(self, records: list[Record]) -> None:
        """Keep the first row of each id in a sheet; quarantine the later ones as duplicates (not both for names)."""

        def key(record: Record) -> str | None:
            row_id, sheet = record.raw.fields.get("id"), record.raw.fields.get(SHEET_FIELD)
            if not isinstance(row_id, str) or not row_id.strip() or not sheet or sheet == "about":
                return None
            return f"{sheet}/{row_id.strip()}"

        quarantine_duplicates(records, key, "id")

    def after_gate(self, records: Sequence[Record]) -> None:
        """Name the column each SHACL result comes from (the path stays in the message)."""
        for record in records:
            written = self._origins.get(id(record), {})
            # a path written from several columns (the participants of carried_by, partners, funders) names them all
            origins = {_curie(predicate): "|".join(columns) for predicate, columns in written.items()}
            # the endeavour's actors are checked through one alternative path: the columns that wrote them
            actors = [column for predicate in ENDEAVOUR_ACTORS for column in written.get(predicate, ())]
            if actors:
                origins[COMPLEX_PATH] = "|".join(dict.fromkeys(actors))
            for problems in (record.problems, record.warnings):
                for index, problem in enumerate(problems):
                    column = origins.get(problem.field or "")
                    if column is not None:
                        problems[index] = Problem(f"{problem.field}: {problem.message}", column, problem.rule,
                                                  problem.summary)  # fmt: skip

    # Helpers each sheet's mapping uses.

    def _identity(self, row: _Row, kind: str, types: Iterable[URIRef], *, column: str = "id") -> URIRef | None:
        row_id = row.value(column)
        if not row_id:
            row.problem(column, "the row id is required (local to the diagnostic: 'water', 'p1')", "required")
            return None
        if not ROW_ID.fullmatch(row_id):
            row.problem(column, f"{row_id!r} is not a row id (letters, digits, single - _ or .)", "row-id")
            return None
        node = row.local(kind, row_id)
        row.node = node
        row.record.subjects.add(node)
        for cls in types:
            row.add(node, RDF.type, cls)
        row.add(node, AGRS.inDiagnostic, row.about.iri)
        return node

    def _concept(self, row: _Row, column: str, *, required: bool = False) -> URIRef | None:
        value = row.value(column)
        if not value:
            if required:
                row.problem(column, f"{column} is required: {self._choices(row.sheet, column)}", "required")
            return None
        return self._one_concept(row, column, value)

    def _concepts(self, row: _Row, column: str, *, required: bool = False) -> list[URIRef]:
        values = row.values(column)
        if not values and required:
            row.problem(column, f"{column} is required: {self._choices(row.sheet, column)}", "required")
        found = [self._one_concept(row, column, value) for value in values]
        return [iri for iri in found if iri is not None]

    def _one_concept(self, row: _Row, column: str, value: str) -> URIRef | None:
        iri = self._lookup(row.sheet, column).get(normalise(value))
        if iri is None:
            row.problem(column, f"{value!r} is not in the list: {self._choices(row.sheet, column)} (or their "
                                "French or English labels)", "not-in-list")  # fmt: skip
        return iri

    def _choices(self, sheet: str, column: str) -> str:
        keys = [concept.key for concept in self.vocabulary.concepts(sheet, column)]
        return "one of " + ", ".join(keys) if keys else "the ontology has no such list yet"

    def _refs(self, row: _Row, column: str, kind: str | Callable[[str], URIRef], *, required: bool = False,
              many: bool = True, organisations: bool = False) -> list[URIRef]:  # fmt: skip
        """Resolve a column's row ids; with `organisations`, `org:<key>` names an existing organisation."""
        values = row.values(column) if many else ([row.value(column)] if row.value(column) else [])
        if not values and required:
            row.problem(column, f"{column} is required (row ids of the diagnostic)", "required")
        found = []
        for value in values:
            if organisations and value.lower().startswith(ORG_PREFIX):
                key = value[len(ORG_PREFIX) :].strip()
                if SLUG.fullmatch(key):
                    # An organisation of the observatory (the partners loader's id/organisation/<key>): that it
                    # exists, typed agrs:Actor, is the SHACL gate's check against the store.
                    found.append(ID[f"organisation/{key}"])
                else:
                    row.problem(column, f"{value!r} is not an existing organisation's reference (org: and its key "
                                        "in the partners file: 'org:ecolocal')", "org-ref")  # fmt: skip
            elif not ROW_ID.fullmatch(value):
                row.problem(column, f"{value!r} is not a row id", "row-id")
            else:
                found.append(kind(value) if callable(kind) else row.local(kind, value))
        return found

    def _actor(self, row: _Row, actor_id: str) -> URIRef:
        return self._actors.get((row.about.key, actor_id)) or row.local("organisation", actor_id)

    def _labels(self, row: _Row, node: URIRef, *, fr: str = "label", en: str | None = None) -> None:
        if row.value(fr):
            row.add(node, RDFS.label, Literal(row.value(fr), lang="fr"), fr)
        else:
            row.problem(fr, "the French label is required", "required")
        if en and row.value(en):
            row.add(node, RDFS.label, Literal(row.value(en), lang="en"), en)

    def _integer(self, row: _Row, column: str, low: int, high: int, *, required: bool = False) -> Literal | None:
        value = row.value(column)
        if not value:
            if required:
                row.problem(column, f"{column} is required: a whole number from {low} to {high}", "required")
            return None
        if not re.fullmatch(r"[0-9]+", value) or not low <= int(value) <= high:
            row.problem(column, f"{value!r} is not a whole number from {low} to {high}", "out-of-range")
            return None
        return Literal(int(value), datatype=XSD.integer)

    def _share(self, row: _Row, column: str) -> Literal | None:
        value = row.value(column)
        if not value:
            return None
        number = parse_value(value)
        if number is None or not 0 <= number <= 1:
            row.problem(column, f"{value!r} is not a number from 0 to 1 (0.4 or 0,4)", "out-of-range")
            return None
        return decimal_literal(number)

    def _date(self, row: _Row, column: str) -> Literal | None:
        value = row.value(column)[:10]
        if not value:
            return None
        try:
            if not ISO_DATE.fullmatch(value):
                raise ValueError
            date.fromisoformat(value)
        except ValueError:
            row.problem(column, f"{row.value(column)!r} is not a date (2026-03-31)", "bad-date")
            return None
        return Literal(value, datatype=XSD.date)

    # -- one method per sheet

    def _map_about(self, row: _Row) -> None:
        about, node = row.about, row.about.iri
        row.node = node
        row.record.subjects.add(node)
        row.add(node, RDF.type, AGRS.Diagnostic)
        label = about.fields.get("label") or f"diagnostic de résilience {about.key}"
        row.add(node, RDFS.label, Literal(label, lang="fr"), "label")
        if not about.fields.get("label"):
            row.add(node, RDFS.label, Literal(f"resilience diagnostic {about.key}", lang="en"))
        row.add(node, AGRS.templateVersion, Literal(TEMPLATE_VERSION), "template_version")
        if about.subject_kind == "territory":
            row.add(node, AGRS.diagnosticOf, about.territory, "territory")
        else:
            row.add(node, AGRS.diagnosticOf, self._actor(row, about.enterprise), "enterprise")
        row.add(node, AGRS.territory, about.territory, "territory")
        when = self._date(row, "date")
        if when is not None:
            row.add(node, AGRS.diagnosticDate, when, "date")
        if about.fields.get("author"):
            row.add(node, DCTERMS.creator, Literal(about.fields["author"]), "author")

    def _map_actors(self, row: _Row) -> None:
        kind = self._concept(row, "kind", required=True)
        group = kind == AGRS.InhabitantGroup
        row_id = row.value("id")
        if ROW_ID.fullmatch(row_id):
            self._actors[(row.about.key, row_id)] = row.local("inhabitant-group" if group else "organisation", row_id)
        types = [AGRS.Actor] if group else [AGRS.Actor, AGRS.Organisation]
        node = self._identity(row, "inhabitant-group" if group else "organisation", types)
        if node is None:
            return
        if kind is not None:
            row.add(node, RDF.type, kind, "kind")
            implied = self.vocabulary.implied_actor_types.get(kind)
            if implied is not None:
                row.add(node, AGRS.actorType, implied)
        self._labels(row, node, fr="name")
        siren = re.sub(r"[\s.]", "", row.value("siren"))
        if siren:
            if group or not re.fullmatch(r"[0-9]{9}", siren):
                row.problem("siren", f"{row.value('siren')!r} is not the nine digits of an organisation's SIREN",
                            "siren-format")  # fmt: skip
            elif not luhn_valid(siren):
                row.problem("siren", f"SIREN {row.value('siren')!r} fails its checksum (Luhn key): probably mistyped",
                            "siren-checksum")  # fmt: skip
            else:
                row.add(node, AGRS.siren, Literal(siren), "siren")
        self._territory(row, node, AGRS.basedIn, "territory")
        if kind == AGRS.LocalAuthority:
            # As the partners loader reads it: a local authority's territory is the one it governs.
            self._territory(row, node, AGRS.governs, "territory")

    def _territory(self, row: _Row, node: URIRef, predicate: URIRef, column: str, *, default: bool = False) -> None:
        code = row.value(column)
        if not code:
            if default:
                row.add(node, predicate, row.about.territory, ABOUT_TERRITORY)
            return
        territory = territory_iri(code)
        if territory is None:
            row.problem(column, f"{code!r} is not a territory code ('33063', 'epci:200046977', 'dep:33', 'reg:75')",
                        "territory-format")  # fmt: skip
        else:
            row.add(node, predicate, territory, column)

    def _map_commons(self, row: _Row) -> None:
        node = self._identity(row, "commons", (AGRS.Commons, AGRS.Endeavour))
        if node is None:
            return
        self._labels(row, node, fr="label_fr", en="label_en")
        row.add(node, AGRS.commonsOf, row.about.territory, ABOUT_TERRITORY)
        for need in self._concepts(row, "needs", required=True):
            row.add(node, AGRS.meetsNeed, need, "needs")
        state = self._concept(row, "state")
        if state is not None:
            row.add(node, AGRS.commonsState, state, "state")
        scale = self._concept(row, "spatial_scale")
        if scale is not None:
            row.add(node, AGRS.spatialScale, scale, "spatial_scale")
        for other in self._refs(row, "depends_on", "commons"):
            row.add(node, AGRS.dependsOnCommons, other, "depends_on")
        for actor in self._refs(row, "actors", lambda value: self._actor(row, value), organisations=True):
            row.add(node, AGRS.linksActor, actor, "actors")
        if row.value("description"):
            row.add(node, SKOS.definition, Literal(row.value("description"), lang="fr"), "description")

    def _map_forces(self, row: _Row) -> None:
        kind = self._concept(row, "force_kind", required=True)
        node = self._identity(row, "force", (AGRS.Force,))
        if node is None:
            return
        if kind is not None:
            row.add(node, RDF.type, kind, "force_kind")
        self._labels(row, node)
        mutation = self._concept(row, "mutation", required=True)
        if mutation is not None:
            row.add(node, AGRS.expressesMutation, mutation, "mutation")
        row.add(node, AGRS.actsOn, row.about.territory, ABOUT_TERRITORY)
        # The ontology has no property from a force to a commons: the commons it acts on are related to it.
        for commons in self._refs(row, "acts_on", "commons"):
            row.add(node, DCTERMS.relation, commons, "acts_on")

    def _map_disturbances(self, row: _Row) -> None:
        if ROW_ID.fullmatch(row.value("id")):
            self._ids.setdefault((row.about.key, "disturbances"), set()).add(row.value("id"))
        kind = self._concept(row, "kind", required=True)
        node = self._identity(row, "disturbance", (AGRS.Disturbance,))
        if node is None:
            return
        if kind is not None:
            row.add(node, RDF.type, kind, "kind")
        self._labels(row, node)
        mutation = self._concept(row, "mutation")
        if mutation is not None:
            row.add(node, AGRS.expressesMutation, mutation, "mutation")
        row.add(node, AGRS.actsOn, row.about.territory, ABOUT_TERRITORY)
        for force in self._refs(row, "driven_by", "force"):
            row.add(node, AGRS.drivenBy, force, "driven_by")
        for risk in self._refs(row, "materialises", "risk"):
            row.add(node, AGRS.materialisesRisk, risk, "materialises")
        when = self._date(row, "date")
        if when is not None:
            row.add(node, AGRS.startDate, when, "date")

    def _map_impacts(self, row: _Row) -> None:
        if ROW_ID.fullmatch(row.value("id")):
            if row.value("id") in self._ids.get((row.about.key, "disturbances"), set()):
                row.problem("id", f"{row.value('id')!r} is already a disturbance's id: ids are distinct across the "
                                  "disturbances, impacts and risks sheets", "duplicate-id")  # fmt: skip
            self._ids.setdefault((row.about.key, "impacts"), set()).add(row.value("id"))
        node = self._identity(row, "impact", (AGRS.Impact,))
        if node is None:
            return
        self._labels(row, node)
        for commons in self._refs(row, "commons", "commons", required=True, many=False):
            row.add(node, AGRS.onCommons, commons, "commons")
        mutation = self._concept(row, "mutation")
        if mutation is not None:
            row.add(node, AGRS.fromMutation, mutation, "mutation")
        for force in self._refs(row, "force", "force", many=False):
            row.add(node, AGRS.causedBy, force, "force")
        disturbances = self._ids.get((row.about.key, "disturbances"), set())
        for cause in self._refs(row, "caused_by", lambda value: row.local(
                "disturbance" if value in disturbances else "force", value)):  # fmt: skip
            row.add(node, AGRS.causedBy, cause, "caused_by")
        severity = self._integer(row, "severity", 1, 5)
        if severity is not None:
            row.add(node, AGRS.severity, severity, "severity")
        self._horizon_and_scale(row, node)
        row.add(node, AGRS.territory, row.about.territory, ABOUT_TERRITORY)

    def _horizon_and_scale(self, row: _Row, node: URIRef) -> None:
        horizon = self._concept(row, "time_horizon")
        if horizon is not None:
            row.add(node, AGRS.timeHorizon, horizon, "time_horizon")
        scale = self._concept(row, "spatial_scale")
        if scale is not None:
            row.add(node, AGRS.spatialScale, scale, "spatial_scale")

    def _map_risks(self, row: _Row) -> None:
        node = self._identity(row, "risk", (AGRS.Risk,))
        hazard_type = self._concept(row, "hazard", required=True)
        commons = self._refs(row, "commons", "commons", many=False)
        exposure, vulnerability = self._share(row, "exposure"), self._share(row, "vulnerability")
        hazard_degree = self._share(row, "hazard_degree")
        if node is None:
            return
        row_id = row.value("id")
        self._labels(row, node)
        row.add(node, AGRS.territory, row.about.territory, ABOUT_TERRITORY)
        if hazard_type is not None:
            hazard = row.local("hazard", row_id)
            row.record.subjects.add(hazard)
            row.add(node, AGRS.hasHazard, hazard, "hazard")
            row.add(hazard, RDF.type, AGRS.Hazard)
            row.add(hazard, AGRS.hazardType, hazard_type, "hazard")
            row.add(hazard, RDFS.label, Literal(f"aléa du risque « {row.value('label')} »", lang="fr"))
            if hazard_degree is not None:
                row.add(hazard, AGRS.degree, hazard_degree, "hazard_degree")
        for kind, cls, link, on, degree, column in (
            ("exposure", AGRS.Exposure, AGRS.hasExposure, AGRS.exposedCommons, exposure, "exposure"),
            ("vulnerability", AGRS.Vulnerability, AGRS.hasVulnerability, AGRS.vulnerableCommons, vulnerability,
             "vulnerability"),
        ):  # fmt: skip
            if degree is None and not commons:
                continue
            part = row.local(kind, row_id)
            row.record.subjects.add(part)
            row.add(node, link, part, column)
            row.add(part, RDF.type, cls)
            word = "exposition" if kind == "exposure" else "vulnérabilité"
            row.add(part, RDFS.label, Literal(f"{word} du risque « {row.value('label')} »", lang="fr"))
            for target in commons:
                row.add(part, on, target, "commons")
            if degree is not None:
                row.add(part, AGRS.degree, degree, column)
        self._horizon_and_scale(row, node)

    def _map_reactions(self, row: _Row) -> None:
        node = self._identity(row, "reaction", (AGRS.Reaction,))
        if node is None:
            return
        self._labels(row, node)
        for target in self._refs(row, "responds_to", self._disturbance_impact_or_risk(row), required=True):
            row.add(node, AGRS.respondsTo, target, "responds_to")
        capacity = self._concept(row, "capacity")
        if capacity is not None:
            row.add(node, AGRS.mobilisesCapacity, capacity, "capacity")
        phase = self._concept(row, "crisis_phase")
        if phase is not None:
            row.add(node, AGRS.crisisPhase, phase, "crisis_phase")
        for actor in self._refs(row, "actors", lambda value: self._actor(row, value), organisations=True):
            row.add(node, AGRS.undertakenBy, actor, "actors")

    def _disturbance_impact_or_risk(self, row: _Row) -> Callable[[str], URIRef]:
        """Resolve an id of the disturbances sheet, else of the impacts sheet (both read before), else a risk's."""

        def resolve(value: str) -> URIRef:
            return row.local(*self._kind_of(row, value))

        return resolve

    def _kind_of(self, row: _Row, value: str) -> tuple[str, str]:
        """The look-up order of a cell naming a disturbance, an impact or a risk: disturbances, impacts, risks."""
        if value in self._ids.get((row.about.key, "disturbances"), set()):
            return ("disturbance", value)
        if value in self._ids.get((row.about.key, "impacts"), set()):
            return ("impact", value)
        return ("risk", value)

    def _map_loops(self, row: _Row) -> None:
        node = self._identity(row, "resilience-loop", (AGRS.ResilienceLoop,))
        if node is None:
            return
        self._labels(row, node)
        risks = []
        for value in row.values("triggered_by"):
            kind, key = self._kind_of(row, value)
            if not ROW_ID.fullmatch(value):
                row.problem("triggered_by", f"{value!r} is not a row id", "row-id")
            elif kind in ("disturbance", "impact"):
                row.add(node, AGRS.triggeredBy, row.local(kind, key), "triggered_by")
            else:
                risks.append(row.local("risk", key))  # a risk yields the loop's opportunity (agrs:arisesFromRisk)
        for reaction in self._refs(row, "reactions", "reaction", required=True):
            row.add(node, AGRS.includesReaction, reaction, "reactions")
        for capacity in self._concepts(row, "strengthens"):
            row.add(node, AGRS.strengthensCapacity, capacity, "strengthens")
        if row.value("opportunity"):
            if not risks:
                row.problem("opportunity", "an opportunity arises from a risk: list the risk ids it comes from in "
                                           "triggered_by", "opportunity-without-risk")  # fmt: skip
                return
            opportunity = row.local("opportunity", row.value("id"))
            row.record.subjects.add(opportunity)
            row.add(node, AGRS.yieldsOpportunity, opportunity, "opportunity")
            row.add(opportunity, RDF.type, AGRS.Opportunity)
            row.add(opportunity, RDFS.label, Literal(row.value("opportunity"), lang="fr"), "opportunity")
            row.add(opportunity, AGRS.inDiagnostic, row.about.iri)
            for risk in risks:
                row.add(opportunity, AGRS.arisesFromRisk, risk, "triggered_by")

    def _map_projects(self, row: _Row) -> None:
        kind = normalise(row.value("kind"))
        classes = PROJECT_KINDS.get(self._class_key(row, "kind", kind) or "")
        if classes is None:
            self._concept(row, "kind", required=True)  # records the problem
        node = self._identity(row, "project", classes or ())
        if node is None or classes is None:
            return
        self._labels(row, node)
        row.add(node, AGRS.territory, row.about.territory, ABOUT_TERRITORY)
        contract = AGRS.TerritorialContract in classes
        if AGRS.TerritoryProject in classes or contract:
            row.add(node, AGRS.timeHorizon, URIRef(BASE + "temporal-scale/years"))  # their shapes say so
        for need in self._concepts(row, "needs"):
            row.add(node, AGRS.addressesNeed, need, "needs")
        for mutation in self._concepts(row, "mutations"):
            row.add(node, AGRS.addressesMutation, mutation, "mutations")
        for commons in self._refs(row, "commons", "commons"):
            row.add(node, AGRS.addressesCommons, commons, "commons")
        for risk in self._refs(row, "risks", "risk"):
            row.add(node, AGRS.addressesRisk, risk, "risks")
        for value in row.values("sdg"):
            match = SDG_CODE.fullmatch(value.removeprefix(SDG).lower())
            if match is None or not 1 <= int(match[1]) <= 17:
                row.problem("sdg", f"{value!r} is not an SDG goal (1 to 17) or target ('6', '6.4', '12.a')", "sdg")
            else:
                row.add(node, AGRS.servesSDG, URIRef(SDG + match[0]), "sdg")
        for lever in self._concepts(row, "levers"):
            row.add(node, AGRS.usesLever, lever, "levers")
        phase = self._concept(row, "crisis_phase")
        if phase is not None:
            row.add(node, AGRS.crisisPhase, phase, "crisis_phase")
        for column, role, many in (("carried_by", "carrier", False), ("partners", "partner", True),
                                   ("funders", "funder", True)):  # fmt: skip
            for actor in self._refs(row, column, lambda value: self._actor(row, value), many=many,
                                    organisations=True):
                self._participation(row, node, actor, role, column)
        budget = row.value("budget_eur")
        if budget:
            amount = parse_value(budget)
            if amount is None or amount < 0:
                row.problem("budget_eur", f"{budget!r} is not an amount in euros (120000 or 120 000,50)",
                            "number-format")
            else:
                row.add(node, AGRS.budgetEur, decimal_literal(amount), "budget_eur")
        start, end = self._date(row, "start"), self._date(row, "end")
        if start is not None:
            row.add(node, AGRS.startDate, start, "start")
        if end is not None:
            row.add(node, AGRS.endDate, end, "end")
        if start is not None and end is not None and str(end) < str(start):
            row.problem("end", f"the end ({end}) is before the start ({start})", "end-before-start")
        includes = self._refs(row, "includes", "project")
        based_on = self._refs(row, "based_on", "project", many=False)
        if (includes or based_on) and not contract:
            row.problem("includes" if includes else "based_on", "only a CRTE contract includes projects and is "
                        "based on a territory project", "contract-only")  # fmt: skip
        if contract and not based_on:
            row.problem("based_on", "a CRTE contract is based on a territory project: give its id", "required")
        for project in includes:
            row.add(node, AGRS.includesProject, project, "includes")
        for project in based_on:
            row.add(node, AGRS.basedOnProject, project, "based_on")

    def _class_key(self, row: _Row, column: str, value: str) -> str | None:
        iri = self._lookup(row.sheet, column).get(value)
        for concept in self.vocabulary.concepts(row.sheet, column):
            if concept.iri == iri:
                return concept.key
        return None

    def _participation(self, row: _Row, endeavour: URIRef, actor: URIRef, role: str, column: str) -> None:
        """An agrs:Participation and its shortcut, as the partners loader writes them."""
        actor_key = str(actor).rsplit("/", 1)[1]
        project_key = str(endeavour).rsplit("/", 1)[1]
        participation = ID[f"participation/{actor_key}--{role}--project-{project_key}"]
        row.record.subjects.add(participation)
        row.add(participation, RDF.type, AGRS.Participation)
        row.add(participation, AGRS.participant, actor, column)
        row.add(participation, AGRS.hasRole, ROLE[role])
        row.add(participation, AGRS.participationIn, endeavour)
        shortcut = {"carrier": AGRS.carriedBy, "partner": AGRS.hasPartner, "funder": AGRS.fundedBy}[role]
        row.add(endeavour, shortcut, actor, column)

    def _enterprise(self, row: _Row) -> URIRef:
        return self._actor(row, row.about.enterprise)

    def _map_value_chain(self, row: _Row) -> None:
        node = self._identity(row, "value-chain-link", (AGRS.ValueChainLink,))
        if node is None:
            return
        self._labels(row, node)
        row.add(node, AGRS.valueChainOf, self._enterprise(row))
        stage = self._concept(row, "stage", required=True)
        if stage is not None:
            row.add(node, AGRS.valueChainStage, stage, "stage")
        self._territory(row, node, AGRS.territory, "territory", default=True)
        share = self._share(row, "local_share")
        if share is not None:
            row.add(node, AGRS.localShare, share, "local_share")

    def _map_dependencies(self, row: _Row) -> None:
        node = self._identity(row, "commons-dependency", (AGRS.CommonsDependency,))
        if node is None:
            return
        row.add(node, RDFS.label, Literal(f"dépendance au commun {row.value('commons')}", lang="fr"))
        row.add(node, AGRS.dependentActor, self._enterprise(row))
        for commons in self._refs(row, "commons", "commons", required=True, many=False):
            row.add(node, AGRS.dependencyOn, commons, "commons")
        criticality = self._integer(row, "criticality", 1, 5, required=True)
        if criticality is not None:
            row.add(node, AGRS.criticality, criticality, "criticality")

    def _map_immaterial_capital(self, row: _Row) -> None:
        node = self._identity(row, "immaterial-capital", (AGRS.ImmaterialCapital,))
        if node is None:
            return
        self._labels(row, node)
        kind = self._concept(row, "kind", required=True)
        if kind is not None:
            row.add(node, AGRS.capitalKind, kind, "kind")
        row.add(node, AGRS.capitalOf, row.about.territory, ABOUT_TERRITORY)
        assessment = self._integer(row, "assessment", 1, 5)
        if assessment is not None:
            row.add(node, AGRS.assessment, assessment, "assessment")

    def _map_performance(self, row: _Row) -> None:
        node = self._identity(row, "performance", (AGRS.GlobalPerformance,))
        if node is None:
            return
        dimension = self._concept(row, "dimension", required=True)
        row.add(node, AGRS.performanceOf, self._enterprise(row))
        if dimension is not None:
            row.add(node, AGRS.performanceDimension, dimension, "dimension")
            row.add(node, RDFS.label, Literal(f"performance {row.value('dimension')}", lang="fr"))
        assessment = self._integer(row, "assessment", 1, 5, required=True)
        if assessment is not None:
            row.add(node, AGRS.assessment, assessment, "assessment")

    def _map_indicators(self, row: _Row) -> None:
        key = row.value("key")
        if not SLUG.fullmatch(key):
            row.problem("key", f"{key!r} is not an indicator key (a-z, 0-9, single hyphens)", "slug")
            return
        node = indicator_iri(key)
        row.node = node
        row.record.subjects.add(node)
        row.add(node, RDF.type, AGRS.Indicator)
        row.add(node, AGRS.inDiagnostic, row.about.iri)
        self._labels(row, node, fr="label_fr", en="label_en")
        theme = self._concept(row, "theme", required=True)
        if theme is not None:
            row.add(node, AGRS.indicatorTheme, theme, "theme")
        method = self._concept(row, "aggregation") or AGGREGATIONS.get(normalise(row.value("aggregation")))
        if method is None:
            row.problem("aggregation", f"aggregation is required: {self._choices('indicators', 'aggregation')}",
                        "required")  # fmt: skip
        else:
            row.record.problems[:] = [p for p in row.record.problems if p.field != "aggregation"]
            row.add(node, AGRS.aggregationMethod, method, "aggregation")
        unit = row.value("unit") or None
        if unit is not None and not UCUM_CODE.fullmatch(unit):
            row.problem("unit", f"{unit!r} is not a UCUM code (no spaces: '%', 'km2', '{{inhab}}')", "ucum-format")
        elif unit is not None:
            row.add(node, AGRS.unitCode, Literal(unit), "unit")
            row.add(node, AGRS.unit, unit_iri(unit), "unit")
            for triple in unit_triples(unit):
                row.add(*triple)
            row.record.subjects.add(unit_iri(unit))
        if not row.record.problems:
            self._units[key] = unit

    def _map_values(self, row: _Row) -> None:
        key = row.value("indicator")
        if not SLUG.fullmatch(key):
            row.problem("indicator", f"{key!r} is not an indicator key", "slug")
        code = row.value("territory")
        territory = territory_iri(code) if code else row.about.territory
        if territory is None:
            row.problem("territory", f"{code!r} is not a territory code ('33063', 'epci:200046977', 'dep:33')",
                        "territory-format")  # fmt: skip
        period = parse_period(row.value("period"))
        if period is None:
            row.problem("period", f"{row.value('period')!r} is not a period ('2020', '2020-03', '2020s')",
                        "period-format")  # fmt: skip
        value = parse_value(row.value("value"))
        if value is None:
            row.problem("value", f"{row.value('value')!r} is not a number ('12.5', '12,5', '1 234')", "number-format")
        if row.record.problems:
            return
        period_code, granularity = period
        node = observation_iri(key, territory, period_code)
        row.node = node
        row.record.subjects |= {node, period_iri(period_code)}
        row.add(node, RDF.type, AGRS.Observation)
        row.add(node, AGRS.indicator, indicator_iri(key), "indicator")
        row.add(node, AGRS.territory, territory, "territory" if code else ABOUT_TERRITORY)
        row.add(node, AGRS.period, period_iri(period_code), "period")
        row.add(node, AGRS.value, decimal_literal(value), "value")
        row.add(node, AGRS.inDiagnostic, row.about.iri)
        for triple in period_triples(period_code, granularity):
            row.add(*triple)
        unit = self._units.get(key)
        if unit is not None:
            row.add(node, AGRS.unitCode, Literal(unit))
            row.add(node, AGRS.unit, unit_iri(unit))


@cache
def _curie(predicate: URIRef) -> str:
    """Return a predicate as the SHACL problems name their path (`agrs:commonsOf`)."""
    return curie(str(predicate)) or str(predicate)


__all__ = [
    "SCHEME_COLUMNS",
    "SHEETS",
    "TEMPLATE_VERSION",
    "DiagnosticLoader",
    "DiagnosticSource",
    "Vocabulary",
    "diagnostic_sources",
    "expand_files",
    "load_diagnostics",
    "read_about",
    "scheme_concepts",
]  # fmt: skip
