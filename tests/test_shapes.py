"""The SHACL data shapes (shapes/*.shapes.ttl): every example file is a test.

A valid example (tests/data/shapes/valid/<Shape>--<case>.ttl) must conform to all the shapes together; an invalid
one (tests/data/shapes/invalid/<Shape>--<case>.ttl) must not, and must fire the node shape its file name names
(a result whose source shape is that node shape or one of its property shapes). The data graph is the example
plus the whole ontology, as the loaders' gate sees it (concepts and their types included).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH

from agrs.closure import load_closure
from agrs.paths import ontology_dir
from agrs.shacl import ValidationReport, validate

from conftest import DATA, REPO

SHAPES_DIR = REPO / "shapes"
SHAPE_FILES = sorted(SHAPES_DIR.glob("*.shapes.ttl"))
VALID = sorted((DATA / "shapes" / "valid").glob("*.ttl"))
INVALID = sorted((DATA / "shapes" / "invalid").glob("*.ttl"))
SHAPE_NS = "https://w3id.org/agrs/shapes/"


def _ids(paths: list[Path]) -> list[str]:
    return [path.stem for path in paths]


def _named_shape(path: Path) -> URIRef:
    return URIRef(SHAPE_NS + path.stem.split("--", 1)[0])


@pytest.fixture(scope="module")
def shapes() -> Graph:
    graph = Graph()
    for path in SHAPE_FILES:
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return load_closure(ontology_dir()).union()


@pytest.fixture(scope="module")
def node_shapes(shapes: Graph) -> set[URIRef]:
    return set(shapes.subjects(RDF.type, SH.NodeShape))


@pytest.fixture(scope="module")
def owner(shapes: Graph, node_shapes: set[URIRef]) -> dict:
    """Map every node shape to itself, and every property shape and SPARQL constraint to its node shape."""
    table = {shape: shape for shape in node_shapes}
    for link in (SH.property, SH.sparql):
        for node_shape, part in shapes.subject_objects(link):
            table[part] = node_shape
    return table


def _validate(data: Graph, shapes: Graph) -> tuple[bool, ValidationReport, str]:
    """Validate with the project's one validator (agrs.shacl: pySHACL); the text lists the results, for failures."""
    report = validate(data, shapes)
    text = "\n".join(f"{r.focus} {r.path_text()} [{r.shape_name()}] {r.text()}" for r in report.results)
    return report.conforms, report, text


@contextmanager
def _data(example: Path, ontology: Graph) -> Iterator[Graph]:
    """Add the example to the ontology graph for the time of a validation, then take it out again.

    Faster than copying the ontology for each example; only the triples the ontology does not already hold are
    added, so that taking them out leaves the ontology as it was.
    """
    added = Graph().parse(example, format="turtle") - ontology
    ontology += added
    try:
        yield ontology
    finally:
        ontology -= added


# --- The files ------------------------------------------------------------------------------------------------


def test_files_found():
    assert SHAPE_FILES
    assert VALID
    assert INVALID


@pytest.mark.parametrize("path", SHAPE_FILES, ids=_ids(SHAPE_FILES))
def test_shapes_file_is_named_after_a_module(path: Path):
    modules = {module.stem for module in (ontology_dir() / "modules").glob("*.ttl")}
    stem = path.name.removesuffix(".shapes.ttl")
    assert stem in modules, f"{path.name}: no ontology module modules/{stem}.ttl"


@pytest.mark.parametrize("path", VALID + INVALID, ids=[f"{p.parent.name}/{p.stem}" for p in VALID + INVALID])
def test_example_is_named_after_a_node_shape_and_says_what_it_shows(path: Path, node_shapes: set[URIRef]):
    assert "--" in path.stem, f"{path.name}: name it <Shape>--<case>.ttl"
    assert _named_shape(path) in node_shapes, f"{path.name}: no node shape {_named_shape(path)}"
    assert path.read_text(encoding="utf-8").startswith("#"), f"{path.name}: start with a comment saying what it shows"


def test_every_node_shape_has_one_valid_and_two_invalid_examples(node_shapes: set[URIRef]):
    valid = [_named_shape(path) for path in VALID]
    invalid = [_named_shape(path) for path in INVALID]
    missing = sorted(
        str(shape).removeprefix(SHAPE_NS) for shape in node_shapes if valid.count(shape) < 1 or invalid.count(shape) < 2
    )
    assert not missing, f"node shapes with fewer than 1 valid and 2 invalid examples: {missing}"


# --- The shapes -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("link", [SH.property, SH.sparql], ids=["property-shapes", "sparql-constraints"])
def test_every_constraint_is_named_and_belongs_to_one_node_shape(shapes: Graph, link: URIRef):
    parts = set(shapes.objects(None, link))
    if link == SH.property:
        parts |= set(shapes.subjects(RDF.type, SH.PropertyShape))
    assert parts
    for part in parts:
        assert isinstance(part, URIRef) and str(part).startswith(SHAPE_NS), f"unnamed constraint {part!r}"
        owners = set(shapes.subjects(link, part))
        assert len(owners) == 1, f"{part} belongs to {len(owners)} node shapes, not one"


def test_every_constraint_has_one_message_in_french_and_one_in_english(shapes: Graph):
    constraints = set(shapes.objects(None, SH.property)) | set(shapes.objects(None, SH.sparql))
    assert constraints
    faults = []
    for constraint in constraints:
        messages = list(shapes.objects(constraint, SH.message))
        languages = sorted(m.language or "none" for m in messages if isinstance(m, Literal))
        if languages != ["en", "fr"] or len(messages) != 2:
            faults.append(f"{constraint}: messages in {languages}")
    assert not faults, "\n".join(sorted(faults))


def test_the_ontology_alone_conforms(shapes: Graph, ontology: Graph):
    conforms, _report, text = _validate(ontology, shapes)
    assert conforms, text


# --- The examples ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", VALID, ids=_ids(VALID))
def test_valid_example_conforms(path: Path, shapes: Graph, ontology: Graph):
    with _data(path, ontology) as data:
        conforms, _report, text = _validate(data, shapes)
    assert conforms, text


@pytest.mark.parametrize("path", VALID, ids=_ids(VALID))
def test_valid_example_follows_the_typing_convention(path: Path, shapes: Graph, ontology: Graph):
    """Without the ontology's rdfs:subClassOf axioms, sh:class and sh:targetClass see only explicit types."""
    axioms = Graph()
    for triple in ontology.triples((None, RDFS.subClassOf, None)):
        axioms.add(triple)
    ontology -= axioms
    try:
        with _data(path, ontology) as data:
            conforms, _report, text = _validate(data, shapes)
    finally:
        ontology += axioms
    assert conforms, text


@pytest.mark.parametrize("path", INVALID, ids=_ids(INVALID))
def test_invalid_example_fires_its_shape(path: Path, shapes: Graph, ontology: Graph, owner: dict):
    with _data(path, ontology) as data:
        conforms, report, text = _validate(data, shapes)
    assert not conforms, f"{path.name} conforms but should not"
    fired = {owner.get(result.shape) for result in report.results}
    assert _named_shape(path) in fired, f"{path.name} does not fire {_named_shape(path)}:\n{text}"
