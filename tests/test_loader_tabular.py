"""The tabular reader (agrs.loaders.tabular) and the hostile files every loader reading through it must survive.

A far cell at XFD1048576, hidden sheets ahead of the visible one, UTF-16 twins of the CSV fixtures, a file cut
inside its last row, a header without rows. The workbooks are built here with openpyxl; the CSV cases are the
loaders' own fixtures, re-encoded or cut.
"""

import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from agrs.loaders.indicators import IndicatorsLoader
from agrs.loaders.partners import PartnersLoader
from agrs.loaders.pipeline import Resources, run_load
from agrs.loaders.risks import RisksLoader
from agrs.loaders.survey import SurveyLoader
from agrs.loaders.tabular import TRUNCATED, Undecodable, Workbook, decode, looks_like_json, read_csv
from agrs.records import ReadError

from conftest import DATA, REPO

LOADERS = DATA / "loaders"
FORM = REPO / "data" / "survey" / "questionnaire.xlsx"
SALT = "test-salt"
FAR = "XFD1048576"  # the last cell a sheet can address

#: the loaders that read CSV, by the folder of their fixtures
CSV_LOADERS = {
    "partners": PartnersLoader,
    "indicators": IndicatorsLoader,
    "risks": RisksLoader,
    "survey": lambda: SurveyLoader(FORM, SALT),
}
#: every good CSV fixture of those loaders (the partners' bad rows too: their problems are per row, not per file)
CSV_FIXTURES = sorted(path for source in CSV_LOADERS for path in (LOADERS / source).glob("*.csv"))


def make_loader(path: Path):
    """Return a new loader for a fixture of tests/data/loaders/<source>/."""
    return CSV_LOADERS[path.parent.name]()


def read_all(loader, path: Path) -> list[tuple]:
    """Read a file: (line, fields, original) of each record, for comparing two files' records."""
    return [(raw.line, raw.fields, raw.original) for raw in loader.read(path)]


def test_fixtures_found():
    assert {path.parent.name for path in CSV_FIXTURES} == set(CSV_LOADERS)
    assert FORM.is_file()


# --- Decoding --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"caf\xc3\xa9", "café"),  # UTF-8
        (b"\xef\xbb\xbfcaf\xc3\xa9", "café"),  # UTF-8 with BOM
        (b"caf\xe9 \x92quote\x92 \x80", "café ’quote’ €"),  # Windows-1252
        (b"Ao\xfbt \xe0 l'\xeele", "Août à l'île"),  # Latin-1: the same bytes mean the same in Windows-1252
        ("\ufeffcafé".encode("utf-16-le"), "café"),  # UTF-16 LE with BOM
        ("\ufeffcafé".encode("utf-16-be"), "café"),  # UTF-16 BE with BOM
        ("id;nom\nx;café\n".encode("utf-16-le"), "id;nom\nx;café\n"),  # UTF-16 LE without BOM
        ("id;nom\nx;café\n".encode("utf-16-be"), "id;nom\nx;café\n"),  # UTF-16 BE without BOM
        (b"", ""),
    ],
    ids=["utf-8", "utf-8-bom", "cp1252", "latin-1", "utf-16-le", "utf-16-be", "utf-16-le-no-bom",
         "utf-16-be-no-bom", "empty"],
)  # fmt: skip
def test_decode(data: bytes, text: str):
    assert decode(data) == text


@pytest.mark.parametrize(
    ("data", "fallback", "line", "reason"),
    [
        (b"ok\nCarte,\x81crise\n", "cp1252", 2, "neither UTF-8 nor Windows-1252"),  # undefined in cp1252
        (b"ok\nnot\xe9utf8\n", None, 2, "is not UTF-8"),  # a legacy byte where only UTF-8 is allowed
        (b"\xef\xbb\xbfok\n\xe9\n", "cp1252", 2, "UTF-8 byte-order mark"),  # a BOM says UTF-8: no fallback
        (b"\xff\xfe" + "a\nb".encode("utf-16-le") + b"\x00\xdc", "cp1252", 2, "not UTF-16"),  # lone surrogate
    ],
    ids=["cp1252-undefined", "utf-8-only", "bom-then-cp1252", "bad-utf-16"],
)
def test_undecodable_bytes_name_their_line(data: bytes, fallback, line: int, reason: str):
    with pytest.raises(Undecodable) as caught:
        decode(data, fallback=fallback)
    assert caught.value.line == line and reason in str(caught.value)


