"""Write the survey fixtures: one set of respondents exported as KoboToolbox and ODK Central would.

Run `python tests/data/loaders/survey/make_fixtures.py` (needs openpyxl) after changing the rows below; then
regenerate the expected files with AGRS_REGENERATE=1 and review them. Every export holds the same respondents,
four good and six bad, so every fixture maps to the same graph.
"""

import csv
import io
from datetime import datetime
from pathlib import Path

import openpyxl

HERE = Path(__file__).parent

# name → value, as the respondents answered; names are the questionnaire's (data/survey/make_questionnaire.py).
ROWS = [
    dict(
        respondent_id="R-001",
        nom="Émilie Dupré",
        courriel="emilie@example.org",
        telephone="06 12 34 56 78",
        type_acteur="entreprise",
        territoire="13055",
        besoins_vitaux="water energy",
        besoins_vitaux_echelle="local",
        communs_locaux="Le port et ses quais",
        part_exterieure="60",
        mutations_subies="climate-change cyber",
        mutations_echelle="regional",
        mutations_horizon="years",
        impact_gravite="4",
        impact_description="Canicules : arrêts de production",
        aleas="heatwave drought",
        aleas_horizon="months",
        capacites="absorptive",
        interruptions="3",
        projet_en_cours="oui",
        projet_description="Récupération d'eau de pluie",
        projet_echelle="local",
        projet_horizon="years",
        projet_debut="2024-03-01",
        leviers_prioritaires="anticipate cooperate",
        _uuid="6f1c0a52-0001",
        _submission_time="2024-05-14T10:32:00",
    ),
    dict(
        respondent_id="R-002",
        type_acteur="territoire",
        territoire="69123",
        besoins_vitaux="food mobility",
        besoins_vitaux_echelle="regional",
        mutations_subies="inequalities",
        mutations_horizon="decades",
        impact_gravite="3",
        aleas="flood",
        budget_resilience="12,5",
        projet_en_cours="non",
        _uuid="6f1c0a52-0002",
        _submission_time="2024-05-15T09:00:00",
    ),
    dict(
        respondent_id="r-003@example.org",
        nom="Paul Martin",
        type_acteur="societe",
        territoire="75056",
        besoins_vitaux="housing",
        mutations_subies="migrations geoeconomics",
        impact_gravite="2",
        aleas="epidemic",
        capacites="adaptive transformative",
        projet_en_cours="non",
        _uuid="6f1c0a52-0003",
        _submission_time="2024-05-16T18:45:10",
    ),
    dict(
        respondent_id="R-004",
        type_acteur="entreprise",
        territoire="2A004",
        besoins_vitaux="health",
        mutations_subies="artificial-intelligence",
        impact_gravite="1",
        aleas="wildfire",
        interruptions="0",
        projet_en_cours="oui",
        projet_description="Plan de continuité",
        projet_debut="2025-01-15",
        _uuid="6f1c0a52-0004",
        _submission_time="2024-05-17T08:00:00",
    ),
    # Bad: a need that is not in the list.
    dict(
        respondent_id="R-005",
        type_acteur="territoire",
        territoire="59545",
        besoins_vitaux="water petrole",
        mutations_subies="climate-change",
        impact_gravite="2",
        aleas="storm",
        projet_en_cours="non",
        _uuid="6f1c0a52-0005",
        _submission_time="2024-05-18T10:00:00",
    ),
    # Bad: a severity out of the 1–5 range.
    dict(
        respondent_id="R-006",
        type_acteur="societe",
        territoire="97411",
        besoins_vitaux="water",
        mutations_subies="climate-change",
        impact_gravite="7",
        aleas="storm",
        projet_en_cours="non",
        _uuid="6f1c0a52-0006",
        _submission_time="2024-05-18T11:00:00",
    ),
    # Bad: a required answer (the mutations) missing; a project without its required description.
    dict(
        respondent_id="R-007",
        type_acteur="entreprise",
        territoire="29155",
        besoins_vitaux="energy",
        impact_gravite="2",
        aleas="coastal-submersion",
        projet_en_cours="oui",
        _uuid="6f1c0a52-0007",
        _submission_time="2024-05-18T12:00:00",
    ),
    # Bad for the gate: a well-formed commune code that is not in the territories loaded.
    dict(
        respondent_id="R-008",
        type_acteur="societe",
        territoire="99999",
        besoins_vitaux="social-cohesion",
        mutations_subies="insecurity",
        impact_gravite="3",
        aleas="earthquake",
        projet_en_cours="non",
        _uuid="6f1c0a52-0008",
        _submission_time="2024-05-19T10:00:00",
    ),
    # Bad: R-001 again (another case), one record per respondent.
    dict(
        respondent_id="r-001",
        type_acteur="entreprise",
        territoire="13055",
        besoins_vitaux="water",
        mutations_subies="climate-change",
        impact_gravite="4",
        aleas="heatwave",
        projet_en_cours="non",
        _uuid="6f1c0a52-0009",
        _submission_time="2024-05-20T10:00:00",
    ),
    # Bad: a budget that is not a number, a start date that does not exist.
    dict(
        respondent_id="R-010",
        type_acteur="territoire",
        territoire="61001",
        besoins_vitaux="digital-communication",
        mutations_subies="digital",
        impact_gravite="2",
        aleas="cyberattack",
        budget_resilience="douze",
        projet_en_cours="oui",
        projet_description="Schéma numérique",
        projet_debut="2024-02-31",
        _uuid="6f1c0a52-0010",
        _submission_time="2024-05-21T10:00:00",
    ),
]

