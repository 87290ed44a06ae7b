"""Blank nodes on a remote store: skolemised on upload, turned back into blank nodes in every result.

A graph goes to the server in chunks (one request each), and a blank node label means nothing across two
requests: each request would get its own node. So blank nodes are replaced by IRIs (RDF 1.1 §3.5, skolem IRIs
under `/.well-known/genid/`) before upload — `…/genid/<digest of the version graph>/<label>`, so that two
versions never share a node by accident — and every answer the RemoteStore returns turns those IRIs back into
blank nodes with their original label (what the embedded store returns for the same data).
"""

import hashlib
import json
import re
import urllib.parse

import pyoxigraph as ox

PREFIX = "https://w3id.org/agrs/.well-known/genid/"
_PREFIX_BYTES = PREFIX.encode()


def digest(graph: str) -> str:
    """Return the short digest naming `graph` in its skolem IRIs."""
    return hashlib.sha256(graph.encode()).hexdigest()[:16]


def skolem_iri(scope: str, label: str) -> str:
    """Return the skolem IRI of blank node `label` in the graph whose digest is `scope`."""
    return f"{PREFIX}{scope}/{urllib.parse.quote(label, safe='')}"


def skolemise(term, scope: str):
    """Return `term`, a blank node replaced by its skolem IRI (quoted triples walked)."""
    if isinstance(term, ox.BlankNode):
        return ox.NamedNode(skolem_iri(scope, term.value))
    if isinstance(term, ox.Triple):
        return ox.Triple(skolemise(term.subject, scope), term.predicate, skolemise(term.object, scope))
    return term


def is_skolem(iri: str) -> bool:
    """Return whether `iri` is one of the store's skolem IRIs."""
    return iri.startswith(PREFIX)


def blank_node(iri: str) -> ox.BlankNode:
    """Return the blank node a skolem IRI stands for (its original label)."""
    label = urllib.parse.unquote(iri[len(PREFIX) :].partition("/")[2])
    try:
        return ox.BlankNode(label)
    except ValueError:  # a label pyoxigraph refuses: a fresh node, still a blank node
        return ox.BlankNode()


def unskolemise(term):
    """Return `term`, a skolem IRI turned back into its blank node (quoted triples walked)."""
    if isinstance(term, ox.NamedNode) and term.value.startswith(PREFIX):
        return blank_node(term.value)
    if isinstance(term, ox.Triple):
        return ox.Triple(unskolemise(term.subject), term.predicate, unskolemise(term.object))
    return term


def unskolemise_triple(triple: ox.Triple) -> ox.Triple:
    """Return a triple with its skolem IRIs turned back into blank nodes."""
    return ox.Triple(unskolemise(triple.subject), triple.predicate, unskolemise(triple.object))


_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
_BOOLEAN_BYTES = _BOOLEAN.encode()
_BOOLEAN_VALUES = {"1": "true", "0": "false"}


def unskolemise_json_results(body: bytes) -> bytes:
    """Rewrite a SPARQL JSON results document so that skolem IRIs are blank nodes (untouched if it has none).

    Also writes xsd:boolean values as `true`/`false`: Virtuoso 7.2 sends them as "1"/"0" in JSON results.
    """
    if _PREFIX_BYTES not in body and _BOOLEAN_BYTES not in body:
        return body  # the common case: no parse, no copy
    document = json.loads(body)
    for binding in document.get("results", {}).get("bindings", []):
        for value in binding.values():
            _rewrite(value)
    return json.dumps(document).encode()


def _rewrite(value: dict) -> None:
    kind = value.get("type")
    if kind == "uri" and value.get("value", "").startswith(PREFIX):
        value["type"], value["value"] = "bnode", blank_node(value["value"]).value
    elif kind in ("literal", "typed-literal") and value.get("datatype") == _BOOLEAN:
        value["value"] = _BOOLEAN_VALUES.get(value.get("value", ""), value.get("value"))
    elif kind == "triple":
        for part in value.get("value", {}).values():
            if isinstance(part, dict):
                _rewrite(part)


# --- blank nodes in SPARQL Update text ----------------------------------------------------------------------------

_INSERT_DATA = re.compile(r"INSERT\s+DATA\s*\{", re.IGNORECASE)
_LABEL = re.compile(r"_:([A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?)")


def skolemise_update(sparql: str, scope: str) -> str:
    """Replace the blank node labels (`_:b`) inside the INSERT DATA blocks of an update by skolem IRIs of `scope`.

    Virtuoso refuses blank nodes in INSERT DATA ("SP031 … not allowed in a constant clause"); every label of one
    request is one node (SPARQL's semantics for a request), so one IRI per label and request is the same data.
    Strings, IRIs and comments are skipped; templates of INSERT … WHERE keep their blank nodes (fresh per
    solution, which one IRI could not be). `[]` is left as it is.
    """
    if "_:" not in sparql:
        return sparql
    out, position, length = [], 0, len(sparql)
    while position < length:
        start = _next_insert_data(sparql, position)
        if start is None:
            break
        block_start = start.end()
        block_end = _block_end(sparql, block_start)
        out.append(sparql[position:block_start])
        out.append(_replace_labels(sparql[block_start:block_end], scope))
        position = block_end
    out.append(sparql[position:])
    return "".join(out)


def _next_insert_data(text: str, position: int):
    """The next INSERT DATA { outside strings, IRIs and comments, or None."""
    index = position
    while index < len(text):
        match = _INSERT_DATA.search(text, index)
        if match is None:
            return None
        skipped = _skip_to(text, index, match.start())
        if skipped == match.start():
            return match
        index = skipped
    return None


def _skip_to(text: str, index: int, target: int) -> int:
    """Scan from `index` to `target`; return `target` if no string/IRI/comment hides it, else where that ends."""
    while index < target:
        char = text[index]
        if char in "\"'#<":
            end = _token_end(text, index)
            if end > target:
                return end
            index = end
        else:
            index += 1
    return target


def _token_end(text: str, index: int) -> int:
    """The end of the string, IRI or comment starting at `index`."""
    char = text[index]
    if char == "#":
        newline = text.find("\n", index)
        return len(text) if newline < 0 else newline + 1
    if char == "<":
        close = re.compile(r"[>\s]").search(text, index + 1)
        return len(text) if close is None else close.end()
    long_quote = char * 3
    if text.startswith(long_quote, index):
        close = text.find(long_quote, index + 3)
        while close > 0 and text[close - 1] == "\\":
            close = text.find(long_quote, close + 1)
        return len(text) if close < 0 else close + 3
    position = index + 1
    while position < len(text):
        if text[position] == "\\":
            position += 2
            continue
        if text[position] == char or text[position] == "\n":
            return position + 1
        position += 1
    return len(text)


def _block_end(text: str, index: int) -> int:
    """The index of the `}` closing the block whose content starts at `index` (strings, IRIs, comments skipped)."""
    depth = 1
    while index < len(text):
        char = text[index]
        if char in "\"'#<":
            index = _token_end(text, index)
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return len(text)


def _replace_labels(block: str, scope: str) -> str:
    out, index = [], 0
    while index < len(block):
        char = block[index]
        if char in "\"'#<":
            end = _token_end(block, index)
            out.append(block[index:end])
            index = end
            continue
        match = _LABEL.match(block, index) if char == "_" else None
        if match is not None and (index == 0 or not (block[index - 1].isalnum() or block[index - 1] in "_:")):
            out.append(f"<{skolem_iri(scope, match.group(1))}>")
            index = match.end()
            continue
        out.append(char)
        index += 1
    return "".join(out)
