"""The risks loader: Géorisques GASPAR exports of natural-disaster (CatNat) recognitions, per commune.

GASPAR publishes one row per commune, recognition and peril, `;`-separated, in two column layouts:

- older: `cod_nat_catnat;cod_commune;lib_commune;num_risque_jo;lib_risque_jo;dat_deb;dat_fin;dat_pub_arrete;
  dat_pub_jo;dat_maj`
- 2026: `id_gaspar;code_commune;libelle_commune;num_risque_jo;lib_risque_jo;date_debut;date_fin;
  date_signature_arrete;date_publication_jo;date_modification` (timestamps with a time of day)

Each row becomes a recognised natural disaster (`agrs:NaturalDisaster`, a shock) acting on its commune, with its
event, decree and Official Journal dates, which materialises the commune's risk of that peril: an `agrs:Risk` on
the commune whose `agrs:Hazard` has the peril's hazard type (`hazard:flood` for ICB…). The risk and hazard nodes
are shared by every row of the same commune and hazard type, so the risks known per commune are the distinct
risks of its recognitions.

Exact duplicate rows (the exports hold them by the thousand) are removed while reading; the row kept carries a
warning saying how many copies were dropped and where. Whether the commune exists is the SHACL gate's business.
"""

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, XSD
from rdflib.term import Node

from agrs.loaders.base import Loader
from agrs.loaders.tabular import TRUNCATED, Row, normalise, read_csv, truncation_problems
from agrs.ns import AGRS, HAZARD, ID, SRC
from agrs.records import Problem, RawRecord, ReadError, Record

SOURCE = SRC["georisques-gaspar"]

#: canonical field → its column in each layout (older, 2026)
LAYOUTS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "gaspar-older": MappingProxyType(
            {
                "id": "cod_nat_catnat",
                "commune": "cod_commune",
                "commune_name": "lib_commune",
                "risk_code": "num_risque_jo",
                "risk_label": "lib_risque_jo",
                "start": "dat_deb",
                "end": "dat_fin",
                "decree": "dat_pub_arrete",
                "gazette": "dat_pub_jo",
                "modified": "dat_maj",
            }
        ),
        "gaspar-2026": MappingProxyType(
            {
                "id": "id_gaspar",
                "commune": "code_commune",
                "commune_name": "libelle_commune",
                "risk_code": "num_risque_jo",
                "risk_label": "lib_risque_jo",
                "start": "date_debut",
                "end": "date_fin",
                "decree": "date_signature_arrete",
                "gazette": "date_publication_jo",
                "modified": "date_modification",
            }
        ),
    }
)
DATE_FIELDS = ("start", "end", "decree", "gazette", "modified")

#: GASPAR's peril code (num_risque_jo) → key of a concept of the `hazard:` scheme (ontology/modules/resilience.ttl)
RISK_CODES: Mapping[str, str] = MappingProxyType(
    {
        "ICB": "flood",  # Inondations et/ou Coulées de Boue
        "MVT": "ground-movement",  # Mouvement de Terrain
        "GLT": "landslide",  # Glissement de Terrain
        "SEC": "clay-shrink-swell",  # Sécheresse: differential ground movements of clay soils, not water shortage
        "TMP": "storm",  # Tempête
        "VAG": "wave-action",  # Chocs Mécaniques liés à l'action des Vagues
    }
)
#: the peril's label (lib_risque_jo, normalised) → hazard key, for codes the table above lacks
RISK_LABELS: Mapping[str, str] = MappingProxyType(
    {
        normalise(label): key
        for key, labels in {
            "flood": ("Inondations et/ou Coulées de Boue", "Inondations et coulées de boue",
                      "Inondations Remontée Nappe", "Inondations par remontées de nappe phréatique"),
            "coastal-submersion": ("Submersion marine", "Inondations par submersion marine"),
            "ground-movement": ("Mouvement de Terrain", "Mouvements de terrain", "Eboulement et/ou Chute de Blocs",
                                "Effondrement et/ou Affaisement", "Effondrement et/ou Affaissement",
                                "Lave Torrentielle"),
            "landslide": ("Glissement de Terrain",),
            "clay-shrink-swell": ("Sécheresse", "Mouvements de terrain différentiels consécutifs à la sécheresse et "
                                  "à la réhydratation des sols"),
            "storm": ("Tempête", "Vents Cycloniques"),
            "wave-action": ("Chocs Mécaniques liés à l'action des Vagues",),
            "tsunami": ("Raz de Marée",),
            "earthquake": ("Secousse Sismique", "Séisme", "Séismes"),
            "avalanche": ("Avalanche",),
            "hail": ("Grêle",),
            "snow-load": ("Poids de la Neige",),
            "volcanic-eruption": ("Eruption Volcanique",),
        }.items()
        for label in labels
    }
)  # fmt: skip
#: the French and English labels of the hazard types, for the risk and hazard nodes' names
HAZARD_LABELS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "flood": ("inondation", "flood"),
        "coastal-submersion": ("submersion marine", "coastal flooding"),
        "ground-movement": ("mouvement de terrain", "ground movement"),
        "landslide": ("glissement de terrain", "landslide"),
        "clay-shrink-swell": ("retrait-gonflement des argiles", "clay shrink-swell"),
        "storm": ("tempête", "storm"),
        "wave-action": ("chocs mécaniques liés à l'action des vagues", "wave impact"),
        "tsunami": ("raz de marée", "tsunami"),
        "earthquake": ("séisme", "earthquake"),
        "avalanche": ("avalanche", "avalanche"),
        "hail": ("grêle", "hail"),
        "snow-load": ("poids de la neige", "snow load"),
        "volcanic-eruption": ("éruption volcanique", "volcanic eruption"),
    }
)

