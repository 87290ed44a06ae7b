"""How observations are written: their IRIs and value literals, shared by the indicators loader and the roll-up.

Both mint observation IRIs (collected ones, and those `agrs rollup` derives) and decimal values, and the two must
agree to the character: a derived observation points at the collected ones by IRI, and equal values must compare
equal in any store.
"""

from decimal import Decimal

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from agrs.ns import ID


def territory_segment(territory: URIRef) -> str:
    """Return a territory's IRI path as one segment: `commune/33063` → `commune-33063`."""
    return str(territory).removeprefix(str(ID)).replace("/", "-")


def observation_iri(indicator: str, territory: URIRef, period: str, *, derived: bool = False) -> URIRef:
    """Return an observation's IRI: one per indicator, territory and period (derived ones apart)."""
    kind = "derived-observation" if derived else "observation"
    return ID[f"{kind}/{indicator}/{territory_segment(territory)}/{period}"]


def decimal_lexical(value: Decimal) -> str:
    """Return the canonical lexical form of an xsd:decimal (`710.0`, `12.5`)."""
    text = f"{value.normalize():f}"
    return text if "." in text else text + ".0"


def decimal_literal(value: Decimal) -> Literal:
    """Return an xsd:decimal in its canonical form (`710.0`, `12.5`): equal values compare equal, in any store."""
    return Literal(decimal_lexical(value), datatype=XSD.decimal)
