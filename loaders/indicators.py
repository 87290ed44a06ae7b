"""The indicators loader: indicator definitions and their observations in long format (CSV or XLSX).

A file holds definitions (one indicator a row: id, labels, what it measures, unit, aggregation method, references)
or observations (one value a row: territory, indicator, period, value, unit, source); the loader tells which from
its header. A workbook may hold both, in sheets named `indicators` (`indicateurs`) and `observations`: the
definitions are read first. Give the definitions before the observations in one load: an observation's unit is
checked against the definition read earlier in the same load (an observation of an indicator defined in another
source is left to the gate, which checks that the indicator exists).
"""

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from agrs.loaders.base import Loader
from agrs.loaders.tabular import (
    TRUNCATED,
    Row,
    Workbook,
    format_of,
    match_columns,
    normalise,
    read_csv,
    split_cells,
    truncation_problems,
)
from agrs.loaders.territory_codes import territory_iri
from agrs.ns import AGGREGATION, AGRS, ID, QUDT_UNIT, SRC, TEMPORAL_SCALE, prefixes
from agrs.observations import decimal_literal, observation_iri
from agrs.paths import ontology_dir
from agrs.records import Problem, RawRecord, ReadError, Record

DEFINITIONS, OBSERVATIONS = "definitions", "observations"
TABLE = "_table"  # which kind of row a raw record is (the reader sets it; sources' columns never start with "_")
EXTRA_CELLS = "_extra_cells"

#: canonical column → aliases (compared after `normalise`: no case, accents or punctuation)
DEFINITION_COLUMNS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "id": ("id", "identifiant", "indicator id", "id indicateur", "slug"),
        "label_fr": ("label fr", "libellé", "libelle fr", "libellé fr", "nom", "nom fr", "label"),
        "label_en": ("label en", "libellé en", "libelle en", "name", "name en", "nom en"),
        "definition_fr": ("definition fr", "définition", "définition fr", "description", "description fr"),
        "definition_en": ("definition en", "définition en", "description en"),
        "measures": ("measures", "mesure", "mesure le", "measured", "what it measures", "objet"),
        "unit": ("unit", "unité", "unite", "ucum", "unit code", "code unité"),
        "aggregation": ("aggregation", "agrégation", "aggregation method", "méthode d'agrégation", "méthode"),
        "references": ("references", "reference", "références", "référence", "sdg", "odd", "crte"),
        "theme": ("theme", "themes", "thème", "thèmes", "indicator theme", "thématique"),
        "synthesises": ("synthesises", "synthesizes", "synthétise", "composite of", "composantes", "components"),
        "source": ("source", "sources", "citation"),
    }
)
OBSERVATION_COLUMNS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "territory": (
            "territory",
            "territoire",
            "code insee",
            "code territoire",
            "codgeo",
            "code geo",
            "territory code",
        ),
        "indicator": ("indicator", "indicateur", "indicator id", "id indicateur"),
        "period": ("period", "période", "date", "année", "annee", "year", "mois", "month", "décennie"),
        "value": ("value", "valeur", "val"),
        "unit": ("unit", "unité", "unite", "ucum"),
        "source": ("source", "sources", "citation"),
        "dataset": ("dataset", "jeu de données", "jeu de donnees"),
    }
)
REQUIRED = MappingProxyType(
    {DEFINITIONS: ("id", "label_fr", "aggregation"), OBSERVATIONS: ("territory", "indicator", "period", "value")}
)
ALIASES = MappingProxyType(
    {
        table: {normalise(alias): column for column, aliases in columns.items() for alias in (column, *aliases)}
        for table, columns in ((DEFINITIONS, DEFINITION_COLUMNS), (OBSERVATIONS, OBSERVATION_COLUMNS))
    }
)
SHEETS = MappingProxyType(
    {
        DEFINITIONS: ("indicators", "indicateurs", "definitions", "définitions"),
        OBSERVATIONS: ("observations", "valeurs", "values"),
    }
)

