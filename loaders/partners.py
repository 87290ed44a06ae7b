"""The partners loader: organisations, their kinds and actor types, and the roles they play in endeavours.

It reads CSV, XLSX and JSON files (through agrs.loaders.tabular: encodings, separators, sheets) whose columns
are described in loaders/README.md, and maps each row to an `agrs:Organisation` with its participations. Values
that can be checked without the store (keys, actor types, roles, SIREN checksums, code formats) are checked
here; whether a referenced territory, member or endeavour exists is left to the SHACL gate.
"""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SDO, SKOS
from rdflib.term import BNode, Node

from agrs.loaders.base import NOT_IN_IRI, FromOntology, Loader, quarantine_duplicates
from agrs.loaders.tabular import (
    TRUNCATED,
    Row,
    Workbook,
    cell_text,
    format_of,
    match_columns,
    normalise,
    read_csv,
    read_json,
    split_cells,
    truncation_problems,
)
from agrs.loaders.territory_codes import luhn_valid, territory_iri
from agrs.ns import AGRS, BASE, ID, SRC
from agrs.ns import ROLE as ROLES
from agrs.paths import ontology_dir
from agrs.records import Problem, RawRecord, ReadError, Record

# --- Columns -------------------------------------------------------------------------

#: canonical column → the header names that mean it (compared case-, accent- and punctuation-insensitively)
COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "identifiant", "key", "clé", "slug"),
    "name": ("name", "nom", "label", "libellé", "raison sociale"),
    "actor_type": ("actor_type", "actor type", "type d'acteur", "type acteur", "actor types", "types d'acteurs"),
    "kind": ("kind", "forme", "forme juridique", "legal form", "statut", "kinds"),
    "siren": ("siren", "numéro siren", "siren number", "n° siren"),
    "website": ("website", "site", "site web", "site internet", "url", "homepage"),
    "territory": ("territory", "territoire", "code insee", "insee", "implantation", "based in"),
    "wikidata": ("wikidata", "qid", "wikidata id"),
    "member_of": ("member_of", "member of", "membre de", "membre", "members of"),
    "roles": ("roles", "role", "rôles", "rôle"),
    "source": ("source", "sources", "citation"),
    "note": ("note", "notes", "commentaire", "comment", "remarque"),
}
REQUIRED_COLUMNS = ("id", "name")
#: columns whose cell is a list (separated by `;`): a JSON list is accepted there, and only there
MULTI_VALUED = frozenset({"actor_type", "kind", "member_of", "roles", "source"})
#: RawRecord field holding the number of non-empty cells beyond the header (a malformed CSV row)
EXTRA_CELLS = "__extra_cells__"

# --- What the values map to --------------------------------------------------------

#: kind key → organisation class; the classes' French and English labels are accepted too
KINDS: dict[str, URIRef] = {
    "enterprise": AGRS.Enterprise,
    "local-authority": AGRS.LocalAuthority,
    "association": AGRS.Association,
    "cooperative": AGRS.Cooperative,
    "public-establishment": AGRS.PublicEstablishment,
    "state-service": AGRS.StateService,
    "research-organisation": AGRS.ResearchOrganisation,
    "network": AGRS.ActorNetwork,
}

#: role key → the shortcut property from the endeavour to the actor (pilot-territory is handled apart)
SHORTCUTS: dict[str, URIRef] = {
    "carrier": AGRS.carriedBy,
    "partner": AGRS.hasPartner,
    "funder": AGRS.fundedBy,
    "contributor": AGRS.hasContributor,
    "referent": AGRS.hasReferent,
    "user": AGRS.hasUser,
}
PILOT_TERRITORY = "pilot-territory"

#: the `<kind>` of an endeavour IRI `https://w3id.org/agrs/id/<kind>/<key>` a role may point to
ENDEAVOUR_KINDS = ("project", "commons", "resilience-commons", "contract", "survey-campaign")

