"""Package data: the AGRS ontology in Turtle (modules/, alignments/, imports/). Not code."""
