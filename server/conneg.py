"""Content negotiation: pick the media type of an answer from `Accept` (q-values, lists, wildcards) or `format`.

`negotiate(accept, offered, format_param)` returns one of `offered` (the server's preference order breaks ties),
or None when nothing offered is acceptable (the caller answers 406). A `format` parameter, when given, wins over
`Accept`: it is a short name (json, xml, csv, tsv, turtle, ttl, nt, ntriples, rdfxml, jsonld, nquads, trig) or a
full media type; "json" and "xml" mean the SPARQL results formats when those are offered, else JSON-LD / RDF/XML.
"""

from collections.abc import Sequence

#: short `format` names -> candidate media types, in order (the first one offered wins)
FORMAT_NAMES: dict[str, tuple[str, ...]] = {
    "json": ("application/sparql-results+json", "application/ld+json", "application/json"),
    "srj": ("application/sparql-results+json",),
    "xml": ("application/sparql-results+xml", "application/rdf+xml", "application/xml"),
    "srx": ("application/sparql-results+xml",),
    "csv": ("text/csv",),
    "tsv": ("text/tab-separated-values",),
    "turtle": ("text/turtle",),
    "ttl": ("text/turtle",),
    "nt": ("application/n-triples",),
    "ntriples": ("application/n-triples",),
    "n-triples": ("application/n-triples",),
    "rdfxml": ("application/rdf+xml",),
    "rdf": ("application/rdf+xml",),
    "owl": ("application/rdf+xml",),
    "jsonld": ("application/ld+json",),
    "json-ld": ("application/ld+json",),
    "nquads": ("application/n-quads",),
    "nq": ("application/n-quads",),
    "n-quads": ("application/n-quads",),
    "trig": ("application/trig",),
    "html": ("text/html",),
}

#: media types clients send that mean the same as one we offer
ALIASES: dict[str, str] = {
    "application/json": "application/sparql-results+json",
    "application/xml": "application/sparql-results+xml",
    "text/xml": "application/sparql-results+xml",
    "application/x-turtle": "text/turtle",
    "text/plain": "application/n-triples",
    "application/x-trig": "application/trig",
    "text/x-nquads": "application/n-quads",
}


def negotiate(accept: str | None, offered: Sequence[str], format_param: str | None = None) -> str | None:
    """Return the media type of `offered` the client prefers, or None when it accepts none of them (406).

    `format_param` (a short name or a media type) overrides `accept`; a value naming nothing offered gives None.
    With no `Accept` header (or an empty one) the first offered type is chosen, as `*/*` would.
    """
    if not offered:
        return None
    if format_param is not None and format_param.strip():
        return _by_format(format_param, offered)
    if accept is None or not accept.strip():
        return offered[0]
    ranges = parse_accept(accept)
    best, best_key = None, None
    for index, media in enumerate(offered):
        quality = _quality(media, ranges)
        if quality <= 0:
            continue
        key = (quality, -index)  # among equally wanted types, the server's order decides
        if best_key is None or key > best_key:
            best, best_key = media, key
    return best


def parse_accept(accept: str) -> list[tuple[str, str, float, int]]:
    """Parse an Accept header into (type, subtype, q, specificity) tuples; malformed entries are skipped."""
    ranges = []
    for part in accept.split(","):
        fields = [field.strip() for field in part.split(";")]
        media = fields[0].lower()
        if "/" not in media:
            if media == "*":  # some clients send a bare "*"
                media = "*/*"
            else:
                continue
        main, _, sub = media.partition("/")
        quality, parameters = 1.0, 0
        for parameter in fields[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = max(0.0, min(1.0, float(value.strip())))
                except ValueError:
                    quality = 0.0
            elif name.strip():
                parameters += 1
        specificity = 0 if main == "*" else (1 if sub == "*" else 2 + parameters)
        ranges.append((main.strip(), sub.strip(), quality, specificity))
    return ranges


def _quality(media: str, ranges: list[tuple[str, str, float, int]]) -> float:
    """Return the q of the most specific range matching `media`; 0 when none does.

    A wildcard matches only the type itself; an exact alias (application/json for SPARQL JSON results) counts as
    the type, a little less specific so that a range naming the type itself decides.
    """
    main, _, sub = media.lower().partition("/")
    aliases = {alias for alias, target in ALIASES.items() if target == media}
    best_quality, best_rank = 0.0, -1.0
    for range_main, range_sub, quality, specificity in ranges:
        if (range_main, range_sub) == (main, sub):
            rank = float(specificity)
        elif f"{range_main}/{range_sub}" in aliases:
            rank = specificity - 0.5
        elif (range_main == main and range_sub == "*") or (range_main, range_sub) == ("*", "*"):
            rank = float(specificity)
        else:
            continue
        if rank > best_rank:
            best_quality, best_rank = quality, rank
    return best_quality


def _by_format(format_param: str, offered: Sequence[str]) -> str | None:
    """Return the offered media type a `format` value names, or None."""
    value = format_param.strip().lower()
    if "/" in value:
        value = value.split(";", 1)[0].strip()
        if value in offered:
            return value
        alias = ALIASES.get(value)
        return alias if alias in offered else None
    for candidate in FORMAT_NAMES.get(value, ()):
        if candidate in offered:
            return candidate
    return None
