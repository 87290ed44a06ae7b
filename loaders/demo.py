"""The demonstration observatory: a seeded, deterministic generator of SYNTHETIC loader inputs.

Nothing here was observed. The generator writes, from a seed, the source files that the real loaders read:

- `pilot`: the bundled demonstration observatory (`data/demo/`), for the pilot territories the seeds name —
  Bordeaux, the Métropole de Lyon and Villeurbanne, Les Mureaux, Loos-en-Gohelle, the CC de la Picardie Verte,
  Lagrasse (Aude, for Ecolocal), Clermont Auvergne Métropole and an enterprise of the Clermont area: one
  diagnostic workbook each (template `agrs-diagnostic/1`, XLSX or its CSV variant, `about.synthetic = yes`),
  a survey export of the shipped questionnaire, indicator definitions (themes, what they measure, a composite)
  and yearly series 2019–2025 for the communes of those territories, and the territory types the
  demonstration assigns. `agrs observatory` (`make demo`) loads them through the diagnostic, indicators,
  survey and rdf loaders.
- `france`: observatories of any size over all communes of France for the benchmarks (sizes S ≈ 1M, M ≈ 10M,
  L ≈ 50M triples once loaded): indicator series, a GASPAR-like CatNat export, survey answers and diagnostics in
  the CSV variant, written as streamed CSV.

Same seed, same files (the XLSX workbooks' cells; their zip bytes carry a save time). Records are marked
synthetic by their file names, ids (`DEMO-…`, `SYNTHETIQUE-…`) and the diagnostics' `synthetic` field; the
loads' provenance says so (`agrs.loaders.bundled.SYNTHETIC_NOTES`).
"""

import csv
import json
import random
import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from agrs.loaders.diagnostic import SHEETS as DIAGNOSTIC_SHEETS
from agrs.loaders.diagnostic import TEMPLATE_VERSION

# The diagnostic workbook's sheets and columns are the loader's (one definition of the format).
COLUMNS = DIAGNOSTIC_SHEETS
#: sheets of a diagnostic in writing order (the enterprise sheets only for an enterprise)
SHEETS = tuple(DIAGNOSTIC_SHEETS)
YEARS = tuple(range(2019, 2026))
DEFAULT_SEED = 2026
ENTERPRISE_SHEETS = ("value_chain", "dependencies", "immaterial_capital", "performance")
INSTRUCTIONS = (
    ("fr", "Diagnostic de résilience SYNTHÉTIQUE, écrit par le générateur de l'observatoire de démonstration "
           "(agrs.loaders.demo) : aucune donnée n'a été observée. Format : agrs-diagnostic/1 (loaders/README.md)."),
    ("en", "A SYNTHETIC resilience diagnostic, written by the demonstration observatory's generator "
           "(agrs.loaders.demo): nothing here was observed. Format: agrs-diagnostic/1 (loaders/README.md)."),
)  # fmt: skip


# --- the pilot territories ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pilot:
    """One diagnostic of the demonstration: its key, subject, territory code, and the communes it covers."""

    key: str
    name: str
    territory: str  # a code as the territories loader accepts it
    communes: tuple[str, ...]  # communes whose indicator series and survey answers the demonstration writes
    form: str = "xlsx"  # "xlsx" or "csv" (the CSV variant: one `<key>.<sheet>.csv` per sheet)
    enterprise: bool = False
    territory_type: str | None = None  # territory-type key the demonstration assigns (data/demo/territory-types.ttl)
    #: key (data/partners.csv) of an existing organisation carrying or partnering the AGRS commons that partners
    #: the territory project p3 (`org:<key>`): Alters and Cerema carry the commons, whose pilot territories are
    #: Bordeaux, the Métropole de Lyon and Les Mureaux (cq30); Ecolocal is its partner in the Aude, the AMRF the
    #: network of rural mayors that helps enlist rural pilots
    partner: str | None = None


#: All codes checked against @etalab/decoupage-administratif 6.0.0 (COG 2026; tests/test_demo_observatory.py
#: re-checks them). The CC de la Picardie Verte is epci:246000848 (246000756 is the CC du Pays Noyonnais).
#: Lagrasse (11185, 554 inhabitants, CC Région Lézignanaise, Corbières et Minervois) stands for Ecolocal's
#: partnership with the Aude (seed 004 names no commune): a rural commune of the Corbières on the Orbieu, hit by
#: the floods of October 2018, whose flood, drought and wildfire risks, wine-growing economy and small size make
#: it the rural counterpart of the metropolitan pilots.
PILOTS: tuple[Pilot, ...] = (
    Pilot("demo-bordeaux", "Bordeaux", "33063", ("33063",), partner="alters"),
    Pilot("demo-metropole-lyon", "Métropole de Lyon", "epci:200046977", ("69123", "69259", "69266", "69029"),
          partner="cerema"),
    Pilot("demo-villeurbanne", "Villeurbanne", "69266", ("69266",), form="csv"),
    Pilot("demo-les-mureaux", "Les Mureaux", "78440", ("78440",), partner="alters"),
    Pilot("demo-loos-en-gohelle", "Loos-en-Gohelle", "62528", ("62528",), form="csv",
          territory_type="medium-sized-town"),
    Pilot("demo-picardie-verte", "CC de la Picardie Verte", "epci:246000848", ("60286", "60245", "60387"),
          territory_type="rural", partner="amrf"),
    Pilot("demo-lagrasse", "Lagrasse", "11185", ("11185",), territory_type="rural", partner="ecolocal"),
    Pilot("demo-clermont-metropole", "Clermont Auvergne Métropole", "epci:246300701",
          ("63113", "63124", "63075"), territory_type="metropolis"),
    Pilot("demo-entreprise-clermont", "Fromagerie des Dômes (entreprise fictive)", "epci:246300701", ("63113",),
          enterprise=True),
)
#: territories the demonstration assigns a type to, beyond data/observatory/pilot-territories.ttl, and why
TERRITORY_TYPES = (
    ("11185", "rural", "Lagrasse: 554 inhabitants, a rural commune of the Corbières (COG 2026)."),
    ("epci:246000848", "rural", "CC de la Picardie Verte: 88 communes, the largest Grandvilliers (2,761)."),
    ("62528", "medium-sized-town", "Loos-en-Gohelle: 6,799 inhabitants in the Lens-Liévin conurbation."),
    ("epci:246300701", "metropolis", "Clermont Auvergne Métropole: a métropole (21 communes)."),
)

# --- catalogues the diagnostics draw from --------------------------------------------------------------------------

