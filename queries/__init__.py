"""Package data: stored SPARQL questions (cq/) and quality checks (qc/*-violation.rq)."""
