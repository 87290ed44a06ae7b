"""Write data/survey/questionnaire.xlsx, the observatory's XLSForm questionnaire, from the tables below.

Run `python data/survey/make_questionnaire.py` after editing them: the workbook is generated, never edited by
hand, so that its content is reviewable here. The form follows the XLSForm standard (sheets `survey`,
`choices`, `settings`; labels in French and English) plus one column, `agrs_term`, in `survey` and `choices`:
the ontology term (CURIE or IRI) a question, a group or a choice is about. The choice lists of concepts (needs,
mutations, hazards, capacities, levers, spatial and temporal scales) are generated from the ontology's concept
schemes, never copied by hand: a choice's name is the concept's local name (`water`, `climate-change`,
`anticipate`), its labels are the concept's French and English labels and its `agrs_term` is the concept, so an
answer is a concept (`agrs:answerConcept`), not text; tests/test_questionnaire.py regenerates and compares.
The survey's four points are four groups whose `agrs_term` is the point (seed 004); a question of type
`select_one spatial_scale` or `select_one temporal_scale` asks where the question above it applies.
"""

from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parents[2]

FR, EN = "label::French (fr)", "label::English (en)"
SURVEY_COLUMNS = [
    "type", "name", FR, EN, "hint::French (fr)", "hint::English (en)", "required", "relevant", "constraint",
    "constraint_message::French (fr)", "constraint_message::English (en)", "agrs_term",
]  # fmt: skip
CHOICES_COLUMNS = ["list_name", "name", FR, EN, "agrs_term"]

ENTERPRISE = "${type_acteur} = 'entreprise'"
TERRITORY = "${type_acteur} = 'territoire'"
WITH_PROJECT = "${projet_en_cours} = 'oui'"
PERCENT = (". >= 0 and . <= 100", "Un pourcentage, entre 0 et 100.", "A percentage, between 0 and 100.")


def q(kind, name, fr, en, term="", required="", relevant="", constraint=None, hint=("", "")):
    """Return one row of the survey sheet as a dict of its columns."""
    message = constraint or ("", "", "")
    return {
        "type": kind, "name": name, FR: fr, EN: en, "hint::French (fr)": hint[0], "hint::English (en)": hint[1],
        "required": required, "relevant": relevant, "constraint": message[0],
        "constraint_message::French (fr)": message[1], "constraint_message::English (en)": message[2],
        "agrs_term": term,
    }  # fmt: skip


def spatial(name, relevant=""):
    """The spatial-scale question that follows a question."""
    return q("select_one spatial_scale", name, "À quelle échelle ?", "At what scale?", "agrs:spatialScale",
             relevant=relevant)  # fmt: skip


def temporal(name, relevant=""):
    """The time-horizon question that follows a question."""
    return q("select_one temporal_scale", name, "À quel horizon ?", "Over what time horizon?", "agrs:timeHorizon",
             relevant=relevant)  # fmt: skip


