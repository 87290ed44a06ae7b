"""The SPARQL endpoint and linked-data server: `create_app(config)` builds the Flask app, `agrs serve` runs it."""