#: commons: (slug, label_fr, label_en, needs, spatial scale, description)
COMMONS = (
    ("water", "Ressource en eau potable", "Drinking water resource", "water", "regional",
     "Nappes et rivières qui alimentent le territoire en eau potable."),
    ("food", "Ceinture maraîchère et circuits courts", "Market-garden belt and short supply chains", "food",
     "local", "Terres agricoles proches et producteurs qui nourrissent le territoire."),
    ("energy", "Réseau de chaleur et production locale d'énergie", "District heating and local energy",
     "energy", "local", "Chaufferies, réseau de chaleur et toitures solaires."),
    ("housing", "Parc de logements abordables", "Affordable housing stock", "housing|social-cohesion", "local",
     "Logements sociaux et abordables du territoire."),
    ("health", "Offre de soins de proximité", "Local health care", "health", "local",
     "Maisons de santé, médecins et pharmacies."),
    ("mobility", "Réseau de transports collectifs", "Public transport network", "mobility|work-economy",
     "regional", "Lignes de bus, de tram et de train qui desservent le territoire."),
    ("biodiversity", "Trame verte et bleue", "Green and blue corridors", "ecosystems-biodiversity|water",
     "regional", "Haies, zones humides, berges et parcs."),
    ("digital", "Réseau numérique très haut débit", "Very-high-speed digital network", "digital-communication",
     "national-global", "Fibre, antennes et centres de données dont dépendent les services."),
    ("civic", "Tiers-lieux et vie associative", "Third places and community life", "civic-life|social-cohesion",
     "local", "Lieux partagés, associations et instances de participation."),
    ("electricity", "Approvisionnement électrique", "Electricity supply", "energy|security", "national-global",
     "Réseau de transport et de distribution d'électricité."),
)  # fmt: skip
#: forces: (slug, label, mutation, kind, commons slugs it acts on)
FORCES = (
    ("climate", "Changement climatique", "climate-change", "material", ("water", "biodiversity", "food")),
    ("energy-prices", "Hausse et volatilité des prix de l'énergie", "energy", "material", ("energy", "housing")),
    ("inequalities", "Creusement des inégalités", "inequalities", "social", ("housing", "health")),
    ("digitalisation", "Numérisation des services", "digital", "social", ("digital", "civic")),
    ("cyber", "Montée des cybermenaces", "cyber", "material", ("digital", "electricity")),
)
#: risks: (slug, label, hazard, commons slug)
RISKS = (
    ("flood", "Inondation par débordement", "flood", "water"),
    ("heatwave", "Canicule", "heatwave", "health"),
    ("drought", "Sécheresse et tension sur la ressource", "drought", "food"),
    ("supply", "Rupture d'approvisionnement", "supply-disruption", "energy"),
    ("cyberattack", "Cyberattaque sur les services", "cyberattack", "digital"),
    ("wildfire", "Feu de forêt et de garrigue", "wildfire", "biodiversity"),
)
LEVERS = ("identify", "connect", "resist", "anticipate", "cooperate", "act", "sobriety", "mutual-aid",
          "integrated-governance", "anticipation-monitoring")  # fmt: skip
#: SDG target per commons (the import ontology/imports/sdg.ttl types 9.c, 10.7, 11.1, 11.2, 11.b, 13.1 and 16.7 as
#: sdgo:Target, which the SDG questions ask for: every project serves at least one of those)
SDG = {"water": "6.4", "food": "2.4", "energy": "7.2", "housing": "11.1", "health": "3.d", "mobility": "11.2",
       "biodiversity": "15.1", "digital": "9.c", "civic": "16.7", "electricity": "7.1"}  # fmt: skip
CRISIS_PHASES = ("prevention", "anticipation", "crisis-management", "post-crisis-repair")
STATES = ("good", "fragile", "degraded", "critical")
HORIZONS = ("months", "years", "decades")
SCALES = ("local", "regional", "national-global")

#: indicators the indicators loader defines for the demonstration (data/demo/indicators/), with their theme and
#: what they measure; `commons:` and `risk:` entries name the diagnostics' commons and risks of that slug.
@dataclass(frozen=True)
class Series:
    """An indicator with yearly values per commune: its definition, and how its values are drawn."""

    key: str
    label_fr: str
    label_en: str
    theme: str
    unit: str
    aggregation: str
    measures: tuple[str, ...] = ()
    base: float = 100.0  # value per 1,000 inhabitants (sum) or level (means)
    trend: float = 0.0  # yearly relative change
    per_capita: bool = True  # sum indicators scale with the population
    synthesises: tuple[str, ...] = ()
    definition_fr: str = ""
    definition_en: str = ""


SERIES: tuple[Series, ...] = (
    Series("demo-ghg-emissions", "émissions de gaz à effet de serre", "greenhouse gas emissions", "mitigation",
           "t", "sum", ("mutation:climate-change",), 6500.0, -0.03),
    Series("demo-renewable-energy-share", "part des énergies renouvelables", "share of renewable energy",
           "energy-transition", "%", "population-weighted-mean", ("need:energy", "commons:energy",
           "commons:electricity"), 18.0, 0.06, per_capita=False),
    Series("demo-artificialised-land", "surface artificialisée", "artificialised land", "soil-artificialisation",
           "ha", "sum", ("need:ecosystems-biodiversity", "commons:biodiversity"), 45.0, 0.01),
    Series("demo-household-waste", "déchets ménagers collectés", "household waste collected", "waste", "t",
           "sum", ("need:health",), 520.0, -0.02),
    Series("demo-water-consumption", "consommation d'eau potable", "drinking water consumption",
           "natural-resources", "m3", "sum", ("need:water", "commons:water"), 55000.0, -0.015),
    Series("demo-local-food-share", "part de l'alimentation locale", "share of local food", "food", "%",
           "population-weighted-mean", ("need:food", "commons:food"), 9.0, 0.05, per_capita=False),
    Series("demo-flood-exposed-population", "population exposée aux inondations", "population exposed to floods",
           "risk-management", "{inhab}", "sum", ("hazard:flood", "risk:flood"), 80.0, 0.0),
    Series("demo-citizen-participation", "participation aux instances citoyennes",
           "participation in citizens' bodies", "governance", "%", "population-weighted-mean",
           ("need:civic-life", "commons:civic"), 4.0, 0.04, per_capita=False),
    Series("demo-air-quality-days", "jours de mauvaise qualité de l'air", "days of poor air quality",
           "air-pollution", "d", "max", ("need:health", "commons:health"), 12.0, -0.04, per_capita=False),
    Series("demo-resilience-index", "indice synthétique de résilience (démonstration)",
           "composite resilience index (demonstration)", "adaptation", "1", "population-weighted-mean",
           ("capacity:adaptive",), 50.0, 0.02, per_capita=False,
           synthesises=("demo-renewable-energy-share", "demo-water-consumption", "demo-local-food-share",
                        "demo-citizen-participation")),
)  # fmt: skip
#: what every demonstration indicator says of itself (the definitions' `definition_*` columns)
SERIES_NOTE_FR = "Indicateur SYNTHÉTIQUE de l'observatoire de démonstration : valeurs tirées par un programme."
SERIES_NOTE_EN = "SYNTHETIC indicator of the demonstration observatory: values drawn by a program."
#: indicators a diagnostic's own `indicators` sheet defines (theme given), with values for its territory
DIAGNOSTIC_INDICATORS = (
    ("demo-resilience-self-assessment", "auto-évaluation de la résilience", "resilience self-assessment",
     "risk-management", "1", "mean"),
    ("demo-co-construction-meetings", "réunions de co-construction des politiques publiques",
     "public-policy co-construction meetings", "governance", "1", "sum"),
)  # fmt: skip
ENTERPRISE_INDICATORS = (
    ("demo-local-purchasing-share", "part des achats locaux", "share of local purchasing", "circular-economy",
     "%", "mean"),
)  # fmt: skip


