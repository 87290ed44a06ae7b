"""Where the ontology, shapes and queries are, in a source tree, an editable or a wheel install."""

from importlib.resources import files
from pathlib import Path


def _package_dir(package: str) -> Path:
    return Path(str(files(package)))


def ontology_dir() -> Path:
    """Return the folder holding agrs.ttl, modules/, alignments/, imports/ and catalog-v001.xml."""
    return _package_dir("agrs.ontology")


def shapes_dir() -> Path:
    """Return the folder holding the SHACL shapes (<module>.shapes.ttl and meta/)."""
    return _package_dir("agrs.shapes")


def queries_dir() -> Path:
    """Return the folder holding cq/ (stored questions) and qc/ (quality checks)."""
    return _package_dir("agrs.queries")


def java_sources_dir() -> Path:
    """Return the folder holding the Java helpers the checks compile on first use."""
    return _package_dir("agrs.checks") / "java"
