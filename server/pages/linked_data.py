"""Linked data: every IRI under https://w3id.org/agrs/ dereferences here, as an HTML page or an RDF document.

Paths (the IRI ↔ path mapping is `agrs.server.pages.render.local_path`):
- `/id/<rest>`: the resource `https://w3id.org/agrs/id/<rest>` (territories, actors, loads…), by `Accept`;
- `/def/<rest>`: `https://w3id.org/agrs/<rest>`: ontology terms (`/def/Commune`), concept schemes and concepts
  (`/def/level/commune`), graphs, sources — a path of their own, so that no term can shadow /sparql or /health;
- `/page/<rest>` (HTML) and `/data/<rest>.<ttl|jsonld|rdf|nt>` (RDF): the targets the w3id redirect rules of
  ontology/w3id/ name, for any `https://w3id.org/agrs/<rest>`;
- `/ontology` (by `Accept`) and `/ontology/agrs.<ext>`: the whole merged ontology.
Slash IRIs are answered directly with 200 (no 303 to a document): a 303 would only send the client to the same
server again; an RDF answer's `Content-Location` names the document (`/data/<rest>.<ext>`), and the public
IRIs are already 303-redirected by the w3id rules.
Pages are read in the request thread (a few bounded SPARQL queries each: see agrs.server.pages.describe), not through
the killable query workers of /sparql: a client cannot make them run long.
"""

from flask import Blueprint, Response, render_template, request
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS

from agrs.graphs import ONTOLOGY_GRAPH
from agrs.ns import AGRS, BASE
from agrs.provenance import synthetic_subjects
from agrs.server import access
from agrs.server.pages import render
from agrs.server.pages.aligned import fold_incoming, fold_rows, property_hierarchy
from agrs.server.pages.charts import indicator_series, svg_chart, table_rows
from agrs.server.pages.describe import COUNT_CAP, INCOMING_PAGE, BadIri, Description, describe, labels_of
from agrs.server.pages.iri_path import raw_rest
from agrs.server.pages.map_page import map_href
from agrs.server.pages.ontology_source import ontology_query, ontology_source
from agrs.server.pages.populations import population_figures
from agrs.server.pages.rdf_out import EXTENSIONS, HTML, RDF_TYPES, choose, not_acceptable, rdf_response
from agrs.server.responses import text_response
from agrs.server.runtime import runtime
from agrs.store import StoreError

blueprint = Blueprint("linked_data", __name__)


@blueprint.after_request
def _content_security_policy(response: Response) -> Response:
    """Keep the HTML pages on this origin, as the query UI is (they need no script at all)."""
    from agrs.server.ui.query_page import CONTENT_SECURITY_POLICY

    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    return response


OFFERED = (HTML, *RDF_TYPES)
ALTERNATES = (("Turtle", "ttl"), ("JSON-LD", "jsonld"), ("RDF/XML", "rdf"), ("N-Triples", "nt"))
#: path prefixes under https://w3id.org/agrs/ whose resources live in the data, not in the ontology
DATA_PREFIXES = ("id/", "graph/")


# The routes read the IRI from the raw request path (agrs.server.pages.iri_path): `/id/unit/%7Binhab%7D` is the IRI
# `…/id/unit/%7Binhab%7D`, never `…/id/unit/{inhab}` (which the decoded `rest` would give).


@blueprint.get("/id/<path:rest>")
def data_resource(rest: str):
    """Describe `https://w3id.org/agrs/id/<rest>` in the negotiated format."""
    return _negotiated([render.ID_BASE + iri for iri in raw_rest("/id/", rest)])


@blueprint.get("/def/<path:rest>")
def term_resource(rest: str):
    """Describe `https://w3id.org/agrs/<rest>` (an ontology term, a concept…) in the negotiated format."""
    return _negotiated([BASE + iri for iri in raw_rest("/def/", rest)])


@blueprint.get("/page/<path:rest>")
def page(rest: str):
    """The HTML page of `https://w3id.org/agrs/<rest>` (target of the w3id rules)."""
    return _answer([BASE + iri for iri in raw_rest("/page/", rest)], HTML)


@blueprint.get("/data/<path:rest>")
def data_document(rest: str):
    """The RDF description of `https://w3id.org/agrs/<path>` for `/data/<path>.<ext>` (target of the w3id rules)."""
    stem, _, extension = rest.rpartition(".")
    if not stem or extension not in EXTENSIONS:
        return text_response(404, f"/data/ needs a path ending in one of .{', .'.join(EXTENSIONS)}: {rest}")
    stems = [iri.rpartition(".")[0] for iri in raw_rest("/data/", rest)]
    return _answer([BASE + iri for iri in stems], EXTENSIONS[extension])


@blueprint.get("/ontology")
def ontology():
    """The whole merged ontology: HTML documentation or RDF, by `Accept` (HTML by default for browsers)."""
    media_type = choose((HTML, *RDF_TYPES))
    if media_type is None:
        return not_acceptable(OFFERED)
    return _ontology(media_type)


