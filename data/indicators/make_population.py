"""Write population-2026.csv: the population of every current commune in @etalab/decoupage-administratif.

Source: node_modules/@etalab/decoupage-administratif/data/communes.json (version 6.0.0, COG 2026, Licence
Ouverte), whose `population` is INSEE's legal municipal population as the package states it (README, "Sources":
https://www.insee.fr/fr/statistiques/8680726, Mayotte 2017, overseas collectivities 8680702). Only entries of
type `commune-actuelle` with a population are written: municipal arrondissements, delegated and associated
communes would count their people twice. The period is the COG year the package is built for, 2026.

Run from the repository: `.venv/bin/python data/indicators/make_population.py`.
"""

import csv
import json
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
COMMUNES = REPOSITORY / "node_modules" / "@etalab" / "decoupage-administratif" / "data" / "communes.json"
OUTPUT = Path(__file__).resolve().parent / "population-2026.csv"
PERIOD = "2026"


def main() -> None:
    """Write the observations file, one row per current commune with a population, sorted by code."""
    entries = json.loads(COMMUNES.read_text(encoding="utf-8"))
    rows = sorted(
        (entry["code"], entry["population"])
        for entry in entries
        if entry["type"] == "commune-actuelle" and entry.get("population") is not None
    )
    with OUTPUT.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["territory", "indicator", "period", "value", "unit", "source"])
        for code, population in rows:
            writer.writerow([code, "population", PERIOD, population, "{inhab}", "insee-populations"])
    print(f"{OUTPUT}: {len(rows)} communes")


if __name__ == "__main__":
    main()
