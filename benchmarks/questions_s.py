"""The questions the issue-13 engine and throughput benchmarks ask: researcher-style ones and the stored questions.

Researcher-style questions are written as a researcher would, untuned: joins over territories, observations,
indicators and levels of the size-S observatory (territories + one synthetic indicator over three years, CatNat
declarations, survey). The stored questions are queries/cq/*.rq bound to their defaults (agrs.questions).
"""

PREFIXES = """PREFIX agrs: <https://w3id.org/agrs/>
PREFIX level: <https://w3id.org/agrs/level/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
INDICATOR = "<https://w3id.org/agrs/id/indicator/demo-ghg-emissions>"
COMMUNE = "<https://w3id.org/agrs/id/commune/33063>"  # Bordeaux
EPCI = "<https://w3id.org/agrs/id/epci/243300316>"  # Bordeaux Métropole
YEAR_2025 = "<https://w3id.org/agrs/id/period/2025>"

#: name -> (kind, SPARQL): "small" (a point lookup, the overhead of a request), "join" (a few joins, few rows),
#: "heavy" (joins and aggregates over every commune); join and heavy are the researcher-style questions
RESEARCHER = {
    "ask": ("small", "ASK {}"),
    "commune-lookup": ("small", f"SELECT ?p ?o WHERE {{ {COMMUNE} ?p ?o }}"),
    "commune-over-years": (
        "join",
        f"""SELECT ?indicator ?year ?value WHERE {{
  ?o agrs:territory {COMMUNE} ; agrs:indicator ?indicator ; agrs:period ?period ; agrs:value ?value .
  ?period agrs:periodCode ?year .
}} ORDER BY ?indicator ?year""",
    ),
    "epci-members-2025": (
        "join",
        f"""SELECT ?commune ?name ?population ?value WHERE {{
  ?commune agrs:directlyWithin {EPCI} ; agrs:hasLevel level:commune ; rdfs:label ?name ;
           agrs:legalPopulation ?population .
  ?o agrs:territory ?commune ; agrs:indicator {INDICATOR} ; agrs:period {YEAR_2025} ; agrs:value ?value .
}}""",
    ),
    "population-per-departement": (
        "heavy",
        """SELECT ?departement ?name (SUM(?population) AS ?total)
       (COUNT(?commune) AS ?communes) WHERE {
  ?commune agrs:hasLevel level:commune ; agrs:directlyWithin ?departement ; agrs:legalPopulation ?population .
  ?departement agrs:hasLevel level:departement ; rdfs:label ?name .
} GROUP BY ?departement ?name""",
    ),
    "indicator-mean-per-region-2024": (
        "heavy",
        f"""SELECT ?region (AVG(?value) AS ?mean) (COUNT(?o) AS ?n) WHERE {{
  ?o agrs:indicator {INDICATOR} ; agrs:period ?period ; agrs:territory ?commune ; agrs:value ?value .
  ?period agrs:periodCode "2024" .
  ?commune agrs:within ?region .
  ?region agrs:hasLevel level:region .
}} GROUP BY ?region""",
    ),
    "communes-above-threshold-with-epci": (
        "heavy",
        f"""SELECT ?commune ?name ?value ?epci WHERE {{
  ?o agrs:indicator {INDICATOR} ; agrs:period {YEAR_2025} ; agrs:territory ?commune ; agrs:value ?value .
  FILTER(?value > 100000)
  ?commune rdfs:label ?name ; agrs:directlyWithin ?epci .
  ?epci agrs:hasLevel level:epci .
}}""",
    ),
    "indicator-sum-per-departement-2025": (
        "heavy",
        f"""SELECT ?departement (SUM(?value) AS ?total) WHERE {{
  ?o agrs:indicator {INDICATOR} ; agrs:territory ?commune ; agrs:period {YEAR_2025} ; agrs:value ?value .
  ?commune agrs:hasLevel level:commune ; agrs:within ?departement .
  ?departement agrs:hasLevel level:departement .
}} GROUP BY ?departement""",
    ),
    "catnat-per-region-and-hazard": (
        "heavy",
        """SELECT ?region ?hazard (COUNT(?declaration) AS ?n) WHERE {
  ?declaration a agrs:NaturalDisaster ; agrs:hazardType ?hazard ; agrs:actsOn ?commune .
  ?commune agrs:within ?region .
  ?region agrs:hasLevel level:region .
} GROUP BY ?region ?hazard""",
    ),
}


def researcher_questions() -> dict[str, tuple[str, str]]:
    """Return {name: (kind, SPARQL with prefixes)}."""
    return {name: (kind, PREFIXES + sparql) for name, (kind, sparql) in RESEARCHER.items()}


def stored_questions() -> dict[str, str]:
    """Return {stem: SPARQL} of every stored question (queries/cq/*.rq) bound to its defaults."""
    from agrs.questions import load_library

    return {name: question.bind({}) for name, question in sorted(load_library().items())}
