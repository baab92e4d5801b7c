"""Where an alert or a silence lies, for staff bound to a region: SQL conditions every
alert and silence query adds, so a city bureau never reads a neighbour's alerts.

An alert lies where its scope does: a store alert in its store's region, a district or
city alert in that region, a ticket alert in its ticket's region. A silence lies inside
a region when one of its matchers confines it there (a region or a store inside).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.orm import Session

from core.access import Principal, within_region
from models import Alert, Region, Silence, Store, Ticket


def alerts_within(principal: Principal | None) -> ColumnElement[bool]:
    """A WHERE clause keeping the alerts whose scope lies inside the caller's region (no
    restriction for national staff, or for the monitor itself: None)."""
    if principal is None or principal.region_ids is None:
        return true()
    stores = select(Store.id).where(within_region(principal, Store.region_id))
    tickets = select(Ticket.id).where(within_region(principal, Ticket.region_id))
    return or_(
        and_(Alert.scope_level == "store", Alert.scope_id.in_(stores)),
        and_(
            Alert.scope_level == "district",
            within_region(principal, func.coalesce(Alert.district_id, Alert.scope_id)),
        ),
        and_(Alert.scope_level == "city", within_region(principal, Alert.scope_id)),
        and_(Alert.scope_level == "ticket", Alert.scope_id.in_(tickets)),
    )


def silences_within(principal: Principal | None) -> ColumnElement[bool]:
    """A WHERE clause keeping the silences confined inside the caller's region: a
    ``region`` or ``store`` matcher naming one inside (all, for national staff)."""
    if principal is None or principal.region_ids is None:
        return true()
    regions = select(Region.code).where(within_region(principal, Region.id))
    stores = select(Store.code).where(within_region(principal, Store.region_id))
    return or_(
        Silence.matchers["region"].as_string().in_(regions),
        Silence.matchers["store"].as_string().in_(stores),
    )


def region_code_within(session: Session, principal: Principal, code: str) -> bool:
    """Whether the region ``code`` names lies inside the caller's region."""
    region_id = session.scalar(select(Region.id).where(Region.code == code))
    return region_id is not None and principal.in_region(region_id)


def confines_silence(session: Session, principal: Principal, matchers: Mapping[str, str]) -> bool:
    """Whether these matchers keep a silence inside the caller's region (always, for
    national staff): a region or a store inside it is named."""
    if principal.region_ids is None:
        return True
    if (code := matchers.get("region")) is not None and region_code_within(
        session, principal, code
    ):
        return True
    if (code := matchers.get("store")) is not None:
        region_id = session.scalar(select(Store.region_id).where(Store.code == code))
        return principal.in_region(region_id)
    return False
