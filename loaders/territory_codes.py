"""Territory codes as people write them in a cell (`33063`, `com:33063`, `epci:246300701`, `dep:33`, `reg:75`,
`pays:FR`), turned into the IRIs the territories loader gives the territories. Shared by the loaders whose records
point at a territory (partners, indicators, survey).
"""

import re

from rdflib import URIRef

from agrs.loaders.tabular import normalise
from agrs.ns import ID

#: territory prefix → (IRI kind, code format); a bare five-character code is a commune, nine digits an EPCI
TERRITORY_KINDS: dict[str, tuple[str, re.Pattern]] = {
    "commune": ("commune", re.compile(r"[0-9]{5}|2[AB][0-9]{3}")),
    "departement": ("departement", re.compile(r"[0-9]{2}|2[AB]|97[0-9]")),
    "region": ("region", re.compile(r"[0-9]{2}")),
    "epci": ("epci", re.compile(r"[0-9]{9}")),
    "pays": ("pays", re.compile(r"[A-Z]{2}")),
}
TERRITORY_PREFIXES = {
    "com": "commune",
    "commune": "commune",
    "dep": "departement",
    "departement": "departement",
    "reg": "region",
    "region": "region",
    "epci": "epci",
    "pays": "pays",
    "country": "pays",
}


def luhn_valid(digits: str) -> bool:
    """Return whether a string of digits passes the Luhn checksum (the SIREN's control key)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def territory_iri(value: str) -> URIRef | None:
    """Return the IRI of a territory written `33063`, `com:33063`, `epci:246300701`, `dep:33`, `reg:75` or `pays:FR`.

    The IRIs are those of the territories loader; None when the value is not a well-formed code.
    """
    prefix, _, code = value.strip().rpartition(":")
    code = code.strip().upper()
    if prefix:
        kind = TERRITORY_PREFIXES.get(normalise(prefix))
    elif len(code) == 9:
        kind = "epci"
    else:
        kind = "commune"  # dep:/reg: prefixes are required: "33" alone could be either
    if kind is None:
        return None
    iri_kind, pattern = TERRITORY_KINDS[kind]
    if not pattern.fullmatch(code) or (kind == "epci" and not luhn_valid(code)):
        return None
    return ID[f"{iri_kind}/{code}"]
