"""The producer registry: farms, growers, mills, oil plants and wholesalers that can
restock the city, with what each supplies per day.

The bureau manages every record and imports registry files; a producer key reads and
edits only its own record.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, UploadFile, status
from pydantic import Field

from models import ProducerKind
from service.configuration import board_limits
from service.http.dependencies import (
    LONG_WORK,
    PrincipalDep,
    SessionDep,
    SessionFactoryDep,
    SettingsDep,
)
from service.http.schemas import (
    PROBLEM_RESPONSES,
    Latitude,
    Longitude,
    Page,
    PageDep,
    ReadModel,
    refuse_repeated_parts,
)
from service.http.supply_network import Code, ProducerCreate, ProducerUpdate
from supply_network import registry
from supply_network.queries import producers
from supply_network.registry_import import import_registry_file

router = APIRouter(prefix="/producers", tags=["supply network"], responses=PROBLEM_RESPONSES)


class CapacityRead(ReadModel):
    product: str
    product_name: str
    unit: str
    daily_capacity: float
    lead_time_days: int
    minimum_lot: float | None


class ProducerRead(ReadModel):
    code: str
    name: str
    kind: ProducerKind
    region: str
    region_name: str
    address: str | None
    latitude: float
    longitude: float
    contact_name: str | None
    contact_phone: str | None
    active: bool
    products: list[CapacityRead]
    distance_km: float | None = Field(
        default=None, description="Great-circle km to the point asked about, when one was"
    )


class ImportRead(ReadModel):
    rows: int
    inserted: int = Field(description="Producers added")
    updated: int = Field(description="Producers whose record or product lines changed")
    unchanged: int
    product_lines: int = Field(description="Product lines the imported producers now have")
    offers_withdrawn: int = Field(
        description="Open offers taken off the board: the file no longer lists their product "
        "for their producer"
    )


@router.get("", summary="List producers (a producer key sees only its own)")
def list_producers(
    session: SessionDep,
    principal: PrincipalDep,
    paging: PageDep,
    product: Annotated[Code | None, Query(description="Supplies this product")] = None,
    category: Annotated[Code | None, Query(description="Supplies a product of it")] = None,
    kind: ProducerKind | None = None,
    region: Annotated[Code | None, Query(description="In this region or below it")] = None,
    latitude: Annotated[Latitude | None, Query(description="Measure from this point")] = None,
    longitude: Annotated[Longitude | None, Query()] = None,
    around: Annotated[Code | None, Query(description="Measure from this region's centre")] = None,
    within_km: Annotated[
        float | None, Query(gt=0, le=5000, description="Keep producers this close (great circle)")
    ] = None,
    active: bool | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Code or name contains")] = None,
) -> Page[ProducerRead]:
    found = producers.list_producers(
        session=session,
        principal=principal,
        product=product,
        category=category,
        kind=kind,
        region=region,
        latitude=latitude,
        longitude=longitude,
        around=around,
        within_km=within_km,
        active=active,
        contains=q,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(
        items=[ProducerRead.model_validate(view) for view in found.items],
        total=found.total,
        limit=found.limit,
        offset=found.offset,
    )


@router.post("", status_code=status.HTTP_201_CREATED, summary="Register a producer")
def create_producer(
    body: ProducerCreate, session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> ProducerRead:
    fields = body.model_dump(exclude={"products"})
    created = registry.create_producer(
        session=session,
        principal=principal,
        products=[line.as_line() for line in body.products],
        limits=board_limits(settings),
        **fields,
    )
    return ProducerRead.model_validate(created)


@router.post(
    "/import",
    dependencies=[Depends(refuse_repeated_parts), LONG_WORK],
    summary="Import a registry file (CSV or XLSX): all rows stored, or none",
    description=(
        "One row per producer x product. Columns: code,name,kind,region,latitude,longitude,"
        "product,daily_capacity[,address][,contact_name][,contact_phone][,lead_time_days]"
        "[,minimum_lot]. A producer in the file gets the file's fields and exactly its product "
        "lines; others are left alone. Every bad cell is listed by row (header = row 1) and "
        "column, and then nothing is stored. CSV in UTF-8 or GB18030."
    ),
)
def import_producers(
    file: Annotated[UploadFile, File(description="CSV (UTF-8 or GB18030) or XLSX")],
    session: SessionDep,
    session_factory: SessionFactoryDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> ImportRead:
    result = import_registry_file(
        session=session,
        read_in=session_factory,
        principal=principal,
        data=file.file.read(),
        filename=file.filename,
        limits=board_limits(settings),
        max_rows=settings.max_bulk_rows,
        max_listed_errors=settings.max_listed_errors,
    )
    return ImportRead.model_validate(result)


@router.get("/{code}", summary="Read a producer")
def read_producer(code: str, session: SessionDep, principal: PrincipalDep) -> ProducerRead:
    return ProducerRead.model_validate(
        producers.read_producer(session=session, principal=principal, code=code)
    )


@router.patch(
    "/{code}",
    summary="Update a producer (a producer: its name, contact, place and product lines)",
)
def update_producer(
    code: str,
    body: ProducerUpdate,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> ProducerRead:
    changes = body.model_dump(exclude_unset=True)
    if body.products is not None:
        changes["products"] = [line.as_line() for line in body.products]
    updated = registry.update_producer(
        session=session,
        principal=principal,
        code=code,
        changes=changes,
        limits=board_limits(settings),
    )
    return ProducerRead.model_validate(updated)


@router.delete("/{code}", summary="Deactivate a producer (kept for its orders)")
def deactivate_producer(code: str, session: SessionDep, principal: PrincipalDep) -> ProducerRead:
    return ProducerRead.model_validate(
        registry.deactivate_producer(session=session, principal=principal, code=code)
    )
