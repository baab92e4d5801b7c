"""The demo city's district outlines (``service/data/district_outlines.geojson``, made by
``service/data/make_district_outlines.py``), loaded so the demo's maps show districts."""

from __future__ import annotations

import json
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from masterdata.outlines import checked_geometry, count_positions
from models import Region, RegionOutline

OUTLINES_FILE = "district_outlines.geojson"


def read_district_outlines() -> dict[str, dict[str, object]]:
    """The packaged outline geometries by district code."""
    text = resources.files("service").joinpath("data", OUTLINES_FILE).read_text(encoding="utf-8")
    return {
        feature["properties"]["code"]: feature["geometry"]
        for feature in json.loads(text)["features"]
    }


def load_district_outlines(session: Session) -> int:
    """Give every demo district present without an outline its packaged one; returns how
    many were added (each checked as the API checks an uploaded one)."""
    outlines = read_district_outlines()
    added = 0
    for region_id, code in session.execute(
        select(Region.id, Region.code)
        .outerjoin(RegionOutline, RegionOutline.region_id == Region.id)
        .where(Region.code.in_(sorted(outlines)), RegionOutline.id.is_(None))
    ):
        geometry = checked_geometry(outlines[code])
        session.add(
            RegionOutline(
                region_id=region_id, geometry=geometry, positions=count_positions(geometry)
            )
        )
        added += 1
    session.flush()
    return added
