"""The bare stack the throughput benchmark compares `agrs serve` with: Flask + waitress + pyoxigraph, nothing else.

GET /sparql?query=… runs the query on a pyoxigraph Store opened read-only on a folder and answers SPARQL JSON
(results) or N-Triples (graphs). No dataset resolution, no limits, no workers: the floor a Python server adds.

    .venv/bin/python benchmarks/bare_app.py STORE_FOLDER PORT [THREADS]
"""

import sys

import pyoxigraph as ox
from flask import Flask, Response, request
from waitress import serve


def make_app(folder: str) -> Flask:
    """Return the Flask app answering /sparql on the store at `folder` (read-only)."""
    store = ox.Store.read_only(folder)
    app = Flask("bare")

    @app.get("/sparql")
    def sparql() -> Response:
        result = store.query(request.args["query"])
        if isinstance(result, ox.QueryTriples):
            return Response(result.serialize(format=ox.RdfFormat.N_TRIPLES), mimetype="application/n-triples")
        body = result.serialize(format=ox.QueryResultsFormat.JSON)
        return Response(body, mimetype="application/sparql-results+json")

    return app


if __name__ == "__main__":
    serve(make_app(sys.argv[1]), host="127.0.0.1", port=int(sys.argv[2]),
          threads=int(sys.argv[3]) if len(sys.argv) > 3 else 8)  # fmt: skip
