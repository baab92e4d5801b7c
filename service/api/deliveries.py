"""Deliveries: drivers move them to the door; anyone dispatching reads them and the
trucks' manifests (JSON, CSV for a spreadsheet, or a printable page)."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import Field

from core.cells import safe_row
from dispatch.master_data import truck_by_plate
from dispatch.queries import deliveries as queries
from dispatch.queries.deliveries import Manifest
from dispatch.tracking import move_delivery
from models import DeliveryStatus
from service.configuration import business_today
from service.http.dependencies import PrincipalDep, SessionDep, SettingsDep
from service.http.documents import manifest_html
from service.http.schemas import (
    PROBLEM_RESPONSES,
    DatabaseId,
    Page,
    PageDep,
    ReadModel,
    StrictModel,
)

router = APIRouter(tags=["dispatch"], responses=PROBLEM_RESPONSES)


class StatusChange(StrictModel):
    status: DeliveryStatus
    receiver_name: str | None = Field(
        default=None, min_length=1, max_length=200, description="Required when delivered"
    )
    reason: str | None = Field(
        default=None, min_length=1, max_length=500, description="Required when failed"
    )
    note: str | None = Field(default=None, max_length=500)


class EventRead(ReadModel):
    from_status: DeliveryStatus | None
    to_status: DeliveryStatus
    at: datetime
    actor: str
    note: str | None


class DeliveryRead(ReadModel):
    id: int
    plan_id: int
    request_id: int
    truck: str
    sequence: int
    part: int | None
    load_kg: int
    planned_arrival_at: datetime
    status: DeliveryStatus
    status_changed_at: datetime
    receiver_name: str | None
    failure_reason: str | None
    delivered_at: datetime | None
    events: list[EventRead]


class ManifestFormat(StrEnum):
    json = "json"
    csv = "csv"
    html = "html"


@router.get("/deliveries", summary="List deliveries (a driver sees its truck's)")
def list_deliveries(
    session: SessionDep,
    principal: PrincipalDep,
    paging: PageDep,
    truck: Annotated[str | None, Query(max_length=32)] = None,
    status: DeliveryStatus | None = None,
    plan_date: Annotated[date | None, Query(alias="date")] = None,
) -> Page[DeliveryRead]:
    found = queries.list_deliveries(
        session=session,
        principal=principal,
        truck=truck,
        status=status,
        plan_date=plan_date,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page[DeliveryRead].model_validate(found, from_attributes=True)


@router.get("/deliveries/{delivery_id}", summary="Read a delivery and its audit trail")
def read_delivery(
    delivery_id: DatabaseId, session: SessionDep, principal: PrincipalDep
) -> DeliveryRead:
    return DeliveryRead.model_validate(
        queries.read_delivery(session=session, principal=principal, delivery_id=delivery_id)
    )


@router.post(
    "/deliveries/{delivery_id}/status",
    summary="Move a delivery: loaded, en_route, delivered (receiver) or failed (reason)",
)
def change_status(
    delivery_id: DatabaseId, body: StatusChange, session: SessionDep, principal: PrincipalDep
) -> DeliveryRead:
    delivery = move_delivery(
        session=session,
        delivery_id=delivery_id,
        to_status=body.status,
        principal=principal,
        receiver_name=body.receiver_name,
        reason=body.reason,
        note=body.note,
    )
    return DeliveryRead.model_validate(
        queries.delivery_view(session=session, delivery_id=delivery.id)
    )


CSV_COLUMNS = (
    "sequence",
    "planned_arrival_at",
    "delivery_id",
    "request_id",
    "part",
    "priority",
    "compound",
    "compound_name",
    "address",
    "contact_name",
    "contact_phone",
    "load_kg",
    "items",
    "status",
    "receiver_name",
)


def _csv(found: Manifest) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for stop in found.stops:
        row = asdict(stop)
        row["planned_arrival_at"] = stop.planned_arrival_at.isoformat()
        row["items"] = "; ".join(
            f"{item.product} {item.quantity:g} {item.unit}" for item in stop.items
        )
        writer.writerow(safe_row(row))
    return buffer.getvalue()


@router.get(
    "/trucks/{plate}/manifest",
    summary="A truck's manifest for a day: JSON, CSV or a printable HTML page",
    response_model=None,
)
def truck_manifest(
    plate: str,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    day: Annotated[date | None, Query(alias="date", description="Default: today")] = None,
    format: ManifestFormat = ManifestFormat.json,
    lang: Annotated[
        Literal["en", "zh"], Query(description="The printable page's language (format=html)")
    ] = "en",
) -> Response | dict[str, object]:
    truck = truck_by_plate(session, plate)
    found = queries.truck_manifest(
        session=session, principal=principal, truck=truck, day=day or business_today(settings)
    )
    if format is ManifestFormat.csv:
        filename = f"manifest-truck{truck.id}-{found.date}.csv"  # plates may not be ASCII
        return Response(
            _csv(found),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    if format is ManifestFormat.html:
        return HTMLResponse(
            manifest_html(found, session=session, zone=settings.zone, language=lang)
        )
    return asdict(found)
