"""Committing a draft plan, and re-planning when a truck breaks down.

Two dispatchers may commit overlapping drafts at the same moment; only one may win.
The commit is a pair of conditional UPDATEs in the caller's transaction: the plan moves
from draft at the version the dispatcher saw, and every request it serves moves from
open to assigned. On PostgreSQL the second committer's UPDATE waits on the first one's
row locks and then finds the requests no longer open; on SQLite the write lock taken at
BEGIN serialises them. Either way the loser gets a 409 and writes nothing.

A breakdown's re-plan is solved outside any transaction from a read of the fleet
(``fleet_state``); the write locks the same rows, reads them again and refuses (409) if
a delivery, a truck or a plan of the day changed while it was solved.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Update, select, update
from sqlalchemy.orm import Session, selectinload

from core.database import SessionFactory, mark_read_only
from core.errors import Conflict, NotFound
from core.words import word
from dispatch.plan_rows import (
    PlanInputs,
    build_inputs,
    committed_route_ends,
    kg_still_to_plan,
    store_plan,
)
from dispatch.planning import load_plan, stored_plan
from dispatch.routing_problem import Plan, PlannedRoute, PlannedStop
from dispatch.schedule import check_plan, minute_up
from dispatch.solver import MIN_TIME_LIMIT_S, plan_routes
from models import (
    Compound,
    Delivery,
    DeliveryEvent,
    DeliveryRequest,
    DeliveryStatus,
    Depot,
    DispatchPlan,
    PlanStatus,
    RequestStatus,
    Truck,
    TruckStatus,
)
from models.base import utc_now
from models.delivery import ACTIVE_DELIVERY


def instant(plan_date: date, seconds: int, zone: ZoneInfo) -> datetime:
    """The instant ``seconds`` after midnight of ``plan_date`` in the city's time zone."""
    return datetime.combine(plan_date, time(0), tzinfo=zone) + timedelta(seconds=seconds)


def _rowcount(session: Session, statement: Update) -> int:
    """Rows a conditional UPDATE changed: how a commit learns whether it won."""
    result = session.execute(statement.execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]


def _create_deliveries(session: Session, plan: DispatchPlan, zone: ZoneInfo, actor: str) -> None:
    now = utc_now()
    for route in plan.routes:
        for stop in route.stops:
            delivery = Delivery(
                plan_id=plan.id,
                request_id=stop.request_id,
                truck_id=route.truck_id,
                sequence=stop.sequence,
                part=stop.part,
                load_kg=stop.load_kg,
                planned_arrival_at=instant(plan.plan_date, stop.arrival_s + stop.wait_s, zone),
                status=DeliveryStatus.assigned,
                status_changed_at=now,
            )
            session.add(delivery)
            session.flush()
            session.add(
                DeliveryEvent(
                    delivery_id=delivery.id,
                    from_status=None,
                    to_status=DeliveryStatus.assigned,
                    at=now,
                    actor=actor,
                    note=f"plan {plan.id}",
                )
            )


def commit_plan(
    *, session: Session, plan_id: int, expected_version: int, actor: str, zone: ZoneInfo
) -> DispatchPlan:
    """Commit a draft: its deliveries are created and the requests it serves assigned.

    409 when the plan is no longer the draft at ``expected_version``, when one of its
    trucks went out of service, when another commit assigned one of its requests first,
    when a truck is still out on another committed route of the day when this one would
    leave, or when the draft no longer holds with today's rows."""
    won = _rowcount(
        session,
        update(DispatchPlan)
        .where(
            DispatchPlan.id == plan_id,
            DispatchPlan.status == PlanStatus.draft,
            DispatchPlan.version == expected_version,
        )
        .values(
            status=PlanStatus.committed,
            version=DispatchPlan.version + 1,
            committed_at=utc_now(),
            committed_by=actor,
        ),
    )
    plan = load_plan(session, plan_id)
    # Re-read what the UPDATE may have changed; a full refresh would also expire the routes
    # of a draft created in this same session, which then cannot be loaded (lazy="raise").
    session.refresh(plan, ["status", "version", "committed_at", "committed_by"])
    if won != 1:
        raise Conflict(
            "plan {plan_id} is {status} at version {version}; "
            "version {expected} of the draft can no longer be committed",
            plan_id=plan_id,
            status=word(plan.status),
            version=plan.version,
            expected=expected_version,
        )
    served = sorted({stop.request_id for route in plan.routes for stop in route.stops})
    closed = set(
        session.scalars(
            select(Truck.id)
            .join(Depot, Depot.id == Truck.depot_id)
            .where(Truck.id.in_({r.truck_id for r in plan.routes}), Depot.active.is_(False))
        )
    )
    broken = [
        r.truck.plate
        for r in plan.routes
        if r.truck.status is not TruckStatus.available or r.truck_id in closed
    ]
    if broken:
        raise Conflict(
            "truck(s) {plates} went out of service or their depot closed; plan again",
            plates=", ".join(broken),
        )
    _refuse_partly_planned(plan, served)
    if served:
        # The ids this UPDATE itself assigned: a read of the statuses after it would find
        # those assigned too and name every request of the plan, not the ones that left
        # the open queue meanwhile (assigned by another commit, cancelled, failed).
        assigned = set(
            session.scalars(
                update(DeliveryRequest)
                .where(DeliveryRequest.id.in_(served), DeliveryRequest.status == RequestStatus.open)
                .values(status=RequestStatus.assigned)
                .returning(DeliveryRequest.id)
                .execution_options(synchronize_session=False)
            )
        )
        if len(assigned) != len(served):
            taken = [request_id for request_id in served if request_id not in assigned]
            raise Conflict(
                "request(s) {request_ids} were assigned or changed by another "
                "plan meanwhile; plan again",
                extra={"request_ids": list(taken)},
                request_ids=", ".join(map(str, taken)),
            )
    # After the requests: two drafts of the same requests report those, not their trucks.
    _refuse_trucks_taken(session, plan)
    _refuse_what_no_longer_holds(session, plan)
    _create_deliveries(session, plan, zone, actor)
    session.flush()
    return plan


