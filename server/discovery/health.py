"""`/health`: is the store reachable, and how many triples does it hold (from the registry: no scan)."""

from flask import Blueprint, jsonify

blueprint = Blueprint("health", __name__)


@blueprint.get("/health")
def health():
    """Answer 200 with the store's graph and triple counts, or 503 when the store cannot be read."""
    from agrs.store import StoreError

    try:
        from agrs.server import access

        graphs = access.reader().graphs()
    except StoreError as error:
        return jsonify(status="unavailable", error=str(error)), 503
    return jsonify(status="ok", graphs=len(graphs), triples=sum(info.triples for info in graphs))
