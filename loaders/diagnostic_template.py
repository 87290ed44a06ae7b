"""The diagnostic workbook's template, and writers of filled workbooks and CSV sheets in its format.

`agrs load diagnostic --template OUT.xlsx` writes the template (data/diagnostic/template.xlsx is its output on the
shipped ontology): an `instructions` sheet in French and English, the `lists` sheet (every concept of the concept
schemes the workbook uses, read from the merged ontology by scheme IRI), an `about` sheet with the template version
filled in, one sheet per table with its header, and drop-down lists (data validations) on the concept columns.

`write_workbook` and `write_csv` write a filled diagnostic in the same format (the demonstration generator uses
them); `workbook_content` reads a workbook back as cells and validations, which is how the shipped template is
compared with a regenerated one (not by bytes: an XLSX holds timestamps).
"""

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

from rdflib import Graph

from agrs.loaders.diagnostic import (
    ABOUT_FIELDS,
    ENTERPRISE_SHEETS,
    MULTI_VALUED,
    SCHEME_COLUMNS,
    SHEETS,
    TEMPLATE_VERSION,
    Concept,
    Vocabulary,
)
from agrs.ns import BASE

#: rows given a drop-down in the template (a filled workbook gets them down to its last row, at least these)
VALIDATED_ROWS = 500
#: the name of a class list in the lists sheet (concept schemes are named by their IRI's key)
CLASS_LIST_NAMES = {("actors", "kind"): "actor-kind", ("forces", "force_kind"): "force-kind",
                    ("disturbances", "kind"): "disturbance-kind", ("projects", "kind"): "project-kind"}  # fmt: skip

INTRODUCTION = (
    (
        "Diagnostic de résilience d'un territoire ou d'une entreprise — classeur " + TEMPLATE_VERSION,
        "Resilience diagnostic of a territory or an enterprise — workbook " + TEMPLATE_VERSION,
    ),
    (
        "Remplissez la feuille about (version du modèle, clé du diagnostic, territoire…), puis une ligne par élément "
        "dans chaque feuille. Chargement : agrs load diagnostic FICHIER.xlsx.",
        "Fill in the about sheet (template version, diagnostic key, territory…), then one row per item in each "
        "sheet. Load with: agrs load diagnostic FILE.xlsx.",
    ),
    (
        "Les identifiants (id) sont locaux au diagnostic et servent aux renvois entre feuilles (commons, impacts…). "
        "Plusieurs valeurs dans une cellule : séparez-les par |.",
        "Row ids (id) are local to the diagnostic and are what other sheets refer to (commons, impacts…). Several "
        "values in one cell: separate them with |.",
    ),
    (
        "Les cellules de concepts acceptent la clé (water) ou le libellé français ou anglais (« eau »), sans tenir "
        "compte de la casse ni des accents ; les listes déroulantes donnent les clés, la feuille lists leurs "
        "libellés. Ces listes sont produites depuis l'ontologie, jamais recopiées à la main.",
        "Concept cells take the key (water) or the French or English label (\"eau\"), ignoring case and accents; "
        "the drop-downs give the keys, the lists sheet their labels. The lists are generated from the ontology, "
        "never copied by hand.",
    ),
    (
        "Variante CSV : une feuille par fichier <racine>.<feuille>.csv dans un dossier (ex. mureaux.about.csv, "
        "mureaux.commons.csv), UTF-8 ou Windows-1252, séparateur ; ou ,. La version du modèle est dans la feuille "
        "about (champ template_version) : une autre version est refusée en entier.",
        "CSV variant: one sheet per file <stem>.<sheet>.csv in one folder (e.g. mureaux.about.csv, "
        "mureaux.commons.csv), UTF-8 or Windows-1252, separator ; or ,. The template version is in the about sheet "
        "(field template_version): any other version is refused whole.",
    ),
    (
        "Une cellule d'acteurs (actors, carried_by, partners, funders) peut aussi nommer une organisation déjà connue "
        "de l'observatoire : org: suivi de sa clé dans le fichier des partenaires (org:ecolocal) ; elle doit exister "
        "dans la base au chargement, sinon la ligne est mise en quarantaine.",
        "An actor cell (actors, carried_by, partners, funders) may also name an organisation the observatory already "
        "knows: org: followed by its key in the partners file (org:ecolocal); it must exist in the store when the "
        "diagnostic is loaded, else the row is quarantined.",
    ),
    (
        "Les identifiants des feuilles disturbances, impacts et risks doivent être distincts : une cellule qui renvoie "
        "à l'une d'elles (impacts.caused_by, reactions.responds_to, loops.triggered_by) est cherchée d'abord parmi "
        "les perturbations, puis les impacts (ou les forces pour caused_by), puis les risques.",
        "The ids of the disturbances, impacts and risks sheets must be distinct: a cell naming one of them "
        "(impacts.caused_by, reactions.responds_to, loops.triggered_by) is looked up among the disturbances first, "
        "then the impacts (or the forces for caused_by), then the risks.",
    ),
    (
        "Les lignes fautives sont mises en quarantaine avec leur feuille, leur ligne, leur colonne et la raison ; "
        "les autres sont chargées.",
        "Faulty rows are quarantined with their sheet, row, column and reason; the others are loaded.",
    ),
    (
        "Ce modèle est produit depuis l'ontologie (agrs load diagnostic --template modele.xlsx) ; les tests le "
        "régénèrent et le comparent au modèle livré (data/diagnostic/template.xlsx) cellule par cellule et liste "
        "déroulante par liste déroulante, pas octet par octet. N'ajoutez pas de valeurs aux listes à la main.",
        "This template is generated from the ontology (agrs load diagnostic --template template.xlsx); the tests "
        "regenerate it and compare it with the shipped one (data/diagnostic/template.xlsx) cell by cell and "
        "drop-down by drop-down, not byte by byte. Do not add values to the lists by hand.",
    ),
)