def _refuse_partly_planned(plan: DispatchPlan, served: list[int]) -> None:
    """A request split over trucks with a part left off would be assigned whole and the
    rest never planned again: the dispatcher moves the rest on or takes the request off."""
    partly = sorted(set(served) & {row.request_id for row in plan.unassigned})
    if partly:
        raise Conflict(
            "request(s) {request_ids} are only partly planned: move the rest onto a truck, "
            "or take the request off the plan so it stays open",
            extra={"request_ids": partly},
            request_ids=", ".join(map(str, partly)),
        )


def _refuse_trucks_taken(session: Session, plan: DispatchPlan) -> None:
    """A route may not leave before its truck is back from a route another plan of the
    day committed meanwhile (two drafts on one truck, or a second plan of the day solved
    before the first was committed): the truck cannot drive both at once."""
    back_at = committed_route_ends(session, plan.plan_date, other_than=plan.id)
    taken = sorted(
        (route.truck.plate, minute_up(back_at[route.truck_id]))
        for route in plan.routes
        if route.stops and back_at.get(route.truck_id, -1) > route.start_s
    )
    if taken:
        raise Conflict(
            "truck(s) {plates} are on another committed route of {day} until {times}; plan again",
            extra={"trucks": [plate for plate, _ in taken]},
            plates=", ".join(plate for plate, _ in taken),
            day=plan.plan_date,
            times=", ".join(until for _, until in taken),
        )


def _refuse_what_no_longer_holds(session: Session, plan: DispatchPlan) -> None:
    """The draft checked again against today's rows: a window, a truck's capacity or
    shift, or a compound's place changed since it was solved makes it a plan that breaks
    the rules, which is a 409 saying which, never a committed route no truck can drive."""
    problem, stored = stored_plan(session, plan)
    broken = check_plan(problem=problem, plan=stored)
    if broken:
        raise Conflict(
            "plan {plan_id} no longer holds with today's requests and trucks ({problems}); "
            "plan again",
            plan_id=plan.id,
            problems="; ".join(str(problem) for problem in broken[:5]),
        )


def _cancel(session: Session, delivery: Delivery, *, actor: str, note: str) -> None:
    session.add(
        DeliveryEvent(
            delivery_id=delivery.id,
            from_status=delivery.status,
            to_status=DeliveryStatus.cancelled,
            at=utc_now(),
            actor=actor,
            note=note,
        )
    )
    delivery.status = DeliveryStatus.cancelled
    delivery.status_changed_at = utc_now()


def _seconds_now(plan_date: date, zone: ZoneInfo) -> int:
    """Seconds since midnight of ``plan_date`` now (0 for a future day)."""
    elapsed = (utc_now() - instant(plan_date, 0, zone)).total_seconds()
    return max(0, int(elapsed))


@dataclass(frozen=True)
class _DayReplan:
    """One day's re-plan as worked out from a read of the fleet: the deliveries it
    cancels, the plan it replaces, the requests it plans and the solved answer."""

    plan_date: date
    replaced_plan_id: int
    service_s: int
    road_factor: float
    speed_kmh: float
    cancelled_ids: list[int]
    truck_ids: list[int]
    request_ids: list[int]
    inputs: PlanInputs | None
    plan: Plan


