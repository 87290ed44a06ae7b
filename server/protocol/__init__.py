"""The SPARQL 1.1 Protocol on /sparql: queries in killable worker processes, updates, the federation guard."""
