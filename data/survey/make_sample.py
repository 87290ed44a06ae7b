"""Write `synthetic-pilot-responses.csv`: a SYNTHETIC sample survey of the AGRS pilot territories.

Nobody answered this: the answers are drawn by a seeded random generator, so that the bundled observatory has
survey data to cross with its indicators, risks and projects, and the questions about respondents have
something to answer. It is marked as synthetic three ways: the file name, the respondent ids (`SYNTH-…`) and
the provenance of its load (`agrs observatory` records a comment on the load activity).

The layout is the KoboToolbox CSV export of the shipped questionnaire (`questionnaire.xlsx`): `group/question`
headers, select_multiple as space-separated names, `_uuid` and `_submission_time`. The pilot territories are
those of the partners file (Bordeaux, Les Mureaux, the Métropole de Lyon, whose communes are drawn from four of
its members). Run `python data/survey/make_sample.py` to write the file again (same seed, same file).
"""

import csv
import random
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from make_questionnaire import concept_choices

HERE = Path(__file__).parent
OUTPUT = HERE / "synthetic-pilot-responses.csv"
SEED = 2026
RESPONDENTS_PER_TERRITORY = 12

# Pilot territory → communes the respondents live in (INSEE codes, COG 2026).
PILOT_COMMUNES = {
    "Bordeaux": ["33063"],
    "Les Mureaux": ["78440"],
    "Métropole de Lyon": ["69123", "69266", "69259", "69029"],
}
ACTOR_TYPES = ["entreprise", "territoire", "societe"]
# The choice keys are the questionnaire's, generated from the ontology's concept schemes (make_questionnaire.py).
_LISTS: dict[str, list[str]] = {}
for _list, _key, *_ in concept_choices():
    _LISTS.setdefault(_list, []).append(_key)
NEEDS, MUTATIONS, HAZARDS = _LISTS["need"], _LISTS["mutation"], _LISTS["hazard"]
CAPACITIES, LEVERS = _LISTS["capacity"], _LISTS["lever"]
SPATIAL, TEMPORAL = _LISTS["spatial_scale"], _LISTS["temporal_scale"]
PROJECTS = ["Récupération des eaux pluviales", "Plan de continuité d'activité", "Épicerie solidaire",
            "Îlots de fraîcheur dans les cours d'école", "Réseau de chaleur",
            "Atelier de réparation partagé"]  # fmt: skip

GROUPS = {
    "profil": ["respondent_id", "type_acteur", "territoire"],
    "communs": ["besoins_vitaux", "besoins_vitaux_echelle", "part_exterieure"],
    "mutations": ["mutations_subies", "mutations_echelle", "mutations_horizon", "impact_gravite"],
    "risques": ["aleas", "aleas_horizon", "capacites", "interruptions", "budget_resilience"],
    "projets": [
        "projet_en_cours",
        "projet_description",
        "projet_echelle",
        "projet_horizon",
        "projet_debut",
        "leviers_prioritaires",
    ],
}


def respondent(draw: random.Random, number: int, commune: str) -> dict[str, str]:
    """Return one synthetic respondent's answers, respecting the questionnaire's relevance rules."""
    actor = ACTOR_TYPES[number % 3]
    answers = {
        "respondent_id": f"SYNTH-{number:03d}",
        "type_acteur": actor,
        "territoire": commune,
        "besoins_vitaux": " ".join(sorted(draw.sample(NEEDS, draw.randint(1, 3)))),
        "besoins_vitaux_echelle": draw.choice(SPATIAL),
        "part_exterieure": str(draw.randrange(0, 101, 5)),
        "mutations_subies": " ".join(sorted(draw.sample(MUTATIONS, draw.randint(1, 3)))),
        "mutations_echelle": draw.choice(SPATIAL),
        "mutations_horizon": draw.choice(TEMPORAL),
        "impact_gravite": str(draw.randint(1, 5)),
        "aleas": " ".join(sorted(draw.sample(HAZARDS, draw.randint(1, 3)))),
        "aleas_horizon": draw.choice(TEMPORAL),
        "capacites": " ".join(sorted(draw.sample(CAPACITIES, draw.randint(1, 2)))),
        "projet_en_cours": draw.choice(["oui", "non"]),
    }
    if actor == "entreprise":
        answers["interruptions"] = str(draw.randint(0, 6))
    if actor == "territoire":
        answers["budget_resilience"] = f"{draw.randint(1, 150) / 10:.1f}".replace(".", ",")
    if answers["projet_en_cours"] == "oui":
        answers["projet_description"] = draw.choice(PROJECTS)
        answers["projet_echelle"] = draw.choice(SPATIAL)
        answers["projet_horizon"] = draw.choice(TEMPORAL)
        answers["projet_debut"] = (datetime(2023, 1, 1) + timedelta(days=draw.randint(0, 900))).date().isoformat()
    levers = sorted(draw.sample(LEVERS, draw.randint(1, 3)))
    answers["leviers_prioritaires"] = " ".join(levers)
    return answers


def table() -> list[list[str]]:
    """Return the export as rows of cells, header first."""
    draw = random.Random(SEED)
    header = [f"{group}/{name}" for group, names in GROUPS.items() for name in names]
    rows = [[*header, "_uuid", "_submission_time"]]
    number = 0
    start = datetime(2026, 3, 2, 9, 0)
    for communes in PILOT_COMMUNES.values():
        for index in range(RESPONDENTS_PER_TERRITORY):
            number += 1
            answers = respondent(draw, number, communes[index % len(communes)])
            submitted = start + timedelta(hours=draw.randint(0, 24 * 40))
            cells = [answers.get(name, "") for names in GROUPS.values() for name in names]
            rows.append([*cells, str(uuid.UUID(int=draw.getrandbits(128))), submitted.isoformat(timespec="seconds")])
    return rows


def main() -> None:
    """Write the CSV (UTF-8, comma-separated, as Kobo exports it by default)."""
    with OUTPUT.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out, lineterminator="\n").writerows(table())
    print(f"wrote {OUTPUT} ({len(table()) - 1} synthetic respondents)")


if __name__ == "__main__":
    main()
