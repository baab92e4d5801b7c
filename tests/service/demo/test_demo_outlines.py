"""The demo city ships an outline for each district, made by the committed script, in
which the district's own centre lies and no other's."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path
from types import ModuleType

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import RegionLevel, RegionOutline
from service.demo.outlines import load_district_outlines, read_district_outlines
from tests.factories import make_region

DATA = Path(__file__).resolve().parents[3] / "service" / "data"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_district_outlines", DATA / "make_district_outlines.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _districts() -> list[dict[str, str]]:
    with (DATA / "districts.csv").open(encoding="utf-8") as source:
        return list(csv.DictReader(source))


def _inside(point: tuple[float, float], ring: list[list[float]]) -> bool:
    """Ray casting: whether ``point`` (lon, lat) lies inside the closed ``ring``."""
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def test_the_shipped_outlines_are_what_the_script_makes() -> None:
    made = _script().district_outlines(_districts())
    shipped = json.loads((DATA / "district_outlines.geojson").read_text(encoding="utf-8"))
    assert shipped == made


def test_each_district_centre_lies_in_its_own_outline_only() -> None:
    outlines = read_district_outlines()
    districts = _districts()
    assert sorted(outlines) == sorted(d["code"] for d in districts)
    for district in districts:
        centre = (float(district["lon"]), float(district["lat"]))
        holding = [
            code
            for code, geometry in outlines.items()
            if _inside(centre, geometry["coordinates"][0])  # type: ignore[index]
        ]
        assert holding == [district["code"]], district["name_en"]


def test_the_demo_loads_an_outline_for_each_district_present_once(session: Session) -> None:
    city = make_region(session, code="410400", level=RegionLevel.city)
    for code in ("410402", "410403"):
        make_region(session, code=code, parent=city)
    assert load_district_outlines(session) == 2
    assert load_district_outlines(session) == 0
    assert len(session.scalars(select(RegionOutline)).all()) == 2