#: (sheet, column) → (French, English) description; `about` fields are described as (about, <field>)
COLUMN_DOCS: Mapping[tuple[str, str], tuple[str, str]] = {
    ("about", "template_version"): (f"version du modèle, obligatoire : {TEMPLATE_VERSION}",
                                    f"template version, required: {TEMPLATE_VERSION}"),
    ("about", "diagnostic"): ("clé du diagnostic, obligatoire (a-z, 0-9, tirets : les-mureaux-2026)",
                              "diagnostic key, required (a-z, 0-9, hyphens: les-mureaux-2026)"),
    ("about", "subject_kind"): ("territory ou enterprise", "territory or enterprise"),
    ("about", "territory"): ("code du territoire, obligatoire : 33063, epci:200046977, dep:33, reg:75",
                             "territory code, required: 33063, epci:200046977, dep:33, reg:75"),
    ("about", "enterprise"): ("pour une entreprise : l'id de sa ligne dans actors",
                              "for an enterprise: the id of its row in actors"),
    ("about", "date"): ("date du diagnostic (2026-03-31)", "date of the diagnostic (2026-03-31)"),
    ("about", "author"): ("auteur", "author"),
    ("about", "synthetic"): ("yes si les données sont inventées (démonstration), sinon no",
                             "yes when the data is invented (demonstration), else no"),
    ("about", "label"): ("nom du diagnostic (facultatif)", "name of the diagnostic (optional)"),
    ("actors", "id"): ("identifiant de l'acteur", "actor id"),
    ("actors", "name"): ("nom, obligatoire", "name, required"),
    ("actors", "kind"): ("nature de l'acteur (liste)", "kind of actor (list)"),
    ("actors", "siren"): ("numéro SIREN (9 chiffres)", "SIREN number (9 digits)"),
    ("actors", "territory"): ("code du territoire où il est implanté", "code of the territory it is based in"),
    ("commons", "id"): ("identifiant du commun", "commons id"),
    ("commons", "label_fr"): ("nom en français, obligatoire", "French name, required"),
    ("commons", "label_en"): ("nom en anglais", "English name"),
    ("commons", "needs"): ("besoins vitaux auxquels il répond, obligatoire (liste, plusieurs avec |)",
                           "vital needs it meets, required (list, several with |)"),
    ("commons", "state"): ("état du commun (liste)", "state of the commons (list)"),
    ("commons", "spatial_scale"): ("échelle spatiale (liste)", "spatial scale (list)"),
    ("commons", "depends_on"): ("ids des communs dont il dépend", "ids of the commons it depends on"),
    ("commons", "actors"): ("ids des acteurs qu'il relie (ou org:clé)", "ids of the actors it links (or org:key)"),
    ("commons", "description"): ("description", "description"),
    ("forces", "id"): ("identifiant de la force", "force id"),
    ("forces", "label"): ("nom en français, obligatoire", "French name, required"),
    ("forces", "mutation"): ("grande mutation qu'elle exprime, obligatoire (liste)",
                             "major shift it expresses, required (list)"),
    ("forces", "force_kind"): ("material ou social, obligatoire", "material or social, required"),
    ("forces", "acts_on"): ("ids des communs sur lesquels elle agit", "ids of the commons it acts on"),
    ("disturbances", "id"): ("identifiant de la perturbation (distinct des impacts et risques)",
                             "disturbance id (distinct from the impacts' and risks')"),
    ("disturbances", "label"): ("nom en français, obligatoire (canicule de l'été 2022)",
                                "French name, required (canicule de l'été 2022)"),
    ("disturbances", "kind"): ("shock (choc) ou chronic-stress (stress chronique), obligatoire (liste)",
                               "shock or chronic-stress, required (list)"),
    ("disturbances", "mutation"): ("grande mutation qu'elle exprime (liste)", "major shift it expresses (list)"),
    ("disturbances", "driven_by"): ("ids des forces qui l'entraînent", "ids of the forces driving it"),
    ("disturbances", "materialises"): ("ids des risques qu'elle a concrétisés", "ids of the risks it made real"),
    ("disturbances", "date"): ("date de début (2022-07-15)", "start date (2022-07-15)"),
    ("impacts", "id"): ("identifiant de l'impact", "impact id"),
    ("impacts", "label"): ("nom en français, obligatoire", "French name, required"),
    ("impacts", "commons"): ("id du commun touché, obligatoire", "id of the commons affected, required"),
    ("impacts", "mutation"): ("grande mutation d'où il vient (liste)", "major shift it comes from (list)"),
    ("impacts", "force"): ("id de la force qui le cause", "id of the force causing it"),
    ("impacts", "caused_by"): ("ids des perturbations (choc, stress chronique) qui le causent, ou de forces",
                               "ids of the disturbances (shock, chronic stress) causing it, or of forces"),
    ("impacts", "severity"): ("gravité de 1 à 5", "severity from 1 to 5"),
    ("impacts", "time_horizon"): ("horizon temporel (liste)", "time horizon (list)"),
    ("impacts", "spatial_scale"): ("échelle spatiale (liste)", "spatial scale (list)"),
    ("risks", "id"): ("identifiant du risque", "risk id"),
    ("risks", "label"): ("nom en français, obligatoire", "French name, required"),
    ("risks", "hazard"): ("type d'aléa, obligatoire (liste)", "hazard type, required (list)"),
    ("risks", "hazard_degree"): ("degré de l'aléa (probabilité ou intensité) de 0 à 1",
                                 "degree of the hazard (likelihood or intensity) from 0 to 1"),
    ("risks", "commons"): ("id du commun exposé et vulnérable", "id of the exposed and vulnerable commons"),
    ("risks", "exposure"): ("degré d'exposition de 0 à 1", "degree of exposure from 0 to 1"),
    ("risks", "vulnerability"): ("degré de vulnérabilité de 0 à 1", "degree of vulnerability from 0 to 1"),
    ("risks", "time_horizon"): ("horizon temporel (liste)", "time horizon (list)"),
    ("risks", "spatial_scale"): ("échelle spatiale (liste)", "spatial scale (list)"),
    ("reactions", "id"): ("identifiant de la réaction", "reaction id"),
    ("reactions", "label"): ("nom en français, obligatoire", "French name, required"),
    ("reactions", "responds_to"): ("ids des perturbations, impacts ou risques auxquels elle répond, obligatoire",
                                   "ids of the disturbances, impacts or risks it responds to, required"),
    ("reactions", "capacity"): ("capacité mobilisée (liste)", "capacity mobilised (list)"),
    ("reactions", "crisis_phase"): ("phase du cycle de crise (liste)", "phase of the crisis cycle (list)"),
    ("reactions", "actors"): ("ids des acteurs qui la mènent (ou org:clé)",
                              "ids of the actors undertaking it (or org:key)"),
    ("loops", "id"): ("identifiant de la boucle de résilience", "resilience loop id"),
    ("loops", "label"): ("nom en français, obligatoire", "French name, required"),
    ("loops", "triggered_by"): ("ids des perturbations, impacts ou risques qui l'enclenchent",
                                "ids of the disturbances, impacts or risks that set it off"),
    ("loops", "reactions"): ("ids des réactions qu'elle enchaîne, obligatoire", "ids of its reactions, required"),
    ("loops", "strengthens"): ("capacités qu'elle renforce (liste)", "capacities it strengthens (list)"),
    ("loops", "opportunity"): ("opportunité qu'elle fait naître (texte ; naît des risques de triggered_by)",
                               "opportunity it yields (text; arises from the risks in triggered_by)"),
    ("projects", "id"): ("identifiant du projet", "project id"),
    ("projects", "label"): ("nom en français, obligatoire", "French name, required"),
    ("projects", "kind"): ("nature du projet, obligatoire (liste)", "kind of project, required (list)"),
    ("projects", "needs"): ("besoins vitaux visés (liste)", "vital needs addressed (list)"),
    ("projects", "mutations"): ("grandes mutations visées (liste)", "major shifts addressed (list)"),
    ("projects", "commons"): ("ids des communs visés", "ids of the commons addressed"),
    ("projects", "risks"): ("ids des risques visés", "ids of the risks addressed"),
    ("projects", "sdg"): ("objectifs ou cibles ODD (6, 6.4)", "SDG goals or targets (6, 6.4)"),
    ("projects", "levers"): ("leviers d'action (liste)", "levers of action (list)"),
    ("projects", "crisis_phase"): ("phase du cycle de crise (liste)", "phase of the crisis cycle (list)"),
    ("projects", "carried_by"): ("id de l'acteur qui le porte, ou org:clé d'une organisation de l'observatoire",
                                 "id of the actor carrying it, or org:key of an organisation of the observatory"),
    ("projects", "partners"): ("ids des partenaires (ou org:clé : org:ecolocal)",
                               "ids of the partners (or org:key: org:ecolocal)"),
    ("projects", "funders"): ("ids des financeurs (ou org:clé)", "ids of the funders (or org:key)"),
    ("projects", "budget_eur"): ("budget en euros", "budget in euros"),
    ("projects", "start"): ("date de début (2026-01-01)", "start date (2026-01-01)"),
    ("projects", "end"): ("date de fin", "end date"),
    ("projects", "includes"): ("contrat CRTE : ids des projets qu'il intègre",
                               "CRTE contract: ids of the projects it includes"),
    ("projects", "based_on"): ("contrat CRTE : id du projet de territoire, obligatoire",
                               "CRTE contract: id of the territory project, required"),
    ("value_chain", "id"): ("identifiant du maillon", "link id"),
    ("value_chain", "stage"): ("étape de la chaîne de valeur, obligatoire (liste)",
                               "value chain stage, required (list)"),
    ("value_chain", "label"): ("nom en français, obligatoire", "French name, required"),
    ("value_chain", "territory"): ("code du territoire du maillon (par défaut celui du diagnostic)",
                                   "territory code of the link (by default the diagnostic's)"),
    ("value_chain", "local_share"): ("part locale de 0 à 1", "local share from 0 to 1"),
    ("dependencies", "id"): ("identifiant de la dépendance", "dependency id"),
    ("dependencies", "commons"): ("id du commun dont l'entreprise dépend, obligatoire",
                                  "id of the commons the enterprise depends on, required"),
    ("dependencies", "criticality"): ("criticité de 1 à 5, obligatoire", "criticality from 1 to 5, required"),
    ("immaterial_capital", "id"): ("identifiant", "id"),
    ("immaterial_capital", "kind"): ("nature du capital immatériel, obligatoire (liste)",
                                     "kind of immaterial capital, required (list)"),
    ("immaterial_capital", "label"): ("nom en français, obligatoire", "French name, required"),
    ("immaterial_capital", "assessment"): ("appréciation de 1 à 5", "assessment from 1 to 5"),
    ("performance", "id"): ("identifiant", "id"),
    ("performance", "dimension"): ("dimension de la performance globale, obligatoire (liste)",
                                   "dimension of global performance, required (list)"),
    ("performance", "assessment"): ("appréciation de 1 à 5, obligatoire", "assessment from 1 to 5, required"),
    ("indicators", "key"): ("clé de l'indicateur (a-z, 0-9, tirets)", "indicator key (a-z, 0-9, hyphens)"),
    ("indicators", "label_fr"): ("nom en français, obligatoire", "French name, required"),
    ("indicators", "label_en"): ("nom en anglais", "English name"),
    ("indicators", "theme"): ("thème de l'indicateur, obligatoire (liste)", "indicator theme, required (list)"),
    ("indicators", "unit"): ("unité UCUM (%, km2, {inhab})", "UCUM unit (%, km2, {inhab})"),
    ("indicators", "aggregation"): ("méthode d'agrégation, obligatoire (liste)", "aggregation method, required (list)"),
    ("values", "indicator"): ("clé de l'indicateur (de indicators, ou déjà chargé)",
                              "indicator key (from indicators, or already loaded)"),
    ("values", "territory"): ("code du territoire (par défaut celui du diagnostic)",
                              "territory code (by default the diagnostic's)"),
    ("values", "period"): ("période : 2024, 2024-03 ou 2020s", "period: 2024, 2024-03 or 2020s"),
    ("values", "value"): ("valeur (12.5 ou 12,5)", "value (12.5 or 12,5)"),
}  # fmt: skip

