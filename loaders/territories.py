"""The territories loader: France's official geographic code (COG) as agrs:Territory nodes and how they nest.

It reads two renderings of the same code lists and recognises each file by its content, not its name:

- the JSON files of the npm package @etalab/decoupage-administratif (Licence Ouverte): communes.json (current
  communes, municipal arrondissements, delegated and associated communes, overseas collectivities' communes),
  epci.json (EPCI with their member communes), departements.json and regions.json;
- INSEE's COG CSV files: the communes file (TYPECOM,COM,REG,DEP,CTCD,ARR,TNCC,NCC,NCCENR,LIBELLE,CAN,COMPARENT),
  the départements file (DEP,REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE) and the régions file
  (REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE), UTF-8, comma-separated.

Each record becomes one territory, `https://w3id.org/agrs/id/<kind>/<code>`, with its level (agrs:hasLevel, and
agrs:inLevel for it and each broader level: an EPCI's kind and level:epci), French label, code, population (when
the source has it: a commune's agrs:legalPopulation, INSEE's municipal population in force at the COG's date; an
EPCI's agrs:dgclMunicipalPopulation, the DGCL list's figure, one vintage older) and its agrs:directlyWithin /
agrs:within links, all drawn from that record alone. The régions file also yields the record of France itself
(`…/id/pays/FR`), the top of the chain.

One thing needs several records: where an EPCI lies. Once every file of a load is mapped, `finish` places each
EPCI from its member communes (the communes file must be in the same load): agrs:within the département (région)
that holds all of them, agrs:partlyWithin each département (région) that holds some but not all. Its communes are
never placed through it: each commune is within its own département, so a roll-up counts it once.

etalab files the overseas collectivities (zone "com": Saint-Pierre-et-Miquelon 975, Saint-Barthélemy 977,
Saint-Martin 978, TAAF 984, Wallis-et-Futuna 986, Polynésie française 987, Nouvelle-Calédonie 988, Clipperton 989)
in both its départements and its régions files, each with its own code as région: both entries become the same
territory, `…/id/collectivite-outre-mer/<code>`, of level overseas-collectivity, directly within France, with the
same triples. Their communes carry the collectivity's code as `departement` and `region` (and as the first three
characters of their own code): they lie directly within their collectivity.
"""

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD
from rdflib.term import Node

from agrs.loaders.base import Loader, quarantine_duplicates
from agrs.loaders.tabular import decode_csv, looks_like_json, read_json
from agrs.ns import AGRS, ID, LEVEL
from agrs.records import Problem, RawRecord, ReadError, Record

# Terms every record states, looked up once: an rdflib namespace builds a new URIRef at each attribute access.
_DIRECTLY_WITHIN = AGRS.directlyWithin
_RDF_TYPE = RDF.type
_TERRITORY = AGRS.Territory
_HAS_LEVEL = AGRS.hasLevel
_RDFS_LABEL = RDFS.label
_IN_LEVEL = AGRS.inLevel
_INSEE_CODE = AGRS.inseeCode
_LEGAL_POPULATION = AGRS.legalPopulation
_NON_NEGATIVE_INTEGER = XSD.nonNegativeInteger
_DGCL_POPULATION = AGRS.dgclMunicipalPopulation
_WITHIN = AGRS.within
_PARTLY_WITHIN = AGRS.partlyWithin
_ID = str(ID)

FRANCE = ID["pays/FR"]

Triple = tuple[Node, Node, Node]

# Keys the reader adds to a record's fields; the sources' own keys never start with "_".
LAYOUT = "_layout"
ERROR = "_error"  # why the reader could not make a usable record of the entry (it goes to the quarantine)
ERROR_FIELD = "_error_field"


