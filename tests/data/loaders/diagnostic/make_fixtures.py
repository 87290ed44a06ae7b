"""Write the diagnostic fixtures: the rows below, filled in by hand, as workbooks and CSV sheets.

Run `python tests/data/loaders/diagnostic/make_fixtures.py` after changing the rows; then regenerate the expected
graphs with AGRS_REGENERATE=1 (tests/test_loader_diagnostic.py) and review them. The territories are those of the
test COG (tests/data/loaders/territories/etalab-*.json): Ouessant (29155), a small island commune, for the territory
diagnostic; Lyon (69123) for the enterprise one.

- ouessant.xlsx: a territory's diagnostic, every sheet a territory fills in, all rows good; it names an existing
  organisation of the observatory (`org:cerema`, in existing-organisations.ttl for the gate tests).
- brasserie/brasserie.<sheet>.csv: an enterprise's diagnostic as CSV sheets (UTF-8, `,`), all rows good.
- minimal/minimal.<sheet>.csv: a small synthetic diagnostic that uses only concept schemes of the main ontology.
- messy/messy.<sheet>.csv: Windows-1252, `;`: values outside the drop-downs, missing required cells, an unknown
  territory code, next to good rows.
- unknown-version/old.<sheet>.csv: template version agrs-diagnostic/0 (refused whole).
"""

import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parents[3]))  # run from a checkout without installing

from agrs.loaders.diagnostic_template import write_csv, write_workbook  # noqa: E402

OUESSANT_ABOUT = {
    "diagnostic": "ouessant-2026", "subject_kind": "territory", "territory": "29155", "date": "2026-03-31",
    "author": "Atelier diagnostic (fixture)", "synthetic": "no", "label": "Diagnostic de résilience d'Ouessant",
}  # fmt: skip
OUESSANT = {
    "actors": [
        {"id": "mairie", "name": "Mairie d'Ouessant", "kind": "local-authority", "territory": "29155"},
        {"id": "habitants", "name": "Habitants d'Ouessant", "kind": "Groupe d'habitants"},
        {"id": "asso-eau", "name": "Association de l'eau d'Ouessant", "kind": "association", "territory": "29155"},
        {"id": "region", "name": "Région Bretagne", "kind": "collectivité locale", "territory": "reg:53"},
    ],
    "commons": [
        {"id": "eau", "label_fr": "Eau potable de l'île", "label_en": "Island drinking water", "needs": "water",
         "state": "fragile", "spatial_scale": "local", "actors": "mairie|asso-eau",
         "description": "Eau de pluie et désalinisation"},
        {"id": "energie", "label_fr": "Électricité de l'île", "needs": "Énergie", "state": "degraded",
         "spatial_scale": "local", "depends_on": "eau", "actors": "mairie"},
        {"id": "liaison", "label_fr": "Liaison maritime", "needs": "mobility|work-economy", "state": "good",
         "spatial_scale": "regional"},
    ],
    "forces": [
        {"id": "climat", "label": "Dérèglement climatique", "mutation": "climate-change", "force_kind": "material",
         "acts_on": "eau|liaison"},
        {"id": "isolement", "label": "Vieillissement et départ des jeunes", "mutation": "social-urban",
         "force_kind": "social"},
    ],
    "disturbances": [
        {"id": "ciaran", "label": "Tempête Ciarán", "kind": "shock", "mutation": "climate-change",
         "driven_by": "climat", "materialises": "submersion", "date": "2023-11-02"},
        {"id": "etes-secs", "label": "Étés secs à répétition", "kind": "Stress chronique",
         "mutation": "climate-change", "driven_by": "climat"},
    ],
    "impacts": [
        {"id": "secheresse-eau", "label": "Manque d'eau l'été", "commons": "eau", "mutation": "climate-change",
         "force": "climat", "caused_by": "etes-secs", "severity": 4, "time_horizon": "years",
         "spatial_scale": "local"},
        {"id": "tempete-liaison", "label": "Traversées annulées", "commons": "liaison", "caused_by": "ciaran",
         "severity": 3, "time_horizon": "months"},
    ],
    "risks": [
        {"id": "submersion", "label": "Submersion du port", "hazard": "coastal-submersion", "hazard_degree": "0,4",
         "commons": "liaison", "exposure": "0.7", "vulnerability": "0,5", "time_horizon": "decades",
         "spatial_scale": "local"},
        {"id": "secheresse", "label": "Sécheresse estivale", "hazard": "Sécheresse", "commons": "eau",
         "exposure": 0.8},
    ],
    "reactions": [
        {"id": "citernes", "label": "Citernes de récupération", "responds_to": "secheresse-eau|secheresse",
         "capacity": "adaptive", "crisis_phase": "prevention", "actors": "habitants|asso-eau"},
        {"id": "stock", "label": "Stock de vivres", "responds_to": "ciaran|tempete-liaison", "capacity": "absorptive",
         "crisis_phase": "crisis-management", "actors": "mairie"},
    ],
    "loops": [
        {"id": "boucle-eau", "label": "Boucle de l'eau", "triggered_by": "secheresse-eau|secheresse",
         "reactions": "citernes", "strengthens": "adaptive|transformative",
         "opportunity": "Filière locale de récupération d'eau"},
        {"id": "boucle-port", "label": "Boucle du port après Ciarán", "triggered_by": "ciaran|submersion",
         "reactions": "stock", "strengthens": "absorptive", "opportunity": "Port surélevé et abri de secours"},
    ],
    "projects": [
        {"id": "pdt", "label": "Projet de territoire d'Ouessant", "kind": "territory-project",
         "needs": "water|energy", "carried_by": "mairie", "partners": "org:cerema", "start": "2026-01-01",
         "end": "2031-12-31"},
        {"id": "desal", "label": "Désalinisation solaire", "kind": "collective", "needs": "water",
         "mutations": "climate-change", "commons": "eau", "risks": "secheresse", "sdg": "6|6.4|7.2",
         "levers": "sobriety|cooperate", "crisis_phase": "anticipation", "carried_by": "asso-eau",
         "partners": "mairie|habitants", "funders": "region", "budget_eur": "250 000", "start": "2026-06-01",
         "end": "2028-06-30"},
        {"id": "crte", "label": "CRTE du Pays d'Iroise", "kind": "crte-contract", "includes": "desal",
         "based_on": "pdt", "carried_by": "mairie", "funders": "region", "start": "2026-01-01"},
    ],
    "indicators": [
        {"key": "ouessant-eau-stockee", "label_fr": "Eau stockée", "label_en": "Water stored",
         "theme": "adaptation", "unit": "m3", "aggregation": "sum"},
    ],
    "values": [
        {"indicator": "ouessant-eau-stockee", "period": "2024", "value": "1200"},
        {"indicator": "ouessant-eau-stockee", "territory": "29155", "period": "2025", "value": "1 450,5"},
    ],
}  # fmt: skip

