"""The bundled observatory: which sources make it, where their files are, and the order they load in.

The territories come from the npm package `@etalab/decoupage-administratif` (installed by `scripts/setup.sh` into
the repository's `node_modules/`), the rest from the repository's `data/` folder (agrs.paths finds both in a
checkout; an installed package is given the folders). Each source is one ordinary load (`agrs observatory` runs
them in order), with its own graph, provenance and quarantine file.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from rdflib import Literal

from agrs import paths, provenance

ETALAB_FILES = ("communes", "epci", "departements", "regions")
# The synthetic survey's answers are invented: its salt protects nobody and is public so that anyone rebuilds the
# same respondent IRIs. A real survey's salt is a secret (`agrs load survey --salt`).
SYNTHETIC_SURVEY_SALT = "agrs-synthetic-sample"
SYNTHETIC_NOTES = provenance.SYNTHETIC_NOTES


@dataclass(frozen=True)
class BundledSource:
    """One source of the bundled observatory: a loader kind, the key naming its graph, its files."""

    kind: str
    key: str
    files: tuple[Path, ...]
    #: keyword arguments of the loader's constructor (the survey's form and salt)
    options: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    #: rdfs:comment of the load activity in the provenance graph (the synthetic sources say so)
    notes: tuple[Literal, ...] = ()
    #: whether the source is synthetic: its load and graph version get `agrs:synthetic true` in the provenance
    synthetic: bool = False

    @property
    def label(self) -> str:
        """Return `kind/key`, how the summaries name the source."""
        return f"{self.kind}/{self.key}"


class NoBundledData(Exception):
    """The bundled observatory's folders are not known: the package does not run from a checkout."""


def default_data_dir() -> Path:
    """Return the repository's `data/` folder (the bundled observatory's sources); NoBundledData outside a checkout."""
    folder = paths.bundled_data_dir()
    if folder is None:
        raise NoBundledData("the bundled observatory's sources are in the AGRS repository, not in the package: "
                            "run from a checkout, or give --data DIR")  # fmt: skip
    return folder


def default_etalab_dir() -> Path:
    """Return the folder of the etalab JSON files: $AGRS_ETALAB_DIR, else the checkout's node_modules copy."""
    folder = paths.etalab_dir()
    if folder is None:
        raise NoBundledData(f"the COG files are not known: give --etalab DIR or set ${paths.ETALAB_ENV} (the folder of "
                            "communes.json, epci.json, departements.json, regions.json)")  # fmt: skip
    return folder


def bundled_sources(data_dir: Path | None = None, etalab_dir: Path | None = None) -> list[BundledSource]:
    """Return the sources in loading order: territories, the Turtle files, the commons pages, the partners, the
    population indicator, the synthetic survey of the pilot territories and the GASPAR sample.

    The Turtle files describe the endeavours the partners' roles point to, so they come first; what they say
    of the partners (a project's carrier) is checked by the shapes only as far as the partners' own records go.
    The indicators, the survey and the risks point at territories only. The synthetic demonstration observatory
    (data/demo/, `demo_sources`) comes last: its diagnostics' projects may name the partners' endeavours.
    """
    data_dir = data_dir or default_data_dir()
    etalab_dir = etalab_dir or default_etalab_dir()
    form = data_dir / "survey" / "questionnaire.xlsx"
    return [
        BundledSource("territories", "cog", tuple(etalab_dir / f"{name}.json" for name in ETALAB_FILES)),
        BundledSource("rdf", "observatory", tuple(sorted((data_dir / "observatory").glob("*.ttl")))),
        BundledSource("commons", "ademe-wiki", tuple(sorted((data_dir / "commons").glob("*.txt")))),
        BundledSource("partners", "default", (data_dir / "partners.csv",)),
        BundledSource(
            "indicators",
            "population",
            (data_dir / "indicators" / "indicators.csv", data_dir / "indicators" / "population-2026.csv"),
        ),
        BundledSource(
            "survey",
            "pilot-sample",
            (form, data_dir / "survey" / "synthetic-pilot-responses.csv"),
            MappingProxyType({"form": form, "salt": SYNTHETIC_SURVEY_SALT}),
            SYNTHETIC_NOTES,
            synthetic=True,
        ),
        BundledSource(
            "risks",
            "gaspar-sample",
            (data_dir / "risks" / "gaspar-catnat-sample.csv",),
            notes=SYNTHETIC_NOTES,
            synthetic=True,
        ),
        *demo_sources(data_dir / "demo", form),
    ]


def demo_sources(demo_dir: Path, form: Path) -> list[BundledSource]:
    """Return the SYNTHETIC demonstration observatory's sources (data/demo/, written by `agrs demo pilot`).

    The territory types it assigns first; then the diagnostics of the pilot territories and of an enterprise,
    one source and graph each, keyed by the diagnostic as `agrs load diagnostic` keys them (their commons,
    risks, projects… and their own indicators); then the indicator definitions that measure
    those commons and risks, with the communes' yearly series (rolled up by `agrs rollup`); then the survey.
    A data folder with no `demo/` has no demonstration sources.
    """
    from agrs.loaders.demo import PILOT_LAYOUT, pilot_diagnostic_files

    if not demo_dir.is_dir():  # a --data folder of one's own, with no demonstration
        return []
    return [
        # a classification of real territories (their pages must not read as synthetic)
        BundledSource("rdf", "demo-territory-types", (demo_dir / PILOT_LAYOUT["types"],)),
        BundledSource(
            "rdf", "demo-dataset", (demo_dir / PILOT_LAYOUT["dataset"],), notes=SYNTHETIC_NOTES, synthetic=True
        ),
        *(
            BundledSource("diagnostic", key, files, notes=SYNTHETIC_NOTES, synthetic=True)
            for key, files in pilot_diagnostic_files(demo_dir).items()
        ),
        BundledSource(
            "indicators",
            "demo-series",
            (demo_dir / PILOT_LAYOUT["definitions"], demo_dir / PILOT_LAYOUT["series"]),
            notes=SYNTHETIC_NOTES,
            synthetic=True,
        ),
        BundledSource(
            "survey",
            "demo",
            (form, demo_dir / PILOT_LAYOUT["survey"]),
            MappingProxyType({"form": form, "salt": SYNTHETIC_SURVEY_SALT}),
            SYNTHETIC_NOTES,
            synthetic=True,
        ),
    ]


def missing_files(sources: Sequence[BundledSource]) -> list[Path]:
    """Return the files the sources name that do not exist (a source with no file at all counts its folder)."""
    return [path for source in sources for path in source.files if not path.is_file()]
