"""Write the corpus's workbooks (tests/data/bad/<loader>/*.xlsx): far cells, hidden sheets, formulas, merged cells…

Run `python tests/data/bad/make_xlsx.py` (needs openpyxl) after changing a case below; each workbook's expected
outcome is its sidecar `<name>.xlsx.expect.json`, written by hand. The output is deterministic (fixed timestamps),
so running it again changes nothing that matters.
"""

import io
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl

HERE = Path(__file__).parent
FAR = "XFD1048576"  # the last cell a sheet can address
WHEN = datetime(2026, 1, 1)

PARTNERS = [["id", "name", "kind"], ["classeur-un", "Association du classeur", "association"],
            ["classeur-deux", "Coopérative du classeur", "cooperative"]]  # fmt: skip
DEFINITIONS = [["id", "label_fr", "unit", "aggregation"], ["population", "population municipale", "{inhab}", "sum"]]
OBSERVATIONS = [["territory", "indicator", "period", "value", "unit", "source"],
                ["13055", "population", "2020", "861635", "{inhab}", "insee-populations"],
                ["2A004", "population", "2020", "71361", "{inhab}", "insee-populations"]]  # fmt: skip
DIAGNOSTIC = {
    "about": [["field", "value"], ["diagnostic", "classeur-2026"], ["subject_kind", "territory"],
              ["territory", "13055"], ["date", "2026-01-10"], ["synthetic", "yes"],
              ["template_version", "agrs-diagnostic/1"]],
    "actors": [["id", "name", "kind", "siren", "territory"], ["mairie", "Mairie de Marseille", "local-authority", "",
               "13055"]],
    "commons": [["id", "label_fr", "label_en", "needs", "state", "spatial_scale", "depends_on", "actors",
                 "description"], ["eau", "Eau de la ville", "", "water", "", "", "", "mairie", ""]],
    "risks": [["id", "label", "hazard", "commons", "exposure", "vulnerability", "time_horizon", "spatial_scale"],
              ["crue", "Crue de l'Huveaune", "flood", "eau", "0.3", "", "", ""]],
}  # fmt: skip


