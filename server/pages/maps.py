"""Choropleth maps of an indicator: France's départements or régions coloured by their value for one period.

`/map` lists the indicators that have values for départements or régions; `/map?indicator=<IRI or key>` draws one,
with `level=departement` (the default) or `level=region`, and `period=<code>` (default: the latest period that has
values at that level). The map is an inline SVG built on the server from the packaged outlines
(`map_geometry`, metropolitan France), like the charts: no script, no tile server, nothing fetched from elsewhere.
Each shape links to its territory's page and carries its value in a tooltip; the values are also given as a table,
and the legend names the classes.

Classes are quantiles of the values shown (at most CLASSES, fewer when there are fewer distinct values), coloured
from light to dark (ColorBrewer's sequential « Blues »); a territory without a value is grey. Values come from
`agrs:Observation`s whose `agrs:territory` has the level (`agrs:hasLevel level:departement` or `level:region`) and
an `agrs:inseeCode`: observed ones, and those `agrs rollup` derived (`agrs:DerivedObservation`), an observed value
being preferred when a territory has both for the period.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from markupsafe import Markup, escape

from agrs.ns import ID, LEVEL
from agrs.provenance import synthetic_subjects
from agrs.server.pages.charts import SHOWN_DECIMALS, _decimal, _text, format_number, value_text
from agrs.server.pages.describe import checked_iri
from agrs.server.pages.map_geometry import france_map

LEVELS = {"departement": ("départements", "départements"), "region": ("régions", "regions")}
#: Blues, light to dark, for 1 … 5 classes (ColorBrewer, Cynthia Brewer, Apache 2.0; its 6-class scheme without its
#: near-white first step, so that the lightest class stands out from the page and from the grey of "no value")
PALETTES = {
    1: ["#4292c6"],
    2: ["#9ecae1", "#2171b5"],
    3: ["#c6dbef", "#6baed6", "#08519c"],
    4: ["#c6dbef", "#6baed6", "#3182bd", "#08519c"],
    5: ["#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"],
}
CLASSES = 5
NO_VALUE = "#d9d9d9"
BORDER = "#ffffff"
REGION_BORDER = "#555555"
ROW_CAP = 5000  # rows read for one period of one indicator at one level (a territory per row, labels aside)
PERIODS_CACHE = 256  # (indicator, level, store state) period lists kept

# Both queries start from the territories of the level (≈ 100), not from the indicator or the period, each of which
# may have tens of thousands of observations (the population of every commune): in that order Oxigraph answers the
# bundled observatory's population map in 0.2 s instead of 22 s (and so does FILTER IN where VALUES, which Oxigraph
# joins first, would not).
# Every period with a value at the level: read once per state of the store (the versions of its graphs).
PERIODS_QUERY = """PREFIX agrs: <https://w3id.org/agrs/>
SELECT DISTINCT ?period WHERE {
  ?territory agrs:hasLevel $level .
  ?o agrs:territory ?territory ; agrs:indicator $indicator ; agrs:period ?p .
  ?p agrs:periodCode ?period .
}"""

VALUES_QUERY = """PREFIX agrs: <https://w3id.org/agrs/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?o ?territory ?code ?name ?value ?unit ?derived WHERE {
  ?territory agrs:hasLevel $level ; agrs:inseeCode ?code .
  ?o agrs:territory ?territory ; agrs:indicator $indicator ; agrs:period ?p ; agrs:value ?value .
  ?p agrs:periodCode ?period FILTER(?period IN ($period))
  OPTIONAL { ?o agrs:unitCode ?unit }
  OPTIONAL { ?territory rdfs:label ?name FILTER(LANGMATCHES(LANG(?name), "fr")) }
  BIND(EXISTS { ?o a agrs:DerivedObservation } AS ?derived)
} LIMIT $limit"""

INDICATOR_QUERY = """PREFIX agrs: <https://w3id.org/agrs/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?labelFr ?labelEn ?unit WHERE {
  OPTIONAL { $indicator rdfs:label ?labelFr FILTER(LANGMATCHES(LANG(?labelFr), "fr")) }
  OPTIONAL { $indicator rdfs:label ?labelEn FILTER(LANGMATCHES(LANG(?labelEn), "en")) }
  OPTIONAL { $indicator agrs:unitCode ?unit }
} LIMIT 1"""

# the indicators that a map can show: those with a value for some département or région
MAPPABLE_QUERY = """PREFIX agrs: <https://w3id.org/agrs/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX level: <https://w3id.org/agrs/level/>
SELECT ?indicator ?level (SAMPLE(?fr) AS ?labelFr) (SAMPLE(?en) AS ?labelEn) (COUNT(DISTINCT ?territory) AS ?n)
WHERE {
  VALUES ?level { level:departement level:region }
  ?territory agrs:hasLevel ?level .
  ?o agrs:territory ?territory ; agrs:indicator ?indicator .
  OPTIONAL { ?indicator rdfs:label ?fr FILTER(LANGMATCHES(LANG(?fr), "fr")) }
  OPTIONAL { ?indicator rdfs:label ?en FILTER(LANGMATCHES(LANG(?en), "en")) }
} GROUP BY ?indicator ?level"""


@dataclass(frozen=True)
class Area:
    """One territory's value on the map."""

    code: str
    name: str
    territory: str  # its IRI
    value: Decimal | None = None
    derived: bool = False
    colour: str = NO_VALUE
    synthetic: bool = False  # the value was written by a load of a source declared synthetic