@dataclass(frozen=True)
class _DayToReplan:
    """One day's re-plan before solving: the rows it reads and the warm start."""

    replan: _DayReplan
    initial: Plan


def fleet_state(session: Session, truck_id: int, *, lock: bool = False) -> tuple[Any, ...]:
    """Every row a re-plan after truck ``truck_id`` broke down reads: the trucks and
    depots, the plans of the days its undelivered deliveries are on (status and
    version), those days' undelivered deliveries, their requests and compounds. Equal
    before solving and before writing means nothing the solve used has changed."""
    active = Delivery.status.in_(ACTIVE_DELIVERY)
    dates = select(DispatchPlan.plan_date).where(
        DispatchPlan.id.in_(select(Delivery.plan_id).where(Delivery.truck_id == truck_id, active))
    )
    day_plans = select(DispatchPlan.id).where(DispatchPlan.plan_date.in_(dates))
    planned = select(Delivery.request_id).where(Delivery.plan_id.in_(day_plans), active)
    deliveries = (
        select(Delivery.__table__)
        .where(Delivery.plan_id.in_(day_plans), active)
        .order_by(Delivery.id)
    )
    trucks = select(Truck.__table__).order_by(Truck.id)
    if lock:
        deliveries = deliveries.with_for_update()
        trucks = trucks.with_for_update()
    return (
        tuple(session.execute(trucks).all()),
        tuple(session.execute(select(Depot.__table__).order_by(Depot.id)).all()),
        tuple(
            session.execute(
                select(DispatchPlan.id, DispatchPlan.status, DispatchPlan.version)
                .where(DispatchPlan.plan_date.in_(dates))
                .order_by(DispatchPlan.id)
            ).all()
        ),
        tuple(session.execute(deliveries).all()),
        tuple(
            session.execute(
                select(DeliveryRequest.__table__)
                .where(DeliveryRequest.id.in_(planned))
                .order_by(DeliveryRequest.id)
            ).all()
        ),
        tuple(
            session.execute(
                select(Compound.__table__)
                .where(
                    Compound.id.in_(
                        select(DeliveryRequest.compound_id).where(DeliveryRequest.id.in_(planned))
                    )
                )
                .order_by(Compound.id)
            ).all()
        ),
    )


def breakdown(
    *,
    session: Session,
    plate: str,
    actor: str,
    zone: ZoneInfo,
    time_limit_s: float,
    read_in: SessionFactory | None = None,
) -> list[DispatchPlan]:
    """Take a broken truck out of service and re-plan its undelivered stops.

    Its deliveries not yet delivered or failed are cancelled; their requests are
    re-planned, per day, for what is left of each once they are (``kg_still_to_plan``:
    the weight less what other deliveries carry or have brought, so a part that failed
    meanwhile goes out too), together with the still-unloaded deliveries of the other
    available trucks (a truck already loaded or on the road keeps its trip), starting
    from the current routes so those trucks keep their stops where they can. The new
    plan is committed at once; a request it carries in full is assigned, one it cannot
    carry (in full) goes back to open for the rest. Deliveries already made stay.
    Distances come from coordinates: a matrix uploaded for the replaced plan need not
    cover the other trucks' depots, so it is not reused. ``time_limit_s`` is for the
    whole breakdown, shared by its days (at least the solver's shortest limit each).

    With ``read_in`` the fleet is read in a short read-only transaction of its own and
    solved outside any transaction, so minutes of solving hold no write lock; ``session``
    then locks the fleet's rows and writes only if nothing the solve read has changed
    (409 and nothing written otherwise: a delivery moved on, a truck or a plan changed)."""
    if read_in is None:
        truck_id, seen, days = _read_breakdown(session, plate, zone, lock=True)
    else:
        with read_in() as reading:
            mark_read_only(reading)
            truck_id, seen, days = _read_breakdown(reading, plate, zone)
    # The dispatcher waits for the whole answer: the time limit is shared by the days
    # the truck had stops on, each given at least the solver's shortest limit.
    per_day = max(MIN_TIME_LIMIT_S, time_limit_s / max(1, len(days)))
    solved = [_solved(day, per_day) for day in days]
    truck = session.scalars(select(Truck).where(Truck.id == truck_id).with_for_update()).first()
    if read_in is not None and (truck is None or fleet_state(session, truck_id, lock=True) != seen):
        raise Conflict(
            "the deliveries, trucks or plans of truck {plate} changed while the re-plan "
            "was solved; nothing was saved, report the breakdown again",
            plate=plate,
        )
    assert truck is not None
    truck.status = TruckStatus.out_of_service
    session.flush()
    plans = [
        _write_day(
            session=session,
            day=day,
            broken_plate=plate,
            actor=actor,
            zone=zone,
            time_limit_s=per_day,
        )
        for day in solved
    ]
    _set_replanned_statuses(session, {rid for day in solved for rid in day.request_ids})
    return plans