# --- drawing one diagnostic --------------------------------------------------------------------------------------


def _join(values: Iterable[str]) -> str:
    return "|".join(values)


def _actors(draw: random.Random, pilot: Pilot) -> list[dict]:
    """The actors of a diagnostic: one of each kind, named as the demonstration's (never a real organisation)."""
    place = pilot.name
    rows = [
        ("a1", f"Collectivité de {place} (démonstration)", "local-authority"),
        ("a2", f"Entreprise de services de {place} (fictive)", "enterprise"),
        ("a3", f"Association des habitants de {place} (fictive)", "association"),
        ("a4", f"Coopérative d'énergie citoyenne de {place} (fictive)", "cooperative"),
        ("a5", "Service de l'État en département (démonstration)", "state-service"),
        ("a6", "Agence de l'eau (démonstration)", "public-establishment"),
        ("a7", "Laboratoire universitaire partenaire (fictif)", "research-organisation"),
        ("a8", f"Collectif d'habitants de {place} (fictif)", "inhabitant-group"),
    ]
    if pilot.enterprise:
        rows.insert(0, ("e1", pilot.name, "enterprise"))
    return [{"id": key, "name": name, "kind": kind, "siren": "", "territory": pilot.territory}
            for key, name, kind in rows]  # fmt: skip