@dataclass
class ChoroplethMap:
    """What a map page shows: the indicator, the level and period, the areas, the classes and the periods offered."""

    indicator: str
    label_fr: str | None
    label_en: str | None
    unit: str | None
    level: str
    period: str | None
    periods: list[str]
    areas: list[Area] = field(default_factory=list)
    classes: list[tuple[str, Decimal, Decimal]] = field(default_factory=list)  # (colour, low, high)
    off_map: list[Area] = field(default_factory=list)  # territories with a value that the outlines lack (overseas)

    @property
    def label(self) -> str:
        """The indicator's French label, else its English one, else the last segment of its IRI."""
        return self.label_fr or self.label_en or self.indicator.rstrip("/").rsplit("/", 1)[-1]

    @property
    def with_values(self) -> list[Area]:
        """The territories that have a value, on the map or off it, in code order."""
        return sorted([area for area in self.areas if area.value is not None] + self.off_map,
                      key=lambda area: area.code)  # fmt: skip

    @property
    def synthetic(self) -> int:
        """How many of the values shown are synthetic."""
        return sum(area.synthetic for area in self.with_values)

    @property
    def left_out(self) -> list[str]:
        """The codes of the territories with a value that the map does not draw."""
        return [area.code for area in self.off_map]


def indicator_iri(text: str) -> str:
    """The indicator named by the `indicator` parameter: a full IRI, or a key under `…/id/indicator/`."""
    text = text.strip()
    return text if ":" in text else f"{ID}indicator/{text}"


_periods_cache: dict[tuple, dict[str, list[str]]] = {}


def periods_of(query, indicator: str, level: str, state: object = None) -> dict[str, list[str]]:
    """The periods in which `indicator` has a value for a territory of `level`: code → its literals (N-Triples).

    A code is usually one plain literal; a loader that typed it (`"2024"^^xsd:gYear`) adds another, and the values'
    query asks for each, matching terms exactly (a FILTER on STR() costs more). With a `state` (anything that
    changes when the store's data does, e.g. its current graph versions), the answer is kept for the next call with
    the same arguments.
    """
    key = (indicator, level, state)
    if state is not None and key in _periods_cache:
        return _periods_cache[key]
    sparql = PERIODS_QUERY.replace("$indicator", f"<{checked_iri(indicator)}>").replace("$level", f"<{LEVEL[level]}>")
    periods: dict[str, list[str]] = {}
    for row in query(sparql):
        periods.setdefault(row["period"].value, []).append(str(row["period"]))
    periods = dict(sorted(periods.items()))
    if state is not None:
        if len(_periods_cache) >= PERIODS_CACHE:
            _periods_cache.pop(next(iter(_periods_cache)))
        _periods_cache[key] = periods
    return periods


