"""The PROV-O record of one load: what it read, what it generated, when, with what, and how many records.

The activity is `https://w3id.org/agrs/id/load/<kind>/<key>/v<n>` (n = the number of the version it generated),
each file read is `https://w3id.org/agrs/id/file/<sha256>` (a file is its content, not its name). The triples go
into the provenance graph with one INSERT DATA, after the commit: a load killed before that leaves no trace
there, and the next run loads again (its content digest was never recorded).
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from agrs import __version__
from agrs.graphs import PROVENANCE_GRAPH
from agrs.ns import AGRS, ID, PROV
from agrs.records import SourceFile


@dataclass(frozen=True)
class LoadFacts:
    """What the provenance of one load says."""

    kind: str
    key: str
    graph: str
    version: str
    files: Sequence[SourceFile]
    started: datetime
    ended: datetime
    read: int
    loaded: int
    rejected: int
    #: the digest of the shapes the content was validated against; None when it was not (entailments)
    shapes_digest: str | None
    #: what a reader of the provenance must know about the source (e.g. that it is synthetic), as rdfs:comment
    notes: Sequence[Literal] = ()
    #: the graph versions the activity read (derived data: the reasoner's inputs)
    used: Sequence[str] = ()


def content_digest(files: Sequence[SourceFile]) -> str:
    """Return the SHA-256 over the sorted SHA-256 of the files: independent of their names and order."""
    return hashlib.sha256("\n".join(sorted(file.sha256 for file in files)).encode()).hexdigest()


def activity_iri(kind: str, key: str, version: str) -> URIRef:
    """Return the load activity's IRI, numbered like the version it generated."""
    number = version.rsplit("/v", 1)[-1]
    return ID[f"load/{kind}/{key}/v{number}"]


def file_iri(file: SourceFile) -> URIRef:
    """Return a source file's IRI, named by its content."""
    return ID[f"file/{file.sha256}"]


def provenance_graph(facts: LoadFacts) -> Graph:
    """Build the PROV-O triples of one load."""
    graph = Graph()
    load = activity_iri(facts.kind, facts.key, facts.version)
    version, data_graph = URIRef(facts.version), URIRef(facts.graph)
    graph.add((load, RDF.type, AGRS.Load))
    graph.add((load, RDF.type, PROV.Activity))
    for file in facts.files:
        node = file_iri(file)
        graph.add((load, PROV.used, node))
        graph.add((node, RDF.type, AGRS.SourceFile))
        graph.add((node, RDF.type, PROV.Entity))
        graph.add((node, AGRS.fileName, Literal(file.path.name)))
        graph.add((node, AGRS.contentDigest, Literal(file.sha256)))
        graph.add((node, AGRS.byteSize, Literal(file.size, datatype=XSD.nonNegativeInteger)))
    graph.add((load, PROV.generated, version))
    graph.add((version, RDF.type, AGRS.GraphVersion))
    graph.add((version, RDF.type, PROV.Entity))
    graph.add((version, AGRS.versionOf, data_graph))
    graph.add((version, PROV.wasGeneratedBy, load))
    graph.add((data_graph, RDF.type, AGRS.DataGraph))
    graph.add((load, PROV.startedAtTime, Literal(facts.started.isoformat(), datatype=XSD.dateTime)))
    graph.add((load, PROV.endedAtTime, Literal(facts.ended.isoformat(), datatype=XSD.dateTime)))
    graph.add((load, AGRS.loaderKind, Literal(facts.kind)))
    for prop, count in ((AGRS.recordsRead, facts.read), (AGRS.recordsLoaded, facts.loaded)):
        graph.add((load, prop, Literal(count, datatype=XSD.nonNegativeInteger)))
    graph.add((load, AGRS.recordsRejected, Literal(facts.rejected, datatype=XSD.nonNegativeInteger)))
    graph.add((load, AGRS.softwareVersion, Literal(__version__)))
    if facts.shapes_digest is not None:
        graph.add((load, AGRS.shapesDigest, Literal(facts.shapes_digest)))
    if facts.files:  # an activity that read graphs, not files, has no content digest
        graph.add((load, AGRS.contentDigest, Literal(content_digest(facts.files))))
    for version in facts.used:
        graph.add((load, PROV.used, URIRef(version)))
    for note in facts.notes:
        graph.add((load, RDFS.comment, note))
    return graph


def insert_data(graph: Graph, target: str = PROVENANCE_GRAPH) -> str:
    """Return the SPARQL INSERT DATA that writes `graph`'s triples into the named graph `target`."""
    body = "\n".join(f"{s.n3()} {p.n3()} {o.n3()} ." for s, p, o in graph)
    return f"INSERT DATA {{ GRAPH <{target}> {{\n{body}\n}} }}"


def record_load(store, facts: LoadFacts) -> URIRef:
    """Write the provenance of one load into the store; return the activity's IRI."""
    store.update(insert_data(provenance_graph(facts)))
    return activity_iri(facts.kind, facts.key, facts.version)
