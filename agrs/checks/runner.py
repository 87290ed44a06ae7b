"""`agrs ontology check`: every check of the ontology, in order, with their faults and timings."""

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph

from agrs.checks.faults import CheckCannotRun, Fault
from agrs.checks.locate import TermIndex, locate_faults
from agrs.closure import Closure, load_closure, merge, parse_file, write_merged_rdfxml

# The order in which checks run and are reported; the names are those of --skip and of the faults.
CHECK_NAMES = ("syntax", "imports", "version", "owl2-dl", "hermit", "meta-shapes", "qc", "shacl")


@dataclass
class Inputs:
    """What the checks read: the ontology, shapes and quality-query folders, and extra files."""

    ontology_dir: Path
    shapes_dir: Path
    qc_dir: Path
    version: str
    extra: tuple[Path, ...] = ()

    def extra_of(self, suffix: str) -> tuple[Path, ...]:
        """Return the extra files that end with `suffix`."""
        return tuple(path for path in self.extra if path.name.endswith(suffix))

    def extra_ontology_files(self) -> tuple[Path, ...]:
        """Return the extra files that are ontology documents (not shapes, not queries)."""
        return tuple(p for p in self.extra if not p.name.endswith((".shapes.ttl", ".rq")))

    def shape_files(self) -> list[Path]:
        """Return every shapes file (the project's and the extra ones)."""
        return sorted(self.shapes_dir.rglob("*.shapes.ttl")) + list(self.extra_of(".shapes.ttl"))

    def meta_shape_files(self) -> list[Path]:
        """Return the meta-shapes, those run on the ontology itself."""
        return sorted((self.shapes_dir / "meta").glob("*.shapes.ttl")) + [
            p for p in self.extra_of(".shapes.ttl") if p.name.startswith("meta-shapes--")
        ]

    def term_files(self) -> list[Path]:
        """Return the files where a term may be written, in the order a fault's term is looked for: the AGRS
        documents, the extra ontology files, the pinned external extracts, then the shapes."""
        imports_dir = (self.ontology_dir / "imports").resolve()
        ontology = sorted(self.ontology_dir.rglob("*.ttl"))
        own = [p for p in ontology if imports_dir not in p.resolve().parents]
        pinned = [p for p in ontology if imports_dir in p.resolve().parents]
        return own + list(self.extra_ontology_files()) + pinned + self.shape_files()

    def qc_files(self) -> list[Path]:
        """Return every violation query (the project's and the extra ones)."""
        return sorted(self.qc_dir.glob("*-violation.rq")) + list(self.extra_of("-violation.rq"))


@dataclass
class CheckResult:
    """The outcome of one check: its faults, or why it could not run, and how long it took."""

    name: str
    faults: list[Fault] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    skipped: bool = False
    note: str | None = None


@dataclass
class Report:
    """The outcome of all checks."""

    results: list[CheckResult]

    @property
    def faults(self) -> list[Fault]:
        """Return every fault of every check."""
        return [fault for result in self.results for fault in result.faults]

    @property
    def exit_code(self) -> int:
        """Return 2 if a check could not run, 1 if faults were found, else 0."""
        if any(result.error for result in self.results):
            return 2
        return 1 if self.faults else 0


class _Context:
    """Values computed once and shared by the checks (the closure, the merged graph, its RDF/XML file)."""

    def __init__(self, inputs: Inputs, workdir: Path):
        self.inputs = inputs
        self.workdir = workdir
        self._closure: Closure | None = None
        self._merged: Graph | None = None
        self._merged_file: Path | None = None

    @property
    def closure(self) -> Closure:
        if self._closure is None:
            self._closure = load_closure(self.inputs.ontology_dir, self.inputs.extra_ontology_files())
        return self._closure

    @property
    def merged(self) -> Graph:
        if self._merged is None:
            self._merged = merge(self.closure)
        return self._merged

    @property
    def merged_file(self) -> Path:
        if self._merged_file is None:
            self._merged_file = write_merged_rdfxml(self.merged, self.workdir / "agrs-merged.owl")
        return self._merged_file

    def own_documents(self) -> Graph:
        """Return the union of AGRS's own documents: everything but the pinned external extracts."""
        imports_dir = (self.inputs.ontology_dir / "imports").resolve()
        graph = Graph()
        for path, document in self.closure.documents.items():
            if imports_dir not in path.resolve().parents:
                graph += document
        return graph