SHEET_DOCS: Mapping[str, tuple[str, str]] = {
    "about": ("le diagnostic : deux colonnes field, value", "the diagnostic: two columns field, value"),
    "actors": ("les acteurs du diagnostic", "the diagnostic's actors"),
    "commons": ("les communs du territoire et les besoins vitaux", "the territory's commons and vital needs"),
    "forces": ("les forces de transformation et les grandes mutations", "driving forces and major shifts"),
    "disturbances": ("les perturbations : chocs et stress chroniques (feuille facultative)",
                     "disturbances: shocks and chronic stresses (optional sheet)"),
    "impacts": ("les impacts sur les communs", "impacts on the commons"),
    "risks": ("les risques : aléa, exposition, vulnérabilité", "risks: hazard, exposure, vulnerability"),
    "reactions": ("les réactions", "reactions"),
    "loops": ("les boucles de résilience", "resilience loops"),
    "projects": ("les projets : individuels, collectifs, projet de territoire, contrat CRTE, action RSE territoriale",
                 "projects: individual, collective, territory project, CRTE contract, territorial CSR action"),
    "value_chain": ("entreprise : chaîne de valeur intégrant le territoire",
                    "enterprise: value chain integrating the territory"),
    "dependencies": ("entreprise : dépendances aux communs du territoire",
                     "enterprise: dependencies on the territory's commons"),
    "immaterial_capital": ("entreprise : capital immatériel du territoire",
                           "enterprise: immaterial capital of the territory"),
    "performance": ("entreprise : performance globale", "enterprise: global performance"),
    "indicators": ("indicateurs et leur thème", "indicators and their theme"),
    "values": ("valeurs des indicateurs par territoire et période", "indicator values per territory and period"),
}  # fmt: skip


