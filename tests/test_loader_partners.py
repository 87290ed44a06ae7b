"""The partners loader: reading CSV, XLSX and JSON files, mapping rows to RDF, and the bundled partners file.

Expected graphs live in tests/data/loaders/partners/expected/<fixture stem>.ttl; run with AGRS_REGENERATE=1 to
rewrite them from the loader's current output, then review the diff before committing.
"""

import csv
import json
import re
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from agrs.loaders.partners import PartnersLoader
from agrs.loaders.tabular import normalise, sniff_separator
from agrs.loaders.territory_codes import luhn_valid, territory_iri
from agrs.ns import AGRS, ID, SRC, bind_all, prefixes
from agrs.records import RawRecord, ReadError

from conftest import DATA, REPO, assert_graph_file

FIXTURES = DATA / "loaders" / "partners"
EXPECTED = FIXTURES / "expected"
GOOD = sorted(path for path in FIXTURES.iterdir() if path.is_file() and path.stem != "bad-rows")
UNREADABLE = sorted((FIXTURES / "unreadable").iterdir())
UNREADABLE_NAME = re.compile(r"(?P<case>.+)--line-(?P<line>\d+|none)--field-(?P<field>.+)")
BUNDLED = REPO / "data" / "partners.csv"
OBSERVATORY = sorted((REPO / "data" / "observatory").glob("*.ttl"))
ETALAB = REPO / "node_modules" / "@etalab" / "decoupage-administratif" / "data"


@pytest.fixture(scope="module")
def loader() -> PartnersLoader:
    # One loader for the module: the vocabulary is read from the ontology once.
    return PartnersLoader()


def load(loader: PartnersLoader, path: Path) -> tuple[list[RawRecord], Graph, dict[int, set]]:
    """Read and map a file: its raw records, the union of their triples, and (field, rule) problems by line."""
    raws = list(loader.read(path))
    graph = Graph()
    bind_all(graph)
    problems = {}
    for raw in raws:
        record = loader.map(raw)
        for triple in record.triples:
            graph.add(triple)
        problems[raw.line] = {(problem.field, problem.rule) for problem in record.problems}
    return raws, graph, problems


def make_workbook(path: Path) -> Path:
    """Write a workbook whose partners sheet is not the first one, with a blank row and a numeric SIREN."""
    import openpyxl  # a dependency of the package (XLSX input)
    workbook = openpyxl.Workbook()
    workbook.active.title = "Notes"
    workbook.active.append(["Ce classeur contient la feuille des partenaires."])
    sheet = workbook.create_sheet("Partenaires")
    sheet.append(["Identifiant", "Nom", "Forme juridique", "SIREN", "Territoire", "Rôles", "Source"])
    sheet.append(
        [
            "tableur-essai",
            "Entreprise du tableur",
            "entreprise",
            123456782,
            "69123",
            "partner@project/projet-essai",
            "seed-004",
        ]
    )
    sheet.append([])
    sheet.append(
        [
            "collectivite-tableur",
            "Collectivité du tableur",
            "local-authority",
            None,
            "dep:2A",
            "pilot-territory@resilience-commons/commun-essai",
            "seed-004",
        ]
    )
    workbook.save(path)
    return path


# --- Good files: what is read, and the graph it maps to ------------------------------


def test_fixtures_found():
    assert GOOD and UNREADABLE and OBSERVATORY


@pytest.mark.parametrize("path", GOOD, ids=[path.name for path in GOOD])
def test_good_file_maps_to_expected_graph(loader, path: Path):
    raws, graph, problems = load(loader, path)
    assert raws, f"{path.name} gave no record"
    assert not any(problems.values()), problems
    assert_graph_file(graph, EXPECTED / f"{path.stem}.ttl")


def test_xlsx_maps_to_expected_graph(loader, tmp_path):
    _, graph, problems = load(loader, make_workbook(tmp_path / "partners.xlsx"))
    assert not any(problems.values()), problems
    assert_graph_file(graph, EXPECTED / "xlsx.ttl")


def test_xlsx_reads_the_partners_sheet_with_row_numbers(loader, tmp_path):
    raws = list(loader.read(make_workbook(tmp_path / "partners.xlsx")))
    assert [raw.line for raw in raws] == [2, 4]
    assert raws[0].fields["siren"] == "123456782"  # a number cell, not 123456782.0
    assert raws[0].original == (
        "tableur-essai,Entreprise du tableur,entreprise,123456782,69123,partner@project/projet-essai,seed-004"
    )