class Layout(StrEnum):
    """The file layouts the loader reads (stored in each raw record, so that `map` needs nothing else)."""

    ETALAB_COMMUNES = "etalab-communes"
    ETALAB_EPCI = "etalab-epci"
    ETALAB_DEPARTEMENTS = "etalab-departements"
    ETALAB_REGIONS = "etalab-regions"
    COG_COMMUNES = "cog-communes"
    COG_DEPARTEMENTS = "cog-departements"
    COG_REGIONS = "cog-regions"
    COUNTRY = "country"  # the France record, added after a régions file


# The headers as INSEE writes them; a file is recognised by an exact match.
COG_HEADERS: Mapping[Layout, tuple[str, ...]] = MappingProxyType(
    {
        Layout.COG_COMMUNES: tuple("TYPECOM,COM,REG,DEP,CTCD,ARR,TNCC,NCC,NCCENR,LIBELLE,CAN,COMPARENT".split(",")),
        Layout.COG_DEPARTEMENTS: tuple("DEP,REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE".split(",")),
        Layout.COG_REGIONS: tuple("REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE".split(",")),
    }
)
CSV_DELIMITERS = (",", ";", "\t")

# Codes become IRI path segments: anything else is a problem, never a strange IRI.
COMMUNE_CODE = re.compile(r"(?:\d{2}|2[AB])\d{3}")
DEPARTEMENT_CODE = re.compile(r"\d{2}|2[AB]|97\d")  # 98x: overseas collectivities only (975, 977, 978 too)
OVERSEAS_COLLECTIVITY_CODE = re.compile(r"97[578]|98\d")
REGION_CODE = re.compile(r"\d{2}")
SIREN = re.compile(r"\d{9}")


@dataclass(frozen=True)
class CommuneKind:
    """What a commune-file entry is: its IRI segment, its level, and whether it subdivides a current commune."""

    segment: str
    level: URIRef
    subdivision: bool


_COMMUNE = CommuneKind("commune", LEVEL.commune, subdivision=False)
_ARRONDISSEMENT = CommuneKind("arrondissement-municipal", LEVEL["municipal-arrondissement"], subdivision=True)
_DELEGATED = CommuneKind("commune-deleguee", LEVEL["delegated-commune"], subdivision=True)
_ASSOCIATED = CommuneKind("commune-associee", LEVEL["associated-commune"], subdivision=True)

#: etalab's `type` → kind
ETALAB_COMMUNE_KINDS: Mapping[str, CommuneKind] = MappingProxyType(
    {
        "commune-actuelle": _COMMUNE,
        "arrondissement-municipal": _ARRONDISSEMENT,
        "commune-deleguee": _DELEGATED,
        "commune-associee": _ASSOCIATED,
    }
)
#: the COG's TYPECOM → kind (the level notations COM, ARM, COMD, COMA of the ontology are these codes)
COG_COMMUNE_KINDS: Mapping[str, CommuneKind] = MappingProxyType(
    {"COM": _COMMUNE, "ARM": _ARRONDISSEMENT, "COMD": _DELEGATED, "COMA": _ASSOCIATED}
)

#: the IRI segments of the territories an EPCI is placed in, by division (an overseas collectivity counts as both)
PLACEMENT_DIVISIONS: Mapping[str, frozenset[str]] = MappingProxyType({
    "département": frozenset({"departement", "collectivite-outre-mer"}),
    "région": frozenset({"region", "collectivite-outre-mer"}),
})  # fmt: skip

#: etalab's EPCI `type` (the DGCL nature) → level; MET69 is the Métropole de Lyon, a collectivity of its own
EPCI_LEVELS: Mapping[str, URIRef] = MappingProxyType(
    {
        "METRO": LEVEL.metropole,
        "MET69": LEVEL.metropole,
        "CU": LEVEL["communaute-urbaine"],
        "CA": LEVEL["communaute-agglomeration"],
        "CC": LEVEL["communaute-communes"],
    }
)


@dataclass(frozen=True)
class CommuneColumns:
    """Where a commune file keeps each piece of a commune entry."""

    kinds: Mapping[str, CommuneKind]
    type: str
    code: str
    name: str
    departement: str
    region: str
    parents: tuple[str, ...]  # the first of these the entry has names the parent commune of a subdivision
    population: str | None
    zone: str | None
    place_required: bool  # whether a subdivision must name its département and région


