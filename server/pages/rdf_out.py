"""RDF documents out of the discovery and linked-data routes: pick a syntax by `Accept`, serialise, answer.

The choice itself is `agrs.server.conneg.negotiate` (shared with /sparql); this module only knows the RDF syntaxes
these pages offer, their file extensions (the `/data/<path>.<ext>` links) and how rdflib writes them.
"""

from flask import Response, request
from rdflib import Graph

from agrs.ns import bind_all, prefixes

TURTLE, JSON_LD, RDF_XML, N_TRIPLES, HTML = (
    "text/turtle", "application/ld+json", "application/rdf+xml", "application/n-triples", "text/html",
)  # fmt: skip

#: media type -> rdflib serialiser name
SERIALISERS = {TURTLE: "turtle", JSON_LD: "json-ld", RDF_XML: "xml", N_TRIPLES: "nt"}
#: file extension -> media type (the extensions of the w3id rules, ontology/w3id/README.md)
EXTENSIONS = {"ttl": TURTLE, "jsonld": JSON_LD, "rdf": RDF_XML, "nt": N_TRIPLES}
RDF_TYPES = (TURTLE, JSON_LD, RDF_XML, N_TRIPLES)


def choose(offered: tuple[str, ...]) -> str | None:
    """Return the media type of `offered` the request prefers (`Accept`, or a `format` parameter), or None."""
    from agrs.server.conneg import negotiate

    return negotiate(request.headers.get("Accept"), list(offered), request.args.get("format"))


def serialise(graph: Graph, media_type: str) -> bytes:
    """Write `graph` in the RDF syntax `media_type` (one of RDF_TYPES), with the project's prefixes."""
    bind_all(graph)
    if media_type == JSON_LD:
        return graph.serialize(format="json-ld", context=prefixes(), encoding="utf-8")
    return graph.serialize(format=SERIALISERS[media_type], encoding="utf-8")


def rdf_response(graph: Graph, media_type: str, status: int = 200) -> Response:
    """Answer with `graph` serialised as `media_type`; the answer varies with `Accept`."""
    response = Response(serialise(graph, media_type), status=status, content_type=f"{media_type}; charset=utf-8")
    response.vary.add("Accept")
    return response


def not_acceptable(offered: tuple[str, ...]) -> Response:
    """Answer 406, naming the media types this resource is available in."""
    text = f"406 Not Acceptable: none of the types in Accept is available here; offered: {', '.join(offered)}\n"
    response = Response(text, status=406, content_type="text/plain; charset=utf-8")
    response.vary.add("Accept")
    return response
