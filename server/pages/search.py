"""`/search?q=…`: find a commune, an organisation, a concept or a term by its name (labels in French and English).

Matching ignores case, accents and punctuation (`saint-etienne` finds « Saint-Étienne », `oeuvre` « Œuvre »).
A SPARQL FILTER with LCASE/REPLACE over every label scans and rewrites ~80,000 strings per request (seconds on the
full store); here the labels (rdfs:label, skos:prefLabel, skos:altLabel of every IRI in the union default graph)
are read once into a small in-memory index, normalised once, and kept in the app until the store changes: the
index is keyed by a digest of the current graph versions and the write generation of this server, so a load
(by another process) or an HTTP write makes the next search rebuild it. A search is then a scan of the normalised
strings in Python (milliseconds) and one SPARQL query for the types of the matches shown.

Ranking: the whole label equal to the query, then a label starting with it, then a word of the label starting with
it, then the query anywhere in the label, then every word of the query in the label; shorter labels first.
The answer is an HTML page (the header of every page has the search box), or JSON with `Accept: application/json`
or `format=json`.
"""

import hashlib
import json
import threading
import time
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass

from flask import Blueprint, Response, current_app, render_template, request

from agrs.server.conneg import negotiate
from agrs.server.pages import render
from agrs.server.pages.describe import IRI_PATTERN, labels_of
from agrs.server.runtime import runtime

blueprint = Blueprint("search", __name__)

EXTENSION_KEY = "agrs.label_index"
MAX_RESULTS = 50
MAX_QUERY = 200  # characters of the query read
LABELS = """SELECT ?s ?label WHERE {
  VALUES ?l { <http://www.w3.org/2000/01/rdf-schema#label> <http://www.w3.org/2004/02/skos/core#prefLabel>
              <http://www.w3.org/2004/02/skos/core#altLabel> }
  ?s ?l ?label FILTER(isIRI(?s) && isLiteral(?label)) }"""
# A UNION, not `VALUES ?p {…} ?s ?p ?kind`: Oxigraph answers the UNION in 30 ms, the VALUES join in 1.5 s (full COG)
KINDS = """SELECT ?s ?kind WHERE { VALUES ?s { $values }
  { ?s a ?kind } UNION { ?s <https://w3id.org/agrs/hasLevel> ?kind }
  UNION { ?s <http://www.w3.org/2004/02/skos/core#inScheme> ?kind } FILTER(isIRI(?kind)) }"""
#: types too general to say what a match is
GENERAL_TYPES = frozenset("http://www.w3.org/2002/07/owl#" + name for name in ("Thing", "NamedIndividual")) | {
    "http://www.w3.org/2000/01/rdf-schema#Resource",
    "http://www.w3.org/ns/prov#Entity",
}
FOLD = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "ı": "i"})


def normalise(text: str) -> str:
    """Lower case, without accents, punctuation as spaces, single spaces: what both labels and queries become."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(FOLD))
    kept = "".join(c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c))
    return " ".join(kept.split())


@dataclass(frozen=True)
class LabelIndex:
    """The labels of the store, normalised: parallel tuples, and the normalised labels joined into one text (each
    followed by a newline, `starts` giving where each begins) so that a search runs `str.find` over it in C."""

    iris: tuple[str, ...]
    labels: tuple[str, ...]
    languages: tuple[str, ...]
    normalised: tuple[str, ...]
    seconds: float
    text: str = ""
    starts: tuple[int, ...] = ()

    @classmethod
    def build(cls, query) -> "LabelIndex":
        """Read every label of the union default graph with `query` (one SELECT) and normalise it."""
        started = time.perf_counter()
        seen, iris, labels, languages, normalised = set(), [], [], [], []
        for row in query(LABELS):
            iri, label = row["s"].value, row["label"]
            key = (iri, label.value, label.language)
            if key in seen:  # the same triple in several graphs
                continue
            seen.add(key)
            iris.append(iri)
            labels.append(label.value)
            languages.append(label.language or "")
            normalised.append(normalise(label.value))
        starts, offset = [], 0
        for label in normalised:
            starts.append(offset)
            offset += len(label) + 1
        text = "".join(label + "\n" for label in normalised)
        seconds = time.perf_counter() - started
        return cls(tuple(iris), tuple(labels), tuple(languages), tuple(normalised), seconds, text, tuple(starts))

    def _containing(self, word: str):
        """Yield the positions of the labels that contain `word` (normalised, no newline), each once, in order."""
        found = self.text.find(word)
        while found != -1:
            position = bisect_right(self.starts, found) - 1
            yield position
            next_start = self.starts[position + 1] if position + 1 < len(self.starts) else len(self.text)
            found = self.text.find(word, next_start)

    def search(self, text: str, limit: int = MAX_RESULTS) -> tuple[list[dict], int]:
        """Return the best match per IRI (at most `limit`, best first) and how many IRIs matched in all."""
        wanted = normalise(text)
        if not wanted:
            return [], 0
        words = wanted.split()
        padded = " " + wanted
        best: dict[str, tuple] = {}

        def keep(position: int, score: int) -> None:
            label = self.normalised[position]
            rank = (score, len(label), self.labels[position], position)
            iri = self.iris[position]
            if iri not in best or rank < best[iri]:
                best[iri] = rank

        whole = set()
        for position in self._containing(wanted):
            whole.add(position)
            label = self.normalised[position]
            if label == wanted:
                keep(position, 0)
            elif label.startswith(wanted):
                keep(position, 1)
            elif padded in " " + label:
                keep(position, 2)
            else:
                keep(position, 3)
        if len(words) > 1:  # every word, in any order: the labels holding the longest word, then the others
            rest = sorted(words, key=len, reverse=True)
            for position in self._containing(rest[0]):
                if position not in whole and all(word in self.normalised[position] for word in rest[1:]):
                    keep(position, 4)
        ordered = sorted(best.items(), key=lambda item: item[1])
        results = [
            {
                "iri": iri,
                "label": self.labels[rank[3]],
                "language": self.languages[rank[3]] or None,
                "match": ("exact", "prefix", "word", "substring", "words")[rank[0]],
            }
            for iri, rank in ordered[:limit]
        ]
        return results, len(ordered)


def store_digest() -> str:
    """A digest of what the store holds now: its current graph versions, and this server's write generation."""
    runtime_ = runtime()
    from agrs.server import access

    versions = sorted(access.reader().current_versions().items())
    generation = runtime_.queries.generation if runtime_.queries is not None else 0
    # the caller's scope too: a public reader's index holds no label of a restricted graph
    return hashlib.sha256(json.dumps([versions, generation, access.scope()]).encode()).hexdigest()


