"""Quality checks of the ontology: syntax, OWL 2 DL profile, HermiT, meta-shapes, qc queries, SHACL."""
