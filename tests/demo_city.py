"""The demo city as the page, browser and tenancy stories start from it: loaded into an
empty database, the monitor run for its last two days and its bulletins published."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.database import create_database_engine, create_session_factory, session_scope
from dispatch.commitment import commit_plan
from dispatch.demand import ItemInput, create_request
from dispatch.planning import PlanOptions, create_draft
from models import (
    Compound,
    Delivery,
    DeliveryRequest,
    LockdownStatus,
    Product,
    RequestPriority,
    RequestStatus,
)
from monitors.running.runs import run_monitor
from service.configuration import business_today, monitor_config, pass_authority
from service.demo import load_demo_city
from service.demo.bulletins import publish_demo_bulletins
from service.migrate import upgrade_to_head
from service.settings import Settings


def load_demo_day(settings: Settings, *, days: int = 8) -> None:
    """The demo city with ``days`` of reports ending today, as a new user finds it after
    a night's monitor runs and the morning bulletins, in the empty database of
    ``settings``."""
    upgrade_to_head(settings.database_url)
    engine = create_database_engine(settings.database_url)
    factory = create_session_factory(engine)
    today = business_today(settings)
    with session_scope(factory) as session:
        load_demo_city(session, end_date=today, days=days, pass_authority=pass_authority(settings))
    for offset in (1, 0):
        run_monitor(
            factory=factory,
            business_date=today - timedelta(days=offset),
            config=monitor_config(settings),
            trigger="test",
            requested_by="test",
        )
    with session_scope(factory) as session:
        publish_demo_bulletins(session, last_date=today)
    engine.dispose()


@dataclass(frozen=True)
class OneStop:
    """A committed plan of one stop: what a story follows of it."""

    plan_id: int
    delivery_id: int
    request_id: int
    compound: str


def commit_one_stop(session: Session, settings: Settings, *, plate: str) -> OneStop:
    """A new urgent request of rice at the last locked-down compound, planned alone on the
    truck ``plate`` and committed."""
    today = business_today(settings)
    compound = session.scalars(
        select(Compound)
        .where(Compound.lockdown_status == LockdownStatus.locked)
        .order_by(Compound.code.desc())
    ).first()
    assert compound is not None
    request = create_request(
        session=session,
        compound=compound,
        delivery_date=today,
        priority=RequestPriority.urgent,
        window_start=time(0, 5),
        window_end=time(23, 55),
        items=[ItemInput("rice", 40, None)],
        note=None,
        created_by="test",
    )
    plan = create_draft(
        session=session,
        options=PlanOptions(
            plan_date=today, request_ids=[request.id], truck_plates=[plate], time_limit_s=1
        ),
        created_by="test",
    )
    commit_plan(
        session=session, plan_id=plan.id, expected_version=1, actor="test", zone=settings.zone
    )
    delivery_id = session.scalars(select(Delivery.id).where(Delivery.plan_id == plan.id)).one()
    return OneStop(plan.id, delivery_id, request.id, compound.code)


OPEN_REQUESTS = 60
"""Enough open requests for a plan of many trucks, even after another story committed the
demo day."""


def open_requests(settings: Settings) -> None:
    """Make sure the demo day has open requests to plan (a committed plan took them)."""
    engine = create_database_engine(settings.database_url)
    today = business_today(settings)
    with session_scope(create_session_factory(engine)) as session:
        open_now = session.scalar(
            select(func.count())
            .select_from(DeliveryRequest)
            .where(DeliveryRequest.status == RequestStatus.open)
        )
        if (open_now or 0) < OPEN_REQUESTS:
            rice = session.scalars(select(Product.code).where(Product.code == "rice")).one()
            compounds = session.scalars(
                select(Compound)
                .where(Compound.lockdown_status == LockdownStatus.locked)
                .order_by(Compound.code)
                .limit(OPEN_REQUESTS)
            ).all()
            for index, compound in enumerate(compounds):
                create_request(
                    session=session,
                    compound=compound,
                    delivery_date=today,
                    priority=RequestPriority.normal,
                    window_start=time(8) if index % 2 else time(13),
                    window_end=time(12) if index % 2 else time(17),
                    items=[ItemInput(rice, 80 + 10 * (index % 7), None)],
                    note=None,
                    created_by="test",
                )
    engine.dispose()