def label_index() -> LabelIndex:
    """Return the label index of the store as it is now, building it when the store changed since the last one."""
    digest = store_digest()
    from agrs.server import access

    # one index per caller scope (agrs.server.access), so that public and restricted readers do not evict each other
    key = f"{EXTENSION_KEY} {access.scope()}"
    state = current_app.extensions.setdefault(key, {"lock": threading.Lock(), "index": None})
    with state["lock"]:  # one build at a time; the others wait for it rather than build the same index
        cached = state["index"]
        if cached is not None and cached[0] == digest:
            return cached[1]
        from agrs.server import access

        index = LabelIndex.build(access.reader().query)
        state["index"] = (digest, index)
        return index


def _kinds(iris: list[str]) -> dict[str, list[render.Link]]:
    """Return what each IRI is: its types (the too general ones left out), its level, its concept scheme."""
    names = [iri for iri in iris if IRI_PATTERN.match(iri)]
    if not names:
        return {}
    from agrs.server import access
    from agrs.store.base import Dataset

    query = access.reader().query
    # the asserted types only: the inferred ones (geo:Feature, schema:Place… for every territory) say nothing more
    rows = query(KINDS.replace("$values", " ".join(f"<{iri}>" for iri in names)), dataset=Dataset(infer=False))
    found: dict[str, set[str]] = {}
    for row in rows:
        kind = row["kind"].value
        if kind not in GENERAL_TYPES:
            found.setdefault(row["s"].value, set()).add(kind)
    from rdflib import URIRef

    labels = labels_of(query, {URIRef(kind) for kinds in found.values() for kind in kinds})
    return {
        iri: sorted((render.link(labels, URIRef(kind)) for kind in kinds), key=lambda link: link.text)
        for iri, kinds in found.items()
    }


@blueprint.get("/search")
def search():
    """Answer the matches of `q` as an HTML page or JSON (`Accept: application/json` or `format=json`)."""
    text = (request.args.get("q") or "").strip()[:MAX_QUERY]
    media_type = negotiate(request.headers.get("Accept"), ["text/html", "application/json"], request.args.get("format"))
    if media_type is None:
        media_type = "text/html"
    started = time.perf_counter()
    index = label_index()
    results, total = index.search(text) if text else ([], 0)
    kinds = _kinds([item["iri"] for item in results])
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    for item in results:
        path = render.local_path(item["iri"])
        item["href"] = render.href(path) if path else item["iri"]
        item["kinds"] = kinds.get(item["iri"], [])
    if media_type == "application/json":
        body = {
            "query": text,
            "total": total,
            "results": [
                {
                    "iri": item["iri"],
                    "label": item["label"],
                    "language": item["language"],
                    "match": item["match"],
                    "href": item["href"],
                    "types": [{"iri": kind.iri, "label": kind.text} for kind in item["kinds"]],
                }
                for item in results
            ],
        }
        response = Response(json.dumps(body, ensure_ascii=False), content_type="application/json; charset=utf-8")
    else:
        html = render_template("linked_data/search.html", title=f"Recherche / Search: {text}" if text else
                               "Recherche / Search", query=text, results=results, total=total,
                               shown=len(results), labels=len(index.iris))  # fmt: skip
        response = Response(html, content_type="text/html; charset=utf-8")
        from agrs.server.ui.query_page import CONTENT_SECURITY_POLICY

        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Search-Time-Ms"] = str(elapsed_ms)
    response.vary.add("Accept")
    return response