BRASSERIE_ABOUT = {
    "diagnostic": "brasserie-lyon-2026", "subject_kind": "enterprise", "territory": "69123",
    "enterprise": "brasserie", "date": "2026-02-15", "author": "Direction RSE (fixture)", "synthetic": "no",
}  # fmt: skip
BRASSERIE = {
    "actors": [
        {"id": "brasserie", "name": "Brasserie des Pentes", "kind": "enterprise", "siren": "123456782",
         "territory": "69123"},
        {"id": "metropole", "name": "Métropole de Lyon", "kind": "local-authority", "territory": "epci:200046977"},
        {"id": "coop-orge", "name": "Coopérative d'orge du Rhône", "kind": "cooperative", "territory": "dep:69"},
    ],
    "commons": [
        {"id": "eau", "label_fr": "Eau du Rhône", "needs": "water", "state": "fragile", "spatial_scale": "regional"},
        {"id": "sols", "label_fr": "Terres agricoles", "needs": "food|ecosystems-biodiversity", "state": "degraded"},
    ],
    "projects": [
        {"id": "rse-eau", "label": "Réemploi de l'eau de rinçage", "kind": "csr-action", "needs": "water",
         "commons": "eau", "sdg": "6.4", "crisis_phase": "prevention", "carried_by": "brasserie",
         "partners": "metropole", "budget_eur": "40000"},
    ],
    "value_chain": [
        {"id": "orge", "stage": "supply", "label": "Orge brassicole", "territory": "dep:69", "local_share": "0.6"},
        {"id": "brassage", "stage": "production", "label": "Brassage", "local_share": "1"},
        {"id": "fin-de-vie", "stage": "end-of-life", "label": "Drêches vers l'élevage", "local_share": "0.9"},
    ],
    "dependencies": [
        {"id": "dep-eau", "commons": "eau", "criticality": 5},
        {"id": "dep-sols", "commons": "sols", "criticality": 4},
    ],
    "immaterial_capital": [
        {"id": "savoir-faire", "kind": "knowledge", "label": "Savoir-faire brassicole", "assessment": 4},
        {"id": "reseau", "kind": "relational", "label": "Réseau des cafés des Pentes", "assessment": 3},
    ],
    "performance": [
        {"id": "perf-eco", "dimension": "economic", "assessment": 3},
        {"id": "perf-env", "dimension": "environmental", "assessment": 2},
        {"id": "perf-terr", "dimension": "territorial", "assessment": 4},
    ],
    "indicators": [
        {"key": "brasserie-eau-par-litre", "label_fr": "Eau par litre brassé", "label_en": "Water per litre brewed",
         "theme": "natural-resources", "unit": "L", "aggregation": "mean"},
    ],
    "values": [
        {"indicator": "brasserie-eau-par-litre", "territory": "69123", "period": "2025", "value": "4.2"},
    ],
}  # fmt: skip