def test_latin_1_never_swallows_bytes_windows_1252_leaves_undefined():
    # Latin-1 decodes any byte, so it cannot be a fallback after Windows-1252: 0x81 must stay an error.
    for byte in (0x81, 0x8D, 0x8F, 0x90, 0x9D):
        with pytest.raises(Undecodable):
            decode(b"caf\xe9 " + bytes([byte]))


def test_utf_8_text_is_never_taken_for_utf_16():
    text = "id,name\n" + "ligne,é à ü ’ €\n" * 50
    assert decode(text.encode("utf-8")) == text


def test_json_is_recognised_in_utf_16():
    assert looks_like_json("\ufeff [{}]".encode("utf-16-le")) and looks_like_json(b"\xef\xbb\xbf\n{")
    assert not looks_like_json("id,name".encode("utf-16-be"))


# --- UTF-16 twins of every CSV fixture ---------------------------------------------------------------------

UTF16 = {"utf-16-le-bom": ("utf-16-le", True), "utf-16-be-bom": ("utf-16-be", True),
         "utf-16-le": ("utf-16-le", False), "utf-16-be": ("utf-16-be", False)}  # fmt: skip


@pytest.mark.parametrize("variant", UTF16)
@pytest.mark.parametrize("path", CSV_FIXTURES, ids=[f"{p.parent.name}/{p.name}" for p in CSV_FIXTURES])
def test_utf_16_csv_reads_like_its_utf_8_twin(tmp_path: Path, path: Path, variant: str):
    codec, bom = UTF16[variant]
    twin = tmp_path / path.name
    twin.write_bytes(("\ufeff" if bom else "").encode(codec) + decode(path.read_bytes()).encode(codec))
    expected = read_all(make_loader(path), path)
    assert expected and read_all(make_loader(path), twin) == expected


def test_utf_16_json_reads_like_its_utf_8_twin(tmp_path: Path):
    path = LOADERS / "partners" / "partners.json"
    twin = tmp_path / "partners.json"
    twin.write_bytes(b"\xff\xfe" + path.read_text(encoding="utf-8").encode("utf-16-le"))
    assert read_all(PartnersLoader(), twin) == read_all(PartnersLoader(), path)


def test_undecodable_utf_16_names_line_and_field(tmp_path: Path):
    path = tmp_path / "bad.csv"
    cut = "id,name\nok,Bien\nmal,Ma".encode("utf-16-le") + b"\x00\xdc"  # a lone low surrogate in the name
    path.write_bytes(b"\xff\xfe" + cut + "l\n".encode("utf-16-le"))
    with pytest.raises(ReadError) as caught:
        list(PartnersLoader().read(path))
    assert (caught.value.line, caught.value.field) == (3, "name")


# --- A file cut inside its last row -------------------------------------------------------------------------


def cut_last_row(data: bytes, keep: int) -> bytes:
    """Return the file without its final line end, its last row cut after `keep` cells (no quoting in it)."""
    body = data.rstrip(b"\r\n")
    start = max(body.rfind(b"\n"), body.rfind(b"\r")) + 1
    separator = b";" if body[start:].count(b";") > body[start:].count(b",") else b","
    return body[:start] + separator.join(body[start:].split(separator)[:keep])


CUT = [LOADERS / "partners" / "good.csv", LOADERS / "indicators" / "observations.csv",
       LOADERS / "risks" / "gaspar-older.csv", LOADERS / "survey" / "kobo.csv"]  # fmt: skip


@pytest.mark.parametrize("path", CUT, ids=[f"{p.parent.name}/{p.name}" for p in CUT])
def test_truncated_last_row_is_rejected_and_the_others_load(tmp_path: Path, path: Path):
    cut = tmp_path / path.name
    cut.write_bytes(cut_last_row(path.read_bytes(), keep=3))
    whole = read_all(make_loader(path), path)
    loader = make_loader(path)
    if path.parent.name == "survey":
        list(loader.read(FORM))  # the form is part of the load
    raws = list(loader.read(cut))
    *kept, last = raws
    assert [(raw.line, raw.fields, raw.original) for raw in kept] == whole[:-1]
    assert last.line == whole[-1][0] and last.fields[TRUNCATED].startswith("3 of ")
    problems = [(problem.rule, problem.field) for problem in loader.map(last).problems]
    assert problems[0] == ("truncated-row", None)
    assert "file ends inside this row" in loader.map(last).problems[0].message
    assert not any(problem.rule == "truncated-row" for raw in kept for problem in loader.map(raw).problems)


