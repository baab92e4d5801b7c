"""Deliveries: drivers move them to the door; anyone dispatching reads them and the
trucks' manifests (JSON, CSV for a spreadsheet, or a printable page)."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import Field
from sqlalchemy import select

from core.access import require_role
from core.errors import Forbidden
from core.lookups import page
from dispatch.access import require_truck_reader
from dispatch.master_data import truck_by_plate
from dispatch.tracking import Manifest, delivery_by_id, manifest, move_delivery
from models import Delivery, DeliveryEvent, DeliveryStatus, DispatchPlan, Role, Truck
from service.configuration import business_today
from service.http.dependencies import PrincipalDep, SessionDep, SettingsDep
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


def _read(delivery: Delivery, plate: str, events: list[DeliveryEvent]) -> DeliveryRead:
    return DeliveryRead(
        id=delivery.id,
        plan_id=delivery.plan_id,
        request_id=delivery.request_id,
        truck=plate,
        sequence=delivery.sequence,
        part=delivery.part,
        load_kg=delivery.load_kg,
        planned_arrival_at=delivery.planned_arrival_at,
        status=delivery.status,
        status_changed_at=delivery.status_changed_at,
        receiver_name=delivery.receiver_name,
        failure_reason=delivery.failure_reason,
        delivered_at=delivery.delivered_at,
        events=[EventRead.model_validate(event) for event in events],
    )


def _read_many(session: SessionDep, deliveries: list[Delivery]) -> list[DeliveryRead]:
    ids = [d.id for d in deliveries]
    plates = dict(
        session.execute(
            select(Truck.id, Truck.plate).where(Truck.id.in_({d.truck_id for d in deliveries}))
        ).all()
    )
    events: dict[int, list[DeliveryEvent]] = {}
    for event in session.scalars(
        select(DeliveryEvent).where(DeliveryEvent.delivery_id.in_(ids)).order_by(DeliveryEvent.id)
    ):
        events.setdefault(event.delivery_id, []).append(event)
    return [_read(d, plates[d.truck_id], events.get(d.id, [])) for d in deliveries]


@router.get("/deliveries", summary="List deliveries (a driver sees its truck's)")
def list_deliveries(
    session: SessionDep,
    principal: PrincipalDep,
    paging: PageDep,
    truck: Annotated[str | None, Query(max_length=32)] = None,
    status: DeliveryStatus | None = None,
    plan_date: Annotated[date | None, Query(alias="date")] = None,
) -> Page[DeliveryRead]:
    require_role(principal, Role.dispatcher, Role.bureau, Role.driver)
    query = select(Delivery).order_by(Delivery.id)
    if principal.role is Role.driver:
        query = query.where(Delivery.truck_id == principal.truck_id)
    if truck is not None:
        query = query.where(Delivery.truck_id == truck_by_plate(session, truck).id)
    if status is not None:
        query = query.where(Delivery.status == status)
    if plan_date is not None:
        query = query.where(
            Delivery.plan_id.in_(select(DispatchPlan.id).where(DispatchPlan.plan_date == plan_date))
        )
    rows, total = page(session, query, limit=paging.limit, offset=paging.offset)
    return Page(
        items=_read_many(session, [row[0] for row in rows]),
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.get("/deliveries/{delivery_id}", summary="Read a delivery and its audit trail")
def read_delivery(
    delivery_id: DatabaseId, session: SessionDep, principal: PrincipalDep
) -> DeliveryRead:
    delivery = delivery_by_id(session, delivery_id)
    if principal.role is Role.driver and principal.truck_id != delivery.truck_id:
        raise Forbidden("this driver is not bound to the truck of this delivery")
    require_role(principal, Role.dispatcher, Role.bureau, Role.driver)
    return _read_many(session, [delivery])[0]


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
    return _read_many(session, [delivery])[0]


@cache
def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("service", "templates"), autoescape=select_autoescape(["html"])
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
        writer.writerow(row)
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
) -> Response | dict[str, object]:
    truck = truck_by_plate(session, plate)
    require_truck_reader(principal, truck)
    found = manifest(session=session, truck=truck, day=day or business_today(settings))
    if format is ManifestFormat.csv:
        filename = f"manifest-truck{truck.id}-{found.date}.csv"  # plates may not be ASCII
        return Response(
            _csv(found),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    if format is ManifestFormat.html:
        page_html = (
            _templates()
            .get_template("dispatch/manifest.html")
            .render(manifest=found, zone=settings.zone)
        )
        return HTMLResponse(page_html)
    return asdict(found)
