"""`/map`: the observatory's indicators as choropleth maps of France's départements and régions (see maps.py)."""

from flask import Blueprint, Response, render_template, request

from agrs.server.pages import render
from agrs.server.pages.describe import BadIri
from agrs.server.pages.map_geometry import france_map
from agrs.server.pages.maps import LEVELS, choropleth, indicator_iri, mappable, svg_map, table_rows
from agrs.server.responses import text_response
from agrs.store import StoreError

blueprint = Blueprint("map_page", __name__)


@blueprint.after_request
def _content_security_policy(response: Response) -> Response:
    """The same policy as the linked-data pages (the map needs no script)."""
    from agrs.server.ui.query_page import CONTENT_SECURITY_POLICY

    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    return response


def _href(iri: str) -> str:
    path = render.local_path(iri)
    return render.href(path) if path else iri


def map_href(indicator: str, level: str | None = None, period: str | None = None) -> str:
    """The local link to the map of `indicator` (at `level`, for `period` when given)."""
    from urllib.parse import urlencode

    parameters = {"indicator": indicator}
    if level:
        parameters["level"] = level
    if period:
        parameters["period"] = period
    return render.href("/map?" + urlencode(parameters))


@blueprint.get("/map")
def map_view():
    """The map of `indicator` at `level` for `period`; without `indicator`, the list of indicators with a map."""
    from agrs.server import access

    query = access.reader().query
    indicator = request.args.get("indicator", "").strip()
    level = request.args.get("level", "departement")
    if level not in LEVELS:
        return text_response(400, f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    attribution = france_map()["attribution"]
    state = (*sorted(access.reader().current_versions().items()), access.scope())  # what is read once per state is kept
    try:
        if not indicator:
            entries = mappable(query, state)
            for entry in entries:
                entry["href"] = _href(entry["iri"])
                entry["maps"] = [(key, LEVELS[key], map_href(entry["iri"], key)) for key in LEVELS
                                 if key in entry["levels"]]  # fmt: skip
            return render_template("linked_data/map_index.html", title="Cartes / Maps", entries=entries,
                                   attribution=attribution)  # fmt: skip
        iri = indicator_iri(indicator)
        data = choropleth(query, iri, level, request.args.get("period") or None, state)
    except BadIri as error:
        return text_response(400, str(error))
    except StoreError as error:
        return text_response(503, f"503 Service Unavailable: the store could not be read: {error}")
    return render_template(
        "linked_data/map.html",
        title=f"{data.label} — {LEVELS[level][0]} {data.period or ''}".strip(),
        data=data,
        indicator_href=_href(iri),
        svg=svg_map(data, _href) if data.period else None,
        rows=[(area, _href(area.territory), shown, exact, kind) for area, shown, exact, kind in table_rows(data)],
        levels=[(key, names, map_href(iri, key, data.period), key == level) for key, names in LEVELS.items()],
        periods=[(code, map_href(iri, level, code), code == data.period) for code in data.periods],
        attribution=attribution,
        index_href=render.href("/map"),
    )