#: the aggregation scheme's keys and their usual names (English and French)
AGGREGATIONS: Mapping[str, URIRef] = MappingProxyType(
    {
        normalise(alias): AGGREGATION[key]
        for key, aliases in {
            "sum": ("somme", "total"),
            "mean": ("moyenne", "moyenne simple", "arithmetic mean", "average"),
            "population-weighted-mean": (
                "moyenne pondérée",
                "moyenne pondérée par la population",
                "weighted mean",
                "mean weighted by population",
                "population weighted",
                "weighted",
            ),
            "min": ("minimum",),
            "max": ("maximum",),
            "median": ("médiane",),
            "none": ("aucune", "sans", "sans agrégation", "no aggregation"),
        }.items()
        for alias in (key, *aliases)
    }
)

# UCUM codes with a QUDT unit of the same meaning: a small static table (QUDT is not imported; the links are
# for consumers that speak QUDT). An annotation alone (`{inhab}`) is a count: QUDT's unit:NUM.
UCUM_TO_QUDT: Mapping[str, URIRef] = MappingProxyType(
    {
        "1": QUDT_UNIT.UNITLESS,
        "%": QUDT_UNIT.PERCENT,
        "m": QUDT_UNIT.M,
        "km": QUDT_UNIT.KiloM,
        "mm": QUDT_UNIT.MilliM,
        "m2": QUDT_UNIT.M2,
        "km2": QUDT_UNIT.KiloM2,
        "har": QUDT_UNIT.HA,
        "m3": QUDT_UNIT.M3,
        "L": QUDT_UNIT.L,
        "g": QUDT_UNIT.GM,
        "kg": QUDT_UNIT.KiloGM,
        "t": QUDT_UNIT.TONNE,
        "Cel": QUDT_UNIT.DEG_C,
        "h": QUDT_UNIT.HR,
        "d": QUDT_UNIT.DAY,
        "a": QUDT_UNIT.YR,
        "kW.h": QUDT_UNIT["KiloW-HR"],
        "MW.h": QUDT_UNIT["MegaW-HR"],
        "GW.h": QUDT_UNIT["GigaW-HR"],
    }
)
ANNOTATION = re.compile(r"\{[^{}]+\}")
UCUM_CODE = re.compile(r"[!-~]+")  # printable ASCII without spaces: the characters UCUM codes are made of
DATASET_KEY = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # an agrs:IndicatorDataset key: id/dataset/<key>
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
YEAR, MONTH, DECADE = re.compile(r"\d{4}"), re.compile(r"(\d{4})-(\d{1,2})"), re.compile(r"(\d{3}0)s")
MONTH_FR = re.compile(r"(\d{1,2})/(\d{4})")  # 03/2020, as French spreadsheets write a month
NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
SPACES = re.compile(r"[ \u00a0\u202f]")  # thousands separators: space, no-break space, narrow no-break space
LIST_SEPARATORS = re.compile(r"[;|\s]+")


def indicator_iri(key: str) -> URIRef:
    """Return the IRI of the indicator `key`: `https://w3id.org/agrs/id/indicator/<key>`."""
    return ID[f"indicator/{key}"]


def theme_iri(value: str) -> URIRef | None:
    """Return the IRI of an indicator theme: a key of the `theme:` scheme (`mitigation`), a CURIE or an IRI."""
    value = value.strip()
    if re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", value):
        return URIRef(f"{AGRS}theme/{value}")
    return term_iri(value)


def component_iri(value: str) -> URIRef | None:
    """Return the IRI of an indicator a composite synthesises: its key (`population`) or its IRI."""
    value = value.strip()
    if re.fullmatch(r"[A-Za-z0-9._\-]+", value):
        return indicator_iri(value)
    return term_iri(value)


def unit_iri(code: str) -> URIRef:
    """Return the IRI of the unit with UCUM code `code` (percent-encoded: `%` → `unit/%25`)."""
    return ID["unit/" + quote(code, safe="")]


def period_iri(code: str) -> URIRef:
    """Return the IRI of a period from its code (`2020`, `2020-03`, `2020s`)."""
    return ID[f"period/{code}"]


