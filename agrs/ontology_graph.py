"""The ontology as the store holds it: the merged ontology in its own graph, loaded before any data.

Queries see the ontology in their default graph (labels of classes and concepts, the hierarchy the reasoner reads),
and the gate validates records against the stored descriptions of what they point to, concepts included.
"""

from datetime import UTC, datetime

from agrs.commit import Source, commit_graph
from agrs.commit_checks import is_unchanged
from agrs.graphs import ONTOLOGY_GRAPH, ONTOLOGY_KEY, ONTOLOGY_KIND
from agrs.provenance import content_digest
from agrs.records import SourceFile
from agrs.resources import Resources
from agrs.store.base import Store
from agrs.store.terms import to_oxigraph


def ensure_ontology(store: Store, resources: Resources) -> bool:
    """Load the merged ontology into its graph when missing or different from the package's; return whether it did.

    The comparison is by the digest of the ontology files, recorded in the provenance like any load.
    """
    files = [SourceFile.of(path) for path in resources.ontology_files]
    if is_unchanged(store, ONTOLOGY_GRAPH, content_digest(files)):
        return False
    commit_graph(
        store, Source(ONTOLOGY_KIND, ONTOLOGY_KEY, ONTOLOGY_GRAPH),
        (to_oxigraph(triple) for triple in resources.ontology), started=datetime.now(UTC), files=files,
        shapes_digest=resources.shapes_digest,
    )  # fmt: skip
    return True
