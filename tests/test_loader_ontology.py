"""Loaders' vocabularies from the merged ontology the pipeline holds equal those read from the module files."""

from pathlib import Path

import pytest

from agrs.loaders import commons, indicators, partners, xlsform
from agrs.loaders.base import Loader
from agrs.loaders.pipeline import Resources, run_load
from agrs.loaders.registry import LOADERS, make_loader

from conftest import DATA, REPO

FORM = REPO / "data" / "survey" / "questionnaire.xlsx"


@pytest.fixture(scope="module")
def resources() -> Resources:
    return Resources.load()


def test_partners_vocabulary_from_the_merged_ontology_equals_the_module_files(resources):
    assert partners.Vocabulary.from_graph(resources.ontology) == partners.Vocabulary.from_ontology()


def test_commons_vocabulary_from_the_merged_ontology_equals_the_module_file(resources):
    assert commons.Vocabulary.from_graph(resources.ontology) == commons.Vocabulary.from_ontology()


def test_indicators_sources_from_the_merged_ontology_equal_sources_ttl(resources):
    assert indicators.sources_in(resources.ontology) == indicators.registered_sources()


def test_xlsform_terms_from_the_merged_ontology_equal_the_module_files(resources):
    known = xlsform.TermResolver.from_graph(resources.ontology).known
    assert known and known == xlsform.TermResolver().known


@pytest.mark.parametrize("kind", sorted(LOADERS))
def test_every_loader_takes_the_ontology(kind, resources):
    options = {"form": FORM, "salt": "s"} if kind == "survey" else {}
    loader = make_loader(kind, **options)
    loader.use_ontology(resources.ontology)
    assert loader.ontology is resources.ontology


def test_loaders_build_their_vocabularies_from_the_handed_ontology(resources, monkeypatch):
    def no_files(*args, **kwargs):
        raise AssertionError("read the ontology files although the ontology was handed over")

    for module in (partners, commons, indicators, xlsform):
        monkeypatch.setattr(module, "ontology_dir", no_files)
    indicators.registered_sources.cache_clear()
    for kind, options in (("partners", {}), ("commons", {}), ("indicators", {})):
        loader = make_loader(kind, **options)
        loader.use_ontology(resources.ontology)
        assert loader.map(next(iter(loader.read(_sample(kind))))) is not None
    survey = make_loader("survey", form=FORM, salt="s")
    survey.use_ontology(resources.ontology)
    assert survey.form.questions


def _sample(kind: str) -> Path:
    return {
        "partners": DATA / "loaders" / "partners" / "good.csv",
        "commons": DATA / "loaders" / "commons" / "page-seed-004.txt",
        "indicators": DATA / "loaders" / "indicators" / "definitions.csv",
    }[kind]


def test_the_pipeline_hands_its_ontology_to_the_loader(store, tmp_path, resources):
    seen = []

    class Spy(partners.PartnersLoader):
        def use_ontology(self, ontology) -> None:
            seen.append(ontology)
            super().use_ontology(ontology)

    loader = Spy()
    run_load(loader, [DATA / "loaders" / "partners" / "bom.csv"], store, quarantine_dir=tmp_path, resources=resources)
    assert len(seen) == 1 and seen[0] is resources.ontology and isinstance(loader, Loader)