def choropleth(
    query, indicator: str, level: str = "departement", period: str | None = None, state: object = None
) -> ChoroplethMap:
    """Read the values of `indicator` at `level` for `period` (default: the latest) and build the map's data.

    `state` lets the list of periods be kept between calls (see periods_of).
    """
    iri = f"<{checked_iri(indicator)}>"
    about = next(iter(query(INDICATOR_QUERY.replace("$indicator", iri))), None)
    periods = periods_of(query, indicator, level, state)
    if period not in periods:
        period = list(periods)[-1] if periods else None
    # code → (value, derived, observation), an observed value winning over a derived one
    values: dict[str, tuple[Decimal, bool, str]] = {}
    units: set[str] = set()
    names: dict[str, str] = {}
    if period is not None:
        sparql = (VALUES_QUERY.replace("$indicator", iri).replace("$level", f"<{LEVEL[level]}>")
                  .replace("$period", ", ".join(periods[period])).replace("$limit", str(ROW_CAP)))  # fmt: skip
        for row in query(sparql):
            value = _decimal(row["value"].value)
            if value is None:
                continue
            derived = _text(row["derived"]) == "true"
            code = row["code"].value
            names.setdefault(code, _text(row["name"]) or code)
            if code not in values or (values[code][1] and not derived):
                values[code] = (value, derived, row["o"].value)
            if unit := _text(row["unit"]):
                units.add(unit)
    unit = (_text(about["unit"]) if about is not None else None) or (min(units) if units else None)
    result = ChoroplethMap(
        indicator, _text(about["labelFr"]) if about else None, _text(about["labelEn"]) if about else None, unit,
        level, period, list(periods),
    )  # fmt: skip
    shapes = france_map()["departements" if level == "departement" else "regions"]
    known = {shape["code"] for shape in shapes}
    synthetic = synthetic_subjects(query, [o for _, _, o in values.values()])
    if synthetic_subjects(query, [indicator]):  # a synthetic indicator: its rolled-up values are synthetic too
        synthetic = {observation for _, _, observation in values.values()}
    result.classes = quantile_classes([value for code, (value, _, _) in values.items() if code in known])
    result.off_map = [
        Area(code, names.get(code, code), f"{ID}{level}/{code}", value, derived, colour_of(value, result.classes),
             observation in synthetic)
        for code, (value, derived, observation) in sorted(values.items()) if code not in known
    ]  # fmt: skip
    for shape in shapes:
        code = shape["code"]
        value, derived, observation = values.get(code, (None, False, None))
        result.areas.append(Area(
            code, shape["name"], f"{ID}{level}/{code}", value, derived,
            NO_VALUE if value is None else colour_of(value, result.classes), observation in synthetic,
        ))  # fmt: skip
    return result


