"""Which loader class reads each kind of source, imported only when that kind is loaded."""

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the loaders import rdflib: `agrs --help` lists this module's kinds without it
    from agrs.loaders.base import Loader

#: kind → "module:class"
LOADERS = {
    "territories": "agrs.loaders.territories:TerritoriesLoader",
    "partners": "agrs.loaders.partners:PartnersLoader",
    "rdf": "agrs.loaders.rdf:RdfLoader",
    "survey": "agrs.loaders.survey:SurveyLoader",
    "indicators": "agrs.loaders.indicators:IndicatorsLoader",
    "risks": "agrs.loaders.risks:RisksLoader",
    "commons": "agrs.loaders.commons:CommonsLoader",
    "diagnostic": "agrs.loaders.diagnostic:DiagnosticLoader",
}


def make_loader(kind: str, **options) -> "Loader":
    """Return a new loader for `kind` (one of LOADERS); KeyError for an unknown kind.

    `options` go to the loader's constructor (the survey loader's `form` and `salt`).
    """
    module, name = LOADERS[kind].split(":")
    return getattr(importlib.import_module(module), name)(**options)