def _set_replanned_statuses(session: Session, request_ids: set[int]) -> None:
    """A re-planned request is assigned when the deliveries now on the road carry all of
    it, else open for the rest: counted once every day is written, since a request split
    over two days is re-planned on each, and one day's re-plan alone would call it
    carried while the other day's part found no truck."""
    requests = list(
        session.scalars(select(DeliveryRequest).where(DeliveryRequest.id.in_(request_ids)))
    )
    left = kg_still_to_plan(session, requests)
    for request in requests:
        request.status = RequestStatus.assigned if left[request.id] == 0 else RequestStatus.open
    session.flush()


STARTED_DELIVERY = (
    DeliveryStatus.loaded,
    DeliveryStatus.en_route,
    DeliveryStatus.delivered,
    DeliveryStatus.failed,
)
"""A delivery whose truck has set out (a failed one too: its driver went and came back
or drove on)."""


def _read_breakdown(
    session: Session, plate: str, zone: ZoneInfo, *, lock: bool = False
) -> tuple[int, tuple[Any, ...], list[_DayToReplan]]:
    """The broken truck's id, the rows the re-plan reads (``fleet_state``) and each
    day's re-plan to solve; 404 for an unknown plate."""
    query = select(Truck).where(Truck.plate == plate)
    truck = session.scalars(query.with_for_update() if lock else query).first()
    if truck is None:
        raise NotFound("truck {plate!r} not found", plate=plate)
    seen = fleet_state(session, truck.id, lock=lock)
    broken = list(
        session.scalars(
            select(Delivery).where(
                Delivery.truck_id == truck.id, Delivery.status.in_(ACTIVE_DELIVERY)
            )
        )
    )
    dates: dict[date, list[Delivery]] = defaultdict(list)
    for delivery in broken:
        plan_date = session.scalar(
            select(DispatchPlan.plan_date).where(DispatchPlan.id == delivery.plan_id)
        )
        assert plan_date is not None
        dates[plan_date].append(delivery)
    days = [
        _read_day(session=session, plan_date=plan_date, lost=lost, broken_truck=truck, zone=zone)
        for plan_date, lost in sorted(dates.items())
    ]
    return truck.id, seen, days


def _read_day(
    *,
    session: Session,
    plan_date: date,
    lost: list[Delivery],
    broken_truck: Truck,
    zone: ZoneInfo,
) -> _DayToReplan:
    """One day's lost deliveries and the trucks that have not loaded yet, as a routing
    problem with the current routes as its warm start."""
    day_plans = select(DispatchPlan.id).where(DispatchPlan.plan_date == plan_date)
    others = list(
        session.scalars(
            select(Delivery).where(
                Delivery.plan_id.in_(day_plans),
                Delivery.truck_id != broken_truck.id,
                Delivery.status.in_(ACTIVE_DELIVERY),
            )
        )
    )
    # A truck that has started its trip keeps it: one with a stop loaded or on the way,
    # and also one that delivered (or failed) a stop and has more to go, which is out
    # on the road though its next stops still read assigned.
    started = set(
        session.scalars(
            select(Delivery.truck_id).where(
                Delivery.plan_id.in_(day_plans),
                Delivery.truck_id.in_({d.truck_id for d in others}),
                Delivery.status.in_(STARTED_DELIVERY),
            )
        )
    )
    busy = {d.truck_id for d in others if d.truck_id in started}
    movable = [d for d in others if d.truck_id not in busy]
    trucks = [
        t
        for t in session.scalars(
            select(Truck)
            .join(Depot, Depot.id == Truck.depot_id)
            .where(
                Truck.status == TruckStatus.available,
                Truck.id != broken_truck.id,
                Depot.active.is_(True),
            )
            .options(selectinload(Truck.depot))
            .order_by(Truck.plate)
        )
        if t.id not in busy
    ]
    replaced = session.get_one(DispatchPlan, lost[0].plan_id)
    replanned = lost + movable
    cancelled_ids = [d.id for d in replanned]
    affected = list(
        session.scalars(
            select(DeliveryRequest)
            .where(
                DeliveryRequest.id.in_({d.request_id for d in replanned}),
                DeliveryRequest.status != RequestStatus.cancelled,
            )
            .order_by(DeliveryRequest.id)
        )
    )
    # What is left of each request once these deliveries are cancelled, not the loads
    # they carried: a split request whose other part failed meanwhile is planned for that
    # part too, and one whose kilograms other deliveries carry is not planned twice.
    left = kg_still_to_plan(session, affected, cancelling=cancelled_ids)
    requests = [request for request in affected if left[request.id] > 0]
    demand = {request.id: left[request.id] for request in requests}
    inputs = (
        None
        if not trucks
        else build_inputs(
            session=session,
            requests=requests,
            trucks=trucks,
            service_s=replaced.service_s,
            road_factor=replaced.road_factor,
            speed_kmh=replaced.speed_kmh,
            matrix=None,
            demand_kg=demand,
            earliest_start_s=_seconds_now(plan_date, zone),
        )
    )
    replan = _DayReplan(
        plan_date=plan_date,
        replaced_plan_id=replaced.id,
        service_s=replaced.service_s,
        road_factor=replaced.road_factor,
        speed_kmh=replaced.speed_kmh,
        cancelled_ids=cancelled_ids,
        truck_ids=[t.id for t in trucks],
        request_ids=[r.id for r in requests],
        inputs=inputs,
        plan=Plan(routes=[], unassigned=[]),
    )
    return _DayToReplan(replan=replan, initial=_current_routes(session, movable))


