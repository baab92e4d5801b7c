"""The region tree: parents by code, and no region placed below itself."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from core.access import Principal
from core.errors import Conflict, Forbidden, InvalidInput
from masterdata.regions import (
    create_region,
    deactivate_region,
    list_regions,
    read_region,
    update_region,
)
from models import RegionLevel, Role

BUREAU = Principal("user", 1, "bureau", Role.bureau)


def test_a_region_is_created_below_its_parent_and_listed_by_it(session: Session) -> None:
    create_region(
        session=session, principal=BUREAU, code="T-CITY", name="City", level=RegionLevel.city
    )
    child = create_region(
        session=session,
        principal=BUREAU,
        code="T-EAST",
        name="East",
        level=RegionLevel.district,
        parent="T-CITY",
    )
    assert child.parent == "T-CITY" and child.active
    found = list_regions(session=session, parent="T-CITY", limit=10, offset=0)
    assert [region.code for region in found.items] == ["T-EAST"] and found.total == 1
    with pytest.raises(Conflict):
        create_region(
            session=session, principal=BUREAU, code="T-EAST", name="Again", level=RegionLevel.city
        )
    with pytest.raises(Forbidden):
        create_region(
            session=session,
            principal=Principal("user", 2, "clerk", Role.store, store_id=1),
            code="T-X",
            name="X",
            level=RegionLevel.city,
        )


def test_a_region_cannot_be_moved_below_itself(session: Session) -> None:
    for code, parent, level in (
        ("T-A", None, RegionLevel.city),
        ("T-B", "T-A", RegionLevel.district),
        ("T-C", "T-B", RegionLevel.township),
    ):
        create_region(
            session=session, principal=BUREAU, code=code, name=code, level=level, parent=parent
        )
    with pytest.raises(InvalidInput) as refused:
        update_region(session=session, principal=BUREAU, code="T-A", changes={"parent": "T-C"})
    assert refused.value.errors == [
        {"loc": ["body", "parent"], "msg": "would make a cycle in the region tree"}
    ]
    moved = update_region(session=session, principal=BUREAU, code="T-C", changes={"parent": None})
    assert moved.parent is None
    assert read_region(session=session, code="T-B").parent == "T-A"
    assert not deactivate_region(session=session, principal=BUREAU, code="T-B").active
