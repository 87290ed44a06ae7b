"""Write data/survey/questionnaire.xlsx, the observatory's XLSForm questionnaire, from the tables below.

Run `python data/survey/make_questionnaire.py` after editing them: the workbook is generated, never edited by
hand, so that its content is reviewable here. The form follows the XLSForm standard (sheets `survey`,
`choices`, `settings`; labels in French and English) plus one column, `agrs_term`, in `survey` and `choices`:
the ontology term (CURIE or IRI) a question, a group or a choice is about. The survey's four points are four
groups whose `agrs_term` is the point (seed 004); a question of type `select_one spatial_scale` or
`select_one temporal_scale` asks where the question above it applies.
"""

from pathlib import Path

import openpyxl

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
    q("end_group", "", "", ""),
]

CHOICES = [
    ("actor_type", "entreprise", "Une entreprise", "An enterprise", "actor-type:enterprise"),
    ("actor_type", "territoire", "Un territoire (collectivité)", "A territory (local authority)",
     "actor-type:territory"),
    ("actor_type", "societe", "La société civile (association, habitants)", "Civil society (association, inhabitants)",
     "actor-type:society"),
    ("need", "eau", "Eau", "Water", "need:water"),
    ("need", "alimentation", "Alimentation", "Food", "need:food"),
    ("need", "energie", "Énergie", "Energy", "need:energy"),
    ("need", "logement", "Logement", "Housing", "need:housing"),
    ("need", "sante", "Santé", "Health", "need:health"),
    ("need", "mobilite", "Mobilité", "Mobility", "need:mobility"),
    ("need", "emploi", "Travail et économie", "Work and economy", "need:work-economy"),
    ("need", "education", "Éducation et culture", "Education and culture", "need:education-culture"),
    ("need", "cohesion", "Cohésion sociale", "Social cohesion", "need:social-cohesion"),
    ("need", "securite", "Sécurité", "Security", "need:security"),
    ("need", "biodiversite", "Écosystèmes et biodiversité", "Ecosystems and biodiversity",
     "need:ecosystems-biodiversity"),
    ("need", "numerique", "Numérique et communication", "Digital and communication", "need:digital-communication"),
    ("need", "vie_civique", "Vie civique", "Civic life", "need:civic-life"),
    ("need", "autre", "Autre", "Other", ""),
    ("mutation", "climat", "Changement climatique", "Climate change", "mutation:climate-change"),
    ("mutation", "energie", "Énergie", "Energy", "mutation:energy"),
    ("mutation", "ecologie", "Écologie", "Ecology", "mutation:ecology"),
    ("mutation", "numerique", "Numérique", "Digital", "mutation:digital"),
    ("mutation", "ia", "Intelligence artificielle", "Artificial intelligence", "mutation:artificial-intelligence"),
    ("mutation", "cyber", "Cyber", "Cyber", "mutation:cyber"),
    ("mutation", "geoeconomie", "Géoéconomie", "Geoeconomics", "mutation:geoeconomics"),
    ("mutation", "post_verite", "Post-vérité", "Post-truth", "mutation:post-truth"),
    ("mutation", "inegalites", "Inégalités", "Inequalities", "mutation:inequalities"),
    ("mutation", "migrations", "Migrations", "Migrations", "mutation:migrations"),
    ("mutation", "insecurite", "Insécurité", "Insecurity", "mutation:insecurity"),
    ("mutation", "guerres", "Guerres", "Wars", "mutation:wars"),
    ("hazard", "inondation", "Inondation", "Flood", "hazard:flood"),
    ("hazard", "submersion", "Submersion marine", "Coastal submersion", "hazard:coastal-submersion"),
    ("hazard", "secheresse", "Sécheresse", "Drought", "hazard:drought"),
    ("hazard", "canicule", "Canicule", "Heatwave", "hazard:heatwave"),
    ("hazard", "tempete", "Tempête", "Storm", "hazard:storm"),
    ("hazard", "mouvement_terrain", "Mouvement de terrain", "Landslide", "hazard:landslide"),
    ("hazard", "feu_foret", "Feu de forêt", "Wildfire", "hazard:wildfire"),
    ("hazard", "seisme", "Séisme", "Earthquake", "hazard:earthquake"),
    ("hazard", "accident_industriel", "Accident industriel", "Industrial accident", "hazard:industrial-accident"),
    ("hazard", "epidemie", "Épidémie", "Epidemic", "hazard:epidemic"),
    ("hazard", "cyberattaque", "Cyberattaque", "Cyberattack", "hazard:cyberattack"),
    ("hazard", "rupture_appro", "Rupture d'approvisionnement", "Supply disruption", "hazard:supply-disruption"),
    ("capacity", "absorption", "Capacité d'absorption", "Absorptive capacity", "capacity:absorptive"),
    ("capacity", "adaptation", "Capacité d'adaptation", "Adaptive capacity", "capacity:adaptive"),
    ("capacity", "transformation", "Capacité de transformation", "Transformative capacity",
     "capacity:transformative"),
    ("spatial_scale", "local", "Locale", "Local", "scale:local"),
    ("spatial_scale", "regional", "Régionale", "Regional", "scale:regional"),
    ("spatial_scale", "national_mondial", "Nationale et mondiale", "National and global", "scale:national-global"),
    ("temporal_scale", "mois", "Quelques mois", "A few months", "temporal-scale:months"),
    ("temporal_scale", "annees", "Quelques années", "A few years", "temporal-scale:years"),
    ("temporal_scale", "decennies", "Des décennies", "Decades", "temporal-scale:decades"),
    ("oui_non", "oui", "Oui", "Yes", ""),
    ("oui_non", "non", "Non", "No", ""),
]  # fmt: skip

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
    choices = workbook.create_sheet("choices")
    choices.append(CHOICES_COLUMNS)
    for row in CHOICES:
        choices.append(list(row))
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
