"""The one safe way to read an RDF payload (a file given to a loader, a body sent to the Graph Store).

Every RDF parse of outside input goes through `parse_bytes` (or `read_file`), which, before and after pyoxigraph's
parser (streaming, never on the network), refuses what would cost the machine or the data:

- **XML entities**: an RDF/XML payload whose DTD declares anything but plain internal entities (the namespace
  abbreviations of Protégé and Semantic MediaWiki files, written out here, bounded) is refused before any parsing:
  nested entities ("billion laughs"), external ones (`file:///etc/passwd`, a URL), parameter entities;
- **the network**: a JSON-LD payload naming a remote `@context` (or `@import`) is refused, with a message saying to
  put the context inline; no loader ever fetches anything;
- **size and depth**: a payload above `Limits.max_bytes`, a JSON-LD document nested deeper than `Limits.max_depth`;
- **encodings**: UTF-16/UTF-32 (a byte-order mark) is refused with the conversion to make; a UTF-8 BOM is dropped;
- **IRIs**: an IRI with a space or `>` (pyoxigraph's errors, or a JSON-LD `@id` that JSON-LD would drop silently),
  a relative IRI when the payload has no base (it would otherwise take the name of a file or of a URL);
- **syntax**: every syntax error becomes an `RdfInputError` naming the source, the line and column when known, and
  the offending text.

Ill-typed literals (`"abc"^^xsd:integer`) are legal RDF: `literal_problem` says what is wrong with one, so that the
RDF loader quarantines the record holding it and the Graph Store refuses the body.
"""

import json
import logging
import os
import re
import warnings
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from math import isinf
from pathlib import Path

import pyoxigraph as ox