@pytest.mark.parametrize("path", CUT, ids=[f"{p.parent.name}/{p.name}" for p in CUT])
def test_whole_last_row_without_final_line_end_is_fine(tmp_path: Path, path: Path):
    trimmed = tmp_path / path.name
    trimmed.write_bytes(path.read_bytes().rstrip(b"\r\n"))
    assert read_all(make_loader(path), trimmed) == read_all(make_loader(path), path)


def test_truncated_row_goes_to_quarantine(store, tmp_path: Path):
    path = tmp_path / "partners.csv"
    path.write_text("id,name,kind\nasso-entiere,Association entière,association\nasso-coupee,Associ", encoding="utf-8")
    summary = run_load(PartnersLoader(), [path], store, quarantine_dir=tmp_path / "q", resources=Resources.load())
    assert (summary.read, summary.loaded, summary.rejected) == (2, 1, 1)
    (entry,) = [json.loads(line) for line in summary.quarantine.read_text(encoding="utf-8").splitlines()]
    assert (entry["line"], entry["original"]) == (3, "asso-coupee,Associ")
    assert entry["problems"][0]["rule"] == "truncated-row"


def test_quoted_cell_cut_by_the_end_of_file_is_a_read_error(tmp_path: Path):
    path = tmp_path / "partners.csv"
    path.write_text('id,name\nun,"Nom coupé', encoding="utf-8")
    with pytest.raises(ReadError, match="malformed CSV"):
        list(PartnersLoader().read(path))


# --- A header and nothing else ------------------------------------------------------------------------------