ETALAB_COMMUNE_COLUMNS = CommuneColumns(
    kinds=ETALAB_COMMUNE_KINDS,
    type="type",
    code="code",
    name="nom",
    departement="departement",
    region="region",
    parents=("commune", "chefLieu"),  # arrondissements name their commune, delegated/associated their chefLieu
    population="population",
    zone="zone",
    place_required=True,
)
# The COG leaves REG and DEP empty on ARM, COMD and COMA rows: only COMPARENT places them.
COG_COMMUNE_COLUMNS = CommuneColumns(
    kinds=COG_COMMUNE_KINDS,
    type="TYPECOM",
    code="COM",
    name="LIBELLE",
    departement="DEP",
    region="REG",
    parents=("COMPARENT",),
    population=None,
    zone=None,
    place_required=False,
)


class TerritoriesLoader(Loader):
    """Communes, arrondissements, delegated and associated communes, EPCI, départements, régions, COM."""

    kind = "territories"
    screened = True  # control characters, wrong JSON types and bad IRIs quarantined (loaders.base.screen)
    default_key = "cog"

    def read(self, path: Path) -> Iterator[RawRecord]:
        """Yield one raw record per entry of an etalab JSON file or an INSEE COG CSV file.

        JSON records are numbered by their rank in the array (1-based), CSV records by their physical line
        (the header is line 1). A régions file is followed by the record of France. Raises ReadError when the
        file is not UTF-8, not valid JSON, or of no known layout.
        """
        path = Path(path)
        data = path.read_bytes()
        if path.suffix.lower() == ".json" or looks_like_json(data):
            yield from _read_json(str(path), data)
        else:
            yield from _read_csv(str(path), data)

    def map(self, raw: RawRecord) -> Record:
        """Map one entry to its territory's triples; an entry that cannot be mapped gets problems instead."""
        record = Record(raw)
        if raw.fields.get(ERROR):
            record.problems.append(Problem(raw.fields[ERROR], raw.fields.get(ERROR_FIELD), "bad-record"))
            return record
        mapper = _MAPPERS.get(raw.fields.get(LAYOUT))
        if mapper is None:
            record.problems.append(Problem(f"no layout {raw.fields.get(LAYOUT)!r}", LAYOUT, "unknown-layout"))
            return record
        fields = Fields(raw.fields)
        territory = mapper(fields)
        if fields.problems or territory is None:
            record.problems.extend(fields.problems)
            return record
        record.triples = territory.triples()
        record.subjects = {territory.node}
        return record

    def finish(self, records: list[Record]) -> None:
        """Place each EPCI in the départements and régions of its member communes (see the module's docstring).

        An EPCI with a member the load does not describe (epci.json loaded without communes.json) stays placed
        within France only, with a warning `epci-placement`.
        """
        # One territory twice in a file (a code repeated): the first record is kept. By node, so that COMD/COMA twins
        # stay apart; per file, since the etalab régions and départements files both describe the overseas COM.
        quarantine_duplicates(records, _node_key, None, per_file=True)
        places = _commune_places(records)
        for record in records:
            if record.rejected or record.raw.fields.get(LAYOUT) != Layout.ETALAB_EPCI.value:
                continue
            (epci,) = record.subjects
            members = sorted({s for s, p, o in record.triples if p == _DIRECTLY_WITHIN and o == epci})
            unplaced = [member for member in members if member not in places]
            if unplaced or not members:
                record.warnings.append(Problem(
                    f"{len(unplaced)} of its {len(members)} member communes are not in this load (give the communes "
                    f"file with the EPCI file): placed within France only", "membres", "epci-placement",
                ))  # fmt: skip
                continue
            record.triples += epci_placement(epci, [places[member] for member in members])


