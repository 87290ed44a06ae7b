"""The version stamp: every AGRS ontology document carries the package's version, never the clock's."""

import re
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF

from agrs.checks.faults import Fault

AGRS_DOCUMENT = re.compile(r"^https://w3id\.org/agrs/ontology(/(?!import/)[a-z0-9/-]+)?$")


def agrs_headers(graph: Graph) -> list[URIRef]:
    """Return the owl:Ontology headers that belong to AGRS (not the pinned external extracts)."""
    return [h for h in graph.subjects(RDF.type, OWL.Ontology) if AGRS_DOCUMENT.match(str(h))]


def check_version_stamps(documents: dict[Path, Graph], version: str) -> list[Fault]:
    """Check owl:versionInfo and owl:versionIRI of every AGRS document against the package version."""
    faults = []
    for path, graph in documents.items():
        for header in agrs_headers(graph):
            info = [str(v) for v in graph.objects(header, OWL.versionInfo)]
            iris = [str(v) for v in graph.objects(header, OWL.versionIRI)]
            if info != [version]:
                faults.append(
                    Fault(
                        "version",
                        "version-info",
                        f"owl:versionInfo is {info or 'missing'}, the "
                        f"package version is {version}: run `agrs ontology stamp`",
                        term=str(header),
                        file=str(path),
                    )
                )
            if iris != [f"{header}/{version}"]:
                faults.append(
                    Fault(
                        "version",
                        "version-iri",
                        f"owl:versionIRI is {iris or 'missing'}, expected "
                        f"<{header}/{version}>: run `agrs ontology stamp`",
                        term=str(header),
                        file=str(path),
                    )
                )
    return faults


def stamp_file(path: Path, version: str) -> bool:
    """Rewrite the version lines of one Turtle document to `version`; return whether it changed."""
    text = path.read_text(encoding="utf-8")
    stamped = re.sub(r'owl:versionInfo\s+"[^"]*"', f'owl:versionInfo "{version}"', text)
    stamped = re.sub(
        r"(owl:versionIRI\s+<https://w3id\.org/agrs/ontology(?:/[a-z0-9/-]+?)?)/[^/>]+>", rf"\1/{version}>", stamped
    )
    if stamped != text:
        path.write_text(stamped, encoding="utf-8")
    return stamped != text