def test_xlsx_without_partners_sheet_reads_the_first(loader, tmp_path):
    import openpyxl  # a dependency of the package (XLSX input)
    workbook = openpyxl.Workbook()
    workbook.active.append(["id", "name"])
    workbook.active.append(["premiere-feuille", "Première feuille"])
    workbook.create_sheet("Autre").append(["id", "name"])
    workbook.save(tmp_path / "first.xlsx")
    assert [raw.fields["id"] for raw in loader.read(tmp_path / "first.xlsx")] == ["premiere-feuille"]


def test_csv_lines_are_physical_lines(loader):
    raws = list(loader.read(FIXTURES / "good.csv"))
    # Line 1 is the header; ville-essai's note spans lines 3 and 4; line 7 is blank.
    assert [raw.line for raw in raws] == [2, 3, 5, 6, 8]
    assert raws[1].original.endswith('"Une note\nsur deux lignes"')
    assert raws[2].original.startswith("entreprise-essai,")


def test_cp1252_semicolon_file_keeps_its_accents(loader):
    raws = list(loader.read(FIXTURES / "semicolon-cp1252.csv"))
    assert [raw.line for raw in raws] == [2, 3, 4]
    assert raws[0].fields["name"] == "Coopérative des Dômes d'essai"
    assert raws[2].fields["note"] == "« Préfecture » d'essai"


def test_bom_is_not_part_of_the_first_header(loader):
    (raw,) = loader.read(FIXTURES / "bom.csv")
    assert raw.fields["id"] == "mutuelle-essai"


def test_json_records_are_numbered_from_one(loader):
    raws = list(loader.read(FIXTURES / "partners.json"))
    assert [raw.line for raw in raws] == [1, 2]
    assert json.loads(raws[0].original)["id"] == "fondation-essai"


def test_organisation_is_typed_explicitly(loader):
    _, graph, _ = load(loader, FIXTURES / "good.csv")
    town = ID["organisation/ville-essai"]
    assert {AGRS.Actor, AGRS.Organisation, AGRS.LocalAuthority} <= set(graph.objects(town, RDF.type))
    assert (town, RDFS.label, Literal("Ville d'Essai", lang="fr")) in graph
    # The actor type a kind fixes is stated, since the gate does not infer it.
    assert (town, AGRS.actorType, URIRef("https://w3id.org/agrs/actor-type/territory")) in graph
    assert (town, AGRS.siren, Literal("123456782")) in graph
    assert (town, AGRS.governs, ID["commune/33063"]) in graph
    assert (town, SKOS.note, Literal("Une note\nsur deux lignes", lang="fr")) in graph


def test_roles_give_participations_and_shortcuts(loader):
    _, graph, _ = load(loader, FIXTURES / "good.csv")
    town, project = ID["organisation/ville-essai"], ID["project/projet-essai"]
    participation = ID["participation/ville-essai--carrier--project-projet-essai"]
    assert (participation, RDF.type, AGRS.Participation) in graph
    assert (participation, AGRS.participant, town) in graph
    assert (participation, AGRS.hasRole, URIRef("https://w3id.org/agrs/role/carrier")) in graph
    assert (participation, AGRS.participationIn, project) in graph
    assert (participation, DCTERMS.source, SRC["seed-004"]) in graph
    assert (project, AGRS.carriedBy, town) in graph
    assert (project, AGRS.hasPartner, town) in graph


def test_pilot_territory_points_to_the_governed_territory(loader):
    _, graph, _ = load(loader, FIXTURES / "good.csv")
    commons = ID["resilience-commons/commun-essai"]
    assert set(graph.objects(commons, AGRS.pilotTerritory)) == {ID["commune/33063"]}
    # An association taking the role gets the participation, but it governs no territory.
    association = ID["participation/association-essai--pilot-territory--resilience-commons-commun-essai"]
    assert (association, AGRS.hasRole, URIRef("https://w3id.org/agrs/role/pilot-territory")) in graph


def test_subjects_are_the_organisation_and_its_participations(loader):
    raw = next(iter(loader.read(FIXTURES / "good.csv")))
    record = loader.map(raw)
    assert record.subjects == {
        ID["organisation/reseau-essai"],
        ID["participation/reseau-essai--carrier--project-projet-essai"],
    }


