"""Who may read and change dispatch data, checked with the caller's ``Principal``.

Dispatchers (and admins) manage compounds, the fleet, requests and plans; the bureau
reads them; a receiver acts only for the compound it is bound to and a driver only on
its own truck. The domain's reads and commands apply these rules, so the API and the
pages cannot disagree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, or_, select, true
from sqlalchemy.orm import Session

from core.access import Principal, require_in_region, require_national, require_role, within_region
from core.errors import Forbidden, NotFound
from core.text import phrase
from models import (
    Compound,
    Delivery,
    DeliveryRequest,
    DispatchPlan,
    PlanRoute,
    PlanStop,
    PlanUnassigned,
    Role,
    Truck,
)


def require_dispatcher(principal: Principal) -> None:
    """Only dispatchers (and admins) plan, commit, re-plan and change master data."""
    require_role(principal, Role.dispatcher)


def require_dispatch_reader(principal: Principal) -> None:
    """Dispatchers and the bureau read depots, trucks and plans."""
    require_role(principal, Role.dispatcher, Role.bureau)


def require_compound_reader(principal: Principal) -> None:
    """Dispatchers, the bureau and receivers read compounds (a receiver only its own)."""
    require_role(principal, Role.dispatcher, Role.bureau, Role.receiver)


def require_own_compound(principal: Principal, compound: Compound) -> None:
    """A receiver reads only the compound it receives for."""
    if principal.role is Role.receiver and compound.id != principal.compound_id:
        raise Forbidden(
            "this key receives for another compound, not {compound}", compound=compound.code
        )


def require_compound_access(principal: Principal, compound: Compound) -> None:
    """Dispatchers (and the bureau, for reading) act for every compound's requests; a
    receiver only for its own compound's."""
    if principal.role is Role.receiver:
        if principal.compound_id != compound.id:
            raise Forbidden(
                "this receiver key is not bound to compound {compound}", compound=compound.code
            )
        return
    require_role(principal, Role.dispatcher, Role.bureau)


def require_truck_reader(principal: Principal, truck: Truck) -> None:
    """Dispatchers and the bureau read every truck; a driver only the one it is bound to."""
    if principal.role is Role.driver:
        if principal.truck_id != truck.id:
            raise Forbidden("this driver key is not bound to truck {plate}", plate=truck.plate)
        return
    require_dispatch_reader(principal)


def require_truck_access(principal: Principal, truck_id: int) -> None:
    """Dispatchers act on every truck; a driver only on the truck its key is bound to."""
    if principal.role is Role.driver:
        if principal.truck_id is None or principal.truck_id != truck_id:
            raise Forbidden("this driver is not bound to the truck of this delivery")
        return
    if principal.role not in (Role.admin, Role.dispatcher):
        raise Forbidden("this action needs one of the roles: admin, dispatcher, driver")


def require_delivery_reader(principal: Principal, truck_id: int) -> None:
    """Dispatchers and the bureau read every delivery; a driver only its truck's."""
    if principal.role is Role.driver and principal.truck_id != truck_id:
        raise Forbidden("this driver is not bound to the truck of this delivery")
    require_role(principal, Role.dispatcher, Role.bureau, Role.driver)


def require_plan_writer(principal: Principal) -> None:
    """Only national dispatchers (and admins) plan, move stops, commit, discard and re-plan:
    a plan's trucks and requests span regions, so staff bound to a region may not."""
    require_dispatcher(principal)
    require_national(principal)


def require_compound_in_region(principal: Principal, compound: Compound) -> None:
    """A 404 worded as for an unknown code when the compound lies outside the caller's
    region, so a city bureau cannot learn that a neighbour's compound exists."""
    require_in_region(principal, compound.region_id, label=phrase("compound"), code=compound.code)


def compounds_within_region(principal: Principal, compound_id: Any) -> ColumnElement[bool]:
    """A WHERE clause keeping rows whose compound lies inside the caller's region (no
    restriction for a caller bound to none)."""
    if principal.region_ids is None:
        return true()
    return compound_id.in_(select(Compound.id).where(within_region(principal, Compound.region_id)))


def require_request_in_region(session: Session, principal: Principal, request_id: int) -> None:
    """A 404 worded as for an unknown id when the request's compound lies outside the
    caller's region."""
    if principal.region_ids is None:
        return
    inside = session.scalar(
        select(
            exists().where(
                DeliveryRequest.id == request_id,
                compounds_within_region(principal, DeliveryRequest.compound_id),
            )
        )
    )
    if not inside:
        raise NotFound("delivery request {request_id} not found", request_id=request_id)


def require_delivery_in_region(session: Session, principal: Principal, delivery: Delivery) -> None:
    """A 404 worded as for an unknown id when the delivery's request lies outside the
    caller's region."""
    if principal.region_ids is None:
        return
    inside = session.scalar(
        select(
            exists().where(
                DeliveryRequest.id == delivery.request_id,
                compounds_within_region(principal, DeliveryRequest.compound_id),
            )
        )
    )
    if not inside:
        raise NotFound("delivery {delivery_id} not found", delivery_id=delivery.id)


def plans_within_region(principal: Principal, plan_id: Any) -> ColumnElement[bool]:
    """A WHERE clause keeping the plans a caller bound to a region may read: those whose
    every stop and every unassigned request is of a compound inside it. A plan reaching
    into a neighbour's region is hidden whole (not trimmed), since its routes' times,
    distances and loads would still tell of the neighbour's stops."""
    if principal.region_ids is None:
        return true()
    outside = ~within_region(principal, Compound.region_id)
    stop_outside = (
        select(PlanRoute.plan_id)
        .join(PlanStop, PlanStop.route_id == PlanRoute.id)
        .join(DeliveryRequest, DeliveryRequest.id == PlanStop.request_id)
        .join(Compound, Compound.id == DeliveryRequest.compound_id)
        .where(outside)
    )
    unassigned_outside = (
        select(PlanUnassigned.plan_id)
        .join(DeliveryRequest, DeliveryRequest.id == PlanUnassigned.request_id)
        .join(Compound, Compound.id == DeliveryRequest.compound_id)
        .where(outside)
    )
    return ~or_(plan_id.in_(stop_outside), plan_id.in_(unassigned_outside))


def require_plan_in_region(session: Session, principal: Principal, plan_id: int) -> None:
    """A 404 worded as for an unknown id when the plan reaches outside the caller's region."""
    if principal.region_ids is None:
        return
    inside = session.scalar(
        select(
            exists().where(
                DispatchPlan.id == plan_id, plans_within_region(principal, DispatchPlan.id)
            )
        )
    )
    if not inside:
        raise NotFound("dispatch plan {plan_id} not found", plan_id=plan_id)