# The website: schema:url, declared (owl:ObjectProperty, website IRIs as values) in ontology/imports/schema.ttl.
WEBSITE = SDO.url

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
WIKIDATA = re.compile(r"(?:https?://(?:www\.)?wikidata\.org/(?:wiki|entity)/)?(Q[1-9][0-9]*)")
ROLE = re.compile(r"(?P<role>[^@]+)@(?P<kind>[^/]+)/(?P<key>.+)")
LIST_SEPARATORS = re.compile(r"[;,|\n]+")
SOURCE_SEPARATORS = re.compile(r"[;|\s]+")

HEADER_ALIASES = {normalise(alias): column for column, aliases in COLUMNS.items() for alias in aliases}


# --- Vocabulary read from the ontology --------------------------------------------------


@dataclass(frozen=True)
class Vocabulary:
    """The controlled values a partners file may use, read from the ontology so that they never drift from it.

    Each lookup maps a normalised key or label (see `normalise`) to its IRI.
    """

    actor_types: dict[str, URIRef]
    roles: dict[str, URIRef]
    kinds: dict[str, URIRef]
    sources: dict[str, URIRef]
    #: organisation class → the actor type its hasValue restriction fixes
    implied_actor_types: dict[URIRef, URIRef] = field(default_factory=dict)
    #: pairs of organisation classes that cannot share a member
    disjoint: frozenset[frozenset[URIRef]] = frozenset()

    @classmethod
    def from_ontology(cls, folder: Path | None = None) -> "Vocabulary":
        """Read the actor module and the sources registry of the ontology (the installed one by default)."""
        folder = folder or ontology_dir()
        graph = Graph()
        graph.parse(folder / "modules" / "actor.ttl", format="turtle")
        graph.parse(folder / "sources.ttl", format="turtle")
        return cls.from_graph(graph)

    @classmethod
    def from_graph(cls, graph: Graph) -> "Vocabulary":
        """Build the lookups from a graph holding the actor module and the sources (the merged ontology does)."""
        return cls(
            actor_types=_scheme_lookup(graph, "actor-type"),
            roles=_scheme_lookup(graph, "role"),
            kinds=_kind_lookup(graph),
            sources=_source_lookup(graph),
            implied_actor_types=_implied_actor_types(graph),
            disjoint=_disjoint_pairs(graph),
        )


def _scheme_lookup(graph: Graph, scheme: str) -> dict[str, URIRef]:
    """Map each concept of a scheme by its key and by its French and English preferred labels."""
    lookup: dict[str, URIRef] = {}
    for concept in graph.subjects(SKOS.inScheme, URIRef(BASE + scheme)):
        for label in graph.objects(concept, SKOS.prefLabel):
            lookup[normalise(str(label))] = concept
    # Keys go in last: a key wins over another concept's label that happens to spell the same.
    for concept in set(lookup.values()):
        lookup[str(concept).rsplit("/", 1)[1]] = concept
    return lookup


def _kind_lookup(graph: Graph) -> dict[str, URIRef]:
    """Map each kind by its key and by its class's labels."""
    lookup = {normalise(str(label)): cls for cls in KINDS.values() for label in graph.objects(cls, RDFS.label)}
    lookup.update(KINDS)
    return lookup


def _source_lookup(graph: Graph) -> dict[str, URIRef]:
    """Map each registered source by its key (`seed-004`) and by its identifier (the seed's file name)."""
    lookup: dict[str, URIRef] = {}
    for source in graph.subjects(RDF.type, DCTERMS.BibliographicResource):
        if isinstance(source, URIRef) and str(source).startswith(str(SRC)):
            lookup[str(source)[len(str(SRC)) :]] = source
            for identifier in graph.objects(source, DCTERMS.identifier):
                # File names only: a URL is cited as itself (some sources share a site's address).
                if not _is_url(str(identifier)):
                    lookup[str(identifier)] = source
    return lookup


def _implied_actor_types(graph: Graph) -> dict[URIRef, URIRef]:
    """Return, for each kind class, the actor type its `owl:hasValue` restriction on agrs:actorType fixes."""
    implied = {}
    for cls in KINDS.values():
        for restriction in graph.objects(cls, RDFS.subClassOf):
            if (restriction, OWL.onProperty, AGRS.actorType) in graph:
                value = graph.value(restriction, OWL.hasValue)
                if isinstance(value, URIRef):
                    implied[cls] = value
    return implied


