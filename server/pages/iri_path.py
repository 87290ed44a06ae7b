"""The IRI ↔ URL-path mapping of the linked-data routes, done on the request's raw path, never on a decoded one.

An IRI keeps its percent-encodings: `https://w3id.org/agrs/id/unit/%7Binhab%7D` (the UCUM unit `{inhab}`) is a
different IRI from `…/unit/{inhab}` (which is no IRI at all: `{` may not appear in one). The WSGI `PATH_INFO`
has every `%XX` decoded already, so the routes read the path as the client sent it (`RAW_URI`, set by werkzeug
and gunicorn, or `REQUEST_URI`, set by waitress and werkzeug) and turn it into an IRI the way RFC 3987 §3.2 turns a
URI into an IRI. Two IRIs may stand for one raw path: the path as sent (`…/unit/%C2%B0C`, as the loaders mint
IRIs with `quote`), and its RFC 3987 form (`…/unit/°C`: percent-encoded UTF-8 becomes the non-ASCII characters).
`iri_candidates` gives both, the path as sent first; the page describes the first the store knows. Both are
normalised the RFC 3986 §6.2.2 way: an encoded unreserved ASCII character (`%41`) is decoded, the hexadecimal
digits of the other `%XX` are upper case; no other `%XX` is ever decoded, and nothing is re-encoded. The way back
(`to_path`) percent-encodes what may not appear in a path (non-ASCII, `?`, `#`, a `%` that starts no `%XX`) and
keeps the IRI's own `%XX`: the links of the pages are the IRIs' own paths.
"""

import re
from urllib.parse import quote, unquote, urlsplit

from flask import request

#: characters kept as they are in a local path besides `%XX` (the rest is percent-encoded)
PATH_SAFE = "/:@!$&'()*+,;=-._~"
UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
ENCODED_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def to_path(rest: str) -> str:
    """Return the part of an IRI after its base as a URL path: its own `%XX` kept, unsafe characters encoded."""
    return quote(STRAY_PERCENT.sub("%25", rest), safe=PATH_SAFE + "%")


def iri_candidates(raw: str) -> list[str]:
    """Return the IRI parts a raw (percent-encoded) path may stand for: as sent, then its RFC 3987 IRI form."""
    as_sent = ENCODED_RUN.sub(lambda match: _decode_run(match, utf8=False), raw)
    as_iri = ENCODED_RUN.sub(lambda match: _decode_run(match, utf8=True), raw)
    return [as_sent] if as_iri == as_sent else [as_sent, as_iri]


def _decode_run(match: re.Match, utf8: bool) -> str:
    """Decode a run of `%XX`: unreserved ASCII, and non-ASCII UTF-8 when `utf8`; keep the others, in upper case."""
    data = bytes.fromhex(match.group(0).replace("%", ""))
    out, position = [], 0
    while position < len(data):
        byte = data[position]
        if byte < 0x80:
            char = chr(byte)
            out.append(char if char in UNRESERVED else f"%{byte:02X}")
            position += 1
            continue
        length = _utf8_length(byte) if utf8 else 0
        text = None
        if length and position + length <= len(data):
            try:
                text = data[position : position + length].decode("utf-8")
            except UnicodeDecodeError:
                text = None
        if text is None:  # not UTF-8: stays encoded (RFC 3987 §3.2 step 3)
            out.append(f"%{byte:02X}")
            position += 1
        else:
            out.append(text)
            position += length
    return "".join(out)


def _utf8_length(byte: int) -> int:
    """Return the length of the UTF-8 sequence a lead byte starts (0: not a lead byte)."""
    if byte >> 5 == 0b110:
        return 2
    if byte >> 4 == 0b1110:
        return 3
    return 4 if byte >> 3 == 0b11110 else 0


def raw_rest(prefix: str, decoded_rest: str) -> list[str]:
    """Return the IRI texts a route's `<path:rest>` (after `prefix`, e.g. "/id/") may stand for, from the raw path.

    `decoded_rest` is what the router matched (percent-decoded): it is the only answer when the server gives no raw
    path, or one that does not decode to the routed path (a proxy that rewrote it).
    """
    raw = _raw_path()
    if raw is not None:
        script_segments = request.script_root.count("/")
        segments = raw.split("/")
        head = "/".join(segments[: script_segments + prefix.strip("/").count("/") + 2]) + "/"
        rest = raw[len(head) :]
        if unquote(head) == request.script_root + prefix and unquote(rest) == decoded_rest:
            return iri_candidates(rest)
    return [decoded_rest]


def _raw_path() -> str | None:
    """Return the request's path as the client sent it (percent-encodings intact), or None when unknown."""
    for key in ("RAW_URI", "REQUEST_URI"):
        uri = request.environ.get(key)
        if not uri:
            continue
        if uri.startswith("/"):
            return uri.split("?", 1)[0].split("#", 1)[0]
        return urlsplit(uri).path or None  # absolute-form request target
    return None
