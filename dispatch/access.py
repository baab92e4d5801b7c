"""Who may read and change dispatch data, checked with the caller's ``Principal``.

Dispatchers (and admins) manage compounds, the fleet, requests and plans; the bureau
reads them; a receiver acts only for the compound it is bound to and a driver only on
its own truck. The domain's reads and commands apply these rules, so the API and the
pages cannot disagree.
"""

from __future__ import annotations

from core.access import Principal, require_role
from core.errors import Forbidden
from models import Compound, Role, Truck


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