def _disjoint_pairs(graph: Graph) -> frozenset[frozenset[URIRef]]:
    """Return the pairs of classes the ontology declares disjoint (owl:AllDisjointClasses, owl:disjointWith)."""
    pairs = set()
    for axiom in graph.subjects(RDF.type, OWL.AllDisjointClasses):
        members = list(Collection(graph, graph.value(axiom, OWL.members)))
        pairs.update(frozenset((a, b)) for i, a in enumerate(members) for b in members[i + 1 :])
    pairs.update(frozenset((a, b)) for a, b in graph.subject_objects(OWL.disjointWith))
    # Only kinds can meet in one row: other modules' disjoint classes (in the merged ontology) are no concern here.
    kinds = set(KINDS.values())
    return frozenset(pair for pair in pairs if pair <= kinds)


# --- Reading ---------------------------------------------------------------------------
# The generic part (encodings, separators, sheets, JSON syntax) is agrs.loaders.tabular's; here is what is
# partners': which header names mean which column, which sheet and JSON key hold the partners.

SHEET_NAMES = ("partners", "partenaires")


def canonical_columns(headers: list[str], file: str, line: int | None) -> list[str | None]:
    """Map header cells to canonical column names (None for a column the loader ignores).

    Raises ReadError when a required column is missing or two headers mean the same column.
    """
    return match_columns(headers, HEADER_ALIASES, REQUIRED_COLUMNS, file=file, line=line)


def row_fields(columns: list[str | None], row: Row) -> dict[str, Any]:
    """Return the fields of one row: canonical column → stripped text, the count of stray cells, truncation."""
    fields: dict[str, Any]
    fields, extra = split_cells(columns, row.cells)
    if extra:
        fields[EXTRA_CELLS] = extra
    if row.truncated:
        fields[TRUNCATED] = row.truncated
    return fields


def _field_of_header(header: str) -> str:
    """Name a CSV column in a read error: its canonical name, else the header as written."""
    return HEADER_ALIASES.get(normalise(header), header)


def _records(file: str, rows: Iterator[Row], sheet: str | None = None) -> Iterator[RawRecord]:
    """Turn rows (the header first) into records; `sheet` names the sheet in a header's read error."""
    header = next(rows, None)
    if header is None:
        raise ReadError(file, f"sheet {sheet!r} is empty: no header row", line=1)
    try:
        columns = canonical_columns(header.cells, file, header.line)
    except ReadError as error:
        if sheet is None:
            raise
        raise ReadError(file, f"sheet {sheet!r}: {error.reason}", line=error.line, field=error.field) from None
    for row in rows:
        yield RawRecord(file, row.line, row_fields(columns, row), row.text)


def _read_csv(path: Path) -> Iterator[RawRecord]:
    """Yield the records of a CSV file, with physical line numbers (the header is line 1)."""
    yield from _records(str(path), read_csv(path.read_bytes(), str(path), field_of=_field_of_header))


def _read_xlsx(path: Path) -> Iterator[RawRecord]:
    """Yield the records of the partners sheet of a workbook (else its first visible sheet); line = row number."""
    with Workbook(path) as workbook:
        sheet = workbook.sheet(*SHEET_NAMES) or workbook.first_visible()
        yield from _records(str(path), workbook.rows(sheet), sheet.title)


def _json_items(document: Any, file: str) -> list:
    """Return the list of partner objects of a JSON document: a list, or {"partners": [...]}."""
    if isinstance(document, dict):
        for key, value in document.items():
            if normalise(key) in SHEET_NAMES and isinstance(value, list):
                return value
    if isinstance(document, list):
        return document
    raise ReadError(file, 'expected a list of objects or {"partners": [...]}', line=1)


def _json_fields(item: dict, file: str, index: int) -> dict[str, Any]:
    """Return the fields of one JSON object under canonical names."""
    fields: dict[str, Any] = {}
    for key, value in item.items():
        column = HEADER_ALIASES.get(normalise(str(key)))
        if column is None:
            continue
        if column in fields:
            raise ReadError(file, f"two keys mean {column!r} (the second is {key!r})", line=index, field=column)
        if isinstance(value, dict | bool) or (isinstance(value, list) and (
            column not in MULTI_VALUED or any(isinstance(item, dict | list) for item in value)
        )):  # fmt: skip
            # Kept as they are, so that the record is quarantined (loaders.base.screen), never stored as their repr.
            fields[column] = value
        else:
            fields[column] = cell_text(value)
    return fields


