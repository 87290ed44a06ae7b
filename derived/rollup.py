"""The roll-up: derived observations of every indicator up the two territorial trees, by each indicator's method.

The trees are commune → EPCI, and commune → département → région → France (overseas collectivities: commune →
collectivity → France). Each enclosing territory's value is computed from the **current communes** within it
(`agrs:within`, level `level:commune`): municipal arrondissements, delegated and associated communes are never
counted, and départements are reached from their communes, not from the EPCI (some EPCI straddle départements:
they are only agrs:partlyWithin those, which passes no commune on; an EPCI agrs:within a département adds no leaf,
since the leaves are a set of communes).
The derived observation points (`agrs:derivedFrom`) to the observations of the territories directly within it.

`compute` is pure (plain data in, derived observations out); `run_rollup` reads the store, computes, validates
the derived observations with the SHACL gate and writes them into `https://w3id.org/agrs/graph/rollup/<key>`
with `Store.replace_graph`: the same inputs give the same graph.
"""

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS

from agrs.commit import Source, commit_records
from agrs.graphs import ONTOLOGY_GRAPH, PROVENANCE_GRAPH, REGISTRY_GRAPH, graph_iri
from agrs.ns import AGGREGATION, AGRS, BASE, ID, LEVEL, PROV
from agrs.observations import decimal_literal, observation_iri
from agrs.ontology_graph import ensure_ontology
from agrs.records import Problem, RawRecord, Record
from agrs.resources import Resources
from agrs.store.base import Store
from agrs.stored_context import context_for
from agrs.validate import gate

KIND = "rollup"
#: the levels a roll-up computes values for (the communes are the leaves): the four kinds of EPCI, then up
TARGET_LEVELS = frozenset({
    LEVEL.metropole, LEVEL["communaute-urbaine"], LEVEL["communaute-agglomeration"], LEVEL["communaute-communes"],
    LEVEL.departement, LEVEL.region, LEVEL["overseas-collectivity"], LEVEL.country,
})  # fmt: skip
PREFIXES = f"PREFIX agrs: <{AGRS}>\nPREFIX level: <{LEVEL}>\n"


@dataclass(frozen=True)
class Indicator:
    """An indicator to roll up: its IRI, aggregation method and unit."""

    iri: URIRef
    method: URIRef
    unit_code: str | None = None
    unit: URIRef | None = None


@dataclass(frozen=True)
class Observation:
    """A collected observation of a commune."""

    iri: URIRef
    indicator: URIRef
    territory: URIRef
    period: URIRef
    period_code: str
    value: Decimal
    unit_code: str | None = None