# --- Mapping ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Territory:
    """What one record says about one territory, before it becomes triples."""

    node: URIRef
    level: URIRef
    name: str
    code: str | None = None
    population: int | None = None
    parents: tuple[URIRef, ...] = ()  # agrs:directlyWithin (and agrs:within)
    ancestors: tuple[URIRef, ...] = ()  # agrs:within only: the parents' own ancestors
    members: tuple[URIRef, ...] = ()  # territories directly within this one, stated by this record (EPCI)
    dgcl_population: int | None = None  # an EPCI's municipal population in the DGCL's list
    broader_levels: tuple[URIRef, ...] = ()  # agrs:inLevel: the level and those it is a kind of (EPCI); else level

    def triples(self) -> list[Triple]:
        """Return the record's triples; member links have the member as subject."""
        node = self.node
        triples: list[Triple] = [
            (node, _RDF_TYPE, _TERRITORY),
            (node, _HAS_LEVEL, self.level),
            (node, _RDFS_LABEL, Literal(self.name, lang="fr")),
        ]
        # agrs:inLevel = agrs:hasLevel ∘ skos:broaderTransitive*, stated: agrs reason runs no property chain.
        triples += [(node, _IN_LEVEL, level) for level in self.broader_levels or (self.level,)]
        if self.code is not None:
            triples.append((node, _INSEE_CODE, Literal(self.code)))
        if self.population is not None:
            triples.append((node, _LEGAL_POPULATION, Literal(self.population, datatype=_NON_NEGATIVE_INTEGER)))
        if self.dgcl_population is not None:
            triples.append((node, _DGCL_POPULATION, Literal(self.dgcl_population, datatype=_NON_NEGATIVE_INTEGER)))
        # agrs:within is stated for the direct parents too: the data do not rely on a reasoner for it.
        for parent in self.parents:
            triples += [(node, _DIRECTLY_WITHIN, parent), (node, _WITHIN, parent)]
        triples += [(node, _WITHIN, ancestor) for ancestor in self.ancestors]
        for member in self.members:
            triples += [(member, _DIRECTLY_WITHIN, node), (member, _WITHIN, node)]
        return triples


def _node_key(record: Record) -> str | None:
    """The IRI of the one territory a record describes (the key duplicates are told by), or None."""
    return str(next(iter(record.subjects))) if len(record.subjects) == 1 else None


def _json_type(value: Any) -> str:
    """Name a JSON value's type as the file's author knows it (never the value's Python repr)."""
    names = {dict: "a JSON object", list: "a JSON list", bool: "true or false", type(None): "null"}
    return names.get(type(value), "a number" if isinstance(value, int | float) else "another type")


class Fields:
    """The fields of one raw record, read with checks: each missing or malformed field adds a Problem."""

    def __init__(self, fields: Mapping[str, Any]):
        self.fields = fields
        self.problems: list[Problem] = []

    def problem(self, field: str, message: str, rule: str) -> None:
        """Record why a field stops the record from being mapped."""
        self.problems.append(Problem(message, field, rule))

    def has(self, name: str) -> bool:
        """Return whether the field is present and not blank."""
        value = self.fields.get(name)
        return value is not None and not (isinstance(value, str) and not value.strip())

    def text(self, name: str) -> str | None:
        """Return a required text field, stripped."""
        value = self.fields.get(name)
        if not self.has(name):
            self.problem(name, "missing", "missing-field")
            return None
        if not isinstance(value, str):
            self.problem(name, f"wrong JSON type: expected text, found {_json_type(value)}", "json-type")
            return None
        return value.strip()

    def code(self, name: str, pattern: re.Pattern[str], what: str, *, required: bool = True) -> str | None:
        """Return a code field that matches its pattern (absent optional codes give None)."""
        if not required and not self.has(name):
            return None
        value = self.text(name)
        if value is not None and not pattern.fullmatch(value):
            self.problem(name, f"{value!r} is not a {what} code", "bad-code")
            return None
        return value

    def count(self, name: str | None) -> int | None:
        """Return an optional non-negative integer (a population)."""
        if name is None or not self.has(name):
            return None
        value = self.fields[name]
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.problem(name, f"{value!r} is not a non-negative integer", "bad-value")
            return None
        return value

    def choice(self, name: str, table: Mapping[str, Any], what: str) -> Any:
        """Return the table's entry for a field's value, or None (and a problem) for a value it lacks."""
        value = self.text(name)
        if value is None:
            return None
        if value not in table:
            self.problem(name, f"unknown {what} {value!r} (known: {', '.join(table)})", "unknown-type")
            return None
        return table[value]

    def overseas_collectivity(self) -> bool:
        """Return whether an etalab entry is (or lies in) an overseas collectivity: zone "com"."""
        return self.fields.get("zone") == "com"


