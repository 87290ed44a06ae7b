"""Federated questions: stored questions whose SPARQL reaches other endpoints with `SERVICE`, kept apart.

They live in `queries/federated/*.rq` (not `queries/cq/`), and are off by default: they are listed and run only
when a federation allowlist is given (`agrs serve --allow-federation IRI`; for `agrs query` the same option, or
$AGRS_FEDERATION_ALLOWLIST, IRIs separated by spaces or commas). An allowlist entry is an exact IRI, or a prefix
when it ends with "/".

A federated question declares every endpoint it calls in its header, under the AGRS key `endpoints:`:

    #+ endpoints:
    #+   wikidata:
    #+     iri: https://query.wikidata.org/sparql
    #+     description: Wikidata's SPARQL endpoint.
    #+     description_fr: Le point d'accès SPARQL de Wikidata.

The file writes the IRI as a constant (`SERVICE <https://query.wikidata.org/sparql> { … }`), so it runs as it is
in any SPARQL 1.1 engine. Each endpoint is also a parameter named `<name>_endpoint` (type iri, default the
constant): a value replaces the IRI in the SERVICE clauses (a test points it at a loopback server, an operator at a
mirror). Every SERVICE of the text must name a declared endpoint, and `SERVICE ?variable` is refused (its target
would only be known while the query runs). Before running, every endpoint the bound question calls must be on
the allowlist (`FederationNotAllowed` otherwise, naming the endpoint and the option to use).
"""

import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from agrs.questions.errors import QuestionError

if TYPE_CHECKING:
    from agrs.questions.library import Question

#: the environment variable `agrs query` reads the allowlist from when no option gives it
ENVIRONMENT = "AGRS_FEDERATION_ALLOWLIST"
#: the suffix of the parameter that rebinds an endpoint (`wikidata` → `wikidata_endpoint`)
PARAMETER_SUFFIX = "_endpoint"
ENDPOINT_KEYS = ("iri", "description", "description_fr")
ENDPOINT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
#: `SERVICE` as a keyword (quick test before the real parse: most questions have none)
SERVICE_WORD = re.compile(r"(?<![\w?$:])service(?![\w:-])", re.IGNORECASE)
#: what cannot hold a keyword: comments, strings, IRIs between < and >
INERT = re.compile(
    r"#[^\n]*"
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'(?:[^'\\\n]|\\.)*'"
    r'|"(?:[^"\\\n]|\\.)*"'
    r'|<[^<>"{}|^`\\\x00-\x20]*>'
)


@dataclass(frozen=True)
class Endpoint:
    """A SPARQL endpoint a federated question calls: its name, the IRI its SERVICE clauses write, its documentation."""

    name: str
    iri: str
    description: str
    description_fr: str

    @property
    def parameter(self) -> str:
        """The name of the parameter that rebinds this endpoint."""
        return self.name + PARAMETER_SUFFIX


class FederationNotAllowed(QuestionError):
    """A federated question would call an endpoint that is not on the allowlist (or no allowlist is given)."""


def allowed(iri: str, allowlist: Sequence[str]) -> bool:
    """Whether `iri` is on `allowlist`: equal to an entry, or under an entry that ends with "/"."""
    return any(iri == entry or (entry.endswith("/") and iri.startswith(entry)) for entry in allowlist)