SURVEY = [
    q("start", "start", "", ""),
    q("end", "end", "", ""),
    q("begin_group", "profil", "Profil du répondant", "Respondent profile"),
    q(
        "text",
        "respondent_id",
        "Identifiant du répondant",
        "Respondent identifier",
        "agrs:Respondent",
        "yes",
        hint=(
            "Code remis par l'enquêteur, ou votre adresse e-mail : il est remplacé par un pseudonyme.",
            "Code given by the interviewer, or your e-mail address: it is replaced by a pseudonym.",
        ),
    ),
    q("text", "nom", "Nom et prénom (non conservés)", "Full name (not kept)", "schema:name"),
    q("text", "courriel", "Adresse e-mail (non conservée)", "E-mail address (not kept)", "schema:email"),
    q("text", "telephone", "Téléphone (non conservé)", "Phone number (not kept)", "schema:telephone"),
    q(
        "select_one actor_type",
        "type_acteur",
        "Vous répondez au titre de",
        "You answer on behalf of",
        "agrs:actorType",
        "yes",
    ),
    q(
        "text",
        "territoire",
        "Code INSEE de votre commune",
        "INSEE code of your commune",
        "agrs:territory",
        "yes",
        hint=("33063, ou epci:243300316, dep:33, reg:75", "33063, or epci:243300316, dep:33, reg:75"),
    ),
    q("end_group", "", "", ""),
    # Point 1: commons and vital needs.
    q(
        "begin_group",
        "communs",
        "1. Communs et besoins vitaux",
        "1. Commons and vital needs",
        "survey-point:commons-needs",
    ),
    q(
        "select_multiple need",
        "besoins_vitaux",
        "Quels besoins vitaux de votre territoire vous semblent menacés ?",
        "Which vital needs of your territory seem threatened to you?",
        "agrs:VitalNeed",
        "yes",
    ),
    spatial("besoins_vitaux_echelle"),
    q(
        "text",
        "communs_locaux",
        "Quels communs du territoire sont essentiels à votre activité ?",
        "Which commons of the territory are essential to your activity?",
        "agrs:Commons",
    ),
    q(
        "integer",
        "part_exterieure",
        "Part de vos besoins couverts depuis l'extérieur du territoire (%)",
        "Share of your needs met from outside the territory (%)",
        "agrs:dependsOnCommons",
        constraint=PERCENT,
    ),
    q("end_group", "", "", ""),
    # Point 2: impacts of the mutations.
    q(
        "begin_group",
        "mutations",
        "2. Impact des mutations",
        "2. Impact of the mutations",
        "survey-point:mutation-impacts",
    ),
    q(
        "select_multiple mutation",
        "mutations_subies",
        "Quelles grandes mutations vous affectent déjà ?",
        "Which great mutations already affect you?",
        "agrs:Mutation",
        "yes",
    ),
    spatial("mutations_echelle"),
    temporal("mutations_horizon"),
    q(
        "integer",
        "impact_gravite",
        "Gravité de leur impact, de 1 (faible) à 5 (critique)",
        "Severity of their impact, from 1 (low) to 5 (critical)",
        "agrs:severity",
        "yes",
        constraint=(". >= 1 and . <= 5", "Une note de 1 à 5.", "A score from 1 to 5."),
    ),
    q("text", "impact_description", "Décrivez l'impact principal", "Describe the main impact", "agrs:Impact"),
    q("end_group", "", "", ""),
    # Point 3: risks and resilience.
    q("begin_group", "risques", "3. Risques et résilience", "3. Risks and resilience", "survey-point:risks-resilience"),
    q(
        "select_multiple hazard",
        "aleas",
        "À quels aléas êtes-vous exposé ?",
        "Which hazards are you exposed to?",
        "agrs:HazardType",
        "yes",
    ),
    temporal("aleas_horizon"),
    q(
        "select_multiple capacity",
        "capacites",
        "Quelles capacités de résilience avez-vous mobilisées ?",
        "Which resilience capacities have you drawn on?",
        "agrs:ResilienceCapacity",
    ),
    q(
        "integer",
        "interruptions",
        "Nombre d'interruptions d'activité sur les douze derniers mois",
        "Number of business interruptions over the last twelve months",
        "agrs:Disturbance",
        relevant=ENTERPRISE,
        constraint=(". >= 0", "Un nombre positif ou nul.", "A number, zero or more."),
    ),
    q(
        "decimal",
        "budget_resilience",
        "Part du budget consacrée à la résilience (%)",
        "Share of the budget devoted to resilience (%)",
        "agrs:budgetEur",
        relevant=TERRITORY,
        constraint=PERCENT,
    ),
    q("end_group", "", "", ""),
    # Point 4: projects.
    q(
        "begin_group",
        "projets",
        "4. Projets du territoire et des organismes",
        "4. Projects of the territory and of organisations",
        "survey-point:projects",
    ),
    q(
        "select_one oui_non",
        "projet_en_cours",
        "Portez-vous un projet de résilience ?",
        "Do you carry a resilience project?",
        "agrs:Project",
        "yes",
    ),
    q(
        "text",
        "projet_description",
        "Décrivez ce projet",
        "Describe this project",
        "agrs:Project",
        "yes",
        relevant=WITH_PROJECT,
    ),
    spatial("projet_echelle", WITH_PROJECT),
    temporal("projet_horizon", WITH_PROJECT),
    q(
        "date",
        "projet_debut",
        "Date de début du projet",
        "Start date of the project",
        "agrs:startDate",
        relevant=WITH_PROJECT,
    ),
    q(
        "select_multiple lever",
        "leviers_prioritaires",
        "Quels leviers de résilience jugez-vous prioritaires pour votre territoire ?",
        "Which resilience levers do you consider priorities for your territory?",
        "agrs:Lever",
        hint=(
            "Les leviers des cadres de l'approche : stratégie 3R, clés Anticiper-Coopérer-Agir, leviers FVD, "
            "Boussole du Cerema…",
            "The levers of the approach's frameworks: 3R strategy, Anticipate-Cooperate-Act keys, FVD levers, "
            "Cerema Boussole…",
        ),
    ),
    q("end_group", "", "", ""),
]