def diagnostic(pilot: Pilot, seed: int = DEFAULT_SEED) -> dict[str, list[dict]]:
    """Return the sheets of one pilot's diagnostic (sheet → rows of column → cell), drawn from the seed."""
    draw = random.Random(f"{seed}:{pilot.key}")
    actors = _actors(draw, pilot)
    actor_ids = [row["id"] for row in actors]
    enterprise_id = "e1" if pilot.enterprise else "a2"
    # commons: water and energy always (the indicators measure them), four more drawn
    chosen = ["water", "energy", *draw.sample(["food", "housing", "health", "mobility", "biodiversity", "digital",
                                                "civic", "electricity"], 4)]  # fmt: skip
    catalogue = {row[0]: row for row in COMMONS}
    commons = []
    for number, slug in enumerate(chosen, 1):
        _, label_fr, label_en, needs, scale, description = catalogue[slug]
        commons.append({
            "id": f"c-{slug}", "label_fr": f"{label_fr} — {pilot.name}", "label_en": f"{label_en} — {pilot.name}",
            "needs": needs, "state": STATES[(number + draw.randrange(4)) % 4], "spatial_scale": scale,
            "depends_on": "c-water" if slug in ("food", "biodiversity", "health") else
            ("c-energy" if slug in ("digital", "mobility", "electricity") else ""),
            "actors": _join(sorted(draw.sample(actor_ids[:4] + actor_ids[7:], 2))), "description": description,
        })  # fmt: skip
    present = set(chosen)
    forces = []
    for slug, label, mutation, kind, targets in FORCES:
        acts_on = [f"c-{target}" for target in targets if target in present]
        if acts_on:
            forces.append({"id": f"f-{slug}", "label": label, "mutation": mutation, "force_kind": kind,
                           "acts_on": _join(acts_on)})  # fmt: skip
    impacts = []
    for force in forces:
        for target in force["acts_on"].split("|"):
            number = len(impacts) + 1
            impacts.append({
                "id": f"i{number}",
                "label": f"{force['label']} : effet sur « {catalogue[target.removeprefix('c-')][1].lower()} »",
                "commons": target, "mutation": force["mutation"], "force": force["id"],
                "severity": str(draw.randint(2, 5)), "time_horizon": draw.choice(HORIZONS),
                "spatial_scale": draw.choice(SCALES),
            })  # fmt: skip
    # what the stored questions need, whatever the draw: a severe impact of climate change at a decade's horizon
    # (cq01, cq13, cq28), answered by no reaction
    impacts[0].update({"severity": "5", "time_horizon": "decades"})
    risks = []
    for slug, label, hazard, target in RISKS:
        if target in present:
            risks.append({
                "id": f"r-{slug}", "label": f"{label} — {pilot.name}", "hazard": hazard, "commons": f"c-{target}",
                "exposure": f"{draw.randint(2, 9) / 10:.1f}", "vulnerability": f"{draw.randint(2, 9) / 10:.1f}",
                "time_horizon": draw.choice(HORIZONS), "spatial_scale": draw.choice(SCALES),
            })  # fmt: skip
    if not any(risk["id"] == "r-flood" for risk in risks):  # every commons list has water
        raise AssertionError("no flood risk")
    reactions = []
    for number, target in enumerate([impact["id"] for impact in impacts[1:4]] + [risks[0]["id"]], 1):
        reactions.append({
            "id": f"re{number}", "label": f"Réponse {number} ({pilot.name})", "responds_to": target,
            "capacity": ("absorptive", "adaptive", "transformative")[number % 3],
            "crisis_phase": CRISIS_PHASES[number % 4], "actors": _join(sorted(draw.sample(actor_ids, 2))),
        })  # fmt: skip
    loops = [
        {"id": "l1", "label": f"Boucle de résilience après l'inondation ({pilot.name})",
         "triggered_by": _join([risks[0]["id"], impacts[1]["id"]]), "reactions": _join(["re1", "re4"]),
         "strengthens": "adaptive|transformative",
         "opportunity": "Renaturer les berges et créer une filière locale de réemploi des matériaux"},
        {"id": "l2", "label": f"Boucle de coopération énergétique ({pilot.name})",
         "triggered_by": _join([impacts[2]["id"], risks[-1]["id"]]), "reactions": "re2", "strengthens": "absorptive",
         "opportunity": "Une communauté énergétique citoyenne"},
    ]  # fmt: skip
    start = 2020 + draw.randrange(3)
    flood, second_risk = risks[0]["id"], risks[1]["id"] if len(risks) > 1 else risks[0]["id"]
    projects = [
        {"id": "p1", "kind": "individual", "label": f"Plan de continuité d'activité ({pilot.name})",
         "needs": "energy", "mutations": "energy", "commons": "c-energy", "risks": second_risk, "sdg": "7.2|13.1",
         "levers": "resist|anticipate", "crisis_phase": "anticipation", "carried_by": enterprise_id,
         "partners": "", "funders": "", "budget_eur": str(draw.randrange(20, 120) * 1000),
         "start": f"{start}-03-01", "end": f"{start + 2}-12-31"},
        {"id": "p2", "kind": "collective", "label": f"Gestion partagée de l'eau ({pilot.name})",
         "needs": "water|food", "mutations": "climate-change", "commons": "c-water", "risks": flood,
         "sdg": "6.4|13.1", "levers": "cooperate|connect", "crisis_phase": "prevention", "carried_by": "a3",
         "partners": "a1|a4|a2", "funders": "a6", "budget_eur": str(draw.randrange(100, 600) * 1000),
         "start": f"{start + 1}-01-15", "end": f"{start + 4}-06-30"},
        {"id": "p3", "kind": "territory-project", "label": f"Projet de territoire résilient ({pilot.name})",
         "needs": _join(sorted({need for row in commons for need in row["needs"].split("|")})),
         "mutations": "climate-energy-ecology", "commons": _join(row["id"] for row in commons),
         "risks": "", "sdg": _join(SDG[slug] for slug in chosen) + "|11.b", "levers": "identify|act|sobriety",
         "crisis_phase": "prevention", "carried_by": "a1", "partners": "a2|a3|a7", "funders": "a5",
         "budget_eur": str(draw.randrange(500, 2000) * 1000), "start": f"{start}-09-01", "end": f"{start + 6}-12-31"},
        # a CRTE contract is no project (agrs:TerritorialContract): what it answers is its projects' (the shapes
        # take a node with needs, SDG targets, levers or a budget for a project)
        {"id": "p4", "kind": "crte-contract", "label": f"Contrat pour la réussite de la transition écologique "
         f"({pilot.name})", "needs": "", "mutations": "", "commons": "", "risks": "", "sdg": "", "levers": "",
         "crisis_phase": "", "carried_by": "a1", "partners": "a5", "funders": "a5", "budget_eur": "",
         "start": f"{start + 1}-06-01", "end": f"{start + 6}-12-31", "includes": "p2|p3", "based_on": "p3"},
        {"id": "p5", "kind": "collective", "label": f"Réseau d'entraide de quartier ({pilot.name})",
         "needs": "social-cohesion|health", "mutations": "inequalities", "commons": f"c-{chosen[2]}",
         "risks": "", "sdg": "1.5|10.2|16.7", "levers": "mutual-aid|cooperate", "crisis_phase": "crisis-management",
         "carried_by": "a8", "partners": "a3|a1", "funders": "a1", "budget_eur": str(draw.randrange(10, 80) * 1000),
         "start": f"{start + 2}-02-01", "end": ""},
    ]  # fmt: skip
    if pilot.enterprise:
        projects = [
            *projects[:2],
            {"id": "p6", "kind": "csr-action", "label": "Achats de lait aux fermes du territoire (RSE élargie)",
             "needs": "food|work-economy", "mutations": "climate-change|geoeconomics", "commons": "c-water",
             "risks": second_risk, "sdg": "12.2|8.3|11.b", "levers": "connect|sobriety", "crisis_phase": "prevention",
             "carried_by": "e1", "partners": "a3|a1", "funders": "", "budget_eur": "150000",
             "start": f"{start}-01-01", "end": ""},
        ]  # fmt: skip
    for row in projects:
        row.setdefault("includes", "")
        row.setdefault("based_on", "")
    disturbances = _disturbances(pilot, seed, forces, impacts, risks, reactions, loops, projects)
    sheets: dict[str, list[dict]] = {
        "about": [{"field": name, "value": value} for name, value in (
            ("template_version", TEMPLATE_VERSION), ("diagnostic", pilot.key),
            ("subject_kind", "enterprise" if pilot.enterprise else "territory"), ("territory", pilot.territory),
            ("enterprise", "e1" if pilot.enterprise else ""), ("date", f"2026-0{1 + draw.randrange(3)}-15"),
            ("author", "Générateur de l'observatoire de démonstration AGRS (agrs.loaders.demo)"),
            ("synthetic", "yes"),
        )],
        "actors": actors, "commons": commons, "forces": forces, "disturbances": disturbances, "impacts": impacts,
        "risks": risks,
        "reactions": reactions, "loops": loops, "projects": projects,
    }
    # an enterprise's diagnostic shares its territory with the territory's own: it gives only its own indicator
    # (one observation per indicator, territory and period, whichever diagnostic gives it)
    indicators = list(ENTERPRISE_INDICATORS if pilot.enterprise else DIAGNOSTIC_INDICATORS)
    if pilot.enterprise:
        sheets["value_chain"] = [
            {"id": "v1", "stage": "supply", "label": "Collecte du lait dans les fermes du Puy-de-Dôme",
             "territory": "dep:63", "local_share": "0.85"},
            {"id": "v2", "stage": "production", "label": "Affinage à Clermont-Ferrand", "territory": "63113",
             "local_share": "1"},
            {"id": "v3", "stage": "distribution", "label": "Vente en circuits courts et en grande distribution",
             "territory": "reg:84", "local_share": "0.4"},
            {"id": "v4", "stage": "end-of-life", "label": "Méthanisation du lactosérum", "territory": "epci:246300701",
             "local_share": "0.9"},
        ]  # fmt: skip
        sheets["dependencies"] = [
            {"id": "d1", "commons": "c-water", "criticality": "5"},
            {"id": "d2", "commons": "c-energy", "criticality": "3"},
        ]
        sheets["immaterial_capital"] = [
            {"id": "k1", "kind": "heritage", "label": "Savoir-faire fromager AOP", "assessment": "5"},
            {"id": "k2", "kind": "relational", "label": "Confiance des éleveurs", "assessment": "4"},
            {"id": "k3", "kind": "knowledge", "label": "Partenariat avec l'université", "assessment": "3"},
        ]  # fmt: skip
        sheets["performance"] = [
            {"id": f"g{number}", "dimension": dimension, "assessment": str(draw.randint(2, 5))}
            for number, dimension in enumerate(("economic", "social", "environmental", "territorial"), 1)
        ]
    sheets["indicators"] = [dict(zip(COLUMNS["indicators"], row, strict=True)) for row in indicators]
    values = []
    for key, *_ in indicators:
        level = draw.uniform(1, 5) if key.endswith("assessment") else draw.uniform(2, 30)
        for year in YEARS:
            level = max(0.0, level * (1 + draw.uniform(-0.05, 0.12)))
            shown = f"{level:.1f}" if not key.endswith("meetings") else str(round(level))
            values.append({"indicator": key, "territory": pilot.territory, "period": str(year), "value": shown})
    sheets["values"] = values
    return sheets