def qudt_unit(code: str) -> URIRef | None:
    """Return the QUDT unit of a UCUM code, when the table knows one."""
    if code in UCUM_TO_QUDT:
        return UCUM_TO_QUDT[code]
    return QUDT_UNIT.NUM if ANNOTATION.fullmatch(code) else None


def parse_period(text: str) -> tuple[str, URIRef] | None:
    """Return a period's code and granularity (`2020-3` → `2020-03`, months), or None when malformed."""
    text = text.strip()
    if YEAR.fullmatch(text):
        return text, TEMPORAL_SCALE.years
    match = MONTH.fullmatch(text) or MONTH_FR.fullmatch(text)
    if match:
        year, month = (match[1], match[2]) if match.re is MONTH else (match[2], match[1])
        if 1 <= int(month) <= 12:
            return f"{year}-{int(month):02d}", TEMPORAL_SCALE.months
        return None
    match = DECADE.fullmatch(text)
    return (text, TEMPORAL_SCALE.decades) if match else None


def parse_value(text: str) -> Decimal | None:
    """Return a number written `12.5`, `12,5` or `1 234,5` (no exponent, not both `.` and `,`), or None."""
    text = SPACES.sub("", text.strip())
    if "," in text:
        if "." in text or text.count(",") > 1:
            return None
        text = text.replace(",", ".")
    if not NUMBER.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return None


def sources_in(graph: Graph) -> frozenset[str]:
    """Return the keys of the sources a graph registers (`seed-004`, `insee-populations`…)."""
    return frozenset(
        str(node).removeprefix(str(SRC)) for node in graph.subjects(RDF.type, DCTERMS.BibliographicResource)
        if str(node).startswith(str(SRC))
    )  # fmt: skip


@cache
def registered_sources() -> frozenset[str]:
    """Return the keys of the sources registered in ontology/sources.ttl, read from the file once."""
    return sources_in(Graph().parse(ontology_dir() / "sources.ttl", format="turtle"))


def source_iri(value: str, sources: frozenset[str] | None = None) -> URIRef | None:
    """Return the IRI of a source: a registered key (`insee-populations`, `src:seed-004`) or an http(s) URL.

    `sources` are the registered keys (by default those of ontology/sources.ttl).
    """
    value = value.strip()
    if re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", value):
        return URIRef(value)
    key = value.removeprefix("src:")
    return SRC[key] if key in (registered_sources() if sources is None else sources) else None


def term_iri(value: str) -> URIRef | None:
    """Return the IRI a CURIE (`need:water`), a data path (`commons/x`, `risk/y`) or an absolute IRI names."""
    value = value.strip().strip("<>")
    if re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", value):
        return URIRef(value)
    prefix, colon, local = value.partition(":")
    if colon:
        namespace = prefixes().get(prefix)
        return URIRef(namespace + local) if namespace and re.fullmatch(r"[\w.\-/]+", local) else None
    if re.fullmatch(r"[a-z-]+/[A-Za-z0-9._\-]+", value):
        return ID[value]
    return None


# --- Reading ---------------------------------------------------------------------------------------------


def _table_of(headers: list[str], file: str, line: int | None, wanted: str | None = None) -> tuple[str, list]:
    """Tell a header row's table (definitions or observations) and map its cells to canonical columns.

    Raises ReadError when it is neither, a required column is missing, or two headers mean the same column.
    """
    keys = [normalise(header) for header in headers]
    if wanted is None:
        hits = {table: sum(key in ALIASES[table] for key in keys) for table in ALIASES}
        # `value` is what only observations have; `aggregation` what only definitions have.
        if any(ALIASES[OBSERVATIONS].get(key) == "value" for key in keys):
            wanted = OBSERVATIONS
        elif any(ALIASES[DEFINITIONS].get(key) == "aggregation" for key in keys):
            wanted = DEFINITIONS
        else:
            wanted = max(hits, key=hits.__getitem__)
    missing = f"required column of an indicator {wanted} table missing"
    return wanted, match_columns(headers, ALIASES[wanted], REQUIRED[wanted], file=file, line=line, missing=missing)


