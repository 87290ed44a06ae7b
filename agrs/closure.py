"""The ontology's import closure, resolved offline through catalog-v001.xml, and its merged form.

HermiT (through owlready2) and the OWL API read one RDF/XML document best, and owlready2 would try
to fetch owl:imports from the web: `merge` gives them one graph with every import inlined and no
owl:imports left.
"""

import ast
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF

from agrs.checks.faults import CheckCannotRun, Fault
from agrs.ns import ONTOLOGY_IRI

CATALOG_NS = "{urn:oasis:names:tc:entity:xmlns:xml:catalog}"
UMBRELLA_IRI = ONTOLOGY_IRI
CATALOG_FILE = "catalog-v001.xml"
ROOT_FILE = "agrs.ttl"


def read_catalog(ontology_dir: Path) -> dict[str, Path]:
    """Return the catalog's map from ontology IRI to local file."""
    path = ontology_dir / CATALOG_FILE
    try:
        tree = ET.parse(path)
    except (OSError, ET.ParseError) as error:
        raise CheckCannotRun(f"{path}: cannot read the catalog: {error}") from error
    return {uri.attrib["name"]: ontology_dir / uri.attrib["uri"] for uri in tree.getroot().iter(f"{CATALOG_NS}uri")}


# rdflib's Turtle errors: "at line N of <>:\nBad syntax (why) at ^ in:\n"...b'before'^b'after'..."".
_BYTES = r"""b(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
_CARET = re.compile(rf"\.\.\.({_BYTES})\^({_BYTES})\.\.\.", re.DOTALL)
_WHY = re.compile(r"(Bad syntax \([^\n]*?\)|[^\n]*(?:expected|found|unexpected|Unknown|undefined)[^\n]*)")


def _caret_line(path: Path, text: str) -> int | None:
    """Return the line of the caret rdflib puts in a Turtle error's excerpt (more exact than its "at line N",
    which may count a line the parser looked ahead to), or None when the excerpt cannot be found in the file."""
    found = _CARET.search(text)
    if not found:
        return None
    try:
        before, after = (ast.literal_eval(group) for group in found.groups())
        source = path.read_bytes()
    except (ValueError, SyntaxError, OSError):
        return None
    start = source.find(before + after)
    return None if start < 0 else source[: start + len(before)].count(b"\n") + 1


def parse_file(path: Path) -> tuple[Graph | None, Fault | None]:
    """Parse one RDF file; on a syntax error return a fault naming the file and line."""
    from agrs import rdf_input

    graph = Graph()
    try:  # no DTD entities but plain ones, no remote JSON-LD context: before rdflib reads a byte (issue 15)
        if path.suffix.lower() in rdf_input.SUFFIXES:
            rdf_input.precheck_file(path)
    except rdf_input.RdfInputError as error:
        return None, Fault("syntax", "parse", error.reason, file=str(path), line=error.line)
    try:
        graph.parse(path, format=rdf_format(path))
    except Exception as error:  # rdflib raises many kinds: all mean "this file does not parse"
        text = str(error)
        found = re.search(r"line (\d+)", text) or re.search(r":(\d+):", text)
        line = _caret_line(path, text) or (int(found.group(1)) if found else None)
        why = _WHY.search(text)
        first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
        message = why.group(1).strip() if why else first
        return None, Fault("syntax", "parse", message, file=str(path), line=line)
    return graph, None


def rdf_format(path: Path) -> str:
    """Return the rdflib format name for a file, from its suffix."""
    suffix = path.suffix.lower()
    return {
        ".ttl": "turtle",
        ".nt": "nt",
        ".owl": "xml",
        ".rdf": "xml",
        ".xml": "xml",
        ".jsonld": "json-ld",
        ".trig": "trig",
        ".nq": "nquads",
    }.get(suffix, "turtle")


@dataclass
class Closure:
    """The documents reached from the root through owl:imports, and what went wrong on the way."""

    documents: dict[Path, Graph] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)

    def union(self) -> Graph:
        """Return one graph holding the triples of every document."""
        merged = Graph()
        for graph in self.documents.values():
            merged += graph
        return merged


def load_closure(ontology_dir: Path, extra_files: tuple[Path, ...] = ()) -> Closure:
    """Load agrs.ttl and everything it imports, resolving each import through the catalog.

    `extra_files` are added to the closure as if the umbrella imported them (used to check
    an extension, and by the broken fixtures of the tests).
    """
    catalog = read_catalog(ontology_dir)
    closure = Closure()
    pending = [ontology_dir / ROOT_FILE, *extra_files]
    failed: set[Path] = set()
    while pending:
        path = pending.pop(0)
        if path in closure.documents or path in failed:
            continue  # a module imported by several others is read, and reported, once
        graph, fault = parse_file(path)
        if fault:
            closure.faults.append(fault)
            failed.add(path)
            continue
        closure.documents[path] = graph
        for imported in sorted(set(graph.objects(None, OWL.imports))):
            target = catalog.get(str(imported))
            if target is None:
                closure.faults.append(
                    Fault("imports", "catalog", f"owl:imports <{imported}> is not in {CATALOG_FILE}", file=str(path))
                )
            elif not target.exists():
                closure.faults.append(
                    Fault(
                        "imports",
                        "catalog",
                        f"{CATALOG_FILE} maps <{imported}> to {target}, which does not exist",
                        file=str(path),
                    )
                )
            else:
                pending.append(target)
    return closure


def merge(closure: Closure) -> Graph:
    """Return the closure as one ontology: the umbrella's header, no owl:imports, no other headers."""
    merged = closure.union()
    umbrella = URIRef(UMBRELLA_IRI)
    for header in set(merged.subjects(RDF.type, OWL.Ontology)):
        if header != umbrella:
            merged.remove((header, None, None))
    merged.remove((None, OWL.imports, None))
    merged.add((umbrella, RDF.type, OWL.Ontology))
    return merged


def write_merged_rdfxml(graph: Graph, path: Path) -> Path:
    """Write the merged ontology as RDF/XML, the form owlready2 and the OWL API read."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Plain RDF/XML: the "pretty" writer warns on every blank node it cannot nest.
    graph.serialize(destination=path, format="xml")
    return path