def workbook(path: Path, sheets: dict[str, list[list]], states: dict[str, str] | None = None) -> Path:
    """Write a workbook with the given sheets (title → rows) and sheet states (hidden, veryHidden)."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        sheet.sheet_state = (states or {}).get(title, "visible")
    book.save(path)
    return path


def kobo_rows() -> list:
    return list(read_csv((LOADERS / "survey" / "kobo.csv").read_bytes(), "kobo.csv"))


def kobo_header() -> list[str]:
    return kobo_rows()[0].cells


HEADERS = {
    "partners": ["id", "name", "kind"],
    "indicators": ["territory", "indicator", "period", "value", "unit"],
    "risks": ["id_gaspar", "code_commune", "libelle_commune", "num_risque_jo", "lib_risque_jo", "date_debut",
              "date_fin", "date_signature_arrete", "date_publication_jo", "date_modification"],
}  # fmt: skip


#: (loader, format) pairs: GASPAR exports are CSV only
HEADER_ONLY = [(source, form) for source in CSV_LOADERS for form in ("csv", "xlsx")]
HEADER_ONLY.remove(("risks", "xlsx"))


@pytest.mark.parametrize(("source", "form"), HEADER_ONLY, ids=[f"{source}-{form}" for source, form in HEADER_ONLY])
def test_header_only_file_reads_as_no_record(tmp_path: Path, source: str, form: str):
    header = kobo_header() if source == "survey" else HEADERS[source]
    if form == "csv":
        path = tmp_path / "header.csv"
        path.write_text(";".join(header) + "\n", encoding="utf-8")
    else:
        path = workbook(tmp_path / "header.xlsx", {"Feuil1": [header]})
    assert list(CSV_LOADERS[source]().read(path)) == []


def test_empty_json_list_reads_as_no_record(tmp_path: Path):
    path = tmp_path / "partners.json"
    path.write_text("[]", encoding="utf-8")
    assert list(PartnersLoader().read(path)) == []


# --- Hidden sheets -------------------------------------------------------------------------------------------


def test_hidden_sheets_are_never_read_before_a_visible_one(tmp_path: Path):
    path = workbook(
        tmp_path / "partners.xlsx",
        {"partners": [["id", "name"], ["cachee", "Feuille cachée"]],
         "Partenaires": [["id", "name"], ["tres-cachee", "Feuille très cachée"]],
         "Feuil1": [["id", "name"], ["visible", "Feuille visible"]]},
        {"partners": "hidden", "Partenaires": "veryHidden"},
    )  # fmt: skip
    assert [raw.fields["id"] for raw in PartnersLoader().read(path)] == ["visible"]


def test_the_named_visible_sheet_wins_over_hidden_ones(tmp_path: Path):
    path = workbook(
        tmp_path / "partners.xlsx",
        {"Brouillon": [["id", "name"], ["brouillon", "Brouillon"]], "Notes": [["Notes"]],
         "Partenaires": [["id", "name"], ["nommee", "Feuille nommée"]]},
        {"Brouillon": "veryHidden"},
    )  # fmt: skip
    assert [raw.fields["id"] for raw in PartnersLoader().read(path)] == ["nommee"]


def test_indicators_skip_hidden_sheets_of_their_names(tmp_path: Path):
    header, row = HEADERS["indicators"], ["33063", "population", "2020", "1", "{inhab}"]
    path = workbook(
        tmp_path / "indicators.xlsx",
        {"observations": [header, ["99999", "population", "2020", "2", "{inhab}"]], "Valeurs 2020": [header, row]},
        {"observations": "hidden"},
    )
    assert [raw.fields["territory"] for raw in IndicatorsLoader().read(path)] == ["33063"]


def test_survey_responses_come_from_the_first_visible_sheet(tmp_path: Path):
    header, row = (row.cells for row in kobo_rows()[:2])
    path = workbook(tmp_path / "kobo.xlsx", {"cachee": [header, ["x"] * len(header)], "reponses": [header, row]},
                    {"cachee": "veryHidden"})  # fmt: skip
    (raw,) = SurveyLoader(FORM, SALT).read(path)
    assert raw.line == 2 and raw.fields["respondent_id"] == row[header.index("profil/respondent_id")]


def test_a_workbook_without_a_visible_sheet_is_a_read_error(tmp_path: Path):
    import zipfile

    # openpyxl refuses to write such a workbook (Excel would not either): hide the sheet in the written file.
    visible = workbook(tmp_path / "visible.xlsx", {"a": [["id", "name"]], "b": [["id", "name"]]}, {"b": "hidden"})
    path = tmp_path / "hidden.xlsx"
    with zipfile.ZipFile(visible) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/workbook.xml":
                data = data.replace(b'state="visible"', b'state="veryHidden"')
            target.writestr(item, data)
    with pytest.raises(ReadError, match="no visible sheet"):
        list(PartnersLoader().read(path))


def test_a_hidden_sheet_is_taken_by_name_only_when_asked_and_no_visible_one_has_it(tmp_path: Path):
    path = workbook(tmp_path / "form.xlsx", {"survey": [["type"]], "settings": [["form_id"], ["f"]]},
                    {"settings": "hidden"})  # fmt: skip
    with Workbook(path) as book:
        assert book.sheet("settings") is None
        assert book.sheet("settings", hidden=True).title == "settings"
        assert book.sheet("SURVEY").title == "survey"


# --- A far cell: read the cells that exist, never the declared dimension ---------------------------------------

#: the child's limits: a load that expanded the far cell would need gigabytes, or minutes
MEMORY_LIMIT, TIMEOUT = 1_500_000_000, 60

CHILD = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from pathlib import Path
from agrs.loaders.registry import make_loader
kind, path, options = sys.argv[1], Path(sys.argv[2]), json.loads(sys.argv[3])
loader = make_loader(kind, **options)
if kind == "survey":
    list(loader.read(Path(options["form"])))
out = []
for raw in loader.read(path):
    record = loader.map(raw)
    out.append({{"line": raw.line, "fields": raw.fields, "rules": sorted({{p.rule for p in record.problems}})}})
print(json.dumps(out, default=str))
"""