def _syntax(ctx: _Context) -> list[Fault]:
    """Parse every file: the closure, plus files of the folders that nothing imports."""
    faults = [fault for fault in ctx.closure.faults if fault.check == "syntax"]
    reached = {path.resolve() for path in ctx.closure.documents}
    failed = {Path(fault.file).resolve() for fault in faults if fault.file}
    candidates = sorted(ctx.inputs.ontology_dir.rglob("*.ttl")) + ctx.inputs.shape_files()
    for path in candidates:
        if path.resolve() not in reached | failed:
            _graph, fault = parse_file(path)
            if fault:
                faults.append(fault)
    return faults


def _imports(ctx: _Context) -> list[Fault]:
    """Every import resolves through the catalog, and every ontology file is reached from agrs.ttl."""
    faults = [fault for fault in ctx.closure.faults if fault.check == "imports"]
    reached = {path.resolve() for path in ctx.closure.documents}
    for path in sorted(ctx.inputs.ontology_dir.rglob("*.ttl")):
        if path.resolve() not in reached and parse_file(path)[1] is None:
            faults.append(
                Fault("imports", "unreachable", "no owl:imports chain from agrs.ttl reaches this file", file=str(path))
            )
    return faults


def _version(ctx: _Context) -> list[Fault]:
    from agrs.checks.version import check_version_stamps

    return check_version_stamps(ctx.closure.documents, ctx.inputs.version)


def _owl2_dl(ctx: _Context) -> list[Fault]:
    from agrs.checks.profile import check_dl_profile

    return check_dl_profile(ctx.merged_file)


def _hermit(ctx: _Context) -> list[Fault]:
    try:
        from agrs.checks.reasoner import check_consistency
    except ModuleNotFoundError as error:  # owlready2 is an extra: the ontology check needs it, loads do not
        raise CheckCannotRun(f"HermiT runs through owlready2 ({error}): pip install 'agrs[check]'") from error

    return check_consistency(ctx.merged_file)


def _meta_shapes(ctx: _Context) -> list[Fault]:
    from agrs.checks.shapes import check_meta_shapes

    return check_meta_shapes(ctx.own_documents(), ctx.inputs.meta_shape_files())


def _qc(ctx: _Context) -> list[Fault]:
    from agrs.checks.queries import check_violation_queries

    return check_violation_queries(ctx.closure.union(), ctx.inputs.qc_files())


def _shacl(ctx: _Context) -> list[Fault]:
    from agrs.checks.shapes import check_shacl_files

    return check_shacl_files(ctx.inputs.shape_files())


CHECKS: dict[str, Callable[[_Context], list[Fault]]] = {
    "syntax": _syntax,
    "imports": _imports,
    "version": _version,
    "owl2-dl": _owl2_dl,
    "hermit": _hermit,
    "meta-shapes": _meta_shapes,
    "qc": _qc,
    "shacl": _shacl,
}


def _dl_faults(results: list[CheckResult]) -> bool:
    return any(result.name == "owl2-dl" and result.faults for result in results)


def run_checks(inputs: Inputs, skip: tuple[str, ...] = (), on_start: Callable[[str], None] | None = None) -> Report:
    """Run every check not skipped; a check that cannot run is recorded and the others still run."""
    results = []
    with tempfile.TemporaryDirectory(prefix="agrs-check-") as workdir:
        ctx = _Context(inputs, Path(workdir))
        index = TermIndex(inputs.term_files())
        for name in CHECK_NAMES:
            if name in skip:
                results.append(CheckResult(name, skipped=True))
                continue
            if on_start:
                on_start(name)
            started = time.perf_counter()
            result = CheckResult(name)
            try:
                result.faults = locate_faults(CHECKS[name](ctx), index)
            except CheckCannotRun as error:
                if name == "hermit" and _dl_faults(results):
                    # HermiT refuses some non-DL input; the owl2-dl faults already say what to fix.
                    result.skipped, result.note = True, "not run: the ontology is not in OWL 2 DL"
                else:
                    result.error = str(error)
            result.seconds = time.perf_counter() - started
            results.append(result)
    return Report(results)