COMMUNE_CODE = re.compile(r"(?:\d{2}|2[AB])\d{3}")
GASPAR_ID = re.compile(r"[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*")
RISK_CODE = re.compile(r"[A-Za-z0-9]+")
ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?")
FRENCH_DATE = re.compile(r"(\d{2})/(\d{2})/(\d{4})(?: (\d{2}):(\d{2})(?::(\d{2}))?)?")

# Keys the reader adds to a record's fields; GASPAR's canonical fields never start with "_".
DUPLICATES = "_duplicate_lines"  # lines of the exact copies of this row that were dropped
CONFLICT = "_conflicts_with"  # line of an earlier row with the same key and different values
EXTRA = "_extra_cells"
LAYOUT = "_layout"

Triple = tuple[Node, Node, Node]


class RisksLoader(Loader):
    """Loads GASPAR CatNat exports: recognised natural disasters and the risks they materialise, per commune."""

    kind = "risks"
    screened = True  # control characters, wrong JSON types and bad IRIs quarantined (loaders.base.screen)
    default_key = "gaspar"

    def __init__(self) -> None:
        #: file → number of exact duplicate rows removed (for callers that report it)
        self.duplicates: dict[str, int] = {}

    def read(self, path: Path) -> Iterator[RawRecord]:
        """Yield one raw record per distinct row of a GASPAR CSV file, numbered by physical line (header = 1).

        Raises ReadError for bytes that are neither UTF-8 (or UTF-16) nor Windows-1252, an empty file, a header
        of neither layout, or malformed quoting.
        """
        path = Path(path)
        file = str(path)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise ReadError(file, error.strerror or str(error)) from error
        rows = read_csv(data, file)
        header = next(rows)  # read_csv raises for a file without one
        layout, columns = _layout(file, header.cells, header.line)
        records = list(self._rows(file, rows, layout, columns))
        self.duplicates[file] = sum(len(record.fields.get(DUPLICATES, ())) for record in records)
        yield from records

    def _rows(self, file: str, rows: Iterator[Row], layout: str, columns: list[str | None]) -> Iterator[RawRecord]:
        """Turn the rows after the header into records, dropping exact duplicates and flagging conflicts."""
        kept: dict[tuple[str, ...], RawRecord] = {}
        keys: dict[tuple[str, str, str], tuple[tuple[str, ...], int]] = {}
        for row in rows:
            cells, start = row.cells, row.line
            key_cells = tuple(cells)
            if key_cells in kept:
                kept[key_cells].fields[DUPLICATES].append(start)
                continue
            fields: dict[str, Any] = {name: "" for name in LAYOUTS[layout]}
            for column, cell in zip(columns, cells, strict=False):
                if column:
                    fields[column] = cell.strip()
            extra = [cell for cell in cells[len(columns) :] if cell.strip()]
            if extra:
                fields[EXTRA] = len(extra)
            if row.truncated:
                fields[TRUNCATED] = row.truncated
            fields[LAYOUT] = layout
            fields[DUPLICATES] = []
            key = (fields["id"], _commune_code(fields["commune"]), fields["risk_code"].upper() or fields["risk_label"])
            if key in keys and keys[key][0] != key_cells:
                fields[CONFLICT] = keys[key][1]
            else:
                keys.setdefault(key, (key_cells, start))
            record = RawRecord(file, start, fields, row.text)
            kept[key_cells] = record
            yield record

    def map(self, raw: RawRecord) -> Record:
        """Map one row to its natural disaster, risk and hazard; bad values become problems, never exceptions."""
        record = Record(raw)
        record.problems += truncation_problems(raw.fields)
        row = _Row(raw.fields, record)
        if raw.fields.get(EXTRA):
            row.problem(None, f"{raw.fields[EXTRA]} non-empty cell(s) beyond the last column", "extra-cells")
        if raw.fields.get(CONFLICT):
            row.problem(
                "id",
                f"same recognition, commune and peril as line {raw.fields[CONFLICT]} with other values: "
                "the first row is kept",
                "conflicting-row",
            )
        duplicates = raw.fields.get(DUPLICATES) or []
        if duplicates:
            shown = ", ".join(str(line) for line in duplicates[:5]) + (", …" if len(duplicates) > 5 else "")
            record.warnings.append(
                Problem(f"{len(duplicates)} exact duplicate row(s) removed (lines {shown})", None, "duplicate-rows")
            )
        gaspar_id = row.identifier()
        commune = row.commune()
        hazard, code = row.hazard()
        dates = {name: row.date(name, required=name == "start") for name in DATE_FIELDS}
        if record.problems or gaspar_id is None or commune is None or hazard is None:
            return record
        disaster = ID[f"catnat/{gaspar_id}--{commune}--{(code or hazard).lower()}"]
        record.triples = _triples(disaster, commune, hazard, gaspar_id, row, dates)
        record.subjects = {disaster, _risk(commune, hazard), _hazard(commune, hazard)}
        return record


