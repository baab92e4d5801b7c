"""Write ``district_outlines.geojson``: made-up outlines of the demo city's districts for
its maps, the Voronoi cell of each district centre (``districts.csv``) clipped to a box
around them. They are not the real boundaries; they only let a map show which district
a store or compound lies in. Run once after changing the districts:
``python service/data/make_district_outlines.py``.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

HERE = Path(__file__).resolve().parent
MARGIN_DEGREES = 0.25
"""How far the box reaches beyond the outermost centres."""

Point = tuple[float, float]


def _clip(polygon: list[Point], inside: Point, outside: Point) -> list[Point]:
    """The part of the convex ``polygon`` nearer ``inside`` than ``outside``
    (Sutherland–Hodgman against their perpendicular bisector)."""
    mx, my = (inside[0] + outside[0]) / 2, (inside[1] + outside[1]) / 2
    nx, ny = outside[0] - inside[0], outside[1] - inside[1]

    def side(p: Point) -> float:
        return (p[0] - mx) * nx + (p[1] - my) * ny

    kept: list[Point] = []
    for a, b in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        sa, sb = side(a), side(b)
        if sa <= 0:
            kept.append(a)
        if (sa < 0 < sb) or (sb < 0 < sa):
            t = sa / (sa - sb)
            kept.append((a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])))
    return kept


def district_outlines(rows: list[dict[str, str]]) -> dict[str, object]:
    """A FeatureCollection with one Polygon per district (its Voronoi cell in the box)."""
    lat0 = math.radians(sum(float(r["lat"]) for r in rows) / len(rows))
    scale = math.cos(lat0)  # a degree of longitude is shorter than one of latitude here
    centres = [(float(r["lon"]) * scale, float(r["lat"])) for r in rows]
    xs, ys = [c[0] for c in centres], [c[1] for c in centres]
    left, right = min(xs) - MARGIN_DEGREES * scale, max(xs) + MARGIN_DEGREES * scale
    bottom, top = min(ys) - MARGIN_DEGREES, max(ys) + MARGIN_DEGREES
    box = [(left, bottom), (right, bottom), (right, top), (left, top)]  # counter-clockwise
    features = []
    for row, centre in zip(rows, centres, strict=True):
        cell = box
        for other in centres:
            if other != centre:
                cell = _clip(cell, centre, other)
        ring = [[round(x / scale, 4), round(y, 4)] for x, y in cell]
        ring.append(ring[0])
        features.append(
            {
                "type": "Feature",
                "properties": {"code": row["code"], "name": row["name_en"]},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def main() -> None:
    with (HERE / "districts.csv").open(encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    features = district_outlines(rows)["features"]
    assert isinstance(features, list)
    lines = ",\n".join(json.dumps(f, ensure_ascii=False) for f in features)
    (HERE / "district_outlines.geojson").write_text(
        '{"type": "FeatureCollection", "features": [\n' + lines + "\n]}\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
