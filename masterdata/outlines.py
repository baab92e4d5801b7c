"""Region outlines: a GeoJSON Polygon or MultiPolygon per region, which every map draws
under its points (ECharts ``registerMap``), so a bureau reads districts, not bare
latitude and longitude.

An outline is checked before it is kept: a malformed one would blank every map page.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from core.access import Principal, require_role, within_region
from core.errors import Forbidden, InvalidInput, NotFound
from core.text import FieldProblem, field_problem
from masterdata.regions import region_inside
from models import Region, RegionLevel, RegionOutline, Role

MAX_OUTLINE_POSITIONS = 20_000
"""Most positions one outline may hold: a district's boundary simplified for a city map
needs a few hundred; every map page downloads them all."""
MAX_OUTLINE_BYTES = 512_000
"""Most bytes one outline may take as JSON, for the same reason."""
OUTLINE_TYPES = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class OutlineView:
    """A region's outline as people and machines read it."""

    region: str
    geometry: dict[str, Any]
    positions: int
    updated_at: datetime


@dataclass(frozen=True)
class OutlineCollection:
    """Every active district's outline as one GeoJSON FeatureCollection, with a tag that
    changes whenever any outline or name does (an HTTP ETag)."""

    body: str
    tag: str


def _position_problem(position: Any, loc: list[str | int]) -> FieldProblem | None:
    """Why ``position`` is not a [longitude, latitude] pair, or None."""
    if not isinstance(position, list) or len(position) not in (2, 3):
        return field_problem(loc, "a position must be [longitude, latitude]")
    if not all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
        for v in position
    ):
        return field_problem(loc, "a position holds numbers only")
    lon, lat = position[0], position[1]
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return field_problem(loc, "longitude must lie within ±180 and latitude within ±90")
    return None


def _polygon_problems(polygon: Any, loc: list[str | int]) -> tuple[list[FieldProblem], int]:
    """Problems with one polygon (a list of linear rings) and how many positions it has."""
    if not isinstance(polygon, list) or not polygon:
        return [field_problem(loc, "a polygon is a non-empty list of rings")], 0
    problems: list[FieldProblem] = []
    count = 0
    for r, ring in enumerate(polygon):
        ring_loc = [*loc, r]
        if not isinstance(ring, list) or len(ring) < 4:
            problems.append(field_problem(ring_loc, "a ring needs at least 4 positions"))
            continue
        count += len(ring)
        if count > MAX_OUTLINE_POSITIONS:
            return problems, count
        found = [
            problem
            for p, position in enumerate(ring)
            if (problem := _position_problem(position, [*ring_loc, p])) is not None
        ]
        problems.extend(found[:5])
        if not found and ring[0][:2] != ring[-1][:2]:
            problems.append(field_problem(ring_loc, "a ring must end where it starts"))
    return problems, count


def checked_geometry(document: Any, *, loc: Sequence[str | int] = ("body",)) -> dict[str, Any]:
    """The Polygon or MultiPolygon in ``document`` (a geometry, a Feature, or a
    FeatureCollection of one Feature), checked; raises InvalidInput naming the field."""
    where: list[str | int] = list(loc)
    if isinstance(document, dict) and document.get("type") == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list) or len(features) != 1:
            raise InvalidInput(
                "an outline is one polygon",
                errors=[
                    field_problem(
                        [*where, "features"], "a FeatureCollection must hold exactly one Feature"
                    )
                ],
            )
        document, where = features[0], [*where, "features", 0]
    if isinstance(document, dict) and document.get("type") == "Feature":
        document, where = document.get("geometry"), [*where, "geometry"]
    if not isinstance(document, dict) or document.get("type") not in OUTLINE_TYPES:
        raise InvalidInput(
            "an outline must be a GeoJSON Polygon or MultiPolygon",
            errors=[field_problem([*where, "type"], "must be Polygon or MultiPolygon")],
        )
    coordinates = document.get("coordinates")
    polygons = [coordinates] if document["type"] == "Polygon" else coordinates
    coordinates_loc = [*where, "coordinates"]
    if not isinstance(polygons, list) or not polygons:
        raise InvalidInput(
            "the outline has no coordinates",
            errors=[field_problem(coordinates_loc, "must list the outline's rings")],
        )
    problems: list[FieldProblem] = []
    positions = 0
    for index, polygon in enumerate(polygons):
        polygon_loc = (
            coordinates_loc if document["type"] == "Polygon" else [*coordinates_loc, index]
        )
        found, count = _polygon_problems(polygon, polygon_loc)
        problems.extend(found)
        positions += count
        if positions > MAX_OUTLINE_POSITIONS:
            raise InvalidInput(
                "the outline has more than {limit} positions: simplify it",
                errors=[
                    field_problem(
                        coordinates_loc, "more than {limit} positions", limit=MAX_OUTLINE_POSITIONS
                    )
                ],
                limit=MAX_OUTLINE_POSITIONS,
            )
    if problems:
        raise InvalidInput("the outline is not valid GeoJSON", errors=problems[:20])
    geometry = {"type": document["type"], "coordinates": coordinates}
    size = len(json.dumps(geometry, separators=(",", ":")))
    if size > MAX_OUTLINE_BYTES:
        raise InvalidInput(
            "the outline takes more than {limit} bytes: simplify it",
            errors=[
                field_problem(coordinates_loc, "more than {limit} bytes", limit=MAX_OUTLINE_BYTES)
            ],
            limit=MAX_OUTLINE_BYTES,
        )
    return geometry


