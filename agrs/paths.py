"""Where things are, in a source tree, an editable install or a wheel.

The ontology, shapes and queries ship inside the package (package data): `ontology_dir`, `shapes_dir`,
`queries_dir` find them wherever the package is. The bundled observatory's sources (`data/`, and the COG files
npm installs into `node_modules/`) stay in the repository: `bundled_data_dir` and `etalab_dir` find them when the
package runs from a checkout, and return None in an installed wheel (then the commands ask for the folders).
"""

import os
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path

ETALAB_ENV = "AGRS_ETALAB_DIR"  # where communes.json, epci.json… live, when not in the checkout's node_modules


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


def source_tree() -> Path | None:
    """Return the repository checkout the package runs from (an editable install), or None for an installed wheel."""
    root = _package_dir("agrs").resolve().parent
    return root if (root / "pyproject.toml").is_file() and (root / "data").is_dir() else None


def is_checkout(folder: Path) -> bool:
    """Return True if `folder` holds the ontology, shapes and queries of a source tree (a clone or a copy)."""
    return (
        (folder / "ontology" / "agrs.ttl").is_file()
        and (folder / "ontology" / "catalog-v001.xml").is_file()
        and (folder / "shapes").is_dir()
        and (folder / "queries").is_dir()
    )


def find_checkout(start: Path | None = None) -> Path | None:
    """Return the source tree that holds `start` (default: the current directory) or one of its parents, or None.

    `agrs ontology …` run inside a checkout (or a copy of one) works on that checkout's ontology/, shapes/ and
    queries/, not on the installed package's copy.
    """
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if is_checkout(folder):
            return folder
    return None


def bundled_data_dir() -> Path | None:
    """Return the checkout's `data/` folder (the bundled observatory's sources), or None outside a checkout."""
    root = source_tree()
    return None if root is None else root / "data"


def etalab_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """Return the folder of the etalab COG files: $AGRS_ETALAB_DIR, else the checkout's node_modules copy, else None."""
    environ = os.environ if environ is None else environ
    if environ.get(ETALAB_ENV):
        return Path(environ[ETALAB_ENV])
    root = source_tree()
    return None if root is None else root / "node_modules" / "@etalab" / "decoupage-administratif" / "data"
