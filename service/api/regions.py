"""Regions: the city's administrative tree (city → district → township → community)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import Field
from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from core.access import require_role
from core.errors import InvalidInput
from core.lookups import (
    add_with_unique_code,
    apply_changes,
    get_by_code,
    get_optional_by_code,
    page,
    region_subtree_ids,
)
from models import Region, RegionLevel, Role
from service.http.dependencies import PrincipalDep, SessionDep
from service.http.schemas import (
    CODE_PATTERN,
    PROBLEM_RESPONSES,
    Latitude,
    Longitude,
    Page,
    PageDep,
    ReadModel,
    StrictModel,
)

router = APIRouter(prefix="/regions", tags=["master data"], responses=PROBLEM_RESPONSES)


class RegionCreate(StrictModel):
    code: str = Field(pattern=CODE_PATTERN, examples=["410402"])
    name: str = Field(min_length=1, max_length=200)
    name_zh: str | None = Field(default=None, max_length=200)
    level: RegionLevel
    parent: str | None = Field(default=None, description="Code of the parent region")
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    population: int | None = Field(default=None, ge=0, le=2_000_000_000)


class RegionUpdate(StrictModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    name_zh: str | None = Field(default=None, max_length=200)
    parent: str | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    population: int | None = Field(default=None, ge=0, le=2_000_000_000)
    active: bool | None = None


class RegionRead(ReadModel):
    code: str
    name: str
    name_zh: str | None
    level: RegionLevel
    parent: str | None
    latitude: float | None
    longitude: float | None
    population: int | None
    active: bool


def _read(region: Region, parent_code: str | None) -> RegionRead:
    return RegionRead(
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


def _parent_code(session: SessionDep, region: Region) -> str | None:
    if region.parent_id is None:
        return None
    return session.scalar(select(Region.code).where(Region.id == region.parent_id))


@router.get("", summary="List regions")
def list_regions(
    session: SessionDep,
    _principal: PrincipalDep,
    paging: PageDep,
    level: RegionLevel | None = None,
    parent: Annotated[str | None, Query(max_length=64)] = None,
    active: bool | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Code or name contains")] = None,
) -> Page[RegionRead]:
    parent_region = aliased(Region)
    query = (
        select(Region, parent_region.code)
        .outerjoin(parent_region, Region.parent_id == parent_region.id)
        .order_by(Region.code)
    )
    if level is not None:
        query = query.where(Region.level == level)
    if parent is not None:
        query = query.where(parent_region.code == parent)
    if active is not None:
        query = query.where(Region.active == active)
    if q:
        query = query.where(or_(Region.code.contains(q), Region.name.contains(q)))
    rows, total = page(session, query, limit=paging.limit, offset=paging.offset)
    return Page(
        items=[_read(region, code) for region, code in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a region")
def create_region(body: RegionCreate, session: SessionDep, principal: PrincipalDep) -> RegionRead:
    require_role(principal, Role.bureau)
    parent = get_optional_by_code(session, Region, body.parent, label="region", field="parent")
    region = Region(
        code=body.code,
        name=body.name,
        name_zh=body.name_zh,
        level=body.level,
        parent_id=parent.id if parent else None,
        latitude=body.latitude,
        longitude=body.longitude,
        population=body.population,
    )
    add_with_unique_code(session, region, label="region")
    return _read(region, body.parent)


@router.get("/{code}", summary="Read a region")
def read_region(code: str, session: SessionDep, _principal: PrincipalDep) -> RegionRead:
    region = get_by_code(session, Region, code, label="region")
    return _read(region, _parent_code(session, region))


@router.patch("/{code}", summary="Update a region")
def update_region(
    code: str, body: RegionUpdate, session: SessionDep, principal: PrincipalDep
) -> RegionRead:
    require_role(principal, Role.bureau)
    region = get_by_code(session, Region, code, label="region")
    changes = body.model_dump(exclude_unset=True)
    if "parent" in changes:
        parent = get_optional_by_code(
            session, Region, changes.pop("parent"), label="region", field="parent"
        )
        if parent is not None and parent.id in region_subtree_ids(session, region.id):
            raise InvalidInput(
                "a region cannot be placed below itself",
                errors=[
                    {"loc": ["body", "parent"], "msg": "would make a cycle in the region tree"}
                ],
            )
        region.parent_id = parent.id if parent else None
    apply_changes(region, changes, required=("name", "active"))
    session.flush()
    return _read(region, _parent_code(session, region))


@router.delete("/{code}", summary="Deactivate a region (kept for history)")
def deactivate_region(code: str, session: SessionDep, principal: PrincipalDep) -> RegionRead:
    require_role(principal, Role.bureau)
    region = get_by_code(session, Region, code, label="region")
    region.active = False
    session.flush()
    return _read(region, _parent_code(session, region))