def _disturbances(pilot: Pilot, seed: int, forces: list[dict], impacts: list[dict], risks: list[dict],
                  reactions: list[dict], loops: list[dict], projects: list[dict]) -> list[dict]:  # fmt: skip
    """Add what the disturbances sheet, the hazard degrees and `org:` references give, drawn apart from the rest.

    A shock (a flash flood, driven by climate change, materialising the flood risk) and a chronic stress (repeated
    summer droughts, driven by climate change) that impacts cause, the flood loop is
    triggered by and a reaction responds to (cq11, cq14, cq29); a hazard degree per risk (cq20); the existing
    organisation partnering the territory project (cq30). Its own random stream keeps the earlier draws as they were.
    """
    draw = random.Random(f"{seed}:{pilot.key}:disturbances")
    force_ids = {force["id"] for force in forces}
    climate = "f-climate" if "f-climate" in force_ids else forces[0]["id"]
    year = 2018 + draw.randrange(6)
    rows = [
        {"id": "d-shock", "label": f"Crue éclair de {year} ({pilot.name})", "kind": "shock",
         "mutation": "climate-change", "driven_by": climate, "materialises": "r-flood",
         "date": f"{year}-{draw.choice(('06', '09', '10', '11'))}-{draw.randint(1, 28):02d}"},
        {"id": "d-stress", "label": f"Sécheresses estivales à répétition ({pilot.name})", "kind": "chronic-stress",
         "mutation": "climate-change", "driven_by": climate, "materialises": "", "date": ""},
    ]  # fmt: skip
    for risk in risks:
        risk["hazard_degree"] = f"{draw.randint(2, 9) / 10:.1f}"
    for impact in impacts:
        impact["caused_by"] = ""
    impacts[0]["caused_by"] = "d-stress"  # climate change on the water, at a decade's horizon
    impacts[1]["caused_by"] = "d-shock"
    loops[0]["triggered_by"] = _join(["d-shock", loops[0]["triggered_by"]])  # the loop after the flood
    flood_reaction = next(row for row in reactions if row["responds_to"] == "r-flood")
    flood_reaction["responds_to"] = _join(["d-shock", "r-flood"])
    if pilot.partner:
        territory_project = next(row for row in projects if row["kind"] == "territory-project")
        territory_project["partners"] = _join([territory_project["partners"], f"org:{pilot.partner}"])
    return rows


# --- writing a diagnostic ----------------------------------------------------------------------------------------


def table_of(rows: Sequence[dict], sheet: str) -> list[list[str]]:
    """Return a sheet as rows of cells, its header first."""
    columns = COLUMNS[sheet]
    return [list(columns), *([str(row.get(column, "")) for column in columns] for row in rows)]


def write_diagnostic_csv(sheets: dict[str, list[dict]], folder: Path, stem: str) -> list[Path]:
    """Write the CSV variant: `<stem>.<sheet>.csv` per sheet (UTF-8, comma); return the files."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for sheet in SHEETS:
        if sheet not in sheets:
            continue
        path = folder / f"{stem}.{sheet}.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            csv.writer(out, lineterminator="\n").writerows(table_of(sheets[sheet], sheet))
        written.append(path)
    return written


def write_diagnostic_xlsx(sheets: dict[str, list[dict]], path: Path) -> Path:
    """Write the workbook: the instructions sheet, then one sheet per table (cells as text)."""
    import openpyxl

    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = openpyxl.Workbook()
    instructions = workbook.active
    instructions.title = "instructions"
    instructions.append(["language", "text"])
    for row in INSTRUCTIONS:
        instructions.append(list(row))
    for sheet in SHEETS:
        if sheet not in sheets:
            continue
        page = workbook.create_sheet(sheet)
        for row in table_of(sheets[sheet], sheet):
            page.append(row)
    workbook.properties.creator = "agrs.loaders.demo"
    workbook.properties.created = datetime(2026, 1, 1)
    workbook.save(path)
    _freeze_zip(path)
    return path


def _freeze_zip(path: Path) -> None:
    """Rewrite a saved workbook with fixed entry times and modification date, so that same cells, same bytes."""
    import zipfile

    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            if name == "docProps/core.xml":
                modified = rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)"
                data = re.sub(modified, rb"\g<1>2026-01-01T00:00:00Z\g<2>", data)
            target.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)


def read_workbook_cells(path: Path) -> dict[str, list[list[str]]]:
    """Return every sheet's cells as text (how the test compares regenerated workbooks: content, not bytes)."""
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        return {sheet.title: [["" if cell is None else str(cell) for cell in row] for row in sheet.iter_rows(
            values_only=True)] for sheet in workbook.worksheets}  # fmt: skip
    finally:
        workbook.close()


# --- the indicators ----------------------------------------------------------------------------------------------

DEFINITION_HEADER = ("id", "label_fr", "label_en", "definition_fr", "definition_en", "measures", "unit",
                     "aggregation", "references", "theme", "synthesises", "source")  # fmt: skip
OBSERVATION_HEADER = ("territory", "indicator", "period", "value", "unit", "source")


def _measures(series: Series, pilots: Sequence[Pilot], seed: int) -> str:
    """Resolve `commons:<slug>` / `risk:<slug>` into the pilots' diagnostics' records of that slug."""
    out = []
    for item in series.measures:
        kind, _, slug = item.partition(":")
        if kind in ("commons", "risk"):
            for pilot in pilots:
                sheet = diagnostic(pilot, seed)["commons" if kind == "commons" else "risks"]
                wanted = f"c-{slug}" if kind == "commons" else f"r-{slug}"
                if any(row["id"] == wanted for row in sheet):
                    out.append(f"{kind}/{pilot.key}-{wanted}")
        else:
            out.append(item)
    return "|".join(out)


def definition_rows(series_list: Sequence[Series], pilots: Sequence[Pilot] = (), seed: int = DEFAULT_SEED
                    ) -> list[list[str]]:  # fmt: skip
    """Return the indicator definitions (the indicators loader's format, with themes and composites)."""
    rows = [list(DEFINITION_HEADER)]
    for series in series_list:
        rows.append([
            series.key, series.label_fr, series.label_en, series.definition_fr or SERIES_NOTE_FR,
            series.definition_en or SERIES_NOTE_EN, _measures(series, pilots, seed), series.unit,
            series.aggregation, "", series.theme, "|".join(series.synthesises), "",
        ])  # fmt: skip
    return rows