def count_positions(geometry: dict[str, Any]) -> int:
    """How many positions a checked Polygon or MultiPolygon holds."""
    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    return sum(len(ring) for polygon in polygons for ring in polygon)


def _view(region_code: str, outline: RegionOutline) -> OutlineView:
    return OutlineView(
        region=region_code,
        geometry=outline.geometry,
        positions=outline.positions,
        updated_at=outline.updated_at,
    )


def _region_to_redraw(session: Session, principal: Principal, code: str) -> Region:
    """The region whose outline an admin changes: one inside its region, never its own
    (a region-bound admin manages what lies inside its bound, not the bound itself, which
    is for an admin of a region above it or a national one to draw)."""
    require_role(principal, Role.admin)
    region = region_inside(session, principal, code)
    if principal.is_region_bound and region.id == principal.region_id:
        raise Forbidden(
            "an admin bound to region {code} cannot change its outline; an admin of a region "
            "above it or a national admin can",
            code=region.code,
        )
    return region


def set_outline(
    *, session: Session, principal: Principal, code: str, geometry: Any
) -> tuple[OutlineView, bool]:
    """Keep ``geometry`` as the outline of region ``code`` (admins only, and not of their
    own region), replacing any earlier one; returns the outline and whether it is new."""
    region = _region_to_redraw(session, principal, code)
    checked = checked_geometry(geometry)
    outline = session.scalar(select(RegionOutline).where(RegionOutline.region_id == region.id))
    created = outline is None
    if outline is None:
        outline = RegionOutline(region_id=region.id, geometry=checked, positions=0)
        session.add(outline)
    outline.geometry = checked
    outline.positions = count_positions(checked)
    session.flush()
    session.refresh(outline)
    return _view(region.code, outline), created


def read_outline(*, session: Session, principal: Principal | None = None, code: str) -> OutlineView:
    """The outline of region ``code``, or a 404 when it has none or lies outside the
    caller's region."""
    region = region_inside(session, principal, code)
    outline = session.scalar(select(RegionOutline).where(RegionOutline.region_id == region.id))
    if outline is None:
        raise NotFound("region {code!r} has no outline", code=code)
    return _view(region.code, outline)


def delete_outline(*, session: Session, principal: Principal, code: str) -> None:
    """Remove the outline of region ``code`` (admins only, and not of their own region);
    a 404 when it has none."""
    region = _region_to_redraw(session, principal, code)
    outline = session.scalar(select(RegionOutline).where(RegionOutline.region_id == region.id))
    if outline is None:
        raise NotFound("region {code!r} has no outline", code=code)
    session.delete(outline)
    session.flush()


def district_outlines(*, session: Session, principal: Principal | None = None) -> OutlineCollection:
    """Every active district's outline (inside ``principal``'s region) as a GeoJSON
    FeatureCollection (properties: code, name, name_zh), which the map pages register
    with ECharts."""
    features = [
        {
            "type": "Feature",
            "id": code,
            "properties": {"code": code, "name": name, "name_zh": name_zh},
            "geometry": geometry,
        }
        for code, name, name_zh, geometry in session.execute(
            select(Region.code, Region.name, Region.name_zh, RegionOutline.geometry)
            .join(RegionOutline, RegionOutline.region_id == Region.id)
            .where(Region.active.is_(True), Region.level == RegionLevel.district)
            .where(within_region(principal, Region.id) if principal is not None else true())
            .order_by(Region.code)
        )
    ]
    document = {"type": "FeatureCollection", "features": features}
    body = json.dumps(document, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    tag = hashlib.sha256(body.encode()).hexdigest()[:32]
    return OutlineCollection(body=body, tag=tag)


@dataclass(frozen=True)
class DistrictOutlineSummary:
    """A district and whether it has an outline yet (for the admin's outline page)."""

    code: str
    name: str
    name_zh: str | None
    positions: int | None
    updated_at: datetime | None
    editable: bool = True
    """False for the caller's own region, whose outline is drawn from above."""


def district_outline_summaries(
    *, session: Session, principal: Principal | None = None
) -> list[DistrictOutlineSummary]:
    """Every active district (inside ``principal``'s region) by code with its outline's
    size and age, or none, and whether the caller may change it."""
    own = principal.region_id if principal is not None and principal.is_region_bound else None
    return [
        DistrictOutlineSummary(code, name, name_zh, positions, updated_at, region_id != own)
        for region_id, code, name, name_zh, positions, updated_at in session.execute(
            select(
                Region.id,
                Region.code,
                Region.name,
                Region.name_zh,
                RegionOutline.positions,
                RegionOutline.updated_at,
            )
            .outerjoin(RegionOutline, RegionOutline.region_id == Region.id)
            .where(Region.active.is_(True), Region.level == RegionLevel.district)
            .where(within_region(principal, Region.id) if principal is not None else true())
            .order_by(Region.code)
        )
    ]


def parse_outline_file(data: bytes) -> Any:
    """An uploaded outline file's JSON; raises InvalidInput naming the file when it is
    too large or not JSON (the geometry is checked by :func:`set_outline`)."""
    if len(data) > 4 * MAX_OUTLINE_BYTES:
        raise InvalidInput(
            "the outline takes more than {limit} bytes: simplify it",
            errors=[
                field_problem(["file"], "more than {limit} bytes", limit=4 * MAX_OUTLINE_BYTES)
            ],
            limit=4 * MAX_OUTLINE_BYTES,
        )
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise InvalidInput(
            "the outline is not valid GeoJSON",
            errors=[field_problem(["file"], "the file is not GeoJSON (JSON text)")],
        ) from None