# --- Bad rows: problems, never exceptions --------------------------------------------

BAD_ROWS = {
    2: set(),  # 99999 has the format of a commune code: whether it exists is the SHACL gate's business
    3: {("siren", "siren-checksum")},
    4: {("name", "required")},
    5: {("roles", "unknown-role")},
    6: {("id", "slug")},
    7: {("kind", "unknown-kind"), ("kind", "disjoint-kinds")},
    8: {
        ("actor_type", "unknown-actor-type"),
        ("siren", "siren-format"),
        ("website", "url"),
        ("territory", "territory-format"),
        ("wikidata", "wikidata-format"),
        ("member_of", "slug"),
        ("roles", "endeavour-kind"),
        ("roles", "slug"),
        ("roles", "role-format"),
        ("source", "unknown-source"),
    },
    9: {(None, "extra-cells")},
    10: {("member_of", "self-membership")},
}


def test_bad_rows_get_the_expected_problems(loader):
    _, _, problems = load(loader, FIXTURES / "bad-rows.csv")
    assert problems == BAD_ROWS


def test_problem_messages_name_the_value(loader):
    raws = {raw.line: raw for raw in loader.read(FIXTURES / "bad-rows.csv")}
    (siren,) = loader.map(raws[3]).problems
    assert "123456789" in siren.message and "checksum" in siren.message
    (role,) = loader.map(raws[5]).problems
    assert "'sponsor'" in role.message and "carrier" in role.message


def test_map_never_raises_on_odd_fields(loader):
    odd = RawRecord("odd.csv", 2, {"id": None, "name": 42, "roles": "@/", "territory": ":", "siren": "x"})
    record = loader.map(odd)
    assert record.rejected


# --- Unreadable files: ReadError naming file, line and field --------------------------


@pytest.mark.parametrize("path", UNREADABLE, ids=[path.name for path in UNREADABLE])
def test_unreadable_file_raises_read_error(loader, path: Path):
    expected = UNREADABLE_NAME.fullmatch(path.stem)
    assert expected, f"{path.name}: name it <case>--line-<n|none>--field-<name|none>.<ext>"
    line = None if expected["line"] == "none" else int(expected["line"])
    field = None if expected["field"] == "none" else expected["field"]
    with pytest.raises(ReadError) as raised:
        list(loader.read(path))
    error = raised.value
    assert (error.line, error.field) == (line, field), str(error)
    message = str(error)
    assert str(path) in message
    if line is not None:
        assert f":{line}:" in message
    if field is not None:
        assert repr(field) in message


def test_xlsx_without_required_column_names_sheet_line_and_field(loader, tmp_path):
    import openpyxl  # a dependency of the package (XLSX input)
    workbook = openpyxl.Workbook()
    workbook.active.title = "Partners"
    workbook.active.append([])
    workbook.active.append(["id", "nom complet"])
    workbook.save(tmp_path / "no-name.xlsx")
    with pytest.raises(ReadError) as raised:
        list(loader.read(tmp_path / "no-name.xlsx"))
    assert (raised.value.file, raised.value.line, raised.value.field) == (str(tmp_path / "no-name.xlsx"), 2, "name")
    assert "sheet 'Partners'" in str(raised.value)


def test_missing_file_raises_read_error(loader, tmp_path):
    with pytest.raises(ReadError, match="no such file"):
        list(loader.read(tmp_path / "absent.csv"))


# --- Helpers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "valid"),
    [("213300635", True), ("246300701", True), ("356000000", True), ("123456789", False), ("213300636", False)],
)
def test_luhn(value, valid):
    assert luhn_valid(value) is valid


@pytest.mark.parametrize(
    ("value", "iri"),
    [
        ("33063", "commune/33063"),
        ("com:33063", "commune/33063"),
        ("2a004", "commune/2A004"),
        ("Commune:78440", "commune/78440"),
        ("dep:33", "departement/33"),
        ("Département:2B", "departement/2B"),
        ("dep:974", "departement/974"),
        ("reg:75", "region/75"),
        ("epci:246300701", "epci/246300701"),
        ("pays:fr", "pays/FR"),
        ("246300701", "epci/246300701"),
        ("33", None),
        ("dep:333", None),
        ("epci:246300702", None),
        ("canton:3301", None),
    ],
)
def test_territory_codes(value, iri):
    assert territory_iri(value) == (ID[iri] if iri else None)


