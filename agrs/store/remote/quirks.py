"""What a SPARQL server needs from the client, detected once from its answers (the Server header), never in tests.

Measured on Virtuoso 7.2.5 (see the module docstring of agrs.store.remote.store for the others, which every
server gets the same treatment for — always-named datasets, form POSTs, plain literals, INSERT DATA chunks):
its SPARQL compiler reports syntax errors as HTTP 500 (or 200 with an error text) where the protocol says 400;
it cuts a CONSTRUCT's answer at ResultSetMaxRows without the X-SPARQL-MaxRows header it sends for a SELECT (its
cap is read once with a `bif:` function, and an answer that reaches it is refused).
"""

import re
from dataclasses import dataclass

#: Virtuoso's result cap (ResultSetMaxRows): it cuts a CONSTRUCT's answer there without any header saying so
VIRTUOSO_ROW_CAP = (
    "SELECT (bif:cfg_item_value(bif:virtuoso_ini_path(), 'SPARQL', 'ResultSetMaxRows') AS ?cap) WHERE { }"
)

# Virtuoso's SPARQL compiler and SQL errors: "Virtuoso 37000 Error SP030: SPARQL compiler, line 1: syntax error"
_VIRTUOSO_QUERY_ERROR = re.compile(r"\b(37000|SP0\d\d|22023|42S22|SQ\d{3})\b|SPARQL compiler|syntax error", re.I)


@dataclass(frozen=True)
class Quirks:
    """The server's behaviour the store adapts to."""

    server: str  # the Server header ("" when none)

    @property
    def virtuoso(self) -> bool:
        """Whether the server is OpenLink Virtuoso."""
        return "virtuoso" in self.server.lower()

    @property
    def oxigraph(self) -> bool:
        """Whether the server is Oxigraph server."""
        return "oxigraph" in self.server.lower()

    @property
    def fuseki(self) -> bool:
        """Whether the server is Apache Jena Fuseki."""
        return "fuseki" in self.server.lower() or "jetty" in self.server.lower()


def is_query_error(status: int, message: str) -> bool:
    """Return whether an error answer says the query itself is wrong (Virtuoso says so with a 500)."""
    return status == 500 and bool(_VIRTUOSO_QUERY_ERROR.search(message))


def looks_like_error(body: bytes) -> bool:
    """Return whether a 200 answer's body is an error text rather than results (Virtuoso does that)."""
    head = body[:400].decode("utf-8", errors="replace")
    return bool(_VIRTUOSO_QUERY_ERROR.search(head)) or head.lstrip().startswith("Virtuoso ")
