"""A territory's indicators over time, for its linked-data page: the series read from the store, and SVG line charts.

`indicator_series(query, iri)` reads, with one SPARQL SELECT, every observation whose `agrs:territory` is `iri`
(collected ones and those `agrs rollup` derived, typed `agrs:DerivedObservation`) and groups them into one series
per indicator and granularity: a month's, a year's and a decade's value of the same indicator do not measure the
same thing and never share a line. `svg_chart(series)` draws one series as an inline SVG built on the server:
the pages need no script (and stay within a Content-Security-Policy without 'unsafe-inline' scripts), and the
colours are SVG presentation attributes, so a chart reads the same without the page's stylesheet.

Numbers are written the French way (`2 103 778`, `4,5`: narrow no-break spaces between thousands, a decimal
comma), as the pages are French first and as `agrs load indicators` reads them back; each table cell also holds
the exact value in a `<data value="…">` element, for copy and paste.
"""

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from markupsafe import Markup, escape

from agrs.ns import TEMPORAL_SCALE as TEMPORAL_SCALE_NS
from agrs.server.pages.describe import checked_iri

#: series (indicator × granularity) shown on one page; the others are counted and named in a note
SERIES_CAP = 12
#: points per series: the most recent ones are kept (twenty years of months)
POINT_CAP = 240
#: rows the SELECT may return (a safety net for the page's reading time; far above SERIES_CAP × POINT_CAP)
ROW_CAP = 5000
#: x-axis labels per chart at most (the points in between keep their markers and tooltips)
X_LABELS = 8
#: decimals shown for a value (a population-weighted mean may carry twenty-odd of them)
SHOWN_DECIMALS = 3

TEMPORAL_SCALE = str(TEMPORAL_SCALE_NS)  # granularities are named by their IRI after this
#: granularity key → (French, English) name, in the order charts of one indicator are shown
GRANULARITIES = {"months": ("mois", "months"), "years": ("années", "years"), "decades": ("décennies", "decades")}
YEAR, MONTH, DECADE = re.compile(r"(\d{4})"), re.compile(r"(\d{4})-(\d{2})"), re.compile(r"(\d{3}0)s")
NARROW_NBSP = "\u202f"

Query = Callable[[str], Iterable]

# $iri is replaced by a checked <IRI>. No ORDER BY: sorting is done here, on at most ROW_CAP rows; a label in two
# languages or two French labels gives an observation several rows, merged by ?o.
SERIES_QUERY = """PREFIX agrs: <https://w3id.org/agrs/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?o ?indicator ?labelFr ?labelEn ?code ?granularity ?value ?unit ?indicatorUnit ?derived WHERE {
  ?o agrs:territory $iri ; agrs:indicator ?indicator ; agrs:period ?period ; agrs:value ?value .
  FILTER(isNumeric(?value))
  ?period agrs:periodCode ?code .
  OPTIONAL { ?period agrs:granularity ?granularity }
  OPTIONAL { ?o agrs:unitCode ?unit }
  OPTIONAL { ?indicator agrs:unitCode ?indicatorUnit }
  OPTIONAL { ?indicator rdfs:label ?labelFr FILTER(LANGMATCHES(LANG(?labelFr), "fr")) }
  OPTIONAL { ?indicator rdfs:label ?labelEn FILTER(LANGMATCHES(LANG(?labelEn), "en")) }
  BIND(EXISTS { ?o a agrs:DerivedObservation } AS ?derived)
} LIMIT $limit"""


@dataclass(frozen=True)
class Point:
    """One value of a series: its period code (`2024`, `2024-07`, `2020s`), value, and whether it was derived."""

    period: str
    value: Decimal
    derived: bool


@dataclass
class Series:
    """The values of one indicator at one granularity for one territory, sorted by period code."""

    indicator: str  # the indicator's IRI
    label_fr: str | None
    label_en: str | None
    unit: str | None  # UCUM code, e.g. `{inhab}`, `%`
    granularity: str  # `months`, `years`, `decades`, or the granularity's IRI when it is none of those
    points: list[Point] = field(default_factory=list)
    points_left_out: int = 0  # older points dropped by POINT_CAP

    @property
    def label(self) -> str:
        """The indicator's French label, else its English one, else the last segment of its IRI."""
        return self.label_fr or self.label_en or self.indicator.rstrip("/").rsplit("/", 1)[-1]

    @property
    def granularity_names(self) -> tuple[str, str]:
        """The granularity's (French, English) names."""
        return GRANULARITIES.get(self.granularity, (self.granularity, self.granularity))

    @property
    def kinds(self) -> set[bool]:
        """Which kinds of values the series holds: {False} observed only, {True} derived only, or both."""
        return {point.derived for point in self.points}