def load_in_child(kind: str, path: Path, **options) -> list[dict]:
    """Read and map a file in a child process limited to MEMORY_LIMIT bytes of address space and TIMEOUT s."""
    assert resource.RLIMIT_AS  # the limit is Linux's
    result = subprocess.run(
        [sys.executable, "-c", CHILD.format(limit=MEMORY_LIMIT), kind, str(path), json.dumps(options)],
        capture_output=True, text=True, timeout=TIMEOUT, cwd=REPO,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def with_far_cell(path: Path, sheets: dict[str, list[list]], sheet: str) -> Path:
    """Write a workbook and put one stray cell at XFD1048576 of `sheet` (the file stays a few KB)."""
    import openpyxl

    workbook(path, sheets)
    book = openpyxl.load_workbook(path)
    book[sheet][FAR] = "égaré"
    book.save(path)
    assert path.stat().st_size < 20_000
    return path


def assert_real_rows_and_far_row_reported(records: list[dict], lines: list[int]) -> list[dict]:
    """The real rows come with their line numbers; the far cell's row, if read, is a rejected record."""
    real = [record for record in records if record["line"] != 1_048_576]
    assert [record["line"] for record in real] == lines
    far = [record for record in records if record["line"] == 1_048_576]
    assert all(record["rules"] for record in far), far
    return real


def test_far_cell_partners_load_in_bounded_memory_and_time(tmp_path: Path):
    path = with_far_cell(tmp_path / "partners.xlsx", {"partners": [
        ["id", "name", "kind"], ["asso-une", "Association une", "association"],
        ["asso-deux", "Association deux", "association"]]}, "partners")  # fmt: skip
    real = assert_real_rows_and_far_row_reported(load_in_child("partners", path), [2, 3])
    assert [record["fields"]["id"] for record in real] == ["asso-une", "asso-deux"]
    assert not any(record["rules"] for record in real)


def test_far_cell_indicators_load_in_bounded_memory_and_time(tmp_path: Path):
    definitions = [["id", "label_fr", "unit", "aggregation"], ["population", "Population", "{inhab}", "sum"]]
    observations = [HEADERS["indicators"], ["33063", "population", "2020", "260958", "{inhab}"],
                    ["75056", "population", "2020", "2145906", "{inhab}"]]  # fmt: skip
    path = with_far_cell(tmp_path / "indicators.xlsx", {"indicateurs": definitions, "observations": observations},
                         "observations")  # fmt: skip
    real = assert_real_rows_and_far_row_reported(load_in_child("indicators", path), [2, 2, 3])
    assert [record["fields"].get("territory") for record in real] == [None, "33063", "75056"]
    assert not any(record["rules"] for record in real)


def test_far_cell_survey_responses_load_in_bounded_memory_and_time(tmp_path: Path):
    rows = [row.cells for row in kobo_rows()[:3]]
    path = with_far_cell(tmp_path / "kobo.xlsx", {"reponses": rows}, "reponses")
    records = load_in_child("survey", path, form=str(FORM), salt=SALT)
    real = assert_real_rows_and_far_row_reported(records, [2, 3])
    assert all(record["fields"].get("respondent_id") for record in real)


# --- Issue 15: what the house fixes left open -----------------------------------------------------------------


def test_far_cell_in_the_header_is_refused_naming_the_cell(tmp_path: Path):
    # Every row would be padded to the header's 16,384 columns: the sheet is refused instead.
    path = with_far_cell(tmp_path / "partners.xlsx", {"partners": [["id", "name", "kind"]]}, "partners")
    import openpyxl

    book = openpyxl.load_workbook(path)
    book["partners"]["XFD1"] = "colonne égarée"
    book.save(path)
    with pytest.raises(ReadError, match=r"header reaches cell XFD1, beyond column AMJ") as caught:
        list(PartnersLoader().read(path))
    assert caught.value.line == 1


def test_far_rows_cost_their_cells_only(tmp_path: Path):
    # Many rows, each with a cell at XFD: padded to 16,384 cells each they cost gigabytes; read sparsely, little.
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "name", "kind"])
    for row in range(2, 3002):
        sheet.cell(row, 1, f"asso-{row}")
        sheet.cell(row, 16384, "égaré")
    book.save(tmp_path / "wide.xlsx")
    records = load_in_child("partners", tmp_path / "wide.xlsx")
    assert len(records) == 3000
    assert all("extra-cells" in record["rules"] for record in records)