def _read_json(path: Path) -> Iterator[RawRecord]:
    """Yield one record per object; the line is the object's index in the list, from 1."""
    file = str(path)
    items = _json_items(read_json(path.read_bytes(), file), file)
    records = []
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise ReadError(file, f"record is a {type(item).__name__}, not an object", line=index)
        records.append(RawRecord(file, index, _json_fields(item, file, index), json.dumps(item, ensure_ascii=False)))
    # A key no object has is a missing column; a key some objects lack is that record's problem (see map()).
    for required in REQUIRED_COLUMNS:
        if records and not any(required in record.fields for record in records):
            raise ReadError(file, "no record has this required key", line=1, field=required)
    yield from records


# --- Mapping ---------------------------------------------------------------------------


@dataclass
class _Row:
    """The state of one record while it is being mapped."""

    record: Record
    subject: Node
    org_id: str | None = None
    classes: set[URIRef] = field(default_factory=set)
    governed: URIRef | None = None
    sources: list[URIRef] = field(default_factory=list)

    def value(self, column: str) -> str:
        return str(self.record.raw.fields.get(column) or "").strip()

    def add(self, predicate: URIRef, obj: Node, subject: Node | None = None) -> None:
        self.record.triples.append((self.subject if subject is None else subject, predicate, obj))

    def problem(self, column: str | None, message: str, rule: str) -> None:
        self.record.problems.append(Problem(message, field=column, rule=rule))


