"""Who sees which store, decided once in masterdata.stores for the API and the pages."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import Principal, bind_region
from core.errors import Forbidden, InvalidInput, NotFound
from masterdata.stores import (
    accessible_store,
    create_store,
    list_stores,
    read_store,
    stores_to_report_for,
    update_store,
)
from models import Region, Role
from tests.factories import make_enterprise, make_region, make_store


def person(role: Role, **binding: Any) -> Principal:
    return Principal("user", 1, "someone", role, **binding)


def region_id_of(session: Session, code: str) -> int:
    return session.scalars(select(Region.id).where(Region.code == code)).one()


def visible_codes(session: Session, principal: Principal, region: str | None = None) -> list[str]:
    found = list_stores(session=session, principal=principal, region=region, limit=1000, offset=0)
    return [store.code for store in found.items if store.code.startswith("T-")]


@pytest.fixture
def city(session: Session) -> dict[str, int]:
    """Three stores: two of one chain, one independent, in two districts of a city."""
    top = make_region(session, code="T-CITY")
    east = make_region(session, code="T-EAST", parent=top)
    west = make_region(session, code="T-WEST", parent=top)
    chain = make_enterprise(session, code="T-CHAIN")
    ids = {
        "T-1": make_store(session, code="T-1", region=east, enterprise=chain).id,
        "T-2": make_store(session, code="T-2", region=west, enterprise=chain).id,
        "T-3": make_store(session, code="T-3", region=west).id,
    }
    return {**ids, "chain": chain.id}


def test_a_store_bound_principal_sees_only_its_own_store(
    session: Session, city: dict[str, int]
) -> None:
    clerk = person(Role.store, store_id=city["T-2"])
    assert visible_codes(session, clerk) == ["T-2"]
    assert [store.code for store in stores_to_report_for(session=session, principal=clerk)] == [
        "T-2"
    ]
    assert read_store(session=session, principal=clerk, code="T-2").code == "T-2"
    with pytest.raises(Forbidden):
        read_store(session=session, principal=clerk, code="T-1")
    with pytest.raises(Forbidden):
        accessible_store(session=session, principal=clerk, code="T-3")


def test_an_enterprise_bound_principal_sees_its_chains_stores(
    session: Session, city: dict[str, int]
) -> None:
    chain = person(Role.store, enterprise_id=city["chain"])
    assert visible_codes(session, chain) == ["T-1", "T-2"]
    assert accessible_store(session=session, principal=chain, code="T-1").id == city["T-1"]


def test_the_bureau_and_dispatchers_see_every_store_and_a_driver_none(
    session: Session, city: dict[str, int]
) -> None:
    assert visible_codes(session, person(Role.bureau)) == ["T-1", "T-2", "T-3"]
    dispatcher = person(Role.dispatcher)
    assert visible_codes(session, dispatcher) == ["T-1", "T-2", "T-3"]
    assert read_store(session=session, principal=dispatcher, code="T-3").region == "T-WEST"
    assert visible_codes(session, person(Role.driver)) == []


def test_a_region_filter_takes_its_subregions_and_only_active_stores_are_offered(
    session: Session, city: dict[str, int]
) -> None:
    bureau = person(Role.bureau)
    assert visible_codes(session, bureau, region="T-CITY") == ["T-1", "T-2", "T-3"]
    assert visible_codes(session, bureau, region="T-WEST") == ["T-2", "T-3"]
    with pytest.raises(NotFound):
        visible_codes(session, bureau, region="T-NOWHERE")

    make_store(session, code="T-4", region=make_region(session), active=False)
    offered = [s.code for s in stores_to_report_for(session=session, principal=bureau)]
    assert "T-4" not in offered and {"T-1", "T-2", "T-3"} <= set(offered)


def test_creating_and_moving_a_store_resolves_codes_and_refuses_a_null_region(
    session: Session, city: dict[str, int]
) -> None:
    bureau = person(Role.bureau)
    created = create_store(
        session=session, principal=bureau, code="T-9", name="New", region="T-EAST"
    )
    assert (created.region, created.enterprise, created.active) == ("T-EAST", None, True)
    with pytest.raises(InvalidInput):
        create_store(session=session, principal=bureau, code="T-10", name="X", region="NOPE")
    with pytest.raises(Forbidden):
        create_store(
            session=session,
            principal=person(Role.dispatcher),
            code="T-11",
            name="X",
            region="T-EAST",
        )

    moved = update_store(
        session=session,
        principal=bureau,
        code="T-9",
        changes={"region": "T-WEST", "enterprise": "T-CHAIN"},
    )
    assert (moved.region, moved.enterprise) == ("T-WEST", "T-CHAIN")
    with pytest.raises(InvalidInput):
        update_store(session=session, principal=bureau, code="T-9", changes={"region": None})


def test_a_district_bound_bureau_sees_and_acts_for_only_the_stores_of_its_district(
    session: Session, city: dict[str, int]
) -> None:
    east = make_region(session, code="T-EAST-TOWN", parent=None)
    bound = bind_region(session, person(Role.bureau), region_id_of(session, "T-EAST"))
    assert visible_codes(session, bound) == ["T-1"]
    assert [s.code for s in stores_to_report_for(session=session, principal=bound)] == ["T-1"]
    assert accessible_store(session=session, principal=bound, code="T-1").id == city["T-1"]
    for code in ("T-2", "T-3"):
        with pytest.raises(NotFound):
            accessible_store(session=session, principal=bound, code=code)
        with pytest.raises(NotFound):
            read_store(session=session, principal=bound, code=code)
    with pytest.raises(NotFound):
        visible_codes(session, bound, region="T-WEST")
    with pytest.raises(InvalidInput):
        update_store(session=session, principal=bound, code="T-1", changes={"region": east.code})
    assert visible_codes(session, person(Role.bureau)) == ["T-1", "T-2", "T-3"]