def _fields(table: str, columns: list[str | None], row: Row) -> dict[str, Any]:
    """Return one row's fields: canonical column → stripped text, the table, stray cells, truncation."""
    fields: dict[str, Any]
    fields, extra = split_cells(columns, row.cells)
    fields[TABLE] = table
    if extra:
        fields[EXTRA_CELLS] = extra
    if row.truncated:
        fields[TRUNCATED] = row.truncated
    return fields


def _records(file: str, rows: Iterator[Row], table: str | None = None, sheet: str | None = None) -> Iterator[RawRecord]:
    """Turn rows (the header first) into records; the header tells the table unless `table` is given."""
    header = next(rows, None)
    if header is None:
        raise ReadError(file, f"sheet {sheet!r} is empty: no header row", line=1)
    try:
        table, columns = _table_of(header.cells, file, header.line, table)
    except ReadError as error:
        if sheet is None:
            raise
        raise ReadError(file, f"sheet {sheet!r}: {error.reason}", line=error.line, field=error.field) from None
    for row in rows:
        yield RawRecord(file, row.line, _fields(table, columns, row), row.text)


def _read_xlsx(path: Path) -> Iterator[RawRecord]:
    """Yield the rows of a workbook's definitions sheet, then of its observations sheet (line = row number).

    A workbook with neither sheet (among the visible ones) is read from its first visible sheet, whose header
    tells the table.
    """
    with Workbook(path) as workbook:
        sheets = [(table, workbook.sheet(*SHEETS[table])) for table in (DEFINITIONS, OBSERVATIONS)]
        sheets = [(table, sheet) for table, sheet in sheets if sheet is not None]
        for table, sheet in sheets or [(None, workbook.first_visible())]:
            yield from _records(str(path), workbook.rows(sheet), table, sheet.title)


# --- Mapping ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Definition:
    """What the loader remembers of an indicator defined in this load: its unit, to check observations."""

    unit: str | None
    line: int | None
    fingerprint: tuple