def _map_commune(fields: Fields, columns: CommuneColumns) -> Territory | None:
    """Map a commune-file entry: a current commune, or a subdivision of one (arrondissement, delegated, associated)."""
    kind: CommuneKind | None = fields.choice(columns.type, columns.kinds, "commune type")
    code = fields.code(columns.code, COMMUNE_CODE, "commune")
    name = fields.text(columns.name)
    population = fields.count(columns.population)
    if kind is None or code is None or name is None:
        return None
    node = ID[f"{kind.segment}/{code}"]
    if kind.subdivision:
        parents, ancestors = _subdivision_links(fields, columns)
    elif columns.zone is not None and fields.overseas_collectivity():
        # etalab files an overseas collectivity's communes under a pseudo-département (and pseudo-région) that is
        # the collectivity itself: the commune lies directly within the collectivity, which lies within France.
        collectivity = _commune_collectivity(fields, columns, code)
        if collectivity is None:
            return None
        parents, ancestors = (ID[f"collectivite-outre-mer/{collectivity}"],), (FRANCE,)
    else:
        departement = fields.code(columns.departement, DEPARTEMENT_CODE, "département")
        region = fields.code(columns.region, REGION_CODE, "région")
        if departement is None or region is None:
            return None
        parents = (ID[f"departement/{departement}"],)
        ancestors = (ID[f"region/{region}"], FRANCE)
    return Territory(node, kind.level, name, code, population, parents, ancestors)


def _commune_collectivity(fields: Fields, columns: CommuneColumns, code: str) -> str | None:
    """Return the code of the overseas collectivity of one of its communes: its `departement`, which must be its
    `region` too and the first three characters of the commune's code (97501 is in 975)."""
    collectivity = fields.code(columns.departement, OVERSEAS_COLLECTIVITY_CODE, "overseas collectivity")
    if collectivity is None:
        return None
    region = fields.fields.get(columns.region)
    if region not in (None, collectivity):
        fields.problem(columns.region, f"{region!r} is not the commune's collectivity {collectivity!r}", "bad-code")
        return None
    if not code.startswith(collectivity):
        fields.problem(
            columns.departement, f"commune {code!r} is not in the overseas collectivity {collectivity!r}", "bad-code"
        )
        return None
    return collectivity


def _subdivision_links(fields: Fields, columns: CommuneColumns) -> tuple[tuple[URIRef, ...], tuple[URIRef, ...]]:
    """Return the parents and further ancestors of a municipal arrondissement, delegated or associated commune."""
    parent_field = next((name for name in columns.parents if fields.has(name)), columns.parents[0])
    parent = fields.code(parent_field, COMMUNE_CODE, "commune")
    required = columns.place_required
    departement = fields.code(columns.departement, DEPARTEMENT_CODE, "département", required=required)
    region = fields.code(columns.region, REGION_CODE, "région", required=required)
    ancestors = [ID[f"departement/{departement}"]] if departement else []
    ancestors += [ID[f"region/{region}"]] if region else []
    return (ID[f"commune/{parent}"],), (*ancestors, FRANCE)


