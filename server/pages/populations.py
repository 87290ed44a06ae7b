"""Which population is which, on a territory's page: the figures beside their names and definitions.

A territory's page may show several populations that differ on purpose: a commune's agrs:legalPopulation (INSEE's
municipal population in force at the COG's date), an EPCI's agrs:dgclMunicipalPopulation (the DGCL list's figure,
one vintage older: 843 738 for Bordeaux Métropole in the 2026 list) and the `population` indicator's series (for an
EPCI the sum of its communes' legal populations, 854 334). The note names each figure by the label and definition
the ontology (or the indicator's definition) gives it, so the page says nothing the data do not.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from rdflib import Graph, URIRef

from agrs.ns import AGRS, ID
from agrs.server.pages.charts import Series, format_number

#: the properties whose value is a population of the territory, in the order the note lists them
POPULATION_PROPERTIES = (AGRS.legalPopulation, AGRS.dgclMunicipalPopulation)
POPULATION_INDICATOR = str(ID["indicator/population"])

TEXTS = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?term ?kind ?text WHERE {
  VALUES ?term { $terms }
  { ?term rdfs:label ?text BIND("label" AS ?kind) } UNION { ?term skos:definition ?text BIND("definition" AS ?kind) }
  FILTER(LANGMATCHES(LANG(?text), "fr") || LANGMATCHES(LANG(?text), "en"))
}"""


@dataclass(frozen=True)
class Figure:
    """One population shown on the page: its value, what it is (label, definition; fr and en), where it is."""

    term: str
    value: str
    period: str | None
    label_fr: str | None
    label_en: str | None
    definition_fr: str | None
    definition_en: str | None
    derived: bool = False


def population_figures(query: Callable[[str], Iterable], graph: Graph, iri: URIRef,
                       series: Iterable[Series]) -> list[Figure]:  # fmt: skip
    """Return the populations of the page of `iri`: its population properties, then the latest value of each
    series of the population indicator; empty when the page shows none."""
    found: list[tuple[str, str, str | None, bool]] = []
    for prop in POPULATION_PROPERTIES:
        for value in graph.objects(iri, prop):
            try:
                shown = format_number(Decimal(int(value)))
            except (TypeError, ValueError):  # a malformed literal is shown as it stands
                shown = str(value)
            found.append((str(prop), shown, None, False))
    for item in series:
        if item.indicator == POPULATION_INDICATOR and item.points:
            latest = item.points[-1]
            found.append((item.indicator, format_number(latest.value), latest.period, latest.derived))
    if not found:
        return []
    texts: dict[tuple[str, str, str], str] = {}
    terms = " ".join(f"<{term}>" for term in sorted({term for term, *_ in found}))
    for row in query(TEXTS.replace("$terms", terms)):
        language = (row["text"].language or "").split("-")[0]
        texts.setdefault((row["term"].value, row["kind"].value, language), row["text"].value)
    return [
        Figure(term, value, period, texts.get((term, "label", "fr")), texts.get((term, "label", "en")),
               texts.get((term, "definition", "fr")), texts.get((term, "definition", "en")), derived)
        for term, value, period, derived in found
    ]  # fmt: skip
