"""The bundled observatory: which sources make it, where their files are, and the order they load in.

The territories come from the npm package `@etalab/decoupage-administratif` (installed by `scripts/setup.sh` into
the repository's `node_modules/`), the rest from the repository's `data/` folder. Each source is one ordinary
load (`agrs observatory` runs them in order), with its own graph, provenance and quarantine file.
"""

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
ETALAB_FILES = ("communes", "epci", "departements", "regions")
ETALAB_ENV = "AGRS_ETALAB_DIR"  # where communes.json … live, when not in the repository's node_modules


@dataclass(frozen=True)
class BundledSource:
    """One source of the bundled observatory: a loader kind, the key naming its graph, its files."""

    kind: str
    key: str
    files: tuple[Path, ...]

    @property
    def label(self) -> str:
        """Return `kind/key`, how the summaries name the source."""
        return f"{self.kind}/{self.key}"


def default_data_dir() -> Path:
    """Return the repository's `data/` folder (the bundled observatory's sources)."""
    return REPOSITORY / "data"


def default_etalab_dir() -> Path:
    """Return the folder of the etalab JSON files: $AGRS_ETALAB_DIR, else the repository's node_modules copy."""
    configured = os.environ.get(ETALAB_ENV)
    if configured:
        return Path(configured)
    return REPOSITORY / "node_modules" / "@etalab" / "decoupage-administratif" / "data"


def bundled_sources(data_dir: Path | None = None, etalab_dir: Path | None = None) -> list[BundledSource]:
    """Return the sources in loading order: territories, the Turtle files, the commons pages, the partners.

    The Turtle files describe the endeavours the partners' roles point to, so they come first; what they say
    of the partners (a project's carrier) is checked by the shapes only as far as the partners' own records go.
    """
    data_dir = data_dir or default_data_dir()
    etalab_dir = etalab_dir or default_etalab_dir()
    return [
        BundledSource("territories", "cog", tuple(etalab_dir / f"{name}.json" for name in ETALAB_FILES)),
        BundledSource("rdf", "observatory", tuple(sorted((data_dir / "observatory").glob("*.ttl")))),
        BundledSource("commons", "ademe-wiki", tuple(sorted((data_dir / "commons").glob("*.txt")))),
        BundledSource("partners", "default", (data_dir / "partners.csv",)),
    ]


def missing_files(sources: Sequence[BundledSource]) -> list[Path]:
    """Return the files the sources name that do not exist (a source with no file at all counts its folder)."""
    return [path for source in sources for path in source.files if not path.is_file()]