def _map_etalab_commune(fields: Fields) -> Territory | None:
    return _map_commune(fields, ETALAB_COMMUNE_COLUMNS)


def _map_cog_commune(fields: Fields) -> Territory | None:
    return _map_commune(fields, COG_COMMUNE_COLUMNS)


def _map_etalab_epci(fields: Fields) -> Territory | None:
    """Map an EPCI and its membership: each member commune is directly within it (stated by this record).

    The record places the EPCI within France (agrs:within, not directly: a département lies between); its
    départements and régions come from its members, once the whole load is mapped (`TerritoriesLoader.finish`):
    89 EPCI of the 2026 file straddle départements, 26 of them régions.
    Its population is the DGCL list's (`populationMunicipale`, one vintage older than the communes').
    """
    level = fields.choice("type", EPCI_LEVELS, "EPCI type")
    siren = fields.code("code", SIREN, "SIREN")
    name = fields.text("nom")
    population = fields.count("populationMunicipale")
    members = _epci_members(fields)
    if level is None or siren is None or name is None or members is None:
        return None
    return Territory(
        ID[f"epci/{siren}"],
        level,
        name,
        siren,
        ancestors=(FRANCE,),
        members=members,
        dgcl_population=population,
        broader_levels=(level, LEVEL.epci),
    )


def _epci_members(fields: Fields) -> tuple[URIRef, ...] | None:
    """Return the IRIs of an EPCI's member communes, or None (with a problem) when the list is unusable."""
    members = fields.fields.get("membres")
    if not isinstance(members, list):
        fields.problem("membres", "missing or not a list", "missing-field")
        return None
    nodes = []
    for rank, member in enumerate(members):
        code = member.get("code") if isinstance(member, dict) else None
        if not isinstance(code, str) or not COMMUNE_CODE.fullmatch(code):
            fields.problem(f"membres[{rank}].code", f"{code!r} is not a commune code", "bad-code")
            continue
        nodes.append(ID[f"commune/{code}"])
    return tuple(nodes)


def _segment(node: Node) -> str:
    """Return the kind segment of a territory IRI (`…/id/departement/33` → `departement`)."""
    return str(node).removeprefix(_ID).split("/", 1)[0]


def _commune_places(records: Sequence[Record]) -> dict[URIRef, frozenset[URIRef]]:
    """Return the départements, régions and collectivities each current commune described by `records` lies within."""
    segments = frozenset().union(*PLACEMENT_DIVISIONS.values())
    places = {}
    for record in records:
        if record.rejected or len(record.subjects) != 1:
            continue
        (node,) = record.subjects
        if _segment(node) == "commune":
            places[node] = frozenset(
                o for s, p, o in record.triples if s == node and p == _WITHIN and _segment(o) in segments
            )
    return places


def epci_placement(epci: URIRef, member_places: Sequence[frozenset[URIRef]]) -> list[Triple]:
    """Return an EPCI's placement from its members' containers: agrs:within the département (région) holding every
    member, agrs:partlyWithin each one holding some but not all.

    agrs:within is never agrs:directlyWithin here: the commune → département → région tree stays the COG's.
    """
    triples: list[Triple] = []
    for division in PLACEMENT_DIVISIONS.values():
        of_members = [frozenset(place for place in places if _segment(place) in division) for places in member_places]
        some = frozenset().union(*of_members)
        every = frozenset.intersection(*of_members) if of_members else frozenset()
        for place in sorted(some):
            triples.append((epci, _WITHIN if place in every else _PARTLY_WITHIN, place))
    return sorted(set(triples))


def _map_overseas_collectivity(fields: Fields, code_field: str, name_field: str) -> Territory | None:
    """Map an overseas collectivity (an etalab départements or régions entry of zone "com"), directly within France."""
    code = fields.code(code_field, OVERSEAS_COLLECTIVITY_CODE, "overseas collectivity")
    name = fields.text(name_field)
    if code is None or name is None:
        return None
    node = ID[f"collectivite-outre-mer/{code}"]
    return Territory(node, LEVEL["overseas-collectivity"], name, code, None, (FRANCE,))


