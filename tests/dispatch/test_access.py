"""Who may read and change dispatch data: the rules the API and the pages both apply
(pure: principals and unsaved rows)."""

from __future__ import annotations

from typing import Any

import pytest

from core.access import Principal
from core.errors import Forbidden, NotFound
from dispatch.access import (
    require_compound_access,
    require_compound_in_region,
    require_delivery_reader,
    require_dispatch_reader,
    require_dispatcher,
    require_own_compound,
    require_plan_writer,
    require_truck_access,
    require_truck_reader,
)
from models import Compound, Role, Truck

HOME = Compound(id=1, code="CP-HOME", region_id=10)
OTHER = Compound(id=2, code="CP-OTHER", region_id=20)
CAB = Truck(id=7, plate="T-7")
VAN = Truck(id=8, plate="T-8")


def _caller(role: Role, **binding: Any) -> Principal:
    return Principal(kind="key", id=1, name="caller", role=role, **binding)


@pytest.mark.parametrize("role", [Role.admin, Role.dispatcher])
def test_dispatchers_and_admins_do_everything(role: Role) -> None:
    caller = _caller(role)
    require_dispatcher(caller)
    require_dispatch_reader(caller)
    require_compound_access(caller, OTHER)
    require_own_compound(caller, OTHER)
    require_truck_reader(caller, VAN)
    require_truck_access(caller, VAN.id)
    require_delivery_reader(caller, VAN.id)


def test_the_bureau_reads_but_does_not_dispatch_or_move_deliveries() -> None:
    bureau = _caller(Role.bureau)
    require_dispatch_reader(bureau)
    require_compound_access(bureau, OTHER)
    require_truck_reader(bureau, VAN)
    require_delivery_reader(bureau, VAN.id)
    with pytest.raises(Forbidden):
        require_dispatcher(bureau)
    with pytest.raises(Forbidden, match="admin, dispatcher, driver"):
        require_truck_access(bureau, VAN.id)


def test_a_receiver_acts_for_its_own_compound_only() -> None:
    receiver = _caller(Role.receiver, compound_id=HOME.id)
    require_compound_access(receiver, HOME)
    require_own_compound(receiver, HOME)
    with pytest.raises(Forbidden, match="not bound to compound CP-OTHER"):
        require_compound_access(receiver, OTHER)
    with pytest.raises(Forbidden, match="receives for another compound, not CP-OTHER"):
        require_own_compound(receiver, OTHER)
    with pytest.raises(Forbidden):
        require_dispatch_reader(receiver)


def test_a_driver_reads_and_moves_its_own_truck_only() -> None:
    driver = _caller(Role.driver, truck_id=CAB.id)
    require_truck_reader(driver, CAB)
    require_truck_access(driver, CAB.id)
    require_delivery_reader(driver, CAB.id)
    with pytest.raises(Forbidden, match="not bound to truck T-8"):
        require_truck_reader(driver, VAN)
    with pytest.raises(Forbidden, match="not bound to the truck of this delivery"):
        require_truck_access(driver, VAN.id)
    with pytest.raises(Forbidden, match="not bound to the truck of this delivery"):
        require_delivery_reader(driver, VAN.id)
    with pytest.raises(Forbidden):
        require_truck_access(_caller(Role.driver), CAB.id)


def test_a_city_admin_changes_its_compounds_but_plans_are_for_national_staff() -> None:
    city_admin = _caller(Role.admin, region_id=10, region_ids=frozenset({10, 11}))
    require_dispatcher(city_admin)
    require_compound_in_region(city_admin, HOME)
    with pytest.raises(NotFound, match="CP-OTHER"):
        require_compound_in_region(city_admin, OTHER)
    with pytest.raises(Forbidden):
        require_plan_writer(city_admin)
    require_plan_writer(_caller(Role.admin))
    require_compound_in_region(_caller(Role.bureau), OTHER)
