"""Regions: the city's administrative tree (city → district → township → community)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from core.access import (
    Principal,
    require_in_region,
    require_national,
    require_role,
    within_region,
)
from core.errors import InvalidInput
from core.lookups import (
    PageOf,
    add_with_unique_code,
    apply_changes,
    get_by_code,
    get_optional_by_code,
    page,
    region_subtree_ids,
    unknown_code,
)
from core.text import field_problem, phrase
from core.words import word
from models import Region, RegionLevel, Role


@dataclass(frozen=True)
class RegionView:
    """A region as people and machines read it: its parent by code."""

    code: str
    name: str
    name_zh: str | None
    level: RegionLevel
    parent: str | None
    latitude: float | None
    longitude: float | None
    population: int | None
    active: bool


def _view(region: Region, parent_code: str | None) -> RegionView:
    return RegionView(
        code=region.code,
        name=region.name,
        name_zh=region.name_zh,
        level=region.level,
        parent=parent_code,
        latitude=region.latitude,
        longitude=region.longitude,
        population=region.population,
        active=region.active,
    )


def _view_with_parent(session: Session, region: Region) -> RegionView:
    parent_code = None
    if region.parent_id is not None:
        parent_code = session.scalar(select(Region.code).where(Region.id == region.parent_id))
    return _view(region, parent_code)


def region_inside(session: Session, principal: Principal | None, code: str) -> Region:
    """The region with this code when it lies inside ``principal``'s region, else the
    same 404 as an unknown code (a neighbour's region is not confirmed to exist)."""
    found = get_by_code(session, Region, code, label=phrase("region"))
    if principal is not None:
        require_in_region(principal, found.id, label=phrase("region"), code=code)
    return found


def body_region_inside(
    session: Session, principal: Principal, code: str | None, *, field: str
) -> Region | None:
    """A region named in a request body, refused as unknown (422, naming the field) when
    it lies outside ``principal``'s region, exactly as a code that names nothing."""
    found = get_optional_by_code(session, Region, code, label=phrase("region"), field=field)
    if found is not None and not principal.in_region(found.id):
        raise unknown_code(label=phrase("region"), code=code, field=field)
    return found


def list_regions(
    *,
    session: Session,
    principal: Principal | None = None,
    level: RegionLevel | None = None,
    parent: str | None = None,
    active: bool | None = None,
    contains: str | None = None,
    limit: int,
    offset: int,
) -> PageOf[RegionView]:
    """One page of regions by code, filtered by level, parent code, activity and a text
    the code or name contains: how a caller finds the codes to report and filter with.
    A region-bound ``principal`` sees its own subtree only (a parent outside is a 404)."""
    parent_region = aliased(Region)
    query = (
        select(Region, parent_region.code)
        .outerjoin(parent_region, Region.parent_id == parent_region.id)
        .order_by(Region.code)
    )
    if principal is not None:
        query = query.where(within_region(principal, Region.id))
    if level is not None:
        query = query.where(Region.level == level)
    if parent is not None:
        if principal is not None and principal.is_region_bound:
            region_inside(session, principal, parent)
        query = query.where(parent_region.code == parent)
    if active is not None:
        query = query.where(Region.active == active)
    if contains:
        query = query.where(
            or_(
                Region.code.contains(contains, autoescape=True),
                Region.name.contains(contains, autoescape=True),
            )
        )
    rows, total = page(session, query, limit=limit, offset=offset)
    return PageOf(
        items=[_view(region, code) for region, code in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


def read_region(*, session: Session, principal: Principal | None = None, code: str) -> RegionView:
    """The region with this code, or a 404 (also for one outside ``principal``'s region)."""
    return _view_with_parent(session, region_inside(session, principal, code))


LEVEL_ORDER = tuple(RegionLevel)
"""Province, city, district, township, community: each level lies below the one before."""


def _refuse_level_out_of_order(
    session: Session,
    *,
    level: RegionLevel,
    parent_code: str | None,
    parent_id: int | None,
    field: str = "level",
) -> None:
    """A region lies below a region of a higher level (its level is fixed once made): a
    "city" made inside a district passed every check that takes "a district or a city"."""
    parent = (
        get_optional_by_code(session, Region, parent_code, label=phrase("region"), field="parent")
        if parent_code is not None
        else (session.get(Region, parent_id) if parent_id is not None else None)
    )
    rank = LEVEL_ORDER.index(RegionLevel(level))
    if parent is not None and LEVEL_ORDER.index(parent.level) >= rank:
        raise InvalidInput(
            "a {level} cannot lie in a {parent_level}",
            errors=[
                field_problem(
                    ["body", field],
                    "must be below its parent's level ({parent_level})"
                    if field == "level"
                    else "is not above this region's level ({parent_level})",
                    parent_level=word(parent.level),
                )
            ],
            level=word(RegionLevel(level)),
            parent_level=word(parent.level),
        )


def create_region(
    *,
    session: Session,
    principal: Principal,
    code: str,
    name: str,
    level: RegionLevel,
    name_zh: str | None = None,
    parent: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    population: int | None = None,
) -> RegionView:
    """Add a region below ``parent`` (a code); the bureau's, and a taken code is a 409.
    Region-bound staff add only below a region inside theirs; a new root is national."""
    require_role(principal, Role.bureau)
    if parent is None:
        require_national(principal)
    elif principal.is_region_bound:
        region_inside(session, principal, parent)
    parent_region = get_optional_by_code(
        session, Region, parent, label=phrase("region"), field="parent"
    )
    _refuse_level_out_of_order(
        session,
        level=level,
        parent_code=None,
        parent_id=parent_region.id if parent_region else None,
    )
    region = Region(
        code=code,
        name=name,
        name_zh=name_zh,
        level=level,
        parent_id=parent_region.id if parent_region else None,
        latitude=latitude,
        longitude=longitude,
        population=population,
    )
    add_with_unique_code(session, region, label=phrase("region"))
    return _view(region, parent)


def update_region(
    *, session: Session, principal: Principal, code: str, changes: Mapping[str, Any]
) -> RegionView:
    """Change the fields in ``changes`` (only those a caller sent; a new parent by code),
    refusing a parent below the region itself, which would cut the tree into a cycle.
    Region-bound staff change only regions inside theirs, under a parent inside, and
    never their own region (whose place in the tree is the nation's to decide)."""
    require_role(principal, Role.bureau)
    region = region_inside(session, principal, code)
    if region.id == principal.region_id and changes:
        # its name and whether it is served show in every region's pickers and pages
        require_national(principal)
    changes = dict(changes)
    moved = "parent" in changes
    if "parent" in changes:
        parent_code = changes.pop("parent")
        if parent_code is None or region.id == principal.region_id:
            require_national(principal)
        elif principal.is_region_bound:
            region_inside(session, principal, parent_code)
        parent = get_optional_by_code(
            session, Region, parent_code, label=phrase("region"), field="parent"
        )
        if parent is not None and parent.id in region_subtree_ids(session, region.id):
            raise InvalidInput(
                "a region cannot be placed below itself",
                errors=[field_problem(["body", "parent"], "would make a cycle in the region tree")],
            )
        region.parent_id = parent.id if parent else None
    if moved:
        _refuse_level_out_of_order(
            session,
            level=region.level,
            parent_code=None,
            parent_id=region.parent_id,
            field="parent",
        )
    apply_changes(region, changes, required=("name", "active"))
    session.flush()
    return _view_with_parent(session, region)


def deactivate_region(*, session: Session, principal: Principal, code: str) -> RegionView:
    """Mark a region inactive; it stays for the history that names it (inside the
    caller's region only)."""
    require_role(principal, Role.bureau)
    region = region_inside(session, principal, code)
    if region.id == principal.region_id:
        require_national(principal)  # staff bound to it would close it for everyone
    region.active = False
    session.flush()
    return _view_with_parent(session, region)