def _map_departement(fields: Fields, code_field: str, region_field: str, name_field: str) -> Territory | None:
    """Map a département, directly within its région (an overseas collectivity, directly within France)."""
    if fields.overseas_collectivity():
        return _map_overseas_collectivity(fields, code_field, name_field)
    code = fields.code(code_field, DEPARTEMENT_CODE, "département")
    region = fields.code(region_field, REGION_CODE, "région")
    name = fields.text(name_field)
    if code is None or region is None or name is None:
        return None
    node, parent = ID[f"departement/{code}"], ID[f"region/{region}"]
    return Territory(node, LEVEL.departement, name, code, None, (parent,), (FRANCE,))


def _map_region(fields: Fields, code_field: str, name_field: str) -> Territory | None:
    """Map a région (or an overseas collectivity), directly within France."""
    if fields.overseas_collectivity():
        return _map_overseas_collectivity(fields, code_field, name_field)
    code = fields.code(code_field, REGION_CODE, "région")
    name = fields.text(name_field)
    if code is None or name is None:
        return None
    return Territory(ID[f"region/{code}"], LEVEL.region, name, code, None, (FRANCE,))


def _map_country(fields: Fields) -> Territory | None:
    """Map France, the top of the chain (no INSEE code: the COG codes French territories, not France)."""
    name = fields.text("nom")
    return None if name is None else Territory(FRANCE, LEVEL.country, name)


_MAPPERS = MappingProxyType(
    {
        Layout.ETALAB_COMMUNES: _map_etalab_commune,
        Layout.ETALAB_EPCI: _map_etalab_epci,
        Layout.ETALAB_DEPARTEMENTS: lambda fields: _map_departement(fields, "code", "region", "nom"),
        Layout.ETALAB_REGIONS: lambda fields: _map_region(fields, "code", "nom"),
        Layout.COG_COMMUNES: _map_cog_commune,
        Layout.COG_DEPARTEMENTS: lambda fields: _map_departement(fields, "DEP", "REG", "LIBELLE"),
        Layout.COG_REGIONS: lambda fields: _map_region(fields, "REG", "LIBELLE"),
        Layout.COUNTRY: _map_country,
    }
)


def _country_record(file: str) -> RawRecord:
    """Return the record of France that closes a régions file (no line: it is not in the file)."""
    return RawRecord(file, None, {LAYOUT: Layout.COUNTRY.value, "code": "FR", "nom": "France"})


# --- Reading JSON (etalab) -------------------------------------------------------------------------------


def _read_json(file: str, data: bytes) -> Iterator[RawRecord]:
    """Yield the records of an etalab JSON array, numbered 1, 2, … in array order."""
    entries = _parse_json(file, data)
    if not entries:
        return
    layout = _json_layout(file, entries[0])
    for rank, entry in enumerate(entries, start=1):
        original = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
        if isinstance(entry, dict):
            fields = {**entry, LAYOUT: layout.value}
        else:
            fields = {LAYOUT: layout.value, ERROR: f"record {rank} is not a JSON object"}
        yield RawRecord(file, rank, fields, original)
    if layout is Layout.ETALAB_REGIONS:
        yield _country_record(file)


def _parse_json(file: str, data: bytes) -> list:
    """Decode and parse a JSON file that must hold an array; errors become ReadError with the physical line."""
    entries = read_json(data, file, fallback=None, hint=": JSON files are UTF-8")
    if not isinstance(entries, list):
        raise ReadError(file, f"expected a JSON array of records, found a {type(entries).__name__}", line=1)
    return entries