def _solved(day: _DayToReplan, time_limit_s: float) -> _DayReplan:
    """The day's re-plan with its routes solved (no trucks left: nothing planned)."""
    if day.replan.inputs is None:
        return day.replan
    plan = plan_routes(
        problem=day.replan.inputs.problem, time_limit_s=time_limit_s, initial_plan=day.initial
    )
    return replace(day.replan, plan=plan)


def _write_day(
    *,
    session: Session,
    day: _DayReplan,
    broken_plate: str,
    actor: str,
    zone: ZoneInfo,
    time_limit_s: float,
) -> DispatchPlan:
    """Cancel the day's re-planned deliveries and commit the solved plan in their place."""
    note = f"re-plan after truck {broken_plate} broke down"
    for delivery in session.scalars(
        select(Delivery).where(Delivery.id.in_(day.cancelled_ids)).order_by(Delivery.id)
    ):
        _cancel(session, delivery, actor=actor, note=note)
    plan_row = DispatchPlan(
        plan_date=day.plan_date,
        status=PlanStatus.committed,
        version=1,
        truck_ids=day.truck_ids,
        time_limit_s=time_limit_s,
        service_s=day.service_s,
        road_factor=day.road_factor,
        speed_kmh=day.speed_kmh,
        replaces_plan_id=day.replaced_plan_id,
        note=note,
        created_by=actor,
        committed_by=actor,
        committed_at=utc_now(),
    )
    if day.inputs is None:
        # No truck could take the day over: a committed plan with no routes records that
        # the broken truck's requests went back to open.
        plan_row.routes = []
        session.add(plan_row)
        session.flush()
        stored = plan_row
    else:
        plan_row.solver_seconds = round(day.plan.runtime_s, 3)
        stored = store_plan(session, plan_row, day.plan, day.inputs)
    # The requests' statuses are set once every day is written (_set_replanned_statuses).
    _create_deliveries(session, stored, zone, actor)
    session.flush()
    return stored


def _current_routes(session: Session, deliveries: list[Delivery]) -> Plan:
    """The unloaded trucks' current routes, as a warm start for the re-plan."""
    plates = dict(
        session.execute(
            select(Truck.id, Truck.plate).where(Truck.id.in_({d.truck_id for d in deliveries}))
        ).all()
    )
    by_truck: dict[int, list[Delivery]] = defaultdict(list)
    for delivery in sorted(deliveries, key=lambda d: (d.truck_id, d.sequence)):
        by_truck[delivery.truck_id].append(delivery)
    return Plan(
        routes=[
            PlannedRoute(
                vehicle_key=plates[truck_id],
                depot_key="",
                start_s=0,
                end_s=0,
                stops=[
                    PlannedStop(
                        request_key=str(d.request_id),
                        part=None,
                        load_kg=d.load_kg,
                        arrival_s=0,
                        wait_s=0,
                        departure_s=0,
                        distance_m=0,
                    )
                    for d in stops
                ],
                return_distance_m=0,
            )
            for truck_id, stops in by_truck.items()
        ],
        unassigned=[],
    )