def allowlist_from_environment(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Return the allowlist $AGRS_FEDERATION_ALLOWLIST gives (IRIs separated by spaces or commas), else ()."""
    text = (os.environ if environ is None else environ).get(ENVIRONMENT, "")
    return tuple(item for item in re.split(r"[\s,]+", text) if item)


def check_allowed(question: "Question", values: Mapping[str, object] | None, allowlist: Sequence[str]) -> None:
    """Raise FederationNotAllowed unless every endpoint the bound question calls is on `allowlist`."""
    refused = [iri for iri in question.endpoints_for(values) if not allowed(iri, allowlist)]
    if not refused:
        return
    where = "no federation allowlist is given" if not allowlist else "the allowlist (" + ", ".join(allowlist) + ")"
    verb = "is" if not allowlist else "does not cover it"
    raise FederationNotAllowed(
        f"{question.name} is a federated question and calls {', '.join(refused)}, but {where}"
        + ("" if not allowlist else f" {verb}")
        + f": allow the endpoint with --allow-federation IRI (agrs serve, agrs query) or ${ENVIRONMENT}, "
        "or point the question at an allowed one with --param NAME_endpoint=IRI"
    )


def service_targets(sparql: str) -> list[str]:
    """Return the SERVICE targets of a query, in order: IRIs, or `?name` for a variable target.

    rdflib's parser (prefixes and BASE resolved); a text without the SERVICE keyword is not parsed.
    """
    if not SERVICE_WORD.search(_inert_blanked(sparql)):
        return []
    from rdflib import Variable
    from rdflib.plugins.sparql.algebra import translatePrologue

    from agrs.sparql_text import parse_query

    parsed = parse_query(sparql)
    prologue = translatePrologue(parsed[0], None)
    targets = []
    for term in _service_terms(parsed[1]):
        targets.append(f"?{term}" if isinstance(term, Variable) else str(prologue.absolutize(term)))
    return targets


def rebind_service(sparql: str, old: str, new: str) -> str:
    """Return `sparql` with `SERVICE [SILENT] <old>` written `SERVICE [SILENT] <new>` (both absolute IRIs)."""
    pattern = re.compile(r"(SERVICE\s+(?:SILENT\s+)?)<" + re.escape(old) + ">", re.IGNORECASE)
    return pattern.sub(lambda match: match.group(1) + "<" + new + ">", sparql)


def read_endpoints(entry, path: Path) -> list[Endpoint]:
    """Check the header's `endpoints:` entry ((node, value) as header.py keeps them); return the Endpoints."""
    if entry is None:
        return []
    node, value = entry
    line = node.start_mark.line + 1
    if not isinstance(value, dict) or not value:
        raise QuestionError("'endpoints' must map endpoint names to {iri, description, description_fr}", path, line)
    endpoints = []
    for key_node, _ in node.value:
        name, entry_line = key_node.value, key_node.start_mark.line + 1
        doc = value[name]
        if not ENDPOINT_NAME.fullmatch(str(name)):
            raise QuestionError(f"endpoint name {name!r} must be a letter then letters, digits or _", path, entry_line)
        if not isinstance(doc, dict):
            raise QuestionError(f"endpoint {name!r} must be a map with iri, description, description_fr",
                                path, entry_line)  # fmt: skip
        for key in doc:
            if key not in ENDPOINT_KEYS:
                raise QuestionError(f"unknown key {key!r} in endpoint {name!r} (allowed: {', '.join(ENDPOINT_KEYS)})",
                                    path, entry_line)  # fmt: skip
        for key in ENDPOINT_KEYS:
            if not isinstance(doc.get(key), str) or not doc[key].strip():
                raise QuestionError(f"endpoint {name!r} needs {key!r} (non-empty text)", path, entry_line)
        iri = doc["iri"].strip()
        if not re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", iri):
            raise QuestionError(f"endpoint {name!r}: {iri!r} is not an absolute http(s) IRI", path, entry_line)
        endpoints.append(Endpoint(name, iri, doc["description"].strip(), doc["description_fr"].strip()))
    return endpoints


def check_services(text: str, endpoints: Iterable[Endpoint], path: Path) -> None:
    """Refuse a SERVICE the header does not declare, a variable SERVICE, and a declared endpoint never used."""
    try:
        targets = service_targets(text)
    except Exception:  # a syntax error: check_sparql reports it with its line
        return
    declared = {endpoint.iri: endpoint for endpoint in endpoints}
    for target in targets:
        if target.startswith("?"):
            raise QuestionError(f"SERVICE {target}: a stored question names its endpoints (declare them under "
                                "'endpoints:' and write the IRI)", path)  # fmt: skip
        if target not in declared:
            hint = ("declare it under 'endpoints:' (federated questions live in queries/federated/)" if not declared
                    else "declared: " + ", ".join(declared))  # fmt: skip
            raise QuestionError(f"SERVICE <{target}> is not a declared endpoint; {hint}", path)
    for iri, endpoint in declared.items():
        if iri not in targets:
            raise QuestionError(f"endpoint {endpoint.name!r} ({iri}) is declared but no SERVICE calls it", path)


def load_federated(folder: str | Path | None = None) -> dict[str, "Question"]:
    """Return {stem: Question} for the federated questions (default: the packaged queries/federated/)."""
    from agrs.questions.library import load_library

    if folder is None:
        from agrs.paths import queries_dir

        folder = queries_dir() / "federated"
    return load_library(folder)


def _inert_blanked(sparql: str) -> str:
    """Return the text with comments, strings and IRIs blanked: what cannot hold the SERVICE keyword."""
    return INERT.sub(" ", sparql)


def _service_terms(node) -> Iterator[object]:
    """Yield the target term of every SERVICE pattern of a parse tree."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(node, CompValue):
        if node.name == "ServiceGraphPattern":
            yield node.get("term")
        for value in node.values():
            yield from _service_terms(value)
    elif isinstance(node, ParseResults | list | tuple):
        for value in node:
            yield from _service_terms(value)