def test_a_workbook_that_unpacks_beyond_the_limit_is_refused(tmp_path: Path):
    import zipfile

    from agrs.loaders import tabular

    path = workbook(tmp_path / "bomb.xlsx", {"partners": [["id", "name", "kind"]]})
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:  # a part of zeros: tiny packed, huge unpacked
        with archive.open("xl/media/padding.bin", "w", force_zip64=True) as part:
            block = bytes(1 << 20)
            for _ in range(tabular.MAX_PART_BYTES // len(block) + 1):
                part.write(block)
    assert path.stat().st_size < 2_000_000
    with pytest.raises(ReadError, match=r"refused: the XLSX workbook unpacks to \d+ MB"):
        list(PartnersLoader().read(path))


def test_a_bad_url_cell_rejects_its_record_not_the_load(store, tmp_path: Path):
    # `https://example.org/a>b"c` passed the URL check and was spliced into the stored-context query, which
    # stopped the whole load with « invalid SPARQL query: error at 1:72 ».
    path = tmp_path / "partners.csv"
    path.write_text('id,name,kind,website\nurl-one,Une,association,"https://example.org/a>b""c"\n'
                    "url-two,Deux,association,https://example.org/deux\n", encoding="utf-8")  # fmt: skip
    summary = run_load(PartnersLoader(), [path], store, quarantine_dir=tmp_path / "q", resources=Resources.load())
    assert (summary.loaded, summary.rejected) == (1, 1)
    rejected = next(record for record in summary.records if record.rejected)
    assert [(problem.field, problem.rule) for problem in rejected.problems] == [("website", "url")]


def test_the_stored_context_skips_iris_a_query_cannot_hold(store, tmp_path: Path):
    from rdflib import URIRef

    from agrs.stored_context import StoredContext

    run_load(PartnersLoader(), [LOADERS / "partners" / "good.csv"], store, quarantine_dir=tmp_path / "q",
             resources=Resources.load())  # fmt: skip
    resources = Resources.load()
    mentioned = [URIRef('https://example.org/a>b"c'), URIRef("https://w3id.org/agrs/id/organisation/ville-essai")]
    context = StoredContext.fetch(store, "https://w3id.org/agrs/graph/partners/other", mentioned, resources.ontology)
    assert 'https://example.org/a>b"c' not in context.descriptions


@pytest.mark.parametrize(
    ("text", "field", "code"),
    [("Asso\x00ciation", "name", "U+0000 (NUL)"), ("\x1b[31mrouge", "name", "U+001B (ESC)"),
     ("Ligne\u0085suivante", "name", "U+0085 (NEL)")],
)  # fmt: skip
def test_control_characters_reject_the_record_naming_field_and_position(text: str, field: str, code: str):
    from agrs.records import RawRecord

    record = PartnersLoader().map(RawRecord("f.csv", 2, {"id": "ctl-one", "name": text, "kind": "association"}))
    problems = [problem for problem in record.problems if problem.rule == "control"]
    assert [problem.field for problem in problems] == [field]
    assert code in problems[0].message and "at character" in problems[0].message


def test_a_json_object_as_a_name_is_a_wrong_type_never_its_repr(tmp_path: Path):
    path = tmp_path / "partners.json"
    path.write_text('[{"id": "obj-one", "name": {"fr": "Nom"}, "kind": "association"}]', encoding="utf-8")
    loader = PartnersLoader()
    (record,) = [loader.map(raw) for raw in loader.read(path)]
    assert [(problem.field, problem.rule) for problem in record.problems] == [("name", "json-type")]
    assert "{'fr'" not in " ".join(problem.message for problem in record.problems)
    assert not record.triples


def test_duplicate_ids_keep_the_first_record_once(store, tmp_path: Path):
    path = tmp_path / "partners.csv"
    path.write_text("id,name,kind\ndup-one,Une,association\ndup-one,Une bis,association\ndup-two,Deux,association\n",
                    encoding="utf-8")  # fmt: skip
    summary = run_load(PartnersLoader(), [path], store, quarantine_dir=tmp_path / "q", resources=Resources.load())
    assert (summary.loaded, summary.rejected) == (2, 1)
    duplicate = next(record for record in summary.records if record.rejected)
    assert duplicate.raw.line == 3
    assert [problem.rule for problem in duplicate.problems] == ["duplicate-id"]
    assert "duplicate id 'dup-one': line 2 has it already" in duplicate.problems[0].message


@pytest.mark.parametrize(
    ("content", "message"),
    [("[" * 50_000 + "]" * 50_000, "JSON nested too deeply"), ('[{"siren": ' + "9" * 5000 + "}]", "5000 digits")],
    ids=["deep", "huge-number"],
)
def test_deep_or_huge_number_json_is_a_read_error(tmp_path: Path, content: str, message: str):
    path = tmp_path / "partners.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ReadError, match=message):
        list(PartnersLoader().read(path))


def test_a_mapping_bug_becomes_the_records_problem_not_a_traceback():
    from agrs.loaders.base import Loader
    from agrs.records import RawRecord

    class Faulty(Loader):
        kind, screened = "faulty", True

        def map(self, raw):
            raise KeyError("column")

    record = Faulty().map(RawRecord("f.csv", 4, {"name": "x"}))
    assert [problem.rule for problem in record.problems] == ["mapping-error"]
    assert "KeyError" in record.problems[0].message