def quantile_classes(values: list[Decimal], count: int = CLASSES) -> list[tuple[str, Decimal, Decimal]]:
    """Return (colour, low, high) classes splitting `values` into quantiles; each class holds at least one value."""
    ordered = sorted(values)
    distinct = sorted(set(ordered))
    if not ordered:
        return []
    count = min(count, len(distinct))
    # upper bounds: the value at each quantile, kept only when it grows (ties stay in one class)
    bounds: list[Decimal] = []
    for k in range(1, count + 1):
        bound = ordered[min(len(ordered) - 1, -(-k * len(ordered) // count) - 1)]
        if not bounds or bound > bounds[-1]:
            bounds.append(bound)
    palette = PALETTES[len(bounds)]
    classes, low = [], ordered[0]
    for colour, high in zip(palette, bounds, strict=True):
        classes.append((colour, low, high))
        following = [value for value in distinct if value > high]
        low = following[0] if following else high
    return classes


def colour_of(value: Decimal, classes: list[tuple[str, Decimal, Decimal]]) -> str:
    """The colour of the first class whose upper bound is at least `value` (the last class above them all)."""
    for colour, _, high in classes:
        if value <= high:
            return colour
    return classes[-1][0] if classes else NO_VALUE


# --- the SVG ------------------------------------------------------------------------------------------------------

LEGEND_WIDTH = 220
FONT_SIZE = 11


def svg_map(data: ChoroplethMap, href) -> Markup:
    """Return the map as an accessible SVG: a title, a description, a linked shape per territory, a legend.

    `href(iri)` gives the local link of a territory's page. All text is escaped. The shapes' links are for the
    mouse (tabindex -1, inside a role="img"): the data table under the map carries the same links for the keyboard
    and screen readers.
    """
    geometry = france_map()
    _, _, width, height = (float(number) for number in geometry["viewBox"].split())
    total_width = width + LEGEND_WIDTH
    names = LEVELS[data.level]
    title = f"{data.label} — {names[0]}, {data.period or '—'}"
    shown = len(data.with_values)
    description = (f"Carte choroplèthe de {len(data.areas)} {names[0]} de France métropolitaine ; {shown} ont "
                   f"une valeur pour {data.period}. / Choropleth map of {len(data.areas)} {names[1]} of metropolitan "
                   f"France; {shown} have a value for {data.period}.")  # fmt: skip
    parts = [
        f'<svg class="map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(total_width)} {_n(height)}" '
        f'width="{_n(total_width)}" height="{_n(height)}" role="img" aria-labelledby="map-title map-desc" '
        f'font-family="system-ui, sans-serif" font-size="{FONT_SIZE}">',
        f'<title id="map-title">{escape(title)}</title>',
        f'<desc id="map-desc">{escape(description)}</desc>',
        f'<g class="areas {data.level}">',
    ]
    paths = {item["code"]: item["path"] for item in geometry["departements"]}
    shapes = {item["code"]: item for item in geometry["regions"]} if data.level == "region" else None
    for area in data.areas:
        if shapes is None:
            d, stroke, width_ = paths[area.code], BORDER, "0.5"
        else:  # a région: its départements as one path, their inner borders hidden under a stroke of its colour
            d, stroke, width_ = " ".join(paths[code] for code in shapes[area.code]["departements"]), area.colour, "0.6"
        tooltip = f"{area.name} ({area.code}) : " + (
            f"{value_text(area.value, data.unit)}{' (dérivée / derived)' if area.derived else ''}"
            if area.value is not None else "pas de valeur / no value"
        )  # fmt: skip
        kind = "no-value" if area.value is None else ("derived" if area.derived else "observed")
        parts.append(
            f'<a href="{escape(href(area.territory))}" tabindex="-1">'
            f'<path class="area {kind}" data-code="{escape(area.code)}" d="{d}" fill="{area.colour}" '
            f'stroke="{stroke}" stroke-width="{width_}">'
            f"<title>{escape(tooltip)}</title></path></a>"
        )
    parts.append("</g>")
    borders = " ".join(region["outline"] for region in geometry["regions"])
    parts.append(f'<path class="borders region" d="{borders}" fill="none" stroke="{REGION_BORDER}" '
                 f'stroke-width="{"1" if data.level == "region" else "0.8"}" stroke-linejoin="round" '
                 'pointer-events="none"/>')  # fmt: skip
    parts.extend(_legend(data, width + 16))
    parts.append("</svg>")
    return Markup("\n".join(parts))


def _legend(data: ChoroplethMap, x: float) -> list[str]:
    unit = f" ({data.unit})" if data.unit else ""
    parts = [f'<g class="legend" transform="translate({_n(x)} 24)">',
             f'<text class="legend-title" x="0" y="0" font-weight="600">{escape(_short(data.label, 30))}</text>',
             f'<text x="0" y="16" fill="#555">{escape((data.period or "") + unit)}</text>']  # fmt: skip
    y = 34
    decimals = legend_decimals([bound for _, low, high in data.classes for bound in (low, high)])
    for colour, low, high in data.classes:
        low_text, high_text = format_number(low, decimals), format_number(high, decimals)
        text = low_text if low_text == high_text else f"{low_text} – {high_text}"
        parts.append(f'<rect class="swatch" x="0" y="{y}" width="18" height="14" fill="{colour}" stroke="#999" '
                     'stroke-width="0.5"/>')  # fmt: skip
        parts.append(f'<text x="26" y="{y + 11}">{escape(text)}</text>')
        y += 20
    parts.append(f'<rect class="swatch" x="0" y="{y}" width="18" height="14" fill="{NO_VALUE}" stroke="#999" '
                 'stroke-width="0.5"/>')  # fmt: skip
    parts.append(f'<text x="26" y="{y + 11}">pas de valeur / no value</text>')
    parts.append("</g>")
    return parts


def legend_decimals(bounds: list[Decimal]) -> int:
    """The fewest decimals (at most SHOWN_DECIMALS) that keep distinct class bounds distinct once written."""
    distinct = set(bounds)
    for decimals in range(SHOWN_DECIMALS + 1):
        if len({format_number(bound, decimals) for bound in distinct}) == len(distinct):
            return decimals
    return SHOWN_DECIMALS


def _short(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _n(number: float) -> str:
    return f"{number:.1f}".removesuffix(".0")


def table_rows(data: ChoroplethMap) -> list[tuple[Area, str, str, str]]:
    """The data table: (area, value as shown, exact value, kind) for each area with a value, in code order."""
    return [
        (area, format_number(area.value), f"{area.value.normalize():f}",
         "dérivée / derived" if area.derived else "observée / observed")
        for area in data.with_values
    ]  # fmt: skip


_mappable_cache: dict[object, list[dict]] = {}


def mappable(query, state: object = None) -> list[dict]:
    """The indicators with values at the département or région level: IRI, labels, territories per level.

    With a `state` (see periods_of), the last answer is kept until the store's state changes.
    """
    if state is not None and state in _mappable_cache:
        return [dict(entry) for entry in _mappable_cache[state]]
    found: dict[str, dict] = {}
    for row in query(MAPPABLE_QUERY):
        iri = row["indicator"].value
        entry = found.setdefault(iri, {"iri": iri, "label_fr": None, "label_en": None, "levels": {}})
        entry["label_fr"] = entry["label_fr"] or _text(row["labelFr"])
        entry["label_en"] = entry["label_en"] or _text(row["labelEn"])
        entry["levels"][row["level"].value.rsplit("/", 1)[-1]] = int(row["n"].value)
    entries = sorted(found.values(), key=lambda item: (item["label_fr"] or item["label_en"] or item["iri"]).casefold())
    if state is not None:
        _mappable_cache.clear()
        _mappable_cache[state] = entries
    return [dict(entry) for entry in entries]