def series_values(series: Series, commune: str, population: int, draw: random.Random,
                  years: Sequence[int] = YEARS) -> Iterator[tuple[int, str]]:  # fmt: skip
    """Yield (year, value) of one indicator in one commune: a level from its population, a trend, noise."""
    scale = population / 1000 if series.per_capita else 1.0
    level = series.base * scale * draw.uniform(0.6, 1.4)
    for year in years:
        level = max(0.0, level * (1 + series.trend + draw.uniform(-0.04, 0.04)))
        if series.unit == "{inhab}":
            level = min(level, population)
            yield year, str(round(level))
        elif series.unit == "%":
            yield year, f"{min(level, 100.0):.1f}"
        else:
            yield year, f"{level:.1f}" if series.per_capita or level < 1000 else str(round(level))


# --- the survey ----------------------------------------------------------------------------------------------------


@dataclass
class FormQuestion:
    """A question of the XLSForm the survey export answers (what the writer needs to draw an answer)."""

    kind: str
    name: str
    group: str
    choices: list[str] = field(default_factory=list)
    multiple: bool = False
    relevant: str = ""
    constraint: str = ""
    term: str = ""


def read_questions(form: Path) -> list[FormQuestion]:
    """Read the questionnaire's questions in order, with their group, choices, relevance and constraint."""
    import openpyxl

    workbook = openpyxl.load_workbook(form, read_only=True)
    try:
        survey = [list(row) for row in workbook["survey"].iter_rows(values_only=True)]
        choices_sheet = [list(row) for row in workbook["choices"].iter_rows(values_only=True)]
    finally:
        workbook.close()
    header = [str(cell or "") for cell in survey[0]]
    choice_header = [str(cell or "") for cell in choices_sheet[0]]
    choices: dict[str, list[str]] = {}
    for row in choices_sheet[1:]:
        cells = dict(zip(choice_header, row, strict=False))
        if cells.get("list_name") and cells.get("name") is not None:
            choices.setdefault(str(cells["list_name"]), []).append(str(cells["name"]))
    questions, groups = [], []
    for row in survey[1:]:
        cells = {key: ("" if value is None else str(value)) for key, value in zip(header, row, strict=False)}
        kind, name = cells.get("type", "").strip(), cells.get("name", "").strip()
        if kind == "begin_group" or kind == "begin group":
            groups.append(name)
            continue
        if kind in ("end_group", "end group"):
            groups.pop()
            continue
        if not kind or not name or kind in ("start", "end", "note", "calculate", "today", "deviceid"):
            continue
        base, _, list_name = kind.partition(" ")
        questions.append(FormQuestion(
            base, name, "/".join(groups), choices.get(list_name.strip(), []), base == "select_multiple",
            cells.get("relevant", ""), cells.get("constraint", ""), cells.get("agrs_term", ""),
        ))  # fmt: skip
    return questions


def relevant(expression: str, answers: dict[str, str]) -> bool:
    """Evaluate an XLSForm `relevant` made of `${x} = 'v'`, `${x} != 'v'` and `selected(${x}, 'v')` joined by
    `and` / `or` (no parentheses); an expression it does not read counts as true (the question is answered)."""
    if not expression.strip():
        return True
    atom = re.compile(r"\s*(?:\$\{(\w+)\}\s*(!=|=)\s*'([^']*)'|selected\(\s*\$\{(\w+)\}\s*,\s*'([^']*)'\s*\))\s*")
    result = False
    for alternative in re.split(r"\s+or\s+", expression.strip()):
        holds = True
        for part in re.split(r"\s+and\s+", alternative):
            match = atom.fullmatch(part)
            if match is None:
                return True
            if match.group(1):
                equal = answers.get(match.group(1), "") == match.group(3)
                holds = holds and (equal if match.group(2) == "=" else not equal)
            else:
                holds = holds and match.group(5) in answers.get(match.group(4), "").split()
        result = result or holds
    return result


PROJECT_DESCRIPTIONS = ("Récupération des eaux pluviales", "Plan de continuité d'activité", "Épicerie solidaire",
                        "Îlots de fraîcheur dans les cours d'école", "Réseau de chaleur",
                        "Atelier de réparation partagé")  # fmt: skip


def _answer(question: FormQuestion, draw: random.Random, answers: dict[str, str], respondent_id: str,
            commune: str, actor: str) -> str:  # fmt: skip
    """Draw one answer a question's type, choices and constraint allow."""
    name = question.name
    if question.term.startswith("schema:"):
        return ""  # personal data: never written
    if name == "respondent_id" or question.term == "agrs:Respondent":
        return respondent_id
    if question.term in ("agrs:territory",) or name in ("territoire", "territory"):
        return commune
    if question.choices and (name in ("type_acteur",) or question.term == "agrs:actorType"):
        return actor if actor in question.choices else question.choices[0]
    if question.kind in ("select_one",) and question.choices:
        return draw.choice(question.choices)
    if question.kind == "select_multiple" and question.choices:
        count = min(len(question.choices), draw.randint(1, 3))
        return " ".join(sorted(draw.sample(question.choices, count)))
    if question.kind == "integer":
        bounds = [int(number) for number in re.findall(r"\d+", question.constraint)]
        if "gravite" in name or "severity" in name:
            low, high = 1, 5
        elif len(bounds) >= 2:
            low, high = bounds[0], bounds[1]
        else:
            low, high = 0, 6
        step = 5 if high - low >= 50 else 1
        return str(draw.randrange(low, high + 1, step))
    if question.kind == "decimal":
        return f"{draw.randint(1, 150) / 10:.1f}".replace(".", ",")
    if question.kind == "date":
        return (date(2023, 1, 1) + timedelta(days=draw.randint(0, 900))).isoformat()
    if question.kind == "text" and ("description" in name):
        return draw.choice(PROJECT_DESCRIPTIONS) if "projet" in name or "project" in name else ""
    return ""


