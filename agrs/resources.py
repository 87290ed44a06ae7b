"""What every write of a process validates against, parsed once: the data shapes, the merged ontology, their digests.

The shapes are `<module>.shapes.ttl` (the meta-shapes of `shapes/meta/` are for the ontology check, not for data);
the ontology is agrs.ttl with its imports inlined (agrs.closure). A load records the shapes' digest in its
provenance, so that a source loaded against other shapes is loaded again.
"""

import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from rdflib import Graph

from agrs.paths import ontology_dir, shapes_dir


def shape_files(folder: Path | None = None) -> list[Path]:
    """Return the data shapes files (`<module>.shapes.ttl`, not the meta-shapes), sorted."""
    return sorted((folder or shapes_dir()).glob("*.shapes.ttl"))


def load_shapes(folder: Path | None = None) -> Graph:
    """Parse every data shapes file into one graph."""
    graph = Graph()
    for path in shape_files(folder):
        graph.parse(path, format="turtle")
    return graph


def shapes_digest(folder: Path | None = None) -> str:
    """Return the SHA-256 over the shapes files (name and content, in sorted order)."""
    digest = hashlib.sha256()
    for path in shape_files(folder):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def load_ontology(folder: Path | None = None) -> tuple[Graph, list[Path]]:
    """Return the merged ontology (imports inlined) and the files it was read from."""
    from agrs.closure import load_closure, merge

    closure = load_closure(folder or ontology_dir())
    if closure.faults:
        raise RuntimeError("the ontology does not load: " + "; ".join(str(fault) for fault in closure.faults))
    return merge(closure), sorted(closure.documents)


@dataclass
class Resources:
    """The shapes and the merged ontology, parsed once per process, with the shapes' digest and ontology files."""

    shapes: Graph
    shapes_digest: str
    ontology: Graph
    ontology_files: list[Path]

    @cached_property
    def shacl_plan(self):
        """The shapes compiled once for the fast validator (agrs.shacl_fast); see `plan.unsupported`."""
        from agrs.shacl_fast import compile_shapes

        return compile_shapes(self.shapes)

    @classmethod
    def load(cls) -> "Resources":
        """Parse the shapes and the ontology shipped with the package."""
        ontology, files = load_ontology()
        return cls(load_shapes(), shapes_digest(), ontology, files)