@dataclass
class Tree:
    """The territories: which communes lie within each target, which territories lie directly within it."""

    leaves: dict[URIRef, set[URIRef]] = field(default_factory=lambda: defaultdict(set))
    children: dict[URIRef, set[URIRef]] = field(default_factory=lambda: defaultdict(set))
    population: dict[URIRef, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class Derived:
    """A derived observation: the value of an indicator for an enclosing territory and a period."""

    iri: URIRef
    indicator: Indicator
    territory: URIRef
    period: URIRef
    value: Decimal
    derived_from: tuple[URIRef, ...]


def indicator_key(iri: URIRef) -> str:
    """Return the key of an indicator IRI (`…/id/indicator/population` → `population`)."""
    return str(iri).rsplit("/", 1)[-1]


def aggregate(method: URIRef, values: Sequence[Decimal], weights: Sequence[Decimal]) -> Decimal | None:
    """Return the aggregate of `values` by `method` (weights: the communes' populations), or None if undefined."""
    if not values:
        return None
    if method == AGGREGATION.sum:
        return sum(values, Decimal(0))
    if method == AGGREGATION.mean:
        return sum(values, Decimal(0)) / len(values)
    if method == AGGREGATION["population-weighted-mean"]:
        total = sum(weights, Decimal(0))
        return sum((v * w for v, w in zip(values, weights, strict=True)), Decimal(0)) / total if total else None
    if method == AGGREGATION.min:
        return min(values)
    if method == AGGREGATION.max:
        return max(values)
    if method == AGGREGATION.median:
        return Decimal(statistics.median(values))
    return None  # aggregation:none, or a method this module does not know


def compute(
    indicators: Iterable[Indicator], observations: Iterable[Observation], tree: Tree
) -> tuple[list[Derived], list[str]]:
    """Return the derived observations of every target territory, and warnings (skipped observations).

    Each target's value is computed from the observations of the communes within it, each commune once; for a
    population-weighted mean, a commune without population is left out (with a warning).
    """
    methods = {indicator.iri: indicator for indicator in indicators}
    warnings: list[str] = []
    by_series: dict[tuple[URIRef, URIRef], dict[URIRef, Observation]] = defaultdict(dict)
    codes: dict[URIRef, str] = {}
    for observation in observations:
        indicator = methods.get(observation.indicator)
        if indicator is None or indicator.method == AGGREGATION.none:
            continue
        if observation.unit_code is not None and indicator.unit_code is not None:
            if observation.unit_code != indicator.unit_code:
                warnings.append(f"{observation.iri}: unit {observation.unit_code!r} is not the indicator's "
                                f"{indicator.unit_code!r}: left out")  # fmt: skip
                continue
        by_series[(observation.indicator, observation.period)][observation.territory] = observation
        codes[observation.period] = observation.period_code
    derived: list[Derived] = []
    weighted = AGGREGATION["population-weighted-mean"]
    for (indicator_iri, period), by_commune in sorted(by_series.items()):
        indicator = methods[indicator_iri]
        results: dict[URIRef, Derived] = {}
        # Lower levels first, so that a territory's children have their derived observations already.
        for target in sorted(tree.leaves, key=_rank):
            present = sorted(commune for commune in tree.leaves[target] if commune in by_commune)
            if indicator.method == weighted:
                missing = [commune for commune in present if commune not in tree.population]
                if missing:
                    warnings.append(f"{target}: {len(missing)} commune(s) without population left out of the mean")
                present = [commune for commune in present if commune in tree.population]
            if not present:
                continue
            values = [by_commune[commune].value for commune in present]
            weights = [tree.population.get(commune, Decimal(0)) for commune in present]
            value = aggregate(indicator.method, values, weights)
            if value is None:
                continue
            sources = []
            for child in sorted(tree.children.get(target, ())):
                if child in by_commune:
                    sources.append(by_commune[child].iri)
                elif child in results:
                    sources.append(results[child].iri)
            if not sources:  # the levels in between are not loaded: point to the communes themselves
                sources = [by_commune[commune].iri for commune in present]
            iri = observation_iri(indicator_key(indicator_iri), target, codes[period], derived=True)
            results[target] = Derived(iri, indicator, target, period, value, tuple(sources))
        derived += sorted(results.values(), key=lambda item: str(item.iri))
    return derived, warnings


def _rank(territory: URIRef) -> tuple[int, str]:
    """Order the targets bottom-up: EPCI, départements and collectivities, then régions, then France."""
    segment = str(territory).removeprefix(str(ID)).split("/", 1)[0]
    return {"region": 1, "pays": 2}.get(segment, 0), str(territory)


def gate_view(triples: Sequence[tuple], derived: Mapping[URIRef, object]) -> list[tuple]:
    """Return what the gate sees of a derived observation: its triples with one link to a stored observation.

    A département's value comes from hundreds of its communes' observations: with every link, the gate's data
    would hold (and pyshacl validate again) the whole observations graph and the communes it points to, ~700,000
    triples. The links are all of one kind, made by `compute` from observations `read_observations` found typed
    agrs:Observation in the store, so one of them, checked with its stored description, stands for the others;
    links to derived observations of the same roll-up are all kept. The graph written holds every link.
    """
    kept, stored_link = [], False
    for triple in triples:
        if triple[1] == AGRS.derivedFrom and triple[2] not in derived:
            if stored_link:
                continue
            stored_link = True
        kept.append(triple)
    return kept


def activity_iri(key: str) -> URIRef:
    """Return the IRI of the roll-up activity whose results the graph holds: `…/id/rollup/<key>`."""
    return ID[f"rollup/{key}"]


def derived_triples(item: Derived, activity: URIRef) -> list[tuple]:
    """Return a derived observation's triples (typed DerivedObservation and Observation, generated by the roll-up)."""
    node = item.iri
    triples = [
        (node, RDF.type, AGRS.DerivedObservation),
        (node, RDF.type, AGRS.Observation),
        (node, AGRS.indicator, item.indicator.iri),
        (node, AGRS.territory, item.territory),
        (node, AGRS.period, item.period),
        (node, AGRS.value, decimal_literal(item.value)),
        (node, PROV.wasGeneratedBy, activity),
    ]
    if item.indicator.unit_code is not None:
        triples.append((node, AGRS.unitCode, Literal(item.indicator.unit_code)))
    if item.indicator.unit is not None:
        triples.append((node, AGRS.unit, item.indicator.unit))
    triples += [(node, AGRS.derivedFrom, source) for source in item.derived_from]
    return triples


def activity_triples(activity: URIRef, used: Iterable[str]) -> list[tuple]:
    """Return the PROV activity of the roll-up: what it used (the input graphs' versions), no timestamps.

    The timing goes to the provenance graph: the roll-up graph stays the same when its inputs do.
    """
    triples = [
        (activity, RDF.type, PROV.Activity),
        (activity, RDFS.label, Literal("agrégation des indicateurs par territoire englobant", lang="fr")),
        (activity, RDFS.label, Literal("roll-up of the indicators to the enclosing territories", lang="en")),
        (activity, PROV.wasAssociatedWith, URIRef(BASE + "software/agrs")),
    ]
    triples += [(activity, PROV.used, URIRef(version)) for version in sorted(used)]
    return triples


# --- Reading the store ---------------------------------------------------------------------------------------


def input_graphs(store: Store) -> list[str]:
    """Return the current graphs a roll-up reads: every data graph but the roll-ups' own and the system ones."""
    skip = {PROVENANCE_GRAPH, REGISTRY_GRAPH, ONTOLOGY_GRAPH}
    prefix = graph_iri(KIND, "")
    return sorted(info.graph for info in store.graphs() if info.graph not in skip and not info.graph.startswith(prefix))


def read_indicators(store: Store, graphs: list[str]) -> list[Indicator]:
    """Return the stored indicators with their aggregation method (and unit)."""
    query = (
        PREFIXES
        + """SELECT ?i ?method ?code ?unit WHERE {
        ?i a agrs:Indicator ; agrs:aggregationMethod ?method .
        OPTIONAL { ?i agrs:unitCode ?code } OPTIONAL { ?i agrs:unit ?unit } }"""
    )
    found = {}
    for row in store.query(query, graphs=graphs):
        iri = URIRef(row["i"].value)
        found[iri] = Indicator(
            iri, URIRef(row["method"].value), row["code"].value if row["code"] else None,
            URIRef(row["unit"].value) if row["unit"] else None,
        )  # fmt: skip
    return [found[iri] for iri in sorted(found)]


def read_levels(store: Store, graphs: list[str]) -> dict[URIRef, URIRef]:
    """Return each stored territory's level."""
    query = PREFIXES + "SELECT ?t ?level WHERE { ?t agrs:hasLevel ?level }"
    return {URIRef(row["t"].value): URIRef(row["level"].value) for row in store.query(query, graphs=graphs)}


# The readers below scan one triple pattern each and join in Python: on the on-disk store each pattern of a join
# costs about as much as a scan (the observations' star of six patterns took 60 s, the territory tree's joins
# 100 s, on the bundled observatory; the scans take a few seconds).


def read_observations(store: Store, graphs: list[str], levels: Mapping[URIRef, URIRef] | None = None
                      ) -> list[Observation]:  # fmt: skip
    """Return the collected (not derived) observations of current communes."""
    levels = read_levels(store, graphs) if levels is None else levels
    codes = {
        URIRef(row["p"].value): row["code"].value
        for row in store.query(PREFIXES + "SELECT ?p ?code WHERE { ?p agrs:periodCode ?code }", graphs=graphs)
    }
    derived = {
        URIRef(row["o"].value)
        for row in store.query(PREFIXES + "SELECT ?o WHERE { ?o a agrs:DerivedObservation }", graphs=graphs)
    }
    units = {
        URIRef(row["o"].value): row["unit"].value
        for row in store.query(PREFIXES + "SELECT ?o ?unit WHERE { ?o agrs:unitCode ?unit }", graphs=graphs)
    }
    values = {prop: _pairs(store, graphs, prop) for prop in ("agrs:indicator", "agrs:territory", "agrs:period",
                                                               "agrs:value")}  # fmt: skip
    indicators, territories, periods = values["agrs:indicator"], values["agrs:territory"], values["agrs:period"]
    found = []
    for row in store.query(PREFIXES + "SELECT ?o WHERE { ?o a agrs:Observation }", graphs=graphs):
        iri = URIRef(row["o"].value)
        territory, period, value = territories.get(iri), periods.get(iri), values["agrs:value"].get(iri)
        if iri in derived or iri not in indicators or value is None or levels.get(territory) != LEVEL.commune:
            continue
        if period not in codes:
            continue
        found.append(Observation(
            iri, indicators[iri], territory, period, codes[period], Decimal(str(value)), units.get(iri)
        ))  # fmt: skip
    return found


def _pairs(store: Store, graphs: list[str], prop: str) -> dict[URIRef, object]:
    """Return subject → object of one property (IRIs as URIRef, literals as their lexical form)."""
    query = PREFIXES + f"SELECT ?s ?o WHERE {{ ?s {prop} ?o }}"
    return {
        URIRef(row["s"].value): URIRef(row["o"].value) if isinstance(row["o"], ox.NamedNode) else row["o"].value
        for row in store.query(query, graphs=graphs)
    }


def read_tree(store: Store, graphs: list[str], levels: Mapping[URIRef, URIRef] | None = None) -> Tree:
    """Return the communes within each target territory, the direct children of each, and the populations."""
    levels = read_levels(store, graphs) if levels is None else levels
    tree = Tree()
    for row in store.query(PREFIXES + "SELECT ?c ?t WHERE { ?c agrs:within ?t }", graphs=graphs):
        commune, target = URIRef(row["c"].value), URIRef(row["t"].value)
        if levels.get(commune) == LEVEL.commune and levels.get(target) in TARGET_LEVELS:
            tree.leaves[target].add(commune)
    for row in store.query(PREFIXES + "SELECT ?c ?t WHERE { ?c agrs:directlyWithin ?t }", graphs=graphs):
        child, target = URIRef(row["c"].value), URIRef(row["t"].value)
        child_level = levels.get(child)
        if levels.get(target) in TARGET_LEVELS and (child_level == LEVEL.commune or child_level in TARGET_LEVELS):
            tree.children[target].add(child)
    population = PREFIXES + "SELECT ?c ?n WHERE { ?c agrs:legalPopulation ?n }"
    for row in store.query(population, graphs=graphs):
        commune = URIRef(row["c"].value)
        if levels.get(commune) == LEVEL.commune:
            tree.population[commune] = Decimal(row["n"].value)
    return tree


# --- Running it ---------------------------------------------------------------------------------------------


@dataclass
class RollupSummary:
    """What a roll-up did."""

    graph: str
    version: str
    derived: int
    loaded: int
    rejected: int
    warnings: list[str]
    records: list[Record]
    quarantine: Path | None


def run_rollup(
    store: Store,
    *,
    key: str = "default",
    quarantine_dir: Path | str,
    resources: Resources | None = None,
) -> RollupSummary:
    """Compute the derived observations of every stored indicator, gate them, and replace the roll-up graph."""
    resources = resources or Resources.load()
    started = datetime.now(UTC)
    ensure_ontology(store, resources)
    graph = graph_iri(KIND, key)
    graphs = input_graphs(store)
    levels = read_levels(store, graphs)
    derived, warnings = compute(
        read_indicators(store, graphs), read_observations(store, graphs, levels), read_tree(store, graphs, levels)
    )
    activity = activity_iri(key)
    full = {item.iri: derived_triples(item, activity) for item in derived}
    records = [
        Record(RawRecord(KIND, None, {"derived": str(item.iri)}), gate_view(full[item.iri], full), {item.iri})
        for item in derived
    ]
    gate(records, resources.shapes, context_for(store, graph, records, resources.ontology))
    for record in records:  # the graph holds every link, not only those the gate looked at
        record.triples = full[URIRef(record.raw.fields["derived"])]
    used = [store.current_version(name) or name for name in graphs]
    committed = commit_records(
        store, Source(KIND, key, graph), records, started=started, quarantine_dir=quarantine_dir,
        shapes_digest=resources.shapes_digest, extra_triples=activity_triples(activity, used), allow_empty=True,
    )  # fmt: skip
    loaded = sum(not record.rejected for record in records)
    return RollupSummary(graph, committed.version, len(records), loaded, len(records) - loaded, warnings, records,
                         committed.quarantine)  # fmt: skip


def rollup_missing(store: Store, key: str = "default") -> bool:
    """Return whether the roll-up graph `key` was never written (a store loaded before roll-ups existed)."""
    return store.current_version(graph_iri(KIND, key)) is None


def problems_of(records: Sequence[Record]) -> Mapping[str, list[Problem]]:
    """Return the problems of the rejected derived observations, by IRI."""
    return {record.raw.fields["derived"]: record.problems for record in records if record.rejected}


__all__ = ["Derived", "Indicator", "Observation", "Tree", "aggregate", "compute", "rollup_missing", "run_rollup"]