GROUPS = {
    "profil": ["respondent_id", "nom", "courriel", "telephone", "type_acteur", "territoire"],
    "communs": ["besoins_vitaux", "besoins_vitaux_echelle", "communs_locaux", "part_exterieure"],
    "mutations": ["mutations_subies", "mutations_echelle", "mutations_horizon", "impact_gravite",
                  "impact_description"],
    "risques": ["aleas", "aleas_horizon", "capacites", "interruptions", "budget_resilience"],
    "projets": ["projet_en_cours", "projet_description", "projet_echelle", "projet_horizon", "projet_debut",
                "leviers_prioritaires"],
}  # fmt: skip
MULTIPLE = {"besoins_vitaux": ["water", "energy", "food", "mobility", "housing", "health", "social-cohesion",
                               "digital-communication"], "aleas": ["heatwave", "drought", "flood"]}  # fmt: skip


def kobo_table(separator_columns: bool = True) -> list[list]:
    """The KoboToolbox layout: `group/question` columns, one column per choice, `_uuid`, `_submission_time`."""
    header = ["start", "end"]
    for group, names in GROUPS.items():
        for name in names:
            header.append(f"{group}/{name}")
            if separator_columns and name in MULTIPLE:
                header += [f"{group}/{name}/{choice}" for choice in MULTIPLE[name]]
    header += ["_id", "_uuid", "_submission_time", "_validation_status", "_index"]
    table = [header]
    for index, row in enumerate(ROWS, start=1):
        cells = ["2024-05-14T10:00:00.000+02:00", "2024-05-14T10:30:00.000+02:00"]
        for names in GROUPS.values():
            for name in names:
                cells.append(row.get(name, ""))
                if separator_columns and name in MULTIPLE:
                    chosen = row.get(name, "").split()
                    cells += ["1" if choice in chosen else "0" for choice in MULTIPLE[name]]
        cells += [str(1000 + index), row["_uuid"], row["_submission_time"], "", str(index)]
        table.append(cells)
    return table


def write_csv(path: Path, table: list[list], separator: str, encoding: str, blank_after: int | None = None) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator, lineterminator="\r\n")
    for number, row in enumerate(table):
        writer.writerow(row)
        if number == blank_after:
            out.write("\r\n")
    path.write_bytes(out.getvalue().encode(encoding))


def write_xlsx(path: Path, table: list[list]) -> None:
    """The Kobo XLSX export: numbers as numbers, the submission time as a date-time cell."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Enquête résilience"
    time_column = table[0].index("_submission_time")
    sheet.append(table[0])
    for row in table[1:]:
        cells = []
        for index, cell in enumerate(row):
            if index == time_column:
                cells.append(datetime.fromisoformat(cell))
            elif cell.isdigit() and not table[0][index].endswith(("territoire", "respondent_id")):
                cells.append(int(cell))
            else:
                cells.append(cell)
        sheet.append(cells)
    workbook.save(path)


def odk_table() -> list[list]:
    """The ODK Central layout: SubmissionDate first, `group-question` columns, KEY last; no per-choice columns."""
    header = ["SubmissionDate", "start", "end"]
    header += [f"{group}-{name}" for group, names in GROUPS.items() for name in names]
    header += ["meta-instanceID", "KEY", "SubmitterID", "ReviewState"]
    table = [header]
    for row in ROWS:
        moment = datetime.fromisoformat(row["_submission_time"]).strftime("%Y-%m-%dT%H:%M:%S.000")
        cells = [moment, "", ""] + [row.get(name, "") for names in GROUPS.values() for name in names]
        cells += [f"uuid:{row['_uuid']}", f"uuid:{row['_uuid']}", "7", ""]
        table.append(cells)
    return table


def main() -> None:
    """Write every fixture."""
    table = kobo_table()
    write_csv(HERE / "kobo.csv", table, ",", "utf-8-sig")
    write_csv(HERE / "kobo-cp1252-semicolon.csv", table, ";", "cp1252", blank_after=3)
    write_xlsx(HERE / "kobo-export.xlsx", table)
    write_csv(HERE / "odk-central.csv", odk_table(), ",", "utf-8")


if __name__ == "__main__":
    main()