MINIMAL_ABOUT = {"diagnostic": "minimal-2026", "subject_kind": "territory", "territory": "61001",
                 "date": "2026-01-10", "synthetic": "yes"}  # fmt: skip
MINIMAL = {
    "actors": [{"id": "mairie", "name": "Mairie d'Alençon", "kind": "local-authority", "territory": "61001"}],
    "commons": [{"id": "eau", "label_fr": "Eau du village", "needs": "water", "actors": "mairie"}],
    "risks": [{"id": "crue", "label": "Crue de la Sarthe", "hazard": "flood", "commons": "eau", "exposure": "0.3"}],
    "projects": [{"id": "noue", "label": "Noues d'infiltration", "kind": "collective", "risks": "crue", "sdg": "11",
                  "carried_by": "mairie"}],
}  # fmt: skip

MESSY_ABOUT = {"diagnostic": "messy-2026", "subject_kind": "territory", "territory": "29155", "date": "2026-04-01",
               "synthetic": "no"}  # fmt: skip
MESSY = {
    "actors": [
        {"id": "mairie", "name": "Mairie d'Ouessant", "kind": "local-authority"},
        {"id": "club", "name": "Club nautique", "kind": "club"},  # kind outside the drop-down
        {"id": "", "name": "Sans identifiant", "kind": "association"},  # missing id
    ],
    "commons": [
        {"id": "eau", "label_fr": "Eau potable", "needs": "eau"},  # French label of need:water
        {"id": "phare", "label_fr": "Phare", "needs": "lumière"},  # need outside the drop-down
        {"id": "port", "label_fr": "", "needs": "mobility"},  # missing label
    ],
    "risks": [
        {"id": "tempete", "label": "Tempête d'hiver", "hazard": "storm", "commons": "eau", "exposure": "0,9"},
        {"id": "meteorite", "label": "Météorite", "hazard": "météorite", "commons": "eau"},  # hazard outside list
        {"id": "vague", "label": "Vague", "hazard": "wave-action", "exposure": "1.7"},  # exposure above 1
    ],
    "projects": [
        {"id": "digue", "label": "Digue végétalisée", "kind": "collective", "risks": "tempete", "sdg": "13.1",
         "carried_by": "mairie"},
        {"id": "fusee", "label": "Fusée", "kind": "individual", "sdg": "42"},  # no SDG 42
        {"id": "contrat", "label": "Contrat sans projet", "kind": "crte-contract"},  # based_on missing
    ],
    "indicators": [
        {"key": "messy-citernes", "label_fr": "Citernes installées", "theme": "adaptation", "unit": "{tank}",
         "aggregation": "somme"},  # the French name of aggregation:sum
    ],
    "values": [
        {"indicator": "messy-citernes", "territory": "29155", "period": "2024", "value": "80"},
        {"indicator": "messy-citernes", "territory": "99999", "period": "2024", "value": "10"},  # unknown commune
        {"indicator": "messy-citernes", "territory": "29155", "period": "l'an dernier", "value": "9"},  # bad period
    ],
}  # fmt: skip


#: the risks sheet as it was before the optional hazard_degree column: minimal, messy and old keep it, showing that
#: a workbook filled in before that column (and the disturbances sheet) was added still loads
RISKS_BEFORE_HAZARD_DEGREE = {
    "risks": ("id", "label", "hazard", "commons", "exposure", "vulnerability", "time_horizon", "spatial_scale")
}


def main() -> None:
    write_workbook(HERE / "ouessant.xlsx", OUESSANT, about=OUESSANT_ABOUT, enterprise_sheets=False)
    write_csv(HERE / "brasserie", "brasserie", BRASSERIE, about=BRASSERIE_ABOUT)
    old = RISKS_BEFORE_HAZARD_DEGREE
    write_csv(HERE / "minimal", "minimal", MINIMAL, about=MINIMAL_ABOUT, columns=old)
    write_csv(HERE / "messy", "messy", MESSY, about=MESSY_ABOUT, encoding="cp1252", delimiter=";", columns=old)
    write_csv(HERE / "unknown-version", "old", MINIMAL, about={**MINIMAL_ABOUT, "diagnostic": "old"}, columns=old)
    about = HERE / "unknown-version" / "old.about.csv"
    about.write_text(about.read_text(encoding="utf-8").replace("agrs-diagnostic/1", "agrs-diagnostic/0"), "utf-8")


if __name__ == "__main__":
    main()