def book(sheets: dict[str, list[list]], states: dict[str, str] | None = None) -> openpyxl.Workbook:
    """A workbook with the given sheets (title → rows), in order, and sheet states (hidden, veryHidden)."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
        sheet.sheet_state = (states or {}).get(title, "visible")
    workbook.properties.created = workbook.properties.modified = WHEN
    return workbook


def save(workbook: openpyxl.Workbook, relative: str) -> Path:
    path = HERE / relative
    workbook.save(path)
    return path


def rewrite(path: Path, part: str, change) -> None:
    """Rewrite one part of a saved workbook with `change` (bytes → bytes), keeping the others as they are."""
    with zipfile.ZipFile(path) as source:
        items = [(item, source.read(item.filename)) for item in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item, data in items:
            target.writestr(item, change(data) if item.filename == part else data)


def partners() -> None:
    far = book({"partners": PARTNERS})
    far["partners"][FAR] = "égaré"
    save(far, "partners/far-cell-row.xlsx")

    header = book({"partners": PARTNERS})
    header["partners"]["XFD1"] = "colonne égarée"
    save(header, "partners/far-cell-header.xlsx")

    decoys = [["id", "name", "kind"], ["leurre-cache", "Ligne d'une feuille masquée", "association"]]
    hidden = book({"partners": decoys, "Partenaires": decoys, "Feuil3": PARTNERS},
                  {"partners": "hidden", "Partenaires": "veryHidden"})  # fmt: skip
    save(hidden, "partners/hidden-sheets-first.xlsx")

    # openpyxl refuses to hide every sheet, so the workbook part is edited after saving: Excel opens it all the same.
    only_hidden = save(book({"partners": PARTNERS, "notes": [["rien"]]}, {"partners": "veryHidden"}),
                       "partners/only-hidden-sheets.xlsx")  # fmt: skip
    rewrite(only_hidden, "xl/workbook.xml", lambda xml: xml.replace(b'state="visible"', b'state="hidden"'))

    formulas = book({"partners": [
        ["id", "name", "kind"], ["formule-un", '=CONCATENATE("Asso", "ciation")', "association"],
        ["formule-deux", "=cmd|' /C calc'!A0", "association"],
        ["formule-trois", "Association sans formule", "association"],
    ]})  # fmt: skip
    formulas["partners"]["B3"].data_type = "s"  # a text that looks like a formula, as typed with a leading quote
    save(formulas, "partners/formulas.xlsx")

    merged = book({"partners": [["id", "name", "kind"], ["fusion-un", "Nom sur deux lignes", "association"],
                                ["fusion-deux", None, "association"]]})  # fmt: skip
    merged["partners"].merge_cells("B2:B3")
    save(merged, "partners/merged-cells.xlsx")

    typed = book({"partners": [["id", "name", "kind", "siren"], ["nombre-un", datetime(2024, 1, 1), "association",
                                123456782], ["nombre-deux", 3.5, "association", 123456789.0]]})  # fmt: skip
    save(typed, "partners/numbers-and-dates.xlsx")

    (HERE / "partners/not-a-workbook.xlsx").write_text("id,name,kind\nfaux,Pas un classeur,association\n")

    whole = io.BytesIO()
    book({"partners": PARTNERS}).save(whole)
    (HERE / "partners/truncated-zip.xlsx").write_bytes(whole.getvalue()[: len(whole.getvalue()) // 2])

    # A sheet part whose XML is cut: the zip is sound, the sheet is not.
    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(whole.getvalue())) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = data[: len(data) // 2]
            target.writestr(item, data)
    (HERE / "partners/broken-sheet-xml.xlsx").write_bytes(broken.getvalue())


def indicators() -> None:
    far = book({"indicateurs": DEFINITIONS, "observations": OBSERVATIONS})
    far["observations"][FAR] = "égaré"
    save(far, "indicators/far-cell.xlsx")

    decoy = [OBSERVATIONS[0], ["13055", "population", "1900", "1", "{inhab}", "insee-populations"]]
    hidden = book({"observations": decoy, "Observations ": OBSERVATIONS}, {"observations": "veryHidden"})
    save(hidden, "indicators/hidden-observations-sheet.xlsx")


def survey() -> None:
    import csv

    rows = list(csv.reader((HERE.parent / "loaders" / "survey" / "kobo.csv").open(encoding="utf-8-sig")))
    decoy = [rows[0], rows[2]]
    hidden = book({"brouillon": decoy, "reponses": rows[:3]}, {"brouillon": "hidden"})
    save(hidden, "survey/hidden-sheet-first.xlsx")
    far = book({"reponses": rows[:3]})
    far["reponses"][FAR] = "égaré"
    save(far, "survey/far-cell.xlsx")


def diagnostic() -> None:
    hidden_decoy = {"about": [["field", "value"], ["diagnostic", "leurre"], ["template_version", "agrs-diagnostic/9"]]}
    workbook = book({**{"about ": hidden_decoy["about"]}, **DIAGNOSTIC}, {"about ": "veryHidden"})
    save(workbook, "diagnostic/hidden-about-decoy.xlsx")

    save(book(DIAGNOSTIC, {"about": "hidden"}), "diagnostic/about-hidden-only.xlsx")

    far = book(DIAGNOSTIC)
    far["actors"][FAR] = "égaré"
    save(far, "diagnostic/far-cell-in-actors.xlsx")

    header = book(DIAGNOSTIC)
    header["commons"]["XFD1"] = "colonne égarée"
    save(header, "diagnostic/far-cell-in-header.xlsx")

    about = [row if row[0] != "template_version" else ["template_version", "agrs-diagnostic/99"] for row in
             DIAGNOSTIC["about"]]  # fmt: skip
    save(book({**DIAGNOSTIC, "about": about}), "diagnostic/unknown-template-version.xlsx")

    actors = [*DIAGNOSTIC["actors"], ["mairie", "Mairie (copie)", "local-authority", "", "13055"],
              ["asso", "=cmd|' /C calc'!A0 \"><script>", "association", "", "13055"]]  # fmt: skip
    save(book({**DIAGNOSTIC, "actors": actors}), "diagnostic/duplicate-and-injection-actors.xlsx")

    risks = [*DIAGNOSTIC["risks"], ["seisme", "Séisme", "earthquake", "eau", "1.7", "", "", ""],
             ["vent", "Vent", "no-such-hazard", "eau", "NaN", "", "", ""]]  # fmt: skip
    save(book({**DIAGNOSTIC, "risks": risks}), "diagnostic/bad-codes-and-numbers.xlsx")


if __name__ == "__main__":
    partners()
    indicators()
    survey()
    diagnostic()
