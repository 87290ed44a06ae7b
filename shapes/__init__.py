"""Package data: the AGRS SHACL shapes (one file per ontology module; meta/ checks the ontology)."""
