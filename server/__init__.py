"""The SPARQL endpoint and linked-data server (create_app)."""