@blueprint.get("/ontology/agrs.<extension>")
def ontology_file(extension: str):
    """The whole merged ontology in the syntax of the extension (ttl, jsonld, rdf, nt)."""
    if extension not in EXTENSIONS:
        return text_response(404, f"no ontology file agrs.{extension}: use one of .{', .'.join(EXTENSIONS)}")
    return _ontology(EXTENSIONS[extension])


def _ontology(media_type: str):
    source = ontology_source()
    if media_type != HTML:
        return rdf_response(source.graph, media_type)
    from agrs.server.pages.ontology_page import ontology_context

    response = Response(render_template("linked_data/ontology.html", **ontology_context(source)))
    response.vary.add("Accept")
    return response


def _negotiated(iris: list[str]):
    media_type = choose(OFFERED)
    if media_type is None:
        return not_acceptable(OFFERED)
    return _answer(iris, media_type)


def _answer(iris: list[str], media_type: str):
    """Answer the first of `iris` (the readings of one request path, iri_path.iri_candidates) the store knows.

    An HTML page lists INCOMING_PAGE incoming links, those of page `?page=N` (a hub such as a région links
    thousands of communes); an RDF document holds the first INCOMING_CAP and says how many it left out.
    """
    description = query = bad = None
    page = _page_number() if media_type == HTML else 1
    if page is None:
        return text_response(400, f"page must be a positive integer, not {request.args.get('page')!r}")
    paging = {}
    if media_type == HTML:
        paging = {"incoming_cap": INCOMING_PAGE, "incoming_offset": (page - 1) * INCOMING_PAGE}
    for iri in iris:
        query = _query_for(iri)
        try:
            description = describe(query, iri, **paging)
        except BadIri as error:
            bad = bad or error
            continue
        except StoreError as error:
            return text_response(503, f"503 Service Unavailable: the store could not be read: {error}")
        if description.found:
            break
    if description is None:
        return text_response(400, str(bad))
    iri = str(description.iri)
    if not description.found:
        return _not_found(str(iris[0]) if bad is None else iri, media_type)
    if media_type != HTML:
        extension = {value: key for key, value in EXTENSIONS.items()}[media_type]
        document = None
        if iri.startswith(BASE):
            document = render.href(f"/data/{render.quote_path(iri[len(BASE) :])}.{extension}")
        # the document's own IRI keeps the resource's percent-encodings (request.base_url is decoded: `{inhab}`)
        document_iri = request.host_url.rstrip("/") + document if document else request.base_url
        response = rdf_response(_with_truncation_note(description, document_iri), media_type)
        if document:
            response.headers["Content-Location"] = document
    else:
        response = Response(render_template("linked_data/resource.html", **_page_context(query, description)))
        response.vary.add("Accept")
    return response


def _page_number() -> int | None:
    """The `page` parameter of an HTML page (1 when absent); None when it is not a positive integer."""
    text = request.args.get("page", "").strip()
    if not text:
        return 1
    return int(text) if text.isdigit() and int(text) >= 1 else None


