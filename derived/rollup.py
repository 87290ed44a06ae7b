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
from functools import lru_cache
from itertools import chain
from pathlib import Path

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from agrs.commit import Source, commit_graph, write_quarantine
from agrs.graphs import ONTOLOGY_GRAPH, PROVENANCE_GRAPH, REGISTRY_GRAPH, graph_iri
from agrs.ns import AGGREGATION, AGRS, BASE, ID, LEVEL, PROV
from agrs.observations import decimal_lexical, decimal_literal, observation_iri
from agrs.ontology_graph import ensure_ontology
from agrs.records import Problem, RawRecord, Record
from agrs.resources import Resources
from agrs.store.base import Dataset, Store
from agrs.store.terms import to_oxigraph
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


NONE, SUM, MEAN, WEIGHTED = (AGGREGATION.none, AGGREGATION.sum, AGGREGATION.mean,
                             AGGREGATION["population-weighted-mean"])  # fmt: skip
MIN, MAX, MEDIAN = AGGREGATION.min, AGGREGATION.max, AGGREGATION.median


def aggregate(method: URIRef, values: Sequence[Decimal], weights: Sequence[Decimal]) -> Decimal | None:
    """Return the aggregate of `values` by `method` (weights: the communes' populations), or None if undefined."""
    if not values:
        return None
    if method == SUM:
        return sum(values, Decimal(0))
    if method == MEAN:
        return sum(values, Decimal(0)) / len(values)
    if method == WEIGHTED:
        total = sum(weights, Decimal(0))
        return sum((v * w for v, w in zip(values, weights, strict=True)), Decimal(0)) / total if total else None
    if method == MIN:
        return min(values)
    if method == MAX:
        return max(values)
    if method == MEDIAN:
        return Decimal(statistics.median(values))
    return None  # aggregation:none, or a method this module does not know


def compute(
    indicators: Iterable[Indicator], observations: Iterable[Observation], tree: Tree
) -> tuple[list[Derived], list[str]]:
    """Return the derived observations of every target territory, and warnings (skipped observations).

    Each target's value is computed from the observations of the communes within it, each commune once; for a
    population-weighted mean, a commune without population is left out (with a warning).
    """
    methods = {str(indicator.iri): indicator for indicator in indicators}
    warnings: list[str] = []
    # Keyed by strings: rdflib terms hash and compare in Python (see below).
    by_series: dict[tuple[str, str], dict[str, Observation]] = defaultdict(dict)
    codes: dict[str, str] = {}
    periods: dict[str, URIRef] = {}
    for observation in observations:
        indicator = methods.get(str(observation.indicator))
        if indicator is None or indicator.method == NONE:
            continue
        if observation.unit_code is not None and indicator.unit_code is not None:
            if observation.unit_code != indicator.unit_code:
                warnings.append(f"{observation.iri}: unit {observation.unit_code!r} is not the indicator's "
                                f"{indicator.unit_code!r}: left out")  # fmt: skip
                continue
        period = str(observation.period)
        by_series[(str(observation.indicator), period)][str(observation.territory)] = observation
        codes[period], periods[period] = observation.period_code, observation.period
    derived: list[Derived] = []
    weighted = WEIGHTED
    # Inside, territories are plain strings: rdflib terms hash and compare in Python (sorting the leaves as URIRefs
    # took most of the roll-up's computing time). Each commune's targets, and the targets' order (lower levels
    # first, so that a territory's children have their derived observations already), are computed once.
    targets_of: dict[str, list[str]] = defaultdict(list)
    order = {str(target): rank for rank, target in enumerate(sorted(tree.leaves, key=_rank))}
    for target, leaves in tree.leaves.items():
        for commune in leaves:
            targets_of[str(commune)].append(str(target))
    children = {str(target): sorted(map(str, nodes)) for target, nodes in tree.children.items()}
    population = {str(commune): count for commune, count in tree.population.items()}
    for (indicator_iri, period), by_commune in sorted(by_series.items()):
        indicator = methods[indicator_iri]
        results: dict[str, Derived] = {}
        # Only the targets above the series' communes: a series of the pilot communes touches a few dozen targets,
        # not the 1,400 of France (each with all its leaves), which made the roll-up scan 140,000 leaves a series.
        present_in: dict[str, list[str]] = defaultdict(list)
        for commune in by_commune:
            for target in targets_of.get(commune, ()):
                present_in[target].append(commune)
        for target in sorted(present_in, key=order.__getitem__):
            present = sorted(present_in[target])
            if indicator.method == weighted:
                missing = [commune for commune in present if commune not in population]
                if missing:
                    warnings.append(f"{target}: {len(missing)} commune(s) without population left out of the mean")
                present = [commune for commune in present if commune in population]
            if not present:
                continue
            values = [by_commune[commune].value for commune in present]
            weights = [population.get(commune, Decimal(0)) for commune in present]
            value = aggregate(indicator.method, values, weights)
            if value is None:
                continue
            sources = []
            for child in children.get(target, ()):
                if child in by_commune:
                    sources.append(by_commune[child].iri)
                elif child in results:
                    sources.append(results[child].iri)
            if not sources:  # the levels in between are not loaded: point to the communes themselves
                sources = [by_commune[commune].iri for commune in present]
            node = URIRef(target)
            iri = observation_iri(indicator_key(indicator_iri), node, codes[period], derived=True)
            results[target] = Derived(iri, indicator, node, periods[period], value, tuple(sources))
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


