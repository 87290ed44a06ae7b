"""Consistency and class satisfiability of one RDF/XML document, with HermiT through owlready2.

owlready2 keeps global state (a default world, the temp folder it writes HermiT's input to) and
prints to stdout; the check loads the document into a World of its own, in a temp folder that also
holds HermiT's input file, and captures what owlready2 prints.
"""

import contextlib
import io
import shutil
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import owlready2

from agrs.checks.faults import CheckCannotRun, Fault
from agrs.ns import OWL

CHECK = "hermit"
OWL_IMPORTS_TAG = f"{{{OWL}}}imports"
OWL_NOTHING = str(OWL.Nothing)
JAVA_HINT = "install a Java runtime, e.g. apt-get install default-jre-headless"


def check_consistency(owl_file: Path) -> list[Fault]:
    """Run HermiT on an RDF/XML ontology document (no owl:imports) and report what it finds wrong.

    Return one `inconsistent` fault when the ontology has no model, else one `unsatisfiable-class`
    fault per named class equivalent to owl:Nothing (sorted by IRI); an empty list when all is well.
    Raise CheckCannotRun when Java is missing, the document cannot be read or imports another one,
    or HermiT fails.
    """
    if shutil.which(owlready2.JAVA_EXE) is None:
        raise CheckCannotRun(f"{CHECK}: `{owlready2.JAVA_EXE}` is not on PATH; {JAVA_HINT}")
    refuse_imports(owl_file)
    with tempfile.TemporaryDirectory(prefix="agrs-hermit-") as scratch, captured_output():
        world = owlready2.World(filename=str(Path(scratch) / "quadstore.sqlite3"))
        try:
            load(world, owl_file)
            with temp_files_in(scratch):
                consistent = reason(world)
            if not consistent:
                return [
                    Fault(
                        CHECK,
                        "inconsistent",
                        "the ontology is inconsistent: no interpretation satisfies all its axioms "
                        "(e.g. an individual in two disjoint classes)",
                    )
                ]
            return unsatisfiable_class_faults(world)
        finally:
            # sqlite keeps the file open: close before the temp folder goes.
            world.close()


def refuse_imports(owl_file: Path) -> None:
    """Raise CheckCannotRun if the document has an owl:imports, or is not XML.

    owlready2 would fetch an import from the web; the check promises never to touch the network, and
    expects the merged, import-free document. In RDF/XML an owl:imports to a resource is always an
    element, so a scan of the element tags finds every one.
    """
    try:
        for _, element in ET.iterparse(owl_file):
            if element.tag == OWL_IMPORTS_TAG:
                target = element.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}resource", "?")
                raise CheckCannotRun(
                    f"{CHECK}: {owl_file} imports <{target}>; the check takes one merged document without owl:imports"
                )
            element.clear()  # only tags matter: keep memory flat on a large document
    except (OSError, ET.ParseError) as error:
        raise CheckCannotRun(f"{CHECK}: cannot read {owl_file} as RDF/XML: {error}") from error


def load(world: owlready2.World, owl_file: Path) -> None:
    """Load the document into `world` from the local file only."""
    try:
        world.get_ontology(owl_file.resolve().as_uri()).load(only_local=True)
    except (OSError, owlready2.OwlReadyOntologyParsingError) as error:
        raise CheckCannotRun(f"{CHECK}: owlready2 cannot load {owl_file}: {error}") from error


def reason(world: owlready2.World) -> bool:
    """Classify `world` with HermiT; return False when the ontology is inconsistent."""
    try:
        # Property values are not needed to find inconsistency or unsatisfiable classes, and inferring
        # them makes HermiT much slower on an ontology with individuals.
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    except owlready2.OwlReadyInconsistentOntologyError:
        return False
    except owlready2.OwlReadyJavaError as error:
        raise CheckCannotRun(f"{CHECK}: HermiT failed: {java_error_summary(str(error))}") from error
    return True


def java_error_summary(text: str) -> str:
    """Return a Java failure's message without owlready2's preamble and the stack trace.

    HermiT refuses some non-DL input (a non-simple property in a cardinality restriction) with an
    exception whose first line says what is wrong; the trace below it only says where in HermiT.
    """
    lines = [
        line.strip().removeprefix('Exception in thread "main" ')
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith(("at ", "Java error message is"))
    ]
    summary = "\n".join(lines[:5]) or "no message"
    return f"{summary}\n(HermiT needs an OWL 2 DL ontology: see the owl2-dl check's faults)"


def unsatisfiable_class_faults(world: owlready2.World) -> list[Fault]:
    """Return one fault per named class HermiT found equivalent to owl:Nothing, sorted by IRI."""
    iris = sorted({cls.iri for cls in world.inconsistent_classes() if cls.iri != OWL_NOTHING})
    return [
        Fault(
            CHECK,
            "unsatisfiable-class",
            "the class is unsatisfiable (equivalent to owl:Nothing): no individual can belong to it",
            term=iri,
        )
        for iri in iris
    ]


@contextlib.contextmanager
def captured_output() -> Iterator[None]:
    """Swallow what Python code prints to stdout meanwhile.

    owlready2 prints inferred relations to stdout, which carries the CLI's report only; its warnings
    go to stderr and are left there for a reader.
    """
    with contextlib.redirect_stdout(io.StringIO()):
        yield


@contextlib.contextmanager
def temp_files_in(folder: str) -> Iterator[None]:
    """Make `tempfile` create files in `folder` meanwhile.

    owlready2 writes HermiT's input to a NamedTemporaryFile in the default temp folder and leaves it
    there when HermiT reports an inconsistency; pointing tempfile at our scratch folder makes sure it
    goes with the folder.
    """
    previous = tempfile.tempdir
    tempfile.tempdir = folder
    try:
        yield
    finally:
        tempfile.tempdir = previous