def _pagination(description: Description) -> dict:
    """The incoming links' page: its first and last link numbers, and the hrefs of the previous and next pages."""
    offset, shown, total = description.incoming_offset, description.incoming_shown, description.incoming_total
    page = offset // INCOMING_PAGE + 1
    if total > COUNT_CAP:  # counted up to the cap only: a full page may have a next one
        pages, more = f"{page + 1}+" if shown == INCOMING_PAGE else str(page), shown == INCOMING_PAGE
    else:
        count = max((total + INCOMING_PAGE - 1) // INCOMING_PAGE, 1)
        pages, more = str(count), page < count

    def href(number: int) -> str:
        return f"{request.script_root}{request.path}?page={number}#incoming"

    return {
        "page": page, "pages": pages, "first": offset + 1 if shown else 0, "last": offset + shown,
        "prev": href(page - 1) if page > 1 else None, "next": href(page + 1) if more else None,
        "several": page > 1 or more,
    }  # fmt: skip


def _query_for(iri: str):
    """Data resources are read from the store; ontology terms from the ontology source (store or files)."""
    if any(iri.startswith(BASE + prefix) for prefix in DATA_PREFIXES):
        return access.reader().query
    return ontology_query()


def _with_truncation_note(description: Description, document_iri: str):
    """Say, in the document itself (`document_iri`), that incoming links were left out, and where to get them all."""
    graph = description.graph
    if description.incoming_truncated:
        note = (f"{description.incoming_shown} of the {description.incoming_total_text} triples pointing at this "
                "resource are included; query /sparql for the others.")  # fmt: skip
        graph.add((URIRef(document_iri), RDFS.comment, Literal(note, lang="en")))
    return graph


def _page_context(query, description: Description) -> dict:
    graph, iri = description.graph, description.iri
    linked = {o for o in graph.objects(iri, None) if isinstance(o, URIRef)}
    pointing = [(s, p) for s, p in graph.subject_predicates(iri)]
    names = {p for _, p, _ in graph} | {s for s, _ in pointing if isinstance(s, URIRef)}
    labels = labels_of(query, names - linked)  # the objects' labels are in the description already
    everything = render.merged(graph, labels)  # a view of both, not a copy (a hub's page links hundreds)

    def incoming_link(pair):
        subject, prop = pair
        source = render.link(everything, subject) if isinstance(subject, URIRef) else None
        return (source, render.link(everything, prop))

    incoming = sorted(map(incoming_link, pointing), key=lambda pair: (pair[1].text, pair[0].text if pair[0] else ""))
    hierarchy = property_hierarchy(ontology_query(), runtime().reader.current_version(ONTOLOGY_GRAPH))
    types = [render.link(everything, t) for t in graph.objects(iri, RDF.type) if isinstance(t, URIRef)]
    rest = str(iri)[len(BASE) :] if str(iri).startswith(BASE) else None
    alternates = (
        [(name, render.href(f"/data/{render.quote_path(rest)}.{ext}")) for name, ext in ALTERNATES] if rest else []
    )
    rows = fold_rows(render.property_rows(graph, iri, labels), hierarchy)
    incoming = fold_incoming(incoming, hierarchy)
    series = indicator_series(query, str(iri))
    # one question for the page: which of the resource, its links and its charts' indicators are synthetic
    synthetic, indicators = _mark_synthetic(str(iri), rows, incoming, [item.indicator for item in series])
    charts = _charts(str(iri), series, indicators)
    return {
        "iri": str(iri),
        "synthetic": str(iri) in synthetic,
        "synthetic_shown": len(synthetic - {str(iri)}),
        "title": render.best_label(graph, iri) or render.curie(str(iri)),
        "labels": render.texts(graph, iri, render.LABEL_PROPERTIES),
        "definitions": render.texts(graph, iri, render.DEFINITION_PROPERTIES),
        "types": sorted(types, key=lambda item: item.text),
        "rows": rows,
        "incoming": incoming,
        "incoming_total": description.incoming_total_text,
        "incoming_shown": len(pointing),  # (subject, property) pairs read, before the aligned ones were folded
        "incoming_pages": _pagination(description),
        "alternates": alternates,
        "sparql": render.href("/sparql"),
        "map_href": _indicator_map(graph, iri),
        **charts,
        "populations": population_figures(query, graph, iri, [chart["series"] for chart in charts["charts"]]),
    }


def _mark_synthetic(iri: str, rows, incoming, indicators) -> tuple[set[str], set[str]]:
    """Find which of the resource, the records it links to and `indicators` are synthetic (one question); mark the
    links; return (those of the resource and its links, those of `indicators`)."""
    links = [value.link for row in rows for value in row.values if value.link is not None]
    links += [subject for subject, _, _ in incoming if subject is not None]
    records = {iri, *(link.iri for link in links if link.local)}
    try:
        synthetic = synthetic_subjects(access.reader().query, records | {str(item) for item in indicators})
    except StoreError:
        return set(), set()
    for link in links:
        link.synthetic = link.iri in synthetic
    return synthetic & records, synthetic & {str(item) for item in indicators}


def _charts(iri: str, series, synthetic: set[str]) -> dict:
    """The indicator charts of a territory (`series`: one SELECT, which finds nothing for what no observation points
    to); `synthetic`: the indicators a synthetic load defined (their values, observed or rolled up, are synthetic)."""
    charts = []
    for number, item in enumerate(series, start=1):
        path = render.local_path(item.indicator)
        charts.append({
            "series": item,
            "id": f"chart-{number}",
            "href": render.href(path) if path else item.indicator,
            "svg": svg_chart(item, chart_id=f"chart-{number}"),
            "rows": table_rows(item),
            "map": _map_link(iri, item),
            "synthetic": str(item.indicator) in synthetic,
        })  # fmt: skip
    return {"charts": charts, "chart_notes": series.notes}


def _map_link(territory: str, series) -> str:
    """The map of a chart's indicator, at the territory's level when it is a région, for the chart's latest period."""
    level = "region" if territory.startswith(render.ID_BASE + "region/") else "departement"
    return map_href(series.indicator, level, series.points[-1].period if series.points else None)


def _indicator_map(graph, iri) -> str | None:
    """The map link of an indicator's page (None for any other resource)."""
    return map_href(str(iri)) if (iri, RDF.type, AGRS.Indicator) in graph else None


def _not_found(iri: str, media_type: str):
    if media_type == HTML:
        body = render_template("linked_data/not_found.html", iri=iri, sparql=render.href("/sparql"))
        return Response(body, status=404, content_type="text/html; charset=utf-8")
    return text_response(404, f"404 Not Found: the store holds no triple about <{iri}>")