class PartnersLoader(Loader):
    """Loads organisations (partners, contributors, local authorities…) and the roles they play in endeavours."""

    kind = "partners"
    screened = True  # control characters, wrong JSON types and bad IRIs quarantined (loaders.base.screen)
    text_fields = frozenset(COLUMNS)
    default_key = "default"

    def __init__(self, vocabulary: Vocabulary | None = None):
        self._vocabulary = FromOntology(Vocabulary.from_graph, Vocabulary.from_ontology, vocabulary)

    @property
    def vocabulary(self) -> Vocabulary:
        """The controlled values, from the pipeline's ontology, else read from the ontology files on first use."""
        return self._vocabulary.get(self.ontology)

    def read(self, path: Path) -> Iterator[RawRecord]:
        """Yield one raw record per row of a CSV, XLSX or JSON file (chosen by suffix, else by content)."""
        path = Path(path)
        readers = {"xlsx": _read_xlsx, "json": _read_json, "csv": _read_csv}
        yield from readers[format_of(path)](path)

    def map(self, raw: RawRecord) -> Record:
        """Map one row to its organisation and participations; bad values become problems, never exceptions."""
        row = _Row(Record(raw), BNode())
        row.record.problems += truncation_problems(raw.fields)
        if raw.fields.get(EXTRA_CELLS):
            row.problem(None, f"{raw.fields[EXTRA_CELLS]} non-empty cell(s) beyond the last column", "extra-cells")
        self._identity(row)
        self._sources(row)
        self._kinds(row)
        self._actor_types(row)
        self._siren(row)
        self._website(row)
        self._territory(row)
        self._wikidata(row)
        self._member_of(row)
        self._note(row)
        self._roles(row)
        return row.record

    def finish(self, records: list[Record]) -> None:
        """Keep the first record of each id (of every file of the load); quarantine the later ones as duplicates.

        Two records with one id describe one organisation twice: merged, they would give it two names, and the
        SHACL gate would reject both copies with a message about names, not about the id.
        """
        quarantine_duplicates(records, _id_of, "id")

    # Each step reads one column, adds its triples and records its problems.

    def _identity(self, row: _Row) -> None:
        org_id, name = row.value("id"), row.value("name")
        if not org_id:
            row.problem("id", "the id is required (a stable slug such as ville-bordeaux)", "required")
        elif not SLUG.fullmatch(org_id):
            row.problem("id", f"{org_id!r} is not a slug (lower-case letters, digits, single hyphens)", "slug")
        else:
            row.org_id, row.subject = org_id, ID[f"organisation/{org_id}"]
            row.record.subjects.add(row.subject)
        # Explicit types: the SHACL gate runs without inference.
        row.add(RDF.type, AGRS.Actor)
        row.add(RDF.type, AGRS.Organisation)
        if name:
            row.add(RDFS.label, Literal(name, lang="fr"))
        else:
            row.problem("name", "the name is required", "required")

    def _sources(self, row: _Row) -> None:
        for value in _split(row.value("source"), SOURCE_SEPARATORS):
            source = self._source(value)
            if source is None:
                row.problem(
                    "source",
                    f"unknown source {value!r}: a key of ontology/sources.ttl (seed-004), "
                    "a seed file name, or an http(s) URL",
                    "unknown-source",
                )
            else:
                row.sources.append(source)
                row.add(DCTERMS.source, source)

    def _source(self, value: str) -> URIRef | None:
        key = value.removeprefix("src:")
        found = self.vocabulary.sources.get(key) or self.vocabulary.sources.get(key.lower())
        if found is None and _is_url(value):
            found = URIRef(value)
        return found

    def _kinds(self, row: _Row) -> None:
        for value in _split(row.value("kind")):
            cls = self.vocabulary.kinds.get(normalise(value))
            if cls is None:
                row.problem("kind", f"unknown kind {value!r}; expected one of {', '.join(KINDS)}", "unknown-kind")
                continue
            row.classes.add(cls)
            row.add(RDF.type, cls)
            implied = self.vocabulary.implied_actor_types.get(cls)
            if implied is not None:
                # Stated, not left to a reasoner: the restriction's value is what queries and shapes look for.
                row.add(AGRS.actorType, implied)
        for pair in self.vocabulary.disjoint:
            if pair <= row.classes:
                names = " and ".join(sorted(_local(cls) for cls in pair))
                row.problem(
                    "kind", f"an organisation cannot be both {names} (disjoint in the ontology)", "disjoint-kinds"
                )

    def _actor_types(self, row: _Row) -> None:
        for value in _split(row.value("actor_type")):
            concept = self.vocabulary.actor_types.get(normalise(value))
            if concept is None:
                keys = sorted(key for key, iri in self.vocabulary.actor_types.items() if key == _local(iri))
                row.problem(
                    "actor_type",
                    f"unknown actor type {value!r}; expected one of {', '.join(keys)}",
                    "unknown-actor-type",
                )
            else:
                row.add(AGRS.actorType, concept)

    def _siren(self, row: _Row) -> None:
        value = row.value("siren")
        if not value:
            return
        digits = re.sub(r"[\s.]", "", value)
        if not re.fullmatch(r"[0-9]{9}", digits):
            row.problem("siren", f"SIREN {value!r} must be nine digits", "siren-format")
        elif not luhn_valid(digits):
            row.problem("siren", f"SIREN {value!r} fails its checksum (Luhn key): probably mistyped", "siren-checksum")
        else:
            row.add(AGRS.siren, Literal(digits))

    def _website(self, row: _Row) -> None:
        value = row.value("website")
        if not value:
            return
        if _is_url(value):
            row.add(WEBSITE, URIRef(value))
        else:
            row.problem("website", f"{value!r} is not an absolute http(s) URL such as https://example.org/", "url")

    def _territory(self, row: _Row) -> None:
        value = row.value("territory")
        if not value:
            return
        territory = territory_iri(value)
        if territory is None:
            row.problem(
                "territory",
                f"territory {value!r} is not a well-formed code: 33063 or com:33063, epci:246300701, dep:33, "
                "reg:75, pays:FR",
                "territory-format",
            )
            return
        row.add(AGRS.basedIn, territory)
        if AGRS.LocalAuthority in row.classes:
            # A local authority's territory column is the territory it governs.
            row.governed = territory
            row.add(AGRS.governs, territory)

    def _wikidata(self, row: _Row) -> None:
        value = row.value("wikidata")
        if not value:
            return
        match = WIKIDATA.fullmatch(value)
        if match is None:
            row.problem("wikidata", f"{value!r} is not a Wikidata item (Q42 or its URL)", "wikidata-format")
        else:
            row.add(OWL.sameAs, URIRef(f"http://www.wikidata.org/entity/{match.group(1)}"))

    def _member_of(self, row: _Row) -> None:
        for value in _split(row.value("member_of")):
            if not SLUG.fullmatch(value):
                row.problem("member_of", f"{value!r} is not the id (slug) of a partner", "slug")
            elif value == row.org_id:
                row.problem("member_of", "an organisation cannot be a member of itself", "self-membership")
            else:
                row.add(AGRS.memberOf, ID[f"organisation/{value}"])

    def _note(self, row: _Row) -> None:
        if row.value("note"):
            row.add(SKOS.note, Literal(row.value("note"), lang="fr"))

    def _roles(self, row: _Row) -> None:
        seen = set()
        for value in _split(row.value("roles")):
            parsed = self._role(row, value)
            if parsed is not None and parsed not in seen:
                seen.add(parsed)
                self._participation(row, *parsed)

    def _role(self, row: _Row, value: str) -> tuple[str, str, str] | None:
        """Return (role key, endeavour kind, endeavour key) of `role@kind/key`, or record why it is bad."""
        match = ROLE.fullmatch(value.strip())
        if match is None:
            row.problem(
                "roles", f"role {value!r} is not written role@kind/key (carrier@project/my-project)", "role-format"
            )
            return None
        role = self.vocabulary.roles.get(normalise(match["role"]))
        kind, key = match["kind"].strip(), match["key"].strip()
        if role is None:
            keys = sorted(k for k, iri in self.vocabulary.roles.items() if k == _local(iri))
            row.problem(
                "roles", f"unknown role {match['role'].strip()!r}; expected one of {', '.join(keys)}", "unknown-role"
            )
            return None
        if kind not in ENDEAVOUR_KINDS:
            row.problem(
                "roles",
                f"unknown endeavour kind {kind!r} in {value!r}; expected one of {', '.join(ENDEAVOUR_KINDS)}",
                "endeavour-kind",
            )
            return None
        if not SLUG.fullmatch(key):
            row.problem("roles", f"endeavour key {key!r} in {value!r} is not a slug", "slug")
            return None
        return _local(role), kind, key

    def _participation(self, row: _Row, role: str, kind: str, key: str) -> None:
        endeavour = ID[f"{kind}/{key}"]
        if row.org_id is None:
            return  # no IRI to build the participation from; the id problem is already recorded
        participation = ID[f"participation/{row.org_id}--{role}--{kind}-{key}"]
        row.record.subjects.add(participation)
        row.add(RDF.type, AGRS.Participation, participation)
        row.add(AGRS.participant, row.subject, participation)
        row.add(AGRS.hasRole, ROLES[role], participation)
        row.add(AGRS.participationIn, endeavour, participation)
        for source in row.sources:
            row.add(DCTERMS.source, source, participation)
        if role in SHORTCUTS:
            row.record.triples.append((endeavour, SHORTCUTS[role], row.subject))
        elif role == PILOT_TERRITORY and row.governed is not None:
            # The pilot territory is a territory: the one the participating local authority governs.
            row.record.triples.append((endeavour, AGRS.pilotTerritory, row.governed))


def _split(value: str, separators: re.Pattern = LIST_SEPARATORS) -> list[str]:
    """Split a multi-valued cell, dropping empty items."""
    return [item.strip() for item in separators.split(value or "") if item.strip()]


def _id_of(record: Record) -> str | None:
    """The id a record gives (stripped), or None."""
    value = record.raw.fields.get("id")
    return value.strip() or None if isinstance(value, str) else None


def _is_url(value: str) -> bool:
    """Return whether a value is an absolute http(s) URL with a host name, and nothing an IRI may not hold."""
    if re.search(r"\s", value) or NOT_IN_IRI.search(value):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and "." in (parts.hostname or "")


def _local(iri: URIRef) -> str:
    """Return the last segment of an IRI (the key of a concept, the name of a class)."""
    return str(iri).rsplit("/", 1)[1]