@dataclass
class _Row:
    """The fields of one row, read with checks: each bad value adds a Problem to the record."""

    fields: Mapping[str, Any]
    record: Record

    def value(self, name: str) -> str:
        """Return a field's text, stripped ("" when absent)."""
        return str(self.fields.get(name) or "").strip()

    def problem(self, field: str | None, message: str, rule: str) -> None:
        """Record why the row cannot be loaded."""
        self.record.problems.append(Problem(message, field, rule))

    def identifier(self) -> str | None:
        """Return the GASPAR identifier of the recognition (cod_nat_catnat, id_gaspar)."""
        value = self.value("id")
        if not value:
            self.problem("id", "the GASPAR identifier of the recognition is required", "required")
            return None
        if not GASPAR_ID.fullmatch(value):
            self.problem("id", f"{value!r} is not a GASPAR identifier (letters and digits, such as 33PREF20210045)",
                         "bad-id")  # fmt: skip
            return None
        return value

    def commune(self) -> str | None:
        """Return the commune's INSEE code; a four-digit code lost its leading zero in a spreadsheet."""
        value = self.value("commune")
        if not value:
            self.problem("commune", "the commune's INSEE code is required", "required")
            return None
        code = _commune_code(value)
        if not COMMUNE_CODE.fullmatch(code):
            self.problem("commune", f"{value!r} is not a commune code (33063, 2A004)", "commune-format")
            return None
        return code

    def hazard(self) -> tuple[str | None, str | None]:
        """Return the hazard key of the row's peril, by its code, else by its label, and the code if known."""
        code, label = self.value("risk_code").upper(), self.value("risk_label")
        if code in RISK_CODES:
            return RISK_CODES[code], code
        key = RISK_LABELS.get(normalise(label)) if label else None
        if key is None:
            self.problem(
                "risk_code",
                f"unknown peril {code or '-'} {label!r}: known codes {', '.join(RISK_CODES)}, "
                "or a label such as 'Inondations et/ou Coulées de Boue'",
                "unknown-risk",
            )
            return None, None
        return key, code if RISK_CODE.fullmatch(code) else None

    def date(self, name: str, *, required: bool = False) -> Literal | None:
        """Return a date field as xsd:date, or xsd:dateTime when it has a time of day other than midnight."""
        value = self.value(name)
        if not value:
            if required:
                self.problem(name, "the event's start date is required", "required")
            return None
        parsed = _parse_date(value)
        if parsed is None:
            self.problem(name, f"{value!r} is not a date (2021-06-19, 2021-06-19 00:00:00 or 19/06/2021)", "bad-date")
        return parsed