#: file suffix -> syntax; quad syntaxes (N-Quads, TriG, JSON-LD) may carry graph names
SUFFIXES = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".ntriples": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".nquads": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
}
#: the base given to the parser when the caller has none: an IRI nobody writes, so that a relative IRI resolved
#: against it is recognised afterwards and refused by name (pyoxigraph's JSON-LD parser would drop it silently)
NO_BASE = "http://no-base.agrs.invalid/"
#: characters an IRI may not hold (RFC 3987), for the JSON-LD walk: JSON-LD drops such IRIs without a word
NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|\\^`]')
LANGUAGE_TAG = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")
XSD = "http://www.w3.org/2001/XMLSchema#"
BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Limits:
    """Bounds on one payload: its bytes (`AGRS_RDF_MAX_BYTES`, default 1 GiB) and the nesting of a JSON-LD one."""

    max_bytes: int = int(os.environ.get("AGRS_RDF_MAX_BYTES", 1 << 30))
    max_depth: int = 100


class RdfInputError(ValueError):
    """An RDF payload that cannot be read: the source, the line and column when known, the term, the reason.

    `too_large` marks a payload refused for its size (HTTP 413 rather than 400).
    """

    def __init__(self, source: str, reason: str, *, line: int | None = None, column: int | None = None,
                 term: str | None = None, too_large: bool = False):  # fmt: skip
        self.source, self.reason, self.line, self.column, self.term = source, reason, line, column, term
        self.too_large = too_large
        where = source
        if line is not None:
            where += f", line {line}" + (f", column {column}" if column is not None else "")
        super().__init__(f"{where}: {reason}" + (f" ({term})" if term and term not in reason else ""))


def syntax_of(path: Path | str) -> ox.RdfFormat:
    """Return the syntax of a file from its suffix; an unknown suffix is an RdfInputError listing the known ones."""
    suffix = Path(path).suffix.lower()
    try:
        return SUFFIXES[suffix]
    except KeyError:
        known = ", ".join(sorted(SUFFIXES))
        raise RdfInputError(str(path), f"unknown RDF file suffix {suffix!r} (known: {known})") from None


def read_file(path: Path | str, syntax: ox.RdfFormat | None = None, *, limits: Limits | None = None) -> list[ox.Quad]:
    """Read an RDF file safely (see the module's docstring); its syntax comes from its suffix unless given.

    Relative IRIs are refused unless the file declares its base: a file's name is not an identity for its data.
    """
    path, limits = Path(path), limits or Limits()
    syntax = syntax or syntax_of(path)
    try:
        size = path.stat().st_size
    except OSError as error:
        raise RdfInputError(str(path), error.strerror or str(error)) from error
    _check_size(str(path), size, limits)
    return parse_bytes(path.read_bytes(), syntax, source=str(path), limits=limits)


def parse_bytes(
    data: bytes, syntax: ox.RdfFormat, *, source: str, base: str | None = None, limits: Limits | None = None
) -> list[ox.Quad]:
    """Parse an RDF payload safely into quads (see the module's docstring); raise RdfInputError on any fault.

    `source` names the payload in messages (a file, "the request body"); `base` resolves relative IRIs (without
    one they are refused, naming the first).
    """
    limits = limits or Limits()
    _check_size(source, len(data), limits)
    data = _utf8(data, source)
    if syntax == ox.RdfFormat.RDF_XML:
        data = _expand_doctype(data, source, limits)
        _well_formed_xml(data, source)
    elif syntax == ox.RdfFormat.JSON_LD:
        _check_json_ld(data, source, limits)
    try:
        quads = list(ox.parse(data, format=syntax, base_iri=base or NO_BASE))
    except (SyntaxError, ValueError) as error:
        raise _syntax_error(error, data, source, syntax) from None
    if base is None:
        _refuse_relative(quads, data, source)
    return quads


def precheck_file(path: Path | str, syntax: ox.RdfFormat | None = None, *, limits: Limits | None = None) -> None:
    """Run on a file only the checks that make it safe for another parser (rdflib, in the ontology check): size,
    encoding, the RDF/XML DTD (plain entities allowed, bounded), the JSON-LD walk (remote contexts, depth).

    Raises RdfInputError; returns None when the file may be handed to the other parser.
    """
    path, limits = Path(path), limits or Limits()
    syntax = syntax or syntax_of(path)
    if syntax not in (ox.RdfFormat.RDF_XML, ox.RdfFormat.JSON_LD):
        return  # the text syntaxes have no entities and no remote references
    _check_size(str(path), path.stat().st_size, limits)
    data = _utf8(path.read_bytes(), str(path))
    if syntax == ox.RdfFormat.RDF_XML:
        _expand_doctype(data, str(path), limits)
    else:
        _check_json_ld(data, str(path), limits)


def literal_problem(literal: ox.Literal) -> str | None:
    """Return what is wrong with a literal whose lexical form does not fit its XSD datatype, else None.

    `"abc"^^xsd:integer`, `"2020-13-45"^^xsd:date`, a number too large for xsd:double (JSON-LD turns 1e5000
    into one, whose value would be infinite).
    """
    datatype = literal.datatype.value
    if not datatype.startswith(XSD) or datatype == XSD + "string":
        return None
    from rdflib import Literal, URIRef

    with warnings.catch_warnings():  # rdflib warns about some ill-typed values ("weird boolean"): reported here
        warnings.simplefilter("ignore", UserWarning)
        value = Literal(literal.value, datatype=URIRef(datatype))
    if value.ill_typed:
        return f"ill-typed literal: {_quoted(literal.value)} is not a valid xsd:{datatype[len(XSD) :]}"
    lexical = literal.value.strip().upper().lstrip("+-")
    if datatype in (XSD + "double", XSD + "float") and isinstance(value.value, float) and isinf(value.value):
        if lexical != "INF":
            return f"number out of range: {_quoted(literal.value)} is too large for xsd:{datatype[len(XSD) :]}"
    return None


def first_bad_literal(quads: Iterable[ox.Quad], data: bytes, source: str) -> None:
    """Raise RdfInputError for the first ill-typed literal of `quads` (a payload taken whole, not per record)."""
    for quad in quads:
        if isinstance(quad.object, ox.Literal):
            problem = literal_problem(quad.object)
            if problem:
                raise RdfInputError(source, problem, line=locate(data, quad.object.value), term=str(quad.object))


def locate(data: bytes, text: str) -> int | None:
    """Return the line (1-based) of the first occurrence of `text` in `data`, or None: where to look, for a fault
    found after parsing (the parser gives no position for a term)."""
    found = data.find(text.encode("utf-8")) if text else -1
    return None if found < 0 else data.count(b"\n", 0, found) + 1


# --- the checks -------------------------------------------------------------------------------------------------


def _check_size(source: str, size: int, limits: Limits) -> None:
    if size > limits.max_bytes:
        raise RdfInputError(
            source, f"{size} bytes: RDF payloads are limited to {limits.max_bytes} (AGRS_RDF_MAX_BYTES)",
            too_large=True,
        )  # fmt: skip


def _utf8(data: bytes, source: str) -> bytes:
    """Drop a UTF-8 byte-order mark (pyoxigraph takes it for content); refuse UTF-16 and UTF-32 by name."""
    if data.startswith(UTF8_BOM):
        return data[len(UTF8_BOM) :]
    for bom, name in BOMS.items():
        if data.startswith(bom):
            raise RdfInputError(
                source, f"the payload is {name} (byte-order mark): RDF is read as UTF-8; convert it first, "
                f"e.g. iconv -f {name} -t UTF-8",
            )  # fmt: skip
    if len(data) >= 4 and (data[1:2] == b"\x00" or data[0:1] == b"\x00"):
        raise RdfInputError(source, "the payload looks like UTF-16 (NUL bytes between characters): convert it to UTF-8")
    return data


#: what may come before the root element of an XML document, other than a DOCTYPE: space, declaration, PI, comment
XML_PROLOG_ITEM = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->", re.DOTALL)


#: the one DTD RDF/XML files carry in practice (Protégé's OWL files, Semantic MediaWiki's exports): internal entities
#: abbreviating namespaces, `<!ENTITY owl "http://www.w3.org/2002/07/owl#" >`
DOCTYPE = re.compile(rb"<!DOCTYPE\s+[^\s\[>]+\s*(?:\[(?P<subset>.*?)\]\s*)?>", re.DOTALL)
PLAIN_ENTITY = re.compile(rb"""<!ENTITY\s+(?P<name>[A-Za-z_][\w.-]*)\s+(?:"(?P<v1>[^"&%<]*)"|'(?P<v2>[^'&%<]*)')\s*>""")
SUBSET_FILLER = re.compile(rb"\s+|<!--.*?-->", re.DOTALL)
#: how much plain entities may add to a payload: 10 times its size, plus 1 MB
EXPANSION = (10, 1 << 20)


def _expand_doctype(data: bytes, source: str, limits: "Limits") -> bytes:
    """Return the RDF/XML payload without its DTD, its plain internal entities written out; refuse any other DTD.

    The DTD is where entities are declared: nested ones expand exponentially (1 KB took a server past 11 GB), external
    ones read local files or URLs (`file:///etc/passwd`), parameter entities do both. Only the harmless kind is read
    here — internal entities whose value is plain text (no `&`, `%` or `<`), as in namespace abbreviations — and
    written out by this code, bounded (`EXPANSION`); the parser never sees a DTD. The prolog is scanned up to the root
    element; the DTD's lines are kept as blank lines, so that errors name the lines of the file.
    """
    position = 0
    while True:
        item = XML_PROLOG_ITEM.match(data, position)
        if item is None or item.end() == position:
            break
        position = item.end()
    line = data.count(b"\n", 0, position) + 1
    if data.startswith(b"<!", position):
        doctype = DOCTYPE.match(data, position)
        head = data[position : position + 60].decode("utf-8", "replace").split("\n")[0]
        if doctype is None or re.match(rb"<!DOCTYPE\s+[^\s\[>]+\s+(SYSTEM|PUBLIC)\b", doctype.group()):
            raise RdfInputError(source, f"RDF/XML {_REFUSED}: an external DTD or entity", line=line, term=head)
        entities, subset, at = {}, doctype.group("subset") or b"", 0
        while at < len(subset):
            found = SUBSET_FILLER.match(subset, at) or PLAIN_ENTITY.match(subset, at)
            if found is None:
                declared = subset[at : at + 60].decode("utf-8", "replace").split("\n")[0]
                raise RdfInputError(
                    source, f"RDF/XML {_REFUSED}: only internal entities with a plain text value are read",
                    line=data.count(b"\n", 0, doctype.start("subset")) + subset.count(b"\n", 0, at) + 1,
                    term=declared,
                )  # fmt: skip
            if found.re is PLAIN_ENTITY:
                value = found.group("v1") if found.group("v1") is not None else found.group("v2")
                entities[found.group("name")] = value.replace(b'"', b"&quot;").replace(b"'", b"&apos;")
            at = found.end()
        blank = b"\n" * doctype.group().count(b"\n")
        data = data[:position] + blank + data[doctype.end() :]
        if entities:
            data = _write_out(data, entities, source, limits)
    elif re.search(rb"<!(DOCTYPE|ENTITY)", data, re.IGNORECASE) and not _only_in_cdata_or_comments(data):
        # A DTD is only legal in the prolog; one further on is an error for the parser, but never worth a try.
        raise RdfInputError(source, f"RDF/XML {_REFUSED}: a DTD after the prolog", line=locate(data, "<!"))
    return data


_REFUSED = "with a DOCTYPE refused (entities can expand without bound or read local files)"


def _write_out(data: bytes, entities: dict[bytes, bytes], source: str, limits: "Limits") -> bytes:
    """Replace each `&name;` of the declared plain entities by its value, refusing an expansion beyond EXPANSION."""
    pattern = re.compile(b"&(" + b"|".join(re.escape(name) for name in entities) + b");")
    added = sum(len(entities[match.group(1)]) for match in pattern.finditer(data))
    bound = min(limits.max_bytes, EXPANSION[0] * len(data) + EXPANSION[1])
    if added > bound:
        raise RdfInputError(
            source, f"RDF/XML {_REFUSED}: its entities would add {added} bytes (at most {bound})", too_large=True
        )
    return pattern.sub(lambda match: entities[match.group(1)], data)


def _well_formed_xml(data: bytes, source: str) -> None:
    """Check that the XML is well-formed (expat, with any DTD refused): pyoxigraph's RDF/XML parser takes a file cut
    before its closing tags for a whole one, and names no line in its errors; expat gives line and column."""
    from xml.parsers import expat

    def refuse(*_):
        raise RdfInputError(source, "RDF/XML with a DOCTYPE or an entity declaration is refused")

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = parser.ExternalEntityRefHandler = refuse
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(data, True)
    except expat.ExpatError as error:
        message = expat.errors.messages.get(error.code, str(error))
        raise RdfInputError(
            source, f"not valid RDF/XML: {message}", line=error.lineno, column=error.offset + 1
        ) from None


def _only_in_cdata_or_comments(data: bytes) -> bool:
    """Whether every `<!DOCTYPE`/`<!ENTITY` of `data` sits inside a CDATA section or a comment (harmless text)."""
    stripped = re.sub(rb"<!\[CDATA\[.*?\]\]>|<!--.*?-->", b"", data, flags=re.DOTALL)
    return re.search(rb"<!(DOCTYPE|ENTITY)", stripped, re.IGNORECASE) is None


def _check_json_ld(data: bytes, source: str, limits: Limits) -> None:
    """Walk a JSON-LD document before parsing: depth, remote contexts, and what JSON-LD would drop without a word
    (invalid IRIs and language tags, properties no context defines)."""
    try:
        # Numbers stay text: int() refuses more than 4,300 digits, and the parser below reads them itself.
        document = json.loads(data, parse_int=str, parse_float=str, parse_constant=_no_constant)
    except RecursionError:
        raise RdfInputError(source, f"JSON nested too deeply (more than {limits.max_depth} levels)") from None
    except ValueError as error:
        line, column = getattr(error, "lineno", None), getattr(error, "colno", None)
        message = getattr(error, "msg", None) or str(error)
        raise RdfInputError(source, f"not valid JSON: {message}", line=line, column=column) from None
    # (node, depth, the key it is the value of, where it is: "node", or "context" (term definitions)); breadth
    # first, so that a context's term definitions are known before the values of its terms are seen
    pending, defined, containers, used, vocab = deque([(document, 1, None, "node")]), set(), set(), {}, False
    while pending:
        node, depth, key, where = pending.popleft()
        if depth > limits.max_depth:
            raise RdfInputError(source, f"JSON-LD nested more than {limits.max_depth} levels deep: refused")
        if isinstance(node, dict):
            # The keys of a language, index, id or type map (a term with @container) name no property.
            is_map = where == "node" and key in containers
            for name, value in node.items():
                _check_key(name, value, data, source)
                vocab = vocab or name == "@vocab"
                if where == "context" and key == "@context":
                    defined.add(name)
                    if isinstance(value, dict) and "@container" in value:
                        containers.add(name)
                elif where == "node" and not is_map and not name.startswith("@") and ":" not in name:
                    used.setdefault(name, None)
                inside = "context" if name == "@context" or where == "context" else "node"
                pending.append((value, depth + 1, None if is_map else name, inside))
        elif isinstance(node, list):
            pending.extend((item, depth + 1, key, where) for item in node)
        elif isinstance(node, str) and key in ("@id", "@type", "@vocab", "@base") and NOT_IN_IRI.search(node):
            if not (key == "@vocab" and node == ""):
                raise RdfInputError(source, f"invalid IRI {node!r} for {key}", line=_locate_json(data, node),
                                    term=node)  # fmt: skip
    undefined = [name for name in used if name not in defined]
    if undefined and not vocab:
        raise RdfInputError(
            source, f"the property {undefined[0]!r} is defined by no @context (and there is no @vocab): JSON-LD "
            "would drop it without a word; define it, or write the full IRI",
            line=_locate_json(data, undefined[0]), term=undefined[0],
        )  # fmt: skip


def _check_key(name: str, value, data: bytes, source: str) -> None:
    if name == "@context" or name == "@import":
        remote = [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)] \
            if isinstance(value, list) else []  # fmt: skip
        if remote:
            raise RdfInputError(
                source, f"remote JSON-LD context {remote[0]!r}: loaders never fetch from the network; put the "
                "context inline in the document", line=_locate_json(data, remote[0]), term=remote[0],
            )  # fmt: skip
    elif name == "@language" and isinstance(value, str) and not LANGUAGE_TAG.match(value):
        raise RdfInputError(source, f"invalid language tag {value!r}", line=_locate_json(data, value), term=value)
    elif not name.startswith("@") and ":" in name and NOT_IN_IRI.search(name):
        raise RdfInputError(source, f"invalid IRI {name!r} as a property", line=_locate_json(data, name), term=name)


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _locate_json(data: bytes, text: str) -> int | None:
    return locate(data, json.dumps(text, ensure_ascii=False)) or locate(data, text)


def _refuse_relative(quads: list[ox.Quad], data: bytes, source: str) -> None:
    """Refuse the first IRI resolved against NO_BASE: a relative IRI in a payload that gives no base."""
    for quad in quads:
        for term in (quad.subject, quad.predicate, quad.object, quad.graph_name):
            if isinstance(term, ox.NamedNode) and term.value.startswith(NO_BASE):
                relative = term.value[len(NO_BASE) :]
                raise RdfInputError(
                    source, f"relative IRI {relative!r} and no base: write absolute IRIs, or declare @base",
                    line=locate(data, relative) if relative else None, term=relative or "<>",
                )  # fmt: skip


#: pyoxigraph's position: "… at line 3 between columns 1 and 25: …" or "… at line 3 column 1: …"
POSITION = re.compile(r"^Parser error at line \d+ (?:between columns \d+ and \d+|column \d+): ")


def _syntax_error(error: Exception, data: bytes, source: str, syntax: ox.RdfFormat) -> RdfInputError:
    """Turn pyoxigraph's error into one naming the line, column and the offending text when it gives them."""
    message = getattr(error, "msg", None) or str(error)
    message = POSITION.sub("", message).strip() or type(error).__name__
    if "LoadDocumentCallback" in message:  # a remote context the walk did not see (an alias of @context)
        message = "remote JSON-LD context: loaders never fetch from the network; put the context inline"
    line, column = getattr(error, "lineno", None), getattr(error, "offset", None)
    end = getattr(error, "end_offset", None)
    term = None
    if line and column and end and end > column and getattr(error, "end_lineno", line) == line:
        lines = data.split(b"\n", line)
        if len(lines) >= line:
            term = lines[line - 1].decode("utf-8", "replace")[column - 1 : end].strip() or None
    if line is None:  # RDF/XML and JSON-LD errors give no position: look for the IRI or text they quote
        quoted = re.search(r"'([^']+)'", message)
        line = locate(data, quoted.group(1)) if quoted else None
    return RdfInputError(source, f"not valid {syntax.name}: {message}", line=line, column=column, term=term)


def _quoted(text: str) -> str:
    shown = text if len(text) <= 60 else text[:57] + "…"
    return json.dumps(shown, ensure_ascii=False)


class _QuietIllTyped(logging.Filter):
    """rdflib logs a traceback for every ill-typed literal it builds: literal_problem reports them properly."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Failed to convert Literal lexical form")


logging.getLogger("rdflib.term").addFilter(_QuietIllTyped())

__all__ = [
    "SUFFIXES",
    "Limits",
    "RdfInputError",
    "first_bad_literal",
    "literal_problem",
    "locate",
    "parse_bytes",
    "precheck_file",
    "read_file",
    "syntax_of",
]  # fmt: skip
