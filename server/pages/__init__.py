"""Linked-data pages: every IRI under https://w3id.org/agrs/ as HTML or RDF, indicator charts, the ontology page."""
