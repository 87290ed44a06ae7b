"""The contract every loader fulfils: read files into raw records, map each record to RDF."""

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from agrs.records import RawRecord, Record

if TYPE_CHECKING:
    from rdflib import Graph


class Loader:
    """A loader for one kind of source; subclasses set `kind` and implement `read` and `map`.

    `read` yields raw records with line numbers and raises agrs.records.ReadError when a file cannot be read
    at all. `map` turns one raw record into triples and never touches the store; a record it cannot map gets
    `problems` (it will be quarantined), it does not raise.
    """

    kind: str = ""
    #: the graph's key when the user gives none (`https://w3id.org/agrs/graph/<kind>/<default_key>`)
    default_key: str = "default"
    #: whether the source is synthetic (invented for a demonstration, not observed): set by the constructor, or by
    #: `read` when the file itself says so (a diagnostic workbook's `synthetic` field); the pipeline then marks the
    #: load and its graph version `agrs:synthetic true` in the provenance, which pages and /api answers show
    synthetic: bool = False
    #: the merged ontology, when the pipeline has handed it over (see `use_ontology`)
    ontology: "Graph | None" = None

    def use_ontology(self, ontology: "Graph") -> None:
        """Take the merged ontology the pipeline has already parsed, to build controlled vocabularies from.

        The pipeline calls it before reading. A loader used alone (no call) parses the ontology files it needs
        itself; a loader whose vocabularies come from the ontology rebuilds them from this graph.
        """
        self.ontology = ontology

    def read(self, path: Path) -> Iterator[RawRecord]:
        """Yield the raw records of one file."""
        raise NotImplementedError

    def map(self, raw: RawRecord) -> Record:
        """Map one raw record to RDF."""
        raise NotImplementedError

    def after_gate(self, records: "Sequence[Record]") -> None:
        """Called by the pipeline after the SHACL gate, before the commit: a loader may reword the gate's problems
        in its source's terms (the diagnostic loader names the column a result's path comes from)."""

    def finish(self, records: list[Record]) -> None:
        """Complete, in place, what one record cannot say alone: called once after every file of a load is mapped.

        Most loaders need nothing here. It may add triples (about a record's own subjects) and warnings to
        records; it never touches the store.
        """


Built = TypeVar("Built")


class FromOntology(Generic[Built]):
    """Something a loader builds from the ontology (its controlled values): the one given to the loader, else built
    from the merged ontology the pipeline handed over, else from the ontology files; built again when the pipeline
    hands over another ontology."""

    def __init__(self, from_graph: "Callable[[Graph], Built]", from_files: Callable[[], Built], given=None):
        self._from_graph, self._from_files, self._given = from_graph, from_files, given
        self._built: Built | None = None
        self._source: object = self  # what `_built` was built from (self: nothing yet)

    def get(self, ontology: "Graph | None") -> Built:
        """Return the values for `ontology` (the loader's `ontology` attribute: None when used alone)."""
        if self._given is not None:
            return self._given
        if self._source is not ontology:
            self._built = self._from_files() if ontology is None else self._from_graph(ontology)
            self._source = ontology
        return self._built
