"""Remote SPARQL servers for the tests (Virtuoso, Oxigraph server, Fuseki), started on loopback by fixtures."""