def test_normalise_ignores_case_accents_and_punctuation():
    assert normalise("Type d'acteur") == normalise("TYPE D’ACTEUR") == "type-d-acteur"
    assert normalise("Rôles") == "roles"


@pytest.mark.parametrize(("header", "separator"), [("id;name;kind", ";"), ("id,name,kind", ","), ("id", ",")])
def test_sniff_separator(header, separator):
    assert sniff_separator(header) == separator


# --- The bundled observatory -----------------------------------------------------------


@pytest.fixture(scope="module")
def bundled(loader) -> tuple[list[RawRecord], Graph, dict[int, set]]:
    return load(loader, BUNDLED)


@pytest.fixture(scope="module")
def observatory() -> Graph:
    graph = Graph()
    for path in OBSERVATORY:
        graph.parse(path, format="turtle")
    return graph


def test_bundled_partners_map_without_problem(bundled):
    raws, _, problems = bundled
    assert raws
    assert {line: found for line, found in problems.items() if found} == {}


def test_bundled_partners_cite_a_seed(bundled):
    raws, graph, _ = bundled
    for raw in raws:
        organisation = ID[f"organisation/{raw.fields['id']}"]
        cited = set(graph.objects(organisation, DCTERMS.source))
        assert cited and all(str(source).startswith(str(SRC["seed-"])) for source in cited), raw.fields["id"]


def test_bundled_ids_are_unique():
    with open(BUNDLED, encoding="utf-8", newline="") as stream:
        ids = [row["id"] for row in csv.DictReader(stream)]
    assert len(ids) == len(set(ids))


def test_bundled_members_are_bundled_partners(bundled):
    _, graph, _ = bundled
    organisations = set(graph.subjects(RDF.type, AGRS.Organisation))
    assert set(graph.objects(None, AGRS.memberOf)) <= organisations


def test_bundled_endeavours_are_described(bundled, observatory):
    _, graph, _ = bundled
    described = set(observatory.subjects(RDF.type, AGRS.Endeavour))
    missing = set(graph.objects(None, AGRS.participationIn)) - described
    assert not missing, f"roles point to endeavours no data/observatory file describes: {sorted(missing)}"


@pytest.mark.parametrize("path", OBSERVATORY, ids=[path.name for path in OBSERVATORY])
def test_observatory_file_parses_with_agrs_prefixes(path: Path):
    graph = Graph().parse(path, format="turtle")
    assert len(graph)
    table = prefixes()
    for name, iri in re.findall(r"@prefix\s+([\w-]*):\s*<([^>]*)>", path.read_text(encoding="utf-8")):
        assert table.get(name) == iri, f"{name}: differs from agrs.ns"


def test_observatory_resources_have_label_and_source(observatory):
    for subject in set(observatory.subjects(RDF.type, None)):
        if (subject, RDF.type, AGRS.Participation) not in observatory:
            labels = {label.language for label in observatory.objects(subject, RDFS.label)}
            assert "fr" in labels, f"{subject} has no French label"
        assert (subject, DCTERMS.source, None) in observatory, f"{subject} cites no source"


def test_observatory_participants_are_described(bundled, observatory):
    _, graph, _ = bundled
    actors = set(graph.subjects(RDF.type, AGRS.Actor)) | set(observatory.subjects(RDF.type, AGRS.Actor))
    assert set(observatory.objects(None, AGRS.participant)) <= actors


@pytest.mark.skipif(not (ETALAB / "communes.json").is_file(), reason="@etalab/decoupage-administratif not installed")
def test_bundled_territory_codes_exist(bundled, observatory):
    known = set()
    for kind, name in (
        ("commune", "communes"),
        ("departement", "departements"),
        ("region", "regions"),
        ("epci", "epci"),
    ):
        known |= {ID[f"{kind}/{entry['code']}"] for entry in json.loads((ETALAB / f"{name}.json").read_text())}
    _, graph, _ = bundled
    used = {
        o
        for g in (graph, observatory)
        for s, p, o in g
        if isinstance(o, URIRef) and re.match(str(ID) + r"(commune|departement|region|epci)/", str(o))
    }
    used |= {s for s in observatory.subjects() if re.match(str(ID) + r"(commune|epci)/", str(s))}
    assert used and used <= known, sorted(used - known)
