"""The ODK-style quality checks: each queries/qc/*-violation.rq must return zero rows."""

from pathlib import Path

from rdflib import Graph

from agrs.checks.faults import Fault


def check_violation_queries(ontology: Graph, query_files: list[Path]) -> list[Fault]:
    """Run every violation query on the ontology; each row is a fault named by the query's file stem."""
    faults = []
    for path in query_files:
        rule = path.name.removesuffix(".rq")
        try:
            rows = ontology.query(path.read_text(encoding="utf-8"))
        except Exception as error:  # a query that does not parse is itself a fault of the check suite
            faults.append(Fault("qc", rule, f"the query does not run: {error}", file=str(path)))
            continue
        for row in rows:
            values = row.asdict()
            term = values.get("term")
            message = str(values.get("message", "")) or ", ".join(f"{k}={v}" for k, v in values.items())
            faults.append(Fault("qc", rule, message, term=str(term) if term is not None else None))
    return faults
