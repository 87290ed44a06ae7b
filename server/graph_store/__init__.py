"""The SPARQL 1.1 Graph Store HTTP Protocol on /graph-store: read and write one graph (writes through the core)."""
