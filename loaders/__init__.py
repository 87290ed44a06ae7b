"""Loaders: one module per source; each maps records to RDF and nothing else."""