#: choice lists written by hand: the respondent's actor type (its keys are used in `relevant`) and yes/no
FIXED_CHOICES = [
    ("actor_type", "entreprise", "Une entreprise", "An enterprise", "actor-type:enterprise"),
    ("actor_type", "territoire", "Un territoire (collectivité)", "A territory (local authority)",
     "actor-type:territory"),
    ("actor_type", "societe", "La société civile (association, habitants)", "Civil society (association, inhabitants)",
     "actor-type:society"),
    ("oui_non", "oui", "Oui", "Yes", ""),
    ("oui_non", "non", "Non", "No", ""),
]  # fmt: skip

#: choice lists generated from the ontology's concept schemes: list name → (scheme prefix, which concepts).
#: "all": every concept of the scheme; "leaves": those with no narrower concept (the mutations, not their
#: families); "levers": the concepts typed agrs:Lever (not the frameworks that group them), by framework.
CONCEPT_LISTS = {
    "need": ("need", "all"),
    "mutation": ("mutation", "leaves"),
    "hazard": ("hazard", "all"),
    "capacity": ("capacity", "all"),
    "lever": ("lever", "levers"),
    "spatial_scale": ("scale", "all"),
    "temporal_scale": ("temporal-scale", "all"),
}


def _ontology():
    """Return the ontology's modules as one rdflib graph (the concept schemes live there)."""
    from rdflib import Graph

    graph = Graph()
    for module in sorted((ROOT / "ontology" / "modules").glob("*.ttl")):
        graph.parse(module, format="turtle")
    return graph


def _label(graph, concept, language: str) -> str:
    """The concept's skos:prefLabel in `language`, first letter capitalised (the ontology writes lower case)."""
    from rdflib.namespace import SKOS

    text = next(str(label) for label in graph.objects(concept, SKOS.prefLabel) if label.language == language)
    return text[:1].upper() + text[1:]


def concept_choices(graph=None) -> list[tuple[str, str, str, str, str]]:
    """Return the rows of the generated choice lists: (list, key = the concept's local name, fr, en, CURIE).

    Keys are the concepts' local names (`water`, `climate-change`, `anticipate`), so that an export's codes are
    the ontology's keys; the loader maps them back to the concepts through `agrs_term`.
    """
    from rdflib import URIRef
    from rdflib.namespace import RDF, SKOS

    graph = graph if graph is not None else _ontology()
    rows = []
    for list_name, (prefix, which) in CONCEPT_LISTS.items():
        namespace = f"https://w3id.org/agrs/{prefix}/"
        scheme = URIRef(namespace.rstrip("/"))
        concepts = [c for c in graph.subjects(SKOS.inScheme, scheme) if isinstance(c, URIRef)]
        if which == "leaves":
            concepts = [c for c in concepts if (None, SKOS.broader, c) not in graph]
        elif which == "levers":
            concepts = [c for c in concepts if (c, RDF.type, URIRef("https://w3id.org/agrs/Lever")) in graph]
        if not concepts:
            raise SystemExit(f"no concept in scheme {scheme}: is the ontology where it should be?")

        def order(concept):
            parent = graph.value(concept, SKOS.broader)
            return (str(parent or ""), str(concept))

        for concept in sorted(concepts, key=order):
            key = str(concept).removeprefix(namespace)
            rows.append((list_name, key, _label(graph, concept, "fr"), _label(graph, concept, "en"),
                         f"{prefix}:{key}"))  # fmt: skip
    return rows


def choices() -> list[tuple[str, str, str, str, str]]:
    """Every row of the choices sheet: the generated concept lists, then the lists written by hand."""
    return [*concept_choices(), *FIXED_CHOICES]


SETTINGS = {
    "form_title": "Enquête de résilience des territoires et des entreprises",
    "form_id": "agrs_resilience",
    "version": "2026.1",
    "default_language": "French (fr)",
    "agrs_campaign": "observatoire-resilience",
}


def build(path: Path) -> Path:
    """Write the workbook to `path` and return it."""
    workbook = openpyxl.Workbook()
    survey = workbook.active
    survey.title = "survey"
    survey.append(SURVEY_COLUMNS)
    for row in SURVEY:
        survey.append([row[column] for column in SURVEY_COLUMNS])
    choices_sheet = workbook.create_sheet("choices")
    choices_sheet.append(CHOICES_COLUMNS)
    for row in choices():
        choices_sheet.append(list(row))
    settings = workbook.create_sheet("settings")
    settings.append(list(SETTINGS))
    settings.append(list(SETTINGS.values()))
    # A fixed creation date, so that regenerating the workbook changes no visible property.
    from datetime import datetime

    workbook.properties.created = workbook.properties.modified = datetime(2026, 1, 1)
    workbook.save(path)
    return path


if __name__ == "__main__":
    print(build(Path(__file__).with_name("questionnaire.xlsx")))
