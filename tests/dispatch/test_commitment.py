"""Two dispatchers committing overlapping plans at the same moment: exactly one wins,
on a database of its own where both transactions really commit and lock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from core.database import create_database_engine, create_session_factory
from core.errors import Conflict
from dispatch.commitment import commit_plan
from dispatch.planning import PlanOptions, create_draft
from models import Delivery, DeliveryRequest, DispatchPlan, PlanStatus, RequestStatus
from service.migrate import upgrade_to_head
from tests.dispatch.factories import PLAN_DAY, make_compound, make_depot, make_request, make_truck
from tests.factories import make_region

DAY = PLAN_DAY
ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def live_database(
    backend: str, empty_database_url: Callable[[str], str]
) -> Iterator[tuple[Engine, sessionmaker[Session]]]:
    url = empty_database_url(backend)
    upgrade_to_head(url)
    engine = create_database_engine(url)
    yield engine, create_session_factory(engine)
    engine.dispose()


def _two_overlapping_drafts(factory: sessionmaker[Session]) -> tuple[int, int]:
    with factory() as session:
        region = make_region(session)
        depot = make_depot(session)
        make_truck(session, depot=depot, capacity_kg=1000)
        for index in range(3):
            compound = make_compound(session, region=region, latitude=33.74 + index / 100)
            make_request(session, compound=compound, delivery_date=DAY, window=(time(8), time(18)))
        options = PlanOptions(plan_date=DAY, time_limit_s=1)
        first = create_draft(session=session, options=options, created_by="one").id
        second = create_draft(session=session, options=options, created_by="two").id
        session.commit()
    return first, second


def test_two_concurrent_commits_of_overlapping_plans_cannot_both_win(
    live_database: tuple[Engine, sessionmaker[Session]],
) -> None:
    _, factory = live_database
    first, second = _two_overlapping_drafts(factory)
    outcome: list[BaseException | None] = []

    def commit_second() -> None:
        with factory() as other:
            try:
                commit_plan(
                    session=other, plan_id=second, expected_version=1, actor="two", zone=ZONE
                )
                other.commit()
                outcome.append(None)
            except Conflict as error:
                other.rollback()
                outcome.append(error)

    with factory() as session:
        commit_plan(session=session, plan_id=first, expected_version=1, actor="one", zone=ZONE)
        racer = threading.Thread(target=commit_second)
        racer.start()
        racer.join(timeout=0.5)  # still waiting for our locks (it cannot finish before us)
        assert racer.is_alive()
        session.commit()
    racer.join(timeout=60)
    assert len(outcome) == 1 and isinstance(outcome[0], Conflict)

    with factory() as session:
        assert set(session.scalars(select(DeliveryRequest.status))) == {RequestStatus.assigned}
        plans = dict(session.execute(select(DispatchPlan.id, DispatchPlan.status)).all())
        assert plans == {first: PlanStatus.committed, second: PlanStatus.draft}
        deliveries = session.scalars(select(Delivery.plan_id)).all()
        assert set(deliveries) == {first} and len(deliveries) == 3
        assert session.scalar(select(func.count()).select_from(DeliveryRequest)) == 3