class IndicatorsLoader(Loader):
    """Indicator definitions and observations (CSV with `;` or `,`, UTF-8/BOM/Windows-1252, or XLSX)."""

    kind = "indicators"
    screened = True  # control characters, wrong JSON types and bad IRIs quarantined (loaders.base.screen)
    default_key = "default"

    def __init__(self) -> None:
        # What this load has seen, to check units and catch duplicates across rows and files.
        self.definitions: dict[str, Definition] = {}
        self.observed: dict[tuple[str, URIRef, str], tuple[Decimal, int | None, str]] = {}
        self._sources: frozenset[str] | None = None

    def use_ontology(self, ontology: Graph) -> None:
        """Take the registered sources from the merged ontology."""
        super().use_ontology(ontology)
        self._sources = sources_in(ontology)

    def _source_iri(self, value: str) -> URIRef | None:
        """Return a source's IRI, checked against the pipeline's ontology when given, else sources.ttl."""
        return source_iri(value, self._sources)

    def read(self, path: Path) -> Iterator[RawRecord]:
        """Yield the rows of a CSV file or workbook; ReadError when it cannot be read or has no known header."""
        path = Path(path)
        if format_of(path, formats=("csv", "xlsx")) == "xlsx":
            yield from _read_xlsx(path)
        else:
            yield from _records(str(path), read_csv(path.read_bytes(), str(path)))

    def map(self, raw: RawRecord) -> Record:
        """Map a definition or an observation row; a bad value becomes a problem, never an exception."""
        record = Record(raw)
        fields = raw.fields
        record.problems += truncation_problems(fields)
        if fields.get(EXTRA_CELLS):
            record.problems.append(Problem(f"{fields[EXTRA_CELLS]} cell(s) beyond the header", None, "extra-cells"))
        if fields.get(TABLE) == DEFINITIONS:
            self._map_definition(record, fields)
        else:
            self._map_observation(record, fields)
        if record.problems:
            record.triples, record.subjects = [], set()
        return record

    # -- definitions

    def _map_definition(self, record: Record, fields: Mapping[str, str]) -> None:
        problems = record.problems
        key = fields.get("id", "")
        if not key:
            problems.append(Problem("missing", "id", "required"))
        elif not SLUG.fullmatch(key):
            problems.append(Problem(f"{key!r} is not an id (a-z, 0-9, single hyphens: 'population')", "id", "slug"))
        label_fr = fields.get("label_fr", "")
        if not label_fr:
            problems.append(Problem("missing", "label_fr", "required"))
        method = AGGREGATIONS.get(normalise(fields.get("aggregation", "")))
        if method is None:
            known = "sum, mean, population-weighted-mean, min, max, median, none"
            problems.append(
                Problem(
                    f"{fields.get('aggregation', '')!r} is not a method ({known})", "aggregation", "unknown-aggregation"
                )
            )
        unit = fields.get("unit", "") or None
        if unit is not None and not UCUM_CODE.fullmatch(unit):
            problems.append(
                Problem(f"{unit!r} is not a UCUM code (no spaces: '%', 'km2', '{{inhab}}')", "unit", "ucum-format")
            )
        measures = self._iris(record, fields.get("measures", ""), "measures", term_iri, "term")
        references = self._iris(record, fields.get("references", ""), "references", term_iri, "reference")
        themes = self._iris(record, fields.get("theme", ""), "theme", theme_iri, "theme")
        components = self._iris(record, fields.get("synthesises", ""), "synthesises", component_iri, "indicator")
        sources = self._iris(record, fields.get("source", ""), "source", self._source_iri, "source")
        if problems:
            return
        fingerprint = tuple(sorted((name, value) for name, value in fields.items() if not name.startswith("_")))
        seen = self.definitions.get(key)
        if seen is not None:
            if seen.fingerprint == fingerprint:
                record.warnings.append(Problem(f"same definition as line {seen.line}: skipped", "id", "duplicate-row"))
            else:
                problems.append(
                    Problem(
                        f"indicator {key!r} already defined differently on line {seen.line}",
                        "id",
                        "conflicting-definition",
                    )
                )
            return
        self.definitions[key] = Definition(unit, record.raw.line, fingerprint)
        node = indicator_iri(key)
        triples = [
            (node, RDF.type, AGRS.Indicator),
            (node, RDFS.label, Literal(label_fr, lang="fr")),
            (node, AGRS.aggregationMethod, method),
        ]
        for column, prop, lang in (
            ("label_en", RDFS.label, "en"), ("definition_fr", SKOS.definition, "fr"),
            ("definition_en", SKOS.definition, "en"),
        ):  # fmt: skip
            if fields.get(column):
                triples.append((node, prop, Literal(fields[column], lang=lang)))
        triples += [(node, AGRS.measures, iri) for iri in measures]
        triples += [(node, DCTERMS.references, iri) for iri in references]
        triples += [(node, AGRS.indicatorTheme, iri) for iri in themes]
        if components:  # a composite indicator: typed as such, as the shapes ask
            triples.append((node, RDF.type, AGRS.CompositeIndicator))
            triples += [(node, AGRS.synthesises, iri) for iri in components]
        triples += [(node, DCTERMS.source, iri) for iri in sources]
        record.subjects = {node}
        if unit is not None:
            triples += [(node, AGRS.unitCode, Literal(unit)), (node, AGRS.unit, unit_iri(unit))]
            triples += unit_triples(unit)
            record.subjects.add(unit_iri(unit))
        record.triples = triples

    @staticmethod
    def _iris(record: Record, value: str, field: str, parse, what: str) -> list[URIRef]:
        iris = []
        for item in (part for part in LIST_SEPARATORS.split(value) if part):
            iri = parse(item)
            if iri is None:
                record.problems.append(Problem(f"{item!r} is not a known {what}", field, f"unknown-{what}"))
            else:
                iris.append(iri)
        return iris

    # -- observations

    def _map_observation(self, record: Record, fields: Mapping[str, str]) -> None:
        problems = record.problems
        territory = territory_iri(fields.get("territory", "")) if fields.get("territory") else None
        if territory is None:
            problems.append(
                Problem(
                    f"{fields.get('territory', '')!r} is not a territory code ('33063', 'dep:33', "
                    "'reg:75', 'epci:243300316', 'pays:FR')",
                    "territory",
                    "territory-format",
                )
            )
        key = fields.get("indicator", "")
        if not SLUG.fullmatch(key):
            problems.append(Problem(f"{key!r} is not an indicator id", "indicator", "slug"))
        period = parse_period(fields.get("period", ""))
        if period is None:
            problems.append(
                Problem(
                    f"{fields.get('period', '')!r} is not a period ('2020', '2020-03', '2020s')",
                    "period",
                    "period-format",
                )
            )
        value = parse_value(fields.get("value", ""))
        if value is None:
            problems.append(
                Problem(
                    f"{fields.get('value', '')!r} is not a number ('12.5', '12,5', '1 234')", "value", "number-format"
                )
            )
        unit = fields.get("unit", "") or None
        definition = self.definitions.get(key)
        if definition is not None and unit is not None and unit != definition.unit:
            expected = definition.unit or "no unit"
            problems.append(
                Problem(
                    f"unit {unit!r} differs from the indicator's ({expected!r}, line {definition.line})",
                    "unit",
                    "unit-mismatch",
                )
            )
        elif unit is not None and not UCUM_CODE.fullmatch(unit):
            problems.append(Problem(f"{unit!r} is not a UCUM code", "unit", "ucum-format"))
        sources = self._iris(record, fields.get("source", ""), "source", self._source_iri, "source")
        dataset = fields.get("dataset", "")
        if dataset and not DATASET_KEY.fullmatch(dataset):
            problems.append(Problem(f"dataset {dataset!r} is not a key (a-z, 0-9, '-')", "dataset", "dataset-key"))
        if problems:
            return
        code, granularity = period
        duplicate = self.observed.get((key, territory, code))
        if duplicate is not None:
            first_value, first_line, first_unit = duplicate
            if first_value == value and first_unit == (unit or ""):
                record.warnings.append(
                    Problem(f"same observation as line {first_line}: skipped", None, "duplicate-row")
                )
            else:
                problems.append(
                    Problem(
                        f"another value ({first_value}) for the same indicator, territory and "
                        f"period on line {first_line}",
                        "value",
                        "conflicting-value",
                    )
                )
            return
        self.observed[(key, territory, code)] = (value, record.raw.line, unit or "")
        node, period_node = observation_iri(key, territory, code), period_iri(code)
        triples = [
            (node, RDF.type, AGRS.Observation),
            (node, AGRS.indicator, indicator_iri(key)),
            (node, AGRS.territory, territory),
            (node, AGRS.period, period_node),
            (node, AGRS.value, decimal_literal(value)),
            *period_triples(code, granularity),
        ]
        unit = unit or (definition.unit if definition else None)
        if unit is not None:
            triples.append((node, AGRS.unitCode, Literal(unit)))
            if definition is not None:  # the unit node is described by the definition's record
                triples.append((node, AGRS.unit, unit_iri(unit)))
        triples += [(node, DCTERMS.source, iri) for iri in sources]
        if dataset:  # the dataset itself is described elsewhere (the gate checks it is an agrs:IndicatorDataset)
            triples.append((node, AGRS.inDataset, ID[f"dataset/{dataset}"]))
        record.triples, record.subjects = triples, {node, period_node}


def unit_triples(code: str) -> list[tuple]:
    """Return the description of a unit: its type, UCUM code and, when known, its QUDT unit."""
    node = unit_iri(code)
    triples = [(node, RDF.type, AGRS.UnitOfMeasure), (node, AGRS.unitCode, Literal(code))]
    qudt = qudt_unit(code)
    if qudt is not None:
        triples.append((node, AGRS.qudtUnit, qudt))
    return triples


def period_triples(code: str, granularity: URIRef) -> list[tuple]:
    """Return the description of a period: its type, granularity and code."""
    node = period_iri(code)
    return [
        (node, RDF.type, AGRS.Period),
        (node, AGRS.granularity, granularity),
        (node, AGRS.periodCode, Literal(code)),
    ]


__all__ = ["IndicatorsLoader", "observation_iri", "parse_period", "parse_value", "period_iri", "unit_iri"]
