"""The SHACL gate itself (agrs.validate.gate): per-record verdicts, including SPARQL constraints run per node."""

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, XSD

from agrs.ns import AGRS, ID
from agrs.records import RawRecord, Record
from agrs.resources import Resources
from agrs.stored_context import StoredContext
from agrs.validate import gate


@pytest.fixture(scope="module")
def resources() -> Resources:
    return Resources.load()


def dated(number: int, start: str, end: str) -> Record:
    """A record stating a start and an end date about one node (the Dated shape targets their subjects)."""
    node = URIRef(ID[f"test/dated-{number}"])
    triples = [
        (node, AGRS.startDate, Literal(start, datatype=XSD.date)),
        (node, AGRS.endDate, Literal(end, datatype=XSD.date)),
    ]
    return Record(RawRecord("dates.csv", number, {}), triples, {node})


def test_sparql_constraint_judges_each_record_of_a_batch(resources):
    """The Dated-endNotBeforeStart query is parsed once (DataGraph) and still bound to each focus node."""
    records = [dated(n, "2020-01-01", "2021-01-01") for n in range(0, 40, 2)]
    records += [dated(n, "2021-01-01", "2020-06-30") for n in range(1, 40, 2)]  # end before start
    gate(records, resources.shapes, StoredContext(resources.ontology))
    rejected = {record.raw.line for record in records if record.rejected}
    assert rejected == set(range(1, 40, 2))
    # A SPARQL constraint's results name its node shape (sh:sourceShape); the message is the constraint's.
    assert {problem.rule for record in records for problem in record.problems} == {"DatedShape"}
    assert all(
        "2020-06-30 is earlier than the start date 2021-01-01" in record.problems[0].message
        for record in records
        if record.rejected
    )


def test_a_record_pointing_at_a_rejected_one_is_rejected_in_the_next_round(resources):
    """A node that loses its only description in round one makes its referrers fail in round two."""
    bad = dated(1, "2021-01-01", "2020-01-01")
    period = URIRef(ID["test/dated-1"])
    observation = URIRef(ID["test/observation"])
    referrer = Record(RawRecord("dates.csv", 2, {}), [
        (observation, RDF.type, AGRS.Observation), (observation, AGRS.period, period),
    ], {observation})  # fmt: skip
    gate([bad, referrer], resources.shapes, StoredContext(resources.ontology))
    assert bad.rejected and referrer.rejected


def test_fast_and_pyshacl_gates_give_the_same_verdicts(resources):
    """The compiled shapes over an in-memory store (the default) and pySHACL (the fallback) reject the same records
    with the same problems, rounds included."""
    verdicts = []
    for fast in (True, False):
        records = [dated(n, "2020-01-01", "2021-01-01") for n in range(0, 10, 2)]
        records += [dated(n, "2021-01-01", "2020-06-30") for n in range(1, 10, 2)]
        period = URIRef(ID["test/dated-1"])
        observation = URIRef(ID["test/observation"])
        records.append(Record(RawRecord("dates.csv", 99, {}), [
            (observation, RDF.type, AGRS.Observation), (observation, AGRS.period, period),
        ], {observation}))  # fmt: skip
        gate(records, resources.shapes, StoredContext(resources.ontology), fast=fast)
        verdicts.append([(record.raw.line, record.problems, record.warnings) for record in records])
    assert verdicts[0] == verdicts[1]
    assert [line for line, problems, _ in verdicts[0] if problems] == [1, 3, 5, 7, 9, 99]
