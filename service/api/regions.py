"""Regions: the city's administrative tree (city → district → township → community)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response, status
from pydantic import Field

from masterdata import outlines, regions
from models import RegionLevel
from service.http.dependencies import PrincipalDep, SessionDep
from service.http.schemas import (
    CODE_PATTERN,
    PROBLEM_RESPONSES,
    Latitude,
    LocalName,
    Longitude,
    Name,
    Page,
    PageDep,
    ReadModel,
    StrictModel,
)

router = APIRouter(prefix="/regions", tags=["master data"], responses=PROBLEM_RESPONSES)


class RegionCreate(StrictModel):
    code: str = Field(pattern=CODE_PATTERN, examples=["410402"])
    name: Name
    name_zh: LocalName | None = None
    level: RegionLevel
    parent: str | None = Field(default=None, description="Code of the parent region")
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    population: int | None = Field(default=None, ge=0, le=2_000_000_000)


class RegionUpdate(StrictModel):
    name: Name | None = None
    name_zh: LocalName | None = None
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


@router.get("", summary="List regions")
def list_regions(
    session: SessionDep,
    principal: PrincipalDep,
    paging: PageDep,
    level: RegionLevel | None = None,
    parent: Annotated[str | None, Query(max_length=64)] = None,
    active: bool | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Code or name contains")] = None,
) -> Page[RegionRead]:
    found = regions.list_regions(
        session=session,
        principal=principal,
        level=level,
        parent=parent,
        active=active,
        contains=q,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(
        items=[RegionRead.model_validate(view) for view in found.items],
        total=found.total,
        limit=found.limit,
        offset=found.offset,
    )


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a region")
def create_region(body: RegionCreate, session: SessionDep, principal: PrincipalDep) -> RegionRead:
    created = regions.create_region(session=session, principal=principal, **body.model_dump())
    return RegionRead.model_validate(created)


@router.get("/{code}", summary="Read a region")
def read_region(code: str, session: SessionDep, principal: PrincipalDep) -> RegionRead:
    return RegionRead.model_validate(
        regions.read_region(session=session, principal=principal, code=code)
    )


@router.patch("/{code}", summary="Update a region")
def update_region(
    code: str, body: RegionUpdate, session: SessionDep, principal: PrincipalDep
) -> RegionRead:
    updated = regions.update_region(
        session=session,
        principal=principal,
        code=code,
        changes=body.model_dump(exclude_unset=True),
    )
    return RegionRead.model_validate(updated)


@router.delete("/{code}", summary="Deactivate a region (kept for history)")
def deactivate_region(code: str, session: SessionDep, principal: PrincipalDep) -> RegionRead:
    return RegionRead.model_validate(
        regions.deactivate_region(session=session, principal=principal, code=code)
    )


class OutlineRead(ReadModel):
    region: str
    geometry: dict[str, Any]
    positions: int
    updated_at: datetime


OUTLINE_EXAMPLE = {
    "type": "Polygon",
    "coordinates": [[[113.25, 33.70], [113.31, 33.70], [113.31, 33.76], [113.25, 33.70]]],
}

OutlineBody = Annotated[
    dict[str, Any],
    Body(
        description=(
            "A GeoJSON Polygon or MultiPolygon in longitude, latitude (a Feature, or a "
            f"FeatureCollection of one Feature, is also taken); at most "
            f"{outlines.MAX_OUTLINE_POSITIONS} positions and {outlines.MAX_OUTLINE_BYTES} bytes"
        ),
        examples=[OUTLINE_EXAMPLE],
    ),
]


@router.put(
    "/{code}/outline",
    summary="Set a region's outline (GeoJSON), drawn under every map",
    responses={
        200: {"description": "Replaced the outline"},
        201: {"description": "Created the outline", "model": OutlineRead},
    },
)
def put_outline(
    code: str, body: OutlineBody, session: SessionDep, principal: PrincipalDep, response: Response
) -> OutlineRead:
    view, created = outlines.set_outline(
        session=session, principal=principal, code=code, geometry=body
    )
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return OutlineRead.model_validate(view)


@router.get("/{code}/outline", summary="Read a region's outline")
def get_outline(code: str, session: SessionDep, principal: PrincipalDep) -> OutlineRead:
    return OutlineRead.model_validate(
        outlines.read_outline(session=session, principal=principal, code=code)
    )


@router.delete(
    "/{code}/outline", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a region's outline"
)
def delete_outline(code: str, session: SessionDep, principal: PrincipalDep) -> Response:
    outlines.delete_outline(session=session, principal=principal, code=code)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