def survey_rows(form: Path, communes: Sequence[str], per_commune: int, seed: int, prefix: str = "DEMO"
                ) -> Iterator[list[str]]:  # fmt: skip
    """Yield the KoboToolbox CSV export of the form answered by synthetic respondents, header first.

    The columns and the answers follow the questionnaire (its questions, choice lists, relevance and
    constraints), so a questionnaire whose questions change is answered as it now asks.
    """
    questions = read_questions(form)
    actor_question = next((q for q in questions if q.name == "type_acteur" or q.term == "agrs:actorType"), None)
    actors = actor_question.choices if actor_question else [""]
    kept = [q for q in questions if not q.term.startswith("schema:")]
    yield [*(f"{q.group}/{q.name}" if q.group else q.name for q in kept), "_uuid", "_submission_time"]
    draw = random.Random(f"{seed}:survey")
    start = datetime(2026, 3, 2, 9, 0)
    number = 0
    for commune in communes:
        for index in range(per_commune):
            number += 1
            respondent_id = f"{prefix}-{number:05d}"
            answers: dict[str, str] = {}
            for question in kept:
                if relevant(question.relevant, answers):
                    answers[question.name] = _answer(question, draw, answers, respondent_id, commune,
                                                     actors[index % len(actors)])  # fmt: skip
                else:
                    answers[question.name] = ""
            submitted = start + timedelta(hours=draw.randint(0, 24 * 40))
            yield [*(answers[q.name] for q in kept), str(uuid.UUID(int=draw.getrandbits(128))),
                   submitted.isoformat(timespec="seconds")]  # fmt: skip


def write_csv(path: Path, rows: Iterable[Sequence[str]], delimiter: str = ",") -> int:
    """Write rows to a UTF-8 CSV file; return the number of rows after the header."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = -1
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


# --- the communes ------------------------------------------------------------------------------------------------


def read_communes(etalab_dir: Path) -> dict[str, dict]:
    """Return the current communes of the COG (code → record), in code order."""
    records = json.loads((etalab_dir / "communes.json").read_text(encoding="utf-8"))
    return {row["code"]: row for row in sorted(records, key=lambda row: row["code"])
            if row.get("type") == "commune-actuelle"}  # fmt: skip


# --- the bundled demonstration ------------------------------------------------------------------------------------

PILOT_LAYOUT = {
    "diagnostics": "diagnostics",
    "definitions": "indicators/synthetic-indicators.csv",
    "series": "indicators/synthetic-series-2019-2025.csv",
    "survey": "survey/synthetic-demo-responses.csv",
    "types": "territory-types.ttl",
    "dataset": "indicators/synthetic-dataset.ttl",
}
#: the agrs:IndicatorDataset the demonstration's series belong to (`dataset` column of the series)
DEMO_DATASET = "demo-synthetic-series"
SURVEY_PER_COMMUNE = 6


def territory_types_turtle() -> str:
    """Return the Turtle of the territory types the demonstration assigns (not synthetic: a classification)."""
    from agrs.loaders.territory_codes import territory_iri

    lines = [
        "# Territory types the demonstration observatory assigns to its pilot territories (written by",
        "# `agrs demo pilot`, agrs.loaders.demo.TERRITORY_TYPES): a classification by size from the COG 2026,",
        "# for the questions by territory type (cq22, cq26); data/observatory/pilot-territories.ttl holds the",
        "# types seed 004 gives.",
        "@prefix agrs: <https://w3id.org/agrs/> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix territory-type: <https://w3id.org/agrs/territory-type/> .",
        "",
    ]
    for code, kind, why in TERRITORY_TYPES:
        lines.append(f"# {why}")
        lines.append(f"<{territory_iri(code)}> agrs:territoryType territory-type:{kind} .")
    return "\n".join(lines) + "\n"


def dataset_turtle() -> str:
    """Return the Turtle of the indicator dataset the demonstration's series are published in (synthetic)."""
    return "\n".join([
        "# The indicator dataset of the demonstration's yearly series (written by `agrs demo pilot`): SYNTHETIC,",
        "# every value of it was drawn by a program. Loaded as a synthetic source; part of the Observatory seed 004",
        "# describes (data/observatory/projects.ttl).",
        "@base <https://w3id.org/agrs/id/> .",
        "@prefix agrs: <https://w3id.org/agrs/> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix dcterms: <http://purl.org/dc/terms/> .",
        "",
        f"<dataset/{DEMO_DATASET}> a agrs:IndicatorDataset ;",
        '    rdfs:label "Séries annuelles synthétiques de la démonstration (2019-2025)"@fr ,',
        '        "Synthetic yearly series of the demonstration (2019-2025)"@en ;',
        '    dcterms:description "Données synthétiques : tirées par un programme pour la démonstration, non '
        'observées."@fr ,',
        '        "Synthetic data: drawn by a program for the demonstration, not observed."@en ;',
        "    agrs:partOfObservatory <observatory/observatoire-resilience-territoires-entreprises> .",
    ]) + "\n"


def write_pilot(out: Path, seed: int = DEFAULT_SEED, form: Path | None = None, etalab_dir: Path | None = None
                ) -> list[Path]:  # fmt: skip
    """Write the bundled demonstration observatory's sources into `out` (data/demo/); return the files."""
    from agrs.loaders.bundled import default_data_dir, default_etalab_dir

    form = form or default_data_dir() / "survey" / "questionnaire.xlsx"
    communes = read_communes(etalab_dir or default_etalab_dir())
    written: list[Path] = []
    folder = out / PILOT_LAYOUT["diagnostics"]
    for pilot in PILOTS:
        sheets = diagnostic(pilot, seed)
        if pilot.form == "csv":
            written += write_diagnostic_csv(sheets, folder, pilot.key)
        else:
            written.append(write_diagnostic_xlsx(sheets, folder / f"{pilot.key}.xlsx"))
    definitions = out / PILOT_LAYOUT["definitions"]
    write_csv(definitions, definition_rows(SERIES, PILOTS, seed))
    written.append(definitions)
    pilot_communes = sorted({code for pilot in PILOTS for code in pilot.communes})
    draw = random.Random(f"{seed}:series")

    def observations() -> Iterator[list[str]]:
        yield [*OBSERVATION_HEADER, "dataset"]
        for code in pilot_communes:
            population = int(communes[code].get("population") or 1000)
            for series in SERIES:
                for year, value in series_values(series, code, population, draw):
                    yield [code, series.key, str(year), value, series.unit, "", DEMO_DATASET]

    series_path = out / PILOT_LAYOUT["series"]
    write_csv(series_path, observations())
    written.append(series_path)
    survey_path = out / PILOT_LAYOUT["survey"]
    survey_communes = sorted({code for pilot in PILOTS for code in pilot.communes} | {"33063", "78440"})
    write_csv(survey_path, survey_rows(form, survey_communes, SURVEY_PER_COMMUNE, seed))
    written.append(survey_path)
    types = out / PILOT_LAYOUT["types"]
    types.write_text(territory_types_turtle(), encoding="utf-8")
    written.append(types)
    dataset = out / PILOT_LAYOUT["dataset"]
    dataset.write_text(dataset_turtle(), encoding="utf-8")
    written.append(dataset)
    return written