def derived_oxigraph(item: Derived, activity: URIRef) -> list[ox.Triple]:
    """Return `derived_triples(item, activity)` as pyoxigraph triples, made without rdflib terms."""
    node, named = ox.NamedNode(item.iri), _named_node
    triples = [
        ox.Triple(node, named(RDF.type), named(AGRS.DerivedObservation)),
        ox.Triple(node, named(RDF.type), named(AGRS.Observation)),
        ox.Triple(node, named(AGRS.indicator), named(item.indicator.iri)),
        ox.Triple(node, named(AGRS.territory), named(item.territory)),
        ox.Triple(node, named(AGRS.period), named(item.period)),
        ox.Triple(node, named(AGRS.value), ox.Literal(decimal_lexical(item.value), datatype=named(XSD.decimal))),
        ox.Triple(node, named(PROV.wasGeneratedBy), named(activity)),
    ]
    if item.indicator.unit_code is not None:
        triples.append(ox.Triple(node, named(AGRS.unitCode), ox.Literal(item.indicator.unit_code)))
    if item.indicator.unit is not None:
        triples.append(ox.Triple(node, named(AGRS.unit), named(item.indicator.unit)))
    derived_from = named(AGRS.derivedFrom)
    triples += [ox.Triple(node, derived_from, ox.NamedNode(source)) for source in item.derived_from]
    return triples


@lru_cache(maxsize=4096)
def _named_node(iri: str) -> ox.NamedNode:
    # The same few thousand IRIs (predicates, territories, periods) recur in every derived observation.
    return ox.NamedNode(iri)


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


# The observations are read graph by graph, one scan of one predicate each, and joined in Python on the IRIs as
# strings: a loaded source and the roll-up both write an observation whole (as cq04 assumes). A star join costs an
# index lookup per row and pattern on disk (3 times the scans here), and rdflib terms as dictionary keys cost a
# Python-level hash and comparison each (most of the old readers' time). With `indicators` given, only the graphs
# holding their observations are read (the population's graph, not the synthetic series').


def _holders(store: Store, graphs: list[str], indicators: Iterable[str] | None) -> list[str]:
    """Return the graphs among `graphs` that hold observations (of `indicators`, if given)."""
    values = "" if indicators is None else f"VALUES ?i {{ {' '.join(f'<{iri}>' for iri in indicators)} }}"
    query = PREFIXES + f"SELECT DISTINCT ?g WHERE {{ {values} GRAPH ?g {{ ?o agrs:indicator ?i }} }}"
    dataset = Dataset(default=(), named=tuple(graphs), merge=False)
    versions = {row[0].value for row in store.query(query, dataset=dataset)}
    return [name for name, version in store.current_versions().items() if version in versions and name in graphs]


def _scan(store: Store, graph: str, pattern: str) -> dict[str, object]:
    """Return subject → object (an IRI or literal's string) of one triple pattern `?s … ?o` in one graph."""
    return {s_.value: o_.value for s_, o_ in store.query(PREFIXES + f"SELECT ?s ?o WHERE {{ {pattern} }}",
                                                        graphs=[graph])}  # fmt: skip


def read_observations(store: Store, graphs: list[str], levels: Mapping[URIRef, URIRef] | None = None,
                      indicators: Iterable[str] | None = None) -> list[Observation]:  # fmt: skip
    """Return the collected (not derived) observations of current communes (of `indicators` only, if given)."""
    levels = read_levels(store, graphs) if levels is None else levels
    communes = {str(territory) for territory, level in levels.items() if level == LEVEL.commune}
    wanted = None if indicators is None else {str(iri) for iri in indicators}
    codes = {
        row[0].value: row[1].value
        for row in store.query(PREFIXES + "SELECT ?p ?code WHERE { ?p agrs:periodCode ?code }", graphs=graphs)
    }
    derived = {
        row[0].value
        for row in store.query(PREFIXES + "SELECT ?o WHERE { ?o a agrs:DerivedObservation }", graphs=graphs)
    }
    found, seen, terms = [], set(), {}
    term = lambda iri: terms.get(iri) or terms.setdefault(iri, URIRef(iri))  # noqa: E731 - one URIRef per IRI
    for graph in _holders(store, graphs, wanted):
        typed = {row[0].value for row in store.query(PREFIXES + "SELECT ?o WHERE { ?o a agrs:Observation }",
                                                         graphs=[graph])}  # fmt: skip
        of = {name: _scan(store, graph, f"?s agrs:{name} ?o") for name in ("territory", "period", "value", "unitCode")}
        for iri, indicator in _scan(store, graph, "?s agrs:indicator ?o").items():
            territory, period, value = of["territory"].get(iri), of["period"].get(iri), of["value"].get(iri)
            if wanted is not None and indicator not in wanted:
                continue
            if territory not in communes or value is None or period not in codes or iri not in typed:
                continue
            if iri in derived or iri in seen:
                continue
            seen.add(iri)
            found.append(Observation(
                URIRef(iri), term(indicator), term(territory), term(period), codes[period], Decimal(value),
                of["unitCode"].get(iri),
            ))  # fmt: skip
    return found