def _triples(
    disaster: URIRef, commune: str, hazard: str, gaspar_id: str, row: _Row, dates: Mapping[str, Literal | None]
) -> list[Triple]:
    """Return the triples of one recognition, its commune's risk and that risk's hazard."""
    territory, risk, hazard_node = ID[f"commune/{commune}"], _risk(commune, hazard), _hazard(commune, hazard)
    french, english = HAZARD_LABELS[hazard]
    peril = row.value("risk_label") or french
    name = row.value("commune_name") or commune
    start = dates["start"]
    triples: list[Triple] = [
        # Explicit types: the SHACL gate runs without inference.
        (disaster, RDF.type, AGRS.NaturalDisaster),
        (disaster, RDF.type, AGRS.Shock),
        (disaster, RDF.type, AGRS.Disturbance),
        (disaster, RDFS.label, Literal(f"{peril} à {name} ({str(start)[:10]})", lang="fr")),
        (disaster, DCTERMS.identifier, Literal(gaspar_id)),
        (disaster, AGRS.actsOn, territory),
        (disaster, AGRS.materialisesRisk, risk),
        (disaster, DCTERMS.source, SOURCE),
        (risk, RDF.type, AGRS.Risk),
        (risk, RDFS.label, Literal(f"risque « {french} » de la commune {commune}", lang="fr")),
        (risk, RDFS.label, Literal(f"{english} risk of commune {commune}", lang="en")),
        (risk, AGRS.territory, territory),
        (risk, AGRS.hasHazard, hazard_node),
        (risk, DCTERMS.source, SOURCE),
        (hazard_node, RDF.type, AGRS.Hazard),
        (hazard_node, RDFS.label, Literal(f"aléa « {french} » de la commune {commune}", lang="fr")),
        (hazard_node, RDFS.label, Literal(f"{english} hazard of commune {commune}", lang="en")),
        (hazard_node, AGRS.hazardType, HAZARD[hazard]),
    ]
    properties = {
        "start": AGRS.startDate,
        "end": AGRS.endDate,
        "decree": AGRS.decreeDate,
        "gazette": AGRS.gazetteDate,
        "modified": DCTERMS.modified,
    }
    triples += [(disaster, properties[name], value) for name, value in dates.items() if value is not None]
    return triples


def _risk(commune: str, hazard: str) -> URIRef:
    """Return the IRI of a commune's risk of one hazard type."""
    return ID[f"risk/commune-{commune}--{hazard}"]


def _hazard(commune: str, hazard: str) -> URIRef:
    """Return the IRI of the hazard of one type in a commune."""
    return ID[f"hazard/commune-{commune}--{hazard}"]


def _commune_code(value: str) -> str:
    """Return a commune code as written, with the leading zero a spreadsheet drops (1001 → 01001)."""
    value = value.strip().upper()
    return f"0{value}" if len(value) == 4 and value.isdigit() else value


def _parse_date(value: str) -> Literal | None:
    """Parse an ISO or French date, with an optional time of day; None when it is not a real date."""
    match = ISO_DATE.fullmatch(value)
    if match:
        year, month, day, hour, minute, second = match.groups()
    else:
        match = FRENCH_DATE.fullmatch(value)
        if match is None:
            return None
        day, month, year, hour, minute, second = match.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError:
        return None
    if moment.time() == datetime.min.time():
        return Literal(date.isoformat(moment.date()), datatype=XSD.date)
    return Literal(moment.isoformat(), datatype=XSD.dateTime)


def _layout(file: str, headers: list[str], line: int) -> tuple[str, list[str | None]]:
    """Return the layout a header row belongs to and the canonical field of each column.

    Headers are compared without case or surrounding spaces; the columns may come in any order.
    """
    cells = [header.strip().lower() for header in headers]
    best, missing = None, None
    for layout, fields in LAYOUTS.items():
        absent = [column for column in fields.values() if column not in cells]
        if not absent:
            by_column = {column: field for field, column in fields.items()}
            return layout, [by_column.get(cell) for cell in cells]
        if missing is None or len(absent) < len(missing):
            best, missing = layout, absent
    found = ", ".join(repr(header) for header in headers if header) or "none"
    raise ReadError(
        file,
        f"not a GASPAR CatNat header: closest layout {best} lacks {', '.join(missing or [])} (columns found: {found})",
        line=line,
        field=(missing or [None])[0],
    )
