"""One table of namespaces: the @prefix and PREFIX lines of every file agree with agrs.ns."""

import re
from pathlib import Path

import pytest

from agrs.ns import prefixes

from conftest import REPO

TURTLE_PREFIX = re.compile(r"@prefix\s+([\w-]*):\s*<([^>]*)>", re.IGNORECASE)
SPARQL_PREFIX = re.compile(r"^\s*PREFIX\s+([\w-]*):\s*<([^>]*)>", re.IGNORECASE | re.MULTILINE)
FILES = sorted([*REPO.glob("ontology/**/*.ttl"), *REPO.glob("shapes/**/*.ttl"), *REPO.glob("queries/**/*.rq")])


def test_files_found():
    assert FILES


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(REPO)) for p in FILES])
def test_prefixes_agree_with_agrs_ns(path: Path):
    table = prefixes()
    by_iri = {iri: name for name, iri in table.items()}
    text = path.read_text(encoding="utf-8")
    for name, iri in TURTLE_PREFIX.findall(text) + SPARQL_PREFIX.findall(text):
        if name in table:
            assert table[name] == iri, f"{name}: is {iri} here but {table[name]} in agrs.ns"
        if iri in by_iri:
            assert by_iri[iri] == name, f"<{iri}> is {name}: here but {by_iri[iri]}: in agrs.ns"