def read_tree(store: Store, graphs: list[str], levels: Mapping[URIRef, URIRef] | None = None) -> Tree:
    """Return the communes within each target territory, the direct children of each, and the populations."""
    levels = read_levels(store, graphs) if levels is None else levels
    by_level = {str(territory): level for territory, level in levels.items()}
    tree = Tree()
    targets: dict[str, URIRef] = {}  # one URIRef per target, shared by the rows

    def target_of(iri: str) -> URIRef | None:
        if iri not in targets:
            targets[iri] = URIRef(iri) if by_level.get(iri) in TARGET_LEVELS else None
        return targets[iri]

    for commune, place in store.query(PREFIXES + "SELECT ?c ?t WHERE { ?c agrs:within ?t }", graphs=graphs):
        if by_level.get(commune.value) == LEVEL.commune and (target := target_of(place.value)) is not None:
            tree.leaves[target].add(URIRef(commune.value))
    for child, place in store.query(PREFIXES + "SELECT ?c ?t WHERE { ?c agrs:directlyWithin ?t }", graphs=graphs):
        child_level = by_level.get(child.value)
        if (child_level == LEVEL.commune or child_level in TARGET_LEVELS) and (target := target_of(place.value)):
            tree.children[target].add(URIRef(child.value))
    population = PREFIXES + "SELECT ?c ?n WHERE { ?c agrs:legalPopulation ?n }"
    for commune, count in store.query(population, graphs=graphs):
        if by_level.get(commune.value) == LEVEL.commune:
            tree.population[URIRef(commune.value)] = Decimal(count.value)
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
    indicators: Sequence[str] | None = None,
) -> RollupSummary:
    """Compute the derived observations of the stored indicators, gate them, and replace the roll-up graph.

    `indicators` (IRIs): roll up those only; the graph then holds theirs only. A derived observation's IRI does not
    depend on the key: a graph of another key that holds an indicator some other roll-up graph holds too describes
    its derived observations twice, which the gate refuses (roll an indicator up into one graph only).
    """
    resources = resources or Resources.load()
    started = datetime.now(UTC)
    ensure_ontology(store, resources)
    graph = graph_iri(KIND, key)
    graphs = input_graphs(store)
    levels = read_levels(store, graphs)
    chosen = read_indicators(store, graphs)
    if indicators is not None:
        wanted = {str(iri) for iri in indicators}
        chosen = [indicator for indicator in chosen if str(indicator.iri) in wanted]
    observed = read_observations(
        store, graphs, levels, [str(i.iri) for i in chosen] if indicators is not None else None
    )
    derived, warnings = compute(chosen, observed, read_tree(store, graphs, levels))
    activity = activity_iri(key)
    iris = {item.iri for item in derived}
    # The gate sees each derived observation with one link to a stored observation (gate_view); the graph written
    # holds every link, made as pyoxigraph terms straight away (converting ~350,000 rdflib triples took seconds).
    records = [
        Record(RawRecord(KIND, None, {"derived": str(item.iri)}), gate_view(derived_triples(item, activity), iris),
               {item.iri})
        for item in derived
    ]  # fmt: skip
    gate(records, resources.shapes, context_for(store, graph, records, resources.ontology), plan=resources.shacl_plan)
    used = [store.current_version(name) or name for name in graphs]
    valid = [item for item, record in zip(derived, records, strict=True) if not record.rejected]
    content = chain(
        (to_oxigraph(triple) for triple in activity_triples(activity, used)),
        (triple for item in valid for triple in derived_oxigraph(item, activity)),
    )
    committed = commit_graph(
        store, Source(KIND, key, graph), content, started=started, counts=(len(records), len(valid),
        len(records) - len(valid)), shapes_digest=resources.shapes_digest,
    )  # fmt: skip
    quarantine = write_quarantine(records, quarantine_dir, KIND, key)
    return RollupSummary(graph, committed.version, len(records), len(valid), len(records) - len(valid), warnings,
                         records, quarantine)  # fmt: skip


def rollup_missing(store: Store, key: str = "default") -> bool:
    """Return whether the roll-up graph `key` was never written (a store loaded before roll-ups existed)."""
    return store.current_version(graph_iri(KIND, key)) is None


def problems_of(records: Sequence[Record]) -> Mapping[str, list[Problem]]:
    """Return the problems of the rejected derived observations, by IRI."""
    return {record.raw.fields["derived"]: record.problems for record in records if record.rejected}


__all__ = ["Derived", "Indicator", "Observation", "Tree", "aggregate", "compute", "rollup_missing", "run_rollup"]