class SeriesList(list):
    """The series of a territory (a list of Series), with what was left out to keep the page bounded."""

    series_left_out: int = 0  # series beyond SERIES_CAP
    rows_capped: bool = False  # the SELECT hit ROW_CAP: some values were not read at all

    @property
    def notes(self) -> list[str]:
        """What the page must say about the values it does not show (French / English)."""
        notes = []
        if self.rows_capped:
            notes.append(f"Seules les {ROW_CAP} premières valeurs lues sont montrées / only the first {ROW_CAP} "
                         "values read are shown.")  # fmt: skip
        if self.series_left_out:
            notes.append(f"{self.series_left_out} autre(s) série(s) non montrée(s) / {self.series_left_out} more "
                         f"series not shown (at most {SERIES_CAP} per page).")  # fmt: skip
        return notes


def indicator_series(query: Query, iri: str) -> SeriesList:
    """Return the indicator series of the territory `iri` (one per indicator and granularity), sorted by label.

    `query` runs SPARQL on the store's union graph (pyoxigraph results). An IRI that is no observation's territory
    gives an empty list; one that cannot be written in SPARQL raises describe.BadIri. At most SERIES_CAP
    series of at most POINT_CAP points (the latest) are kept; the result says how many were left out.
    """
    sparql = SERIES_QUERY.replace("$iri", f"<{checked_iri(iri)}>").replace("$limit", str(ROW_CAP + 1))
    seen: set[str] = set()
    grouped: dict[tuple[str, str], Series] = {}
    rows = 0
    for row in query(sparql):
        rows += 1
        if rows > ROW_CAP:
            break
        observation = row["o"].value
        if observation in seen:  # the same observation again, with another of its indicator's labels
            continue
        value = _decimal(row["value"].value)
        if value is None:
            continue
        seen.add(observation)
        code = row["code"].value
        granularity = _granularity(_text(row["granularity"]), code)
        key = (row["indicator"].value, granularity)
        series = grouped.get(key)
        if series is None:
            series = grouped[key] = Series(
                key[0], _text(row["labelFr"]), _text(row["labelEn"]),
                _text(row["indicatorUnit"]) or _text(row["unit"]), granularity,
            )  # fmt: skip
        series.points.append(Point(code, value, _text(row["derived"]) == "true"))
    ordered = sorted(grouped.values(), key=_series_key)
    result = SeriesList(ordered[:SERIES_CAP])
    result.series_left_out = len(ordered) - len(result)
    result.rows_capped = rows > ROW_CAP
    for series in result:
        series.points.sort(key=lambda point: (point.period, point.derived))
        series.points_left_out = max(0, len(series.points) - POINT_CAP)
        series.points = series.points[series.points_left_out :]
    return result


def table_rows(series: Series) -> list[tuple[str, str, str, str]]:
    """Return the data table of a chart: (period, value as shown, exact value, `observée / observed` or
    `dérivée / derived`) per point, in the chart's order."""
    return [
        (point.period, format_number(point.value), f"{point.value.normalize():f}",
         "dérivée / derived" if point.derived else "observée / observed")
        for point in series.points
    ]  # fmt: skip


# --- numbers ------------------------------------------------------------------------------------------------------


def format_number(value: Decimal | float, decimals: int | None = None) -> str:
    """Return `value` the French way: `2 103 778`, `4,5` (narrow no-break spaces, decimal comma).

    With `decimals`, exactly that many digits after the comma; without, the value's own, at most SHOWN_DECIMALS
    (trailing zeros dropped).
    """
    number = Decimal(str(value)) if isinstance(value, float) else value
    if decimals is None:
        decimals = min(SHOWN_DECIMALS, max(0, -_exponent(number.normalize())))
    text = f"{number:,.{decimals}f}"
    if text.startswith("-") and not text.strip("-0."):  # a tiny negative value rounded to zero
        text = text[1:]
    return text.replace(",", NARROW_NBSP).replace(".", ",")


def value_text(value: Decimal, unit: str | None) -> str:
    """Return a value with its unit code, as tooltips and the data table show it (`712 {inhab}`, `4,5 %`)."""
    return f"{format_number(value)} {unit}" if unit else format_number(value)


def _exponent(number: Decimal) -> int:
    exponent = number.as_tuple().exponent
    return exponent if isinstance(exponent, int) else 0


