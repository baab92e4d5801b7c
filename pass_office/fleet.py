"""Vehicle passes for the emergency fleet: committing a dispatch plan gives each truck it
uses a pass valid for that day's shift and the districts of its stops, or reuses a pass
the truck already holds that covers both; the manifests show it as a QR code.

A truck's pass is one the fleet holds (no enterprise, no producer): a pass someone else
applied for naming a fleet truck's plate is theirs, never the truck's, and revoking it
must not stop the truck."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from models import (
    Compound,
    DeliveryRequest,
    DispatchPlan,
    PassKind,
    PassStatus,
    PlanRoute,
    PlanStop,
    Region,
    RegionLevel,
    TransportPass,
    Truck,
)
from pass_office.authority import PassAuthority
from pass_office.issuing import new_pass_row, save_new_passes
from pass_office.requests import PassRequest

SHIFT_MARGIN = timedelta(hours=1)
"""Before the shift starts and after it ends, for loading and the way back to the depot."""


def _district_codes(session: Session) -> dict[int, str]:
    """Each region's district code (itself, or the district above it)."""
    regions = {
        region_id: (parent_id, level, code)
        for region_id, parent_id, level, code in session.execute(
            select(Region.id, Region.parent_id, Region.level, Region.code)
        )
    }
    found: dict[int, str] = {}
    for region_id in regions:
        current: int | None = region_id
        while current is not None and regions[current][1] not in (
            RegionLevel.district,
            RegionLevel.city,
        ):
            current = regions[current][0]
        found[region_id] = regions[current][2] if current is not None else regions[region_id][2]
    return found


def fleet_held() -> ColumnElement[bool]:
    """A WHERE clause keeping the passes the bureau's own fleet holds: no enterprise and no
    producer. Only these are a fleet truck's, whatever plate another holder's pass names."""
    return TransportPass.enterprise_id.is_(None) & TransportPass.producer_id.is_(None)


def _route_districts(session: Session, plan_id: int) -> dict[int, set[str]]:
    """The district codes of each route's stops in a plan, by route id."""
    districts = _district_codes(session)
    needed: dict[int, set[str]] = defaultdict(set)
    for route_id, region_id in session.execute(
        select(PlanStop.route_id, Compound.region_id)
        .join(PlanRoute, PlanRoute.id == PlanStop.route_id)
        .join(DeliveryRequest, DeliveryRequest.id == PlanStop.request_id)
        .join(Compound, Compound.id == DeliveryRequest.compound_id)
        .where(PlanRoute.plan_id == plan_id)
    ):
        needed[route_id].add(districts[region_id])
    return needed


def issue_plan_passes(
    *,
    session: Session,
    plan_id: int,
    authority: PassAuthority,
    actor: str,
    now: datetime,
    zone: ZoneInfo,
) -> list[str]:
    """The pass code each truck of a committed plan drives with: reused when the truck holds
    an issued pass covering its shift and districts, else issued now (holder: the bureau's
    fleet, no enterprise)."""
    plan_date = session.scalar(select(DispatchPlan.plan_date).where(DispatchPlan.id == plan_id))
    if plan_date is None:
        return []
    needed = _route_districts(session, plan_id)
    midnight = datetime.combine(plan_date, time(0), tzinfo=zone)
    codes: list[str] = []
    new_rows: list[TransportPass] = []
    for route_id, start_s, end_s, truck in session.execute(
        select(PlanRoute.id, PlanRoute.start_s, PlanRoute.end_s, Truck)
        .join(Truck, Truck.id == PlanRoute.truck_id)
        .where(PlanRoute.plan_id == plan_id)
        .order_by(PlanRoute.id)
    ):
        regions = tuple(sorted(needed[route_id]))
        if not regions:
            continue
        valid_from = midnight + timedelta(seconds=start_s) - SHIFT_MARGIN
        valid_to = max(midnight + timedelta(seconds=end_s) + SHIFT_MARGIN, now + SHIFT_MARGIN)
        held = _covering_pass(
            session, plate=truck.plate, regions=regions, valid_from=valid_from, valid_to=valid_to
        )
        if held is not None:
            codes.append(held)
            continue
        request = PassRequest(
            kind=PassKind.vehicle,
            regions=regions,
            valid_from=valid_from,
            valid_to=valid_to,
            plate=truck.plate,
            vehicle_type="emergency fleet truck",
            driver_name=(truck.crew or "emergency fleet crew")[:100],
            driver_phone=truck.crew_phone[:32] if truck.crew_phone else None,
            purpose=f"emergency deliveries of dispatch plan {plan_id}",
        )
        new_rows.append(new_pass_row(request, enterprise_id=None, producer_id=None, actor=actor))
    if new_rows:
        save_new_passes(session, new_rows, actor=actor, now=now, authority=authority)
        codes += [str(row.code) for row in new_rows]
    return codes


def _covering_pass(
    session: Session,
    *,
    plate: str,
    regions: tuple[str, ...],
    valid_from: datetime,
    valid_to: datetime,
) -> str | None:
    """The code of an issued fleet pass of ``plate`` valid over the whole window in every
    region."""
    for code, pass_regions in session.execute(
        select(TransportPass.code, TransportPass.regions).where(
            TransportPass.plate == plate,
            fleet_held(),
            TransportPass.status == PassStatus.approved,
            TransportPass.valid_from <= valid_from,
            TransportPass.valid_to >= valid_to,
        )
    ):
        if set(regions) <= set(pass_regions):
            return str(code)
    return None


def plan_fleet_passes(
    *,
    session: Session,
    plan_id: int,
    start: datetime,
    end: datetime,
    where: ColumnElement[bool] | None = None,
) -> dict[str, TransportPass]:
    """Each truck's pass for a plan's routes, by plate: the latest issued fleet pass in
    force at some time between ``start`` and ``end`` that names every district of the
    truck's stops (``where`` narrows the passes further). A truck with none is left out."""
    needed: dict[str, set[str]] = defaultdict(set)
    districts = _route_districts(session, plan_id)
    for route_id, plate in session.execute(
        select(PlanRoute.id, Truck.plate)
        .join(Truck, Truck.id == PlanRoute.truck_id)
        .where(PlanRoute.plan_id == plan_id)
    ):
        needed[str(plate)] |= districts.get(route_id, set())
    held: dict[str, TransportPass] = {}
    for row in session.scalars(
        select(TransportPass)
        .where(
            TransportPass.plate.in_(sorted(needed)),
            fleet_held(),
            TransportPass.status == PassStatus.approved,
            TransportPass.token.is_not(None),
            TransportPass.valid_from < end,
            TransportPass.valid_to > start,
            true() if where is None else where,
        )
        .order_by(TransportPass.issued_at, TransportPass.id)
    ):
        plate = str(row.plate)
        if needed[plate] <= set(row.regions):
            held[plate] = row
    return held


def pass_tokens(
    *, session: Session, plan_id: int, start: datetime, end: datetime
) -> dict[str, str]:
    """The token of each truck's pass for a plan's manifests, by plate (see
    ``plan_fleet_passes``)."""
    return {
        plate: str(row.token)
        for plate, row in plan_fleet_passes(
            session=session, plan_id=plan_id, start=start, end=end
        ).items()
    }