# --- The lists --------------------------------------------------------------------------------------------------


def list_name(sheet: str, column: str) -> str | None:
    """Return the name, in the lists sheet, of the list a column takes its values from (None: free text)."""
    if (sheet, column) in CLASS_LIST_NAMES:
        return CLASS_LIST_NAMES[(sheet, column)]
    return SCHEME_COLUMNS.get(sheet, {}).get(column)


def lists(vocabulary: Vocabulary) -> dict[str, tuple[Concept, ...]]:
    """Return every list the workbook uses, by name, in the order of first use: its concepts (or classes)."""
    found: dict[str, tuple[Concept, ...]] = {}
    for sheet, columns in SHEETS.items():
        for column in columns:
            name = list_name(sheet, column)
            if name is not None and name not in found:
                found[name] = vocabulary.concepts(sheet, column)
    return found


def _scheme_iri(name: str) -> str:
    return "" if name in CLASS_LIST_NAMES.values() else BASE + name


# --- Writing ----------------------------------------------------------------------------------------------------


def write_workbook(
    path: Path | str, sheets: Mapping[str, Sequence[Mapping[str, object]]] | None = None, *,
    about: Mapping[str, object] | None = None, ontology: Graph | None = None, enterprise_sheets: bool = True,
) -> Path:  # fmt: skip
    """Write a diagnostic workbook: the template when `sheets` and `about` are empty, else a filled one.

    `sheets` maps a sheet name (a key of SHEETS, `about` aside) to its rows, each a dict column → value (missing
    columns are left blank; a list value is joined with `|`). `about` maps about fields to values; the template
    version is always written. `ontology` is the merged ontology (read from the installed files by default).
    `enterprise_sheets=False` leaves the enterprise sheets out (a territory's diagnostic). Returns `path`.
    """
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    vocabulary = Vocabulary.from_graph(ontology) if ontology is not None else Vocabulary.from_ontology()
    sheets = sheets or {}
    book = openpyxl.Workbook()
    instructions = book.active
    instructions.title = "instructions"
    _write_instructions(instructions, Font(bold=True))
    listed = lists(vocabulary)
    ranges = _write_lists(book.create_sheet("lists"), listed, Font(bold=True))
    about_sheet = book.create_sheet("about")
    about_sheet.append(["field", "value"])
    values = {**{name: "" for name in ABOUT_FIELDS}, **dict(about or {}), "template_version": TEMPLATE_VERSION}
    for name in (*ABOUT_FIELDS, *(name for name in values if name not in ABOUT_FIELDS)):
        about_sheet.append([name, _cell(values.get(name, ""))])
    for name, options in (("subject_kind", "territory,enterprise"), ("synthetic", "yes,no")):
        validation = DataValidation(type="list", formula1=f'"{options}"', allow_blank=True)
        about_sheet.add_data_validation(validation)
        validation.add(f"B{2 + ABOUT_FIELDS.index(name)}")
    for sheet_name, columns in SHEETS.items():
        if sheet_name == "about" or (sheet_name in ENTERPRISE_SHEETS and not enterprise_sheets):
            continue
        sheet = book.create_sheet(sheet_name)
        rows = sheets.get(sheet_name, ())
        sheet.append(list(columns))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([_cell(row.get(column, "")) for column in columns])
        last = max(VALIDATED_ROWS, len(rows) + 1)
        for index, column in enumerate(columns):
            name = list_name(sheet_name, column)
            if name is None or name not in ranges:
                continue
            multi = (sheet_name, column) in MULTI_VALUED
            validation = DataValidation(
                type="list", formula1=ranges[name], allow_blank=True, showErrorMessage=not multi,
                errorTitle=column, error="Choisissez dans la liste / choose from the list",
                promptTitle=column, prompt="plusieurs valeurs : séparez par | / several values: separate with |"
                if multi else None, showInputMessage=multi,
            )  # fmt: skip
            sheet.add_data_validation(validation)
            letter = openpyxl.utils.get_column_letter(index + 1)
            validation.add(f"{letter}2:{letter}{last}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, list | tuple | set):
        return "|".join(str(item) for item in value)
    return value


def _write_instructions(sheet, bold) -> None:
    sheet.append(["français", "English"])
    for cell in sheet[1]:
        cell.font = bold
    for french, english in INTRODUCTION:
        sheet.append([french, english])
    sheet.append([])
    sheet.append(["feuille / sheet", "colonne / column", "description (fr)", "description (en)"])
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for sheet_name, columns in SHEETS.items():
        french, english = SHEET_DOCS[sheet_name]
        sheet.append([sheet_name, "", french, english])
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        names = ABOUT_FIELDS if sheet_name == "about" else columns
        for column in names:
            french, english = COLUMN_DOCS[(sheet_name, column)]
            listed = list_name(sheet_name, column)
            if listed:
                french, english = f"{french} — lists: {listed}", f"{english} — lists: {listed}"
            sheet.append([sheet_name, column, french, english])
    sheet.column_dimensions["A"].width = 60
    sheet.column_dimensions["B"].width = 60


def _write_lists(sheet, listed: Mapping[str, tuple[Concept, ...]], bold) -> dict[str, str]:
    """Write the lists sheet (list, key, label_fr, label_en, scheme IRI); return each list's key range."""
    sheet.append(["list", "key", "label_fr", "label_en", "scheme"])
    for cell in sheet[1]:
        cell.font = bold
    ranges = {}
    for name, concepts in listed.items():
        if not concepts:
            continue
        first = sheet.max_row + 1
        for concept in concepts:
            sheet.append([name, concept.key, concept.label_fr, concept.label_en, _scheme_iri(name)])
        ranges[name] = f"lists!$B${first}:$B${sheet.max_row}"
    return ranges


def write_csv(
    folder: Path | str, stem: str, sheets: Mapping[str, Sequence[Mapping[str, object]]], *,
    about: Mapping[str, object], encoding: str = "utf-8", delimiter: str = ",",
    columns: Mapping[str, Sequence[str]] | None = None,
) -> list[Path]:  # fmt: skip
    """Write a diagnostic as CSV files `<stem>.<sheet>.csv` in `folder` (the sheets given, and about).

    Same arguments as `write_workbook`; `encoding` ("utf-8", "cp1252") and `delimiter` ("," or ";") as the
    loader reads them. `columns` gives some sheets fewer columns than SHEETS has (a workbook filled in before
    the optional columns were added, which the loader still reads). Returns the files written, about first.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    values = {**dict(about), "template_version": TEMPLATE_VERSION}
    tables: dict[str, list[list[object]]] = {"about": [["field", "value"], *([k, v] for k, v in values.items())]}
    for sheet_name, rows in sheets.items():
        header = (columns or {}).get(sheet_name, SHEETS[sheet_name])
        tables[sheet_name] = [list(header), *([_cell(row.get(column, "")) for column in header] for row in rows)]
    written = []
    for sheet_name, table in tables.items():
        out = io.StringIO()
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
        writer.writerows([["" if cell is None else cell for cell in row] for row in table])
        path = folder / f"{stem}.{sheet_name}.csv"
        path.write_bytes(out.getvalue().encode(encoding))
        written.append(path)
    return written


# --- Comparing --------------------------------------------------------------------------------------------------


def workbook_content(path: Path | str) -> dict[str, dict]:
    """Return a workbook's sheets as {"cells": {coordinate: value}, "validations": [...]}, for comparisons.

    A validation is (type, formula1, sorted ranges, showErrorMessage); two workbooks with the same content
    compare equal whatever their bytes (timestamps, zip order).
    """
    import openpyxl

    book = openpyxl.load_workbook(path)
    content = {}
    for sheet in book.worksheets:
        cells = {cell.coordinate: cell.value for row in sheet.iter_rows() for cell in row if cell.value is not None}
        validations = sorted(
            (item.type, item.formula1, " ".join(sorted(str(item.sqref).split())), bool(item.showErrorMessage))
            for item in sheet.data_validations.dataValidation
        )
        content[sheet.title] = {"cells": cells, "validations": validations}
    return content


def template_path() -> Path | None:
    """Return the shipped template's path in a source checkout (None in an installed package)."""
    from agrs.paths import bundled_data_dir

    data = bundled_data_dir()
    return data / "diagnostic" / "template.xlsx" if data is not None else None


__all__ = ["COLUMN_DOCS", "lists", "template_path", "workbook_content", "write_csv", "write_workbook"]