def _json_layout(file: str, first: Any) -> Layout:
    """Tell which etalab file this is from the keys of its first record (a wrong guess shows as problems)."""
    if not isinstance(first, dict):
        raise ReadError(file, "the first record is not a JSON object", line=1)
    if "membres" in first:
        if first.get("type") == "EPT":
            raise ReadError(
                file, "EPT (ept.json) are not supported: the ontology has no level for them", line=1, field="type"
            )
        return Layout.ETALAB_EPCI
    if "type" in first and "departement" in first:
        return Layout.ETALAB_COMMUNES
    if "departement" in first:
        raise ReadError(
            file,
            "departmental arrondissements (arrondissements.json) are not supported: the ontology has no level for them",
            line=1,
            field="departement",
        )
    if "region" in first and "chefLieu" in first:
        return Layout.ETALAB_DEPARTEMENTS
    if "chefLieu" in first and "code" in first:
        return Layout.ETALAB_REGIONS
    raise ReadError(
        file,
        f"unknown JSON layout (keys {', '.join(first)}): expected an @etalab/decoupage-administratif "
        "communes, epci, departements or regions file",
        line=1,
        field=next(iter(first), None),
    )


# --- Reading CSV (INSEE COG) -----------------------------------------------------------------------------


def _read_csv(file: str, data: bytes) -> Iterator[RawRecord]:
    """Yield the records of a COG CSV file, each numbered by the physical line it starts on (header = 1)."""
    text = _decode_csv(file, data)
    lines = io.StringIO(text, newline="").readlines()
    if not lines:
        raise ReadError(file, "empty file: expected a COG header", line=1)
    layout, delimiter, header = _csv_layout(file, lines[0])
    reader = csv.reader(lines, delimiter=delimiter)
    next(reader)
    start = reader.line_num + 1
    for row in reader:
        end = reader.line_num
        if any(cell.strip() for cell in row):  # a blank line is no record
            original = "".join(lines[start - 1 : end]).rstrip("\r\n")
            yield RawRecord(file, start, _row_fields(layout, header, row), original)
        start = end + 1
    if layout is Layout.COG_REGIONS:
        yield _country_record(file)


def _row_fields(layout: Layout, header: Sequence[str], row: Sequence[str]) -> dict[str, Any]:
    """Pair a row's cells with the header; a row of the wrong width is kept, flagged for the quarantine."""
    fields: dict[str, Any] = dict(zip(header, row, strict=False))
    fields[LAYOUT] = layout.value
    if len(row) != len(header):
        fields[ERROR] = f"expected {len(header)} columns, found {len(row)}"
        fields[ERROR_FIELD] = header[len(row)] if len(row) < len(header) else None
    return fields


def _decode_csv(file: str, data: bytes) -> str:
    """Decode a COG CSV file: UTF-8 (a BOM allowed; UTF-16 too), never a legacy encoding: the COG is UTF-8."""
    hint = ": the COG files are UTF-8; re-encode this one (it looks like Windows-1252 or Latin-1)"
    return decode_csv(data, file, fallback=None, field_of=lambda header: header.strip() or None, hint=hint)


def _csv_layout(file: str, header_line: str) -> tuple[Layout, str, list[str]]:
    """Recognise a COG file by its exact header; try the usual delimiters, since spreadsheets rewrite commas."""
    for delimiter in CSV_DELIMITERS:
        header = [name.strip() for name in next(csv.reader([header_line], delimiter=delimiter))]
        for layout, expected in COG_HEADERS.items():
            if tuple(header) == expected:
                return layout, delimiter, header
    header = [name.strip() for name in next(csv.reader([header_line]))]
    layout, expected = max(COG_HEADERS.items(), key=lambda item: len(set(item[1]) & set(header)))
    unexpected = [name for name in header if name not in expected]
    missing = [name for name in expected if name not in header]
    field = (unexpected or missing or header)[0]
    detail = f"column {field!r} " + ("unexpected" if unexpected else "missing" if missing else "out of order")
    raise ReadError(
        file,
        f"unknown CSV layout ({detail}; nearest is the {layout.value} header {','.join(expected)})",
        line=1,
        field=field,
    )