def _decimal(text: str) -> Decimal | None:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _text(term) -> str | None:
    return None if term is None else term.value


def _granularity(iri: str | None, code: str) -> str:
    """The granularity key from the period's `agrs:granularity`, else from the shape of its code."""
    if iri is not None:
        return iri.removeprefix(TEMPORAL_SCALE) if iri.startswith(TEMPORAL_SCALE) else iri
    if MONTH.fullmatch(code):
        return "months"
    if DECADE.fullmatch(code):
        return "decades"
    return "years" if YEAR.fullmatch(code) else ""


def _series_key(series: Series) -> tuple:
    order = list(GRANULARITIES)
    rank = order.index(series.granularity) if series.granularity in order else len(order)
    return (series.label.casefold(), series.indicator, rank, series.granularity)


def _time(code: str) -> float | None:
    """A period's position in time, in years (`2024-07` → 2024.5); None for a code of another shape."""
    if match := MONTH.fullmatch(code):
        return int(match[1]) + (int(match[2]) - 1) / 12
    if match := YEAR.fullmatch(code) or DECADE.fullmatch(code):
        return float(match[1])
    return None


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Return round tick values (steps of 1, 2 or 5 × 10ⁿ) spanning [low, high]; a flat range gets some room."""
    if high < low:
        low, high = high, low
    if high == low:  # one value, or several equal: a band around it
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / max(1, count - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(factor * magnitude for factor in (1, 2, 5, 10) if factor * magnitude >= raw)
    start, end = math.floor(low / step), math.ceil(high / step)
    return [round(index * step, 12) for index in range(start, end + 1)]


def _tick_decimals(ticks: list[float]) -> int:
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    return max(0, -math.floor(math.log10(step) + 1e-9))


# --- the chart ----------------------------------------------------------------------------------------------------

WIDTH, HEIGHT = 640, 260
TOP, RIGHT, BOTTOM = 16, 20, 40
INSET = 14  # room between the plot's edges and the first and last points
CHAR_WIDTH = 6.6  # average width of a digit at FONT_SIZE, to size the y-axis margin
FONT_SIZE = 11
COLOUR = "#1f5fa8"
GRID = "#dddddd"
AXIS = "#555555"


def svg_chart(series: Series, chart_id: str = "chart") -> Markup:
    """Return an accessible SVG line chart of `series`: title and description, axes with ticks, a marker per value.

    Observed values are filled circles on a solid line, derived (rolled-up) values hollow circles on a dashed
    line; each marker's <title> gives its period and value (a tooltip in browsers). `chart_id` prefixes the ids
    the SVG refers to (one per chart on a page). All text is escaped.
    """
    chart_id = str(escape(chart_id))
    points = series.points
    values = [float(point.value) for point in points]
    ticks = nice_ticks(min(values), max(values)) if values else [0.0, 1.0]
    decimals = _tick_decimals(ticks)
    tick_labels = [format_number(tick, decimals) for tick in ticks]
    left = max(44, round(CHAR_WIDTH * max(map(len, tick_labels)) + 16))
    plot_width, plot_height = WIDTH - left - RIGHT, HEIGHT - TOP - BOTTOM

    def y_of(value: float) -> float:
        return TOP + plot_height * (ticks[-1] - value) / (ticks[-1] - ticks[0])

    x_of = _x_scale(points, left, plot_width)
    unit = f" ({series.unit})" if series.unit else ""
    title = f"{series.label}{' / ' + series.label_en if series.label_en and series.label_en != series.label else ''}"
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'font-family="system-ui, sans-serif" font-size="{FONT_SIZE}">',
        f'<title id="{chart_id}-title">{escape(title + unit)}</title>',
        f'<desc id="{chart_id}-desc">{escape(_description(series))}</desc>',
    ]
    # the value axis: a grid line and a label per tick
    for tick, label in zip(ticks, tick_labels, strict=True):
        y = _round(y_of(tick))
        parts.append(f'<line class="grid" x1="{left}" x2="{left + plot_width}" y1="{y}" y2="{y}" '
                     f'stroke="{GRID}" stroke-width="1"/>')  # fmt: skip
        parts.append(f'<text class="tick y" x="{left - 6}" y="{y}" text-anchor="end" dominant-baseline="middle" '
                     f'fill="{AXIS}">{escape(label)}</text>')  # fmt: skip
    # the time axis: the baseline and a label under some of the points (all of them when they fit)
    baseline = TOP + plot_height
    parts.append(f'<line class="axis" x1="{left}" x2="{left + plot_width}" y1="{baseline}" y2="{baseline}" '
                 f'stroke="{AXIS}" stroke-width="1"/>')  # fmt: skip
    for index in _labelled(points):
        x = _round(x_of(index))
        parts.append(f'<line class="tick x" x1="{x}" x2="{x}" y1="{baseline}" y2="{baseline + 4}" '
                     f'stroke="{AXIS}" stroke-width="1"/>')  # fmt: skip
        parts.append(f'<text class="tick x" x="{x}" y="{baseline + 18}" text-anchor="middle" '
                     f'fill="{AXIS}">{escape(points[index].period)}</text>')  # fmt: skip
    # a line per kind of value, then the markers on top of both
    for derived in (False, True):
        indexes = [index for index, point in enumerate(points) if point.derived is derived]
        if len(indexes) > 1:
            coordinates = " ".join(f"{_round(x_of(i))},{_round(y_of(values[i]))}" for i in indexes)
            dash = ' stroke-dasharray="6 4"' if derived else ""
            kind = "derived" if derived else "observed"
            parts.append(f'<polyline class="line {kind}" points="{coordinates}" fill="none" stroke="{COLOUR}" '
                         f'stroke-width="2"{dash}/>')  # fmt: skip
    for index, point in enumerate(points):
        kind, fill = ("derived", "#ffffff") if point.derived else ("observed", COLOUR)
        tooltip = f"{point.period} : {value_text(point.value, series.unit)}"
        if point.derived:
            tooltip += " (dérivée / derived)"
        parts.append(
            f'<circle class="point {kind}" cx="{_round(x_of(index))}" cy="{_round(y_of(values[index]))}" r="4" '
            f'fill="{fill}" stroke="{COLOUR}" stroke-width="2"><title>{escape(tooltip)}</title></circle>'
        )
    parts.append("</svg>")
    return Markup("\n".join(parts))


def _x_scale(points: list[Point], left: int, width: int) -> Callable[[int], float]:
    """Map a point's index to x: in proportion to time when every code is a known shape, else evenly spaced."""
    times = [_time(point.period) for point in points]
    if None in times:
        codes = sorted({point.period for point in points})
        times = [float(codes.index(point.period)) for point in points]
    low, high = (min(times), max(times)) if times else (0.0, 0.0)
    if high == low:  # one period: the points stand in the middle
        return lambda index: left + width / 2
    span = width - 2 * INSET
    return lambda index: left + INSET + span * (times[index] - low) / (high - low)