def pilot_diagnostic_files(demo_dir: Path) -> dict[str, tuple[Path, ...]]:
    """Return each diagnostic's files, by diagnostic key: its workbook, or its CSV sheets (the `about` first).

    The grouping and order `agrs load diagnostic FOLDER` uses, so that `agrs observatory` writes the same graph
    per diagnostic (`diagnostic/<key>`).
    """
    folder = demo_dir / PILOT_LAYOUT["diagnostics"]
    groups: dict[str, tuple[Path, ...]] = {}
    for pilot in PILOTS:
        if pilot.form == "csv":
            groups[pilot.key] = tuple(folder / f"{pilot.key}.{sheet}.csv" for sheet in SHEETS
                                      if (folder / f"{pilot.key}.{sheet}.csv").is_file())  # fmt: skip
        else:
            groups[pilot.key] = (folder / f"{pilot.key}.xlsx",)
    return groups


# --- observatories of any size over France (benchmarks) --------------------------------------------------------

@dataclass(frozen=True)
class Size:
    """How much of each source an observatory of a size holds (every count is over all communes of France)."""

    indicators: int  # indicator series per commune
    years: int  # yearly observations per series (the last years of YEARS)
    diagnostics: int  # territory diagnostics (CSV variant), on communes drawn from the seed
    respondents: int  # survey respondents
    catnat: int  # GASPAR-like CatNat rows


#: Calibrated with benchmarks/demo_sizes.py (benchmarks/RESULTS.md): an observation maps to 10 triples, 7 distinct
#: once stored (the period and unit nodes observations share are kept once), a CatNat row to 23, a respondent to
#: ~60, a diagnostic to ~715 (loaded, on the merged branches); the roll-up adds ~1,400 derived
#: observations per series and year. Distinct triples: S ≈ 1.0M, M ≈ 10.5M, L ≈ 51M.
SIZES = {
    "XS": Size(indicators=1, years=7, diagnostics=5, respondents=100, catnat=500),
    "S": Size(indicators=1, years=3, diagnostics=100, respondents=1_000, catnat=5_000),
    "M": Size(indicators=5, years=7, diagnostics=1_000, respondents=10_000, catnat=20_000),
    "L": Size(indicators=24, years=7, diagnostics=5_000, respondents=50_000, catnat=100_000),
}
CATNAT_PERILS = (("ICB", "Inondations et/ou Coulées de Boue"), ("SEC", "Sécheresse"), ("TMP", "Tempête"),
                 ("MVT", "Mouvement de terrain"))  # fmt: skip
CATNAT_HEADER = ("id_gaspar", "code_commune", "libelle_commune", "num_risque_jo", "lib_risque_jo", "date_debut",
                 "date_fin", "date_signature_arrete", "date_publication_jo", "date_modification")  # fmt: skip


def france_series(count: int) -> list[Series]:
    """Return `count` indicator series: the demonstration's, then numbered variants of them."""
    base = [series for series in SERIES if not series.synthesises]
    out = []
    for index in range(count):
        template = base[index % len(base)]
        round_ = index // len(base)
        if round_ == 0:
            out.append(Series(**{**template.__dict__, "measures": tuple(
                item for item in template.measures if not item.startswith(("commons:", "risk:")))}))
        else:
            out.append(Series(**{**template.__dict__, "key": f"{template.key}-{round_ + 1}",
                                 "label_fr": f"{template.label_fr} ({round_ + 1})",
                                 "label_en": f"{template.label_en} ({round_ + 1})", "measures": ()}))
    return out


def write_france(out: Path, size: str | Size, seed: int = 1, etalab_dir: Path | None = None,
                 form: Path | None = None, limit: int | None = None) -> dict[str, int]:  # fmt: skip
    """Write an observatory of a size over all communes of France (or the first `limit`) into `out`.

    Returns the number of rows written per source. Files: indicators/definitions.csv and
    indicators/series.csv (`agrs load indicators`), risks/catnat.csv (`agrs load risks`), survey/responses.csv
    (`agrs load survey --form`), diagnostics/<key>.<sheet>.csv (`agrs load diagnostic`).
    """
    from agrs.loaders.bundled import default_data_dir, default_etalab_dir

    plan = SIZES[size] if isinstance(size, str) else size
    communes = read_communes(etalab_dir or default_etalab_dir())
    codes = list(communes)[:limit] if limit else list(communes)
    form = form or default_data_dir() / "survey" / "questionnaire.xlsx"
    counts: dict[str, int] = {}
    series_list = france_series(plan.indicators)
    years = YEARS[-plan.years:]
    counts["definitions"] = write_csv(out / "indicators" / "definitions.csv", definition_rows(series_list))
    draw = random.Random(f"{seed}:france:series")

    def observations() -> Iterator[list[str]]:
        yield list(OBSERVATION_HEADER)
        for code in codes:
            population = int(communes[code].get("population") or 100)
            for series in series_list:
                for year, value in series_values(series, code, population, draw, years):
                    yield [code, series.key, str(year), value, series.unit, ""]

    counts["observations"] = write_csv(out / "indicators" / "series.csv", observations())
    catnat_draw = random.Random(f"{seed}:france:catnat")

    def catnat() -> Iterator[list[str]]:
        yield list(CATNAT_HEADER)
        for number in range(1, plan.catnat + 1):
            code = catnat_draw.choice(codes)
            peril, label = catnat_draw.choice(CATNAT_PERILS)
            start = date(1985, 1, 1) + timedelta(days=catnat_draw.randrange(14_000))
            end = start + timedelta(days=catnat_draw.randrange(1, 90))
            decree = end + timedelta(days=catnat_draw.randrange(20, 200))
            gazette = decree + timedelta(days=catnat_draw.randrange(5, 30))
            yield [f"SYNTHETIQUE-{number:07d}", code, communes[code]["nom"], peril, label,
                   f"{start} 00:00:00", f"{end} 00:00:00", f"{decree} 00:00:00", f"{gazette} 00:00:00",
                   "2026-01-15 09:30:00"]  # fmt: skip

    counts["catnat"] = write_csv(out / "risks" / "catnat.csv", catnat(), delimiter=";")
    survey_draw = random.Random(f"{seed}:france:survey")
    respondents = [survey_draw.choice(codes) for _ in range(plan.respondents)]
    rows = survey_rows(form, sorted(respondents), 1, seed, prefix="DEMO-FR")
    counts["respondents"] = write_csv(out / "survey" / "responses.csv", rows)
    diagnostic_draw = random.Random(f"{seed}:france:diagnostics")
    written = 0
    for number in range(1, plan.diagnostics + 1):
        code = diagnostic_draw.choice(codes)
        name = communes[code]["nom"]
        pilot = Pilot(f"demo-fr-{number:05d}-{code.lower()}", name, code, (code,), form="csv")
        write_diagnostic_csv(diagnostic(pilot, seed), out / "diagnostics", pilot.key)
        written += 1
    counts["diagnostics"] = written
    return counts