def _labelled(points: list[Point]) -> list[int]:
    """The indexes of the points whose period is written under the axis: each period once, at most X_LABELS."""
    first: dict[str, int] = {}
    for index, point in enumerate(points):
        first.setdefault(point.period, index)
    indexes = list(first.values())
    if len(indexes) <= X_LABELS:
        return indexes
    # evenly spread, the first and the latest period always among them
    return [indexes[round(k * (len(indexes) - 1) / (X_LABELS - 1))] for k in range(X_LABELS)]


def _description(series: Series) -> str:
    """The chart's <desc>: how many values, of which kind, over which periods, and their range (French / English)."""
    points = series.points
    if not points:
        return "Aucune valeur / no value."
    plural = len(points) > 1
    french, english = series.granularity_names
    kinds = {
        frozenset({False}): ("valeur observée", "valeurs observées", "observed value"),
        frozenset({True}): ("valeur dérivée", "valeurs dérivées", "derived value"),
    }.get(frozenset(series.kinds), ("valeur", "valeurs observées ou dérivées", "observed or derived value"))
    count_fr = f"{len(points)} {kinds[1] if plural else kinds[0]}"
    count_en = f"{len(points)} {kinds[2]}{'s' if plural else ''}"
    if not plural:
        shown = f"{points[0].period} : {value_text(points[0].value, series.unit)}"
        return f"{count_fr}, {french}, {shown}. / {count_en}, {english}, {shown}."
    low = min(points, key=lambda point: point.value)
    high = max(points, key=lambda point: point.value)
    span = f"{points[0].period} – {points[-1].period}"
    extremes = (f"{value_text(low.value, series.unit)} ({low.period}) – {value_text(high.value, series.unit)} "
                f"({high.period})")  # fmt: skip
    return (f"{count_fr}, {french}, {span} ; min – max : {extremes}. / "
            f"{count_en}, {english}, {span}; min – max: {extremes}.")  # fmt: skip


def _round(number: float) -> str:
    return f"{number:.1f}".removesuffix(".0")
