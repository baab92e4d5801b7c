"""Acting on a whole situation: acknowledge, assign or silence every open alert of a group
at once, with the same audit trail a single alert gets.

A group is named by its label codes (``{"district": "410403", "category": "meat"}``)
and the view's filters, so the action touches exactly the alerts the person saw in that
row. The API and the pages call these functions; they only flush.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import Principal, bind_region, require_role, within_region
from core.errors import InvalidInput, NotFound
from core.text import field_problem
from models import Alert, AlertStatus, Region, RegionLevel, Silence, User
from models.base import utc_now
from monitors.alerting.acknowledgement import (
    ALERT_HANDLERS,
    OPEN_STATUSES,
    alert_event,
    clean_note,
)
from monitors.alerting.regions import alerts_within, confines_silence
from monitors.alerting.silences import create_silence, open_alerts_matching
from monitors.queries.alert_groups import ASSIGNABLE_ROLES, AlertGroupFilters, selected_alerts

MAX_SILENCE_HOURS = 90 * 24


class AlertGroupEmpty(NotFound):
    """The group has no open alert the action applies to."""


def _open_alerts(
    session: Session,
    *,
    group: Mapping[str, str | None],
    filters: AlertGroupFilters,
    principal: Principal,
) -> list[Alert]:
    """The group's open alerts inside the caller's region, row-locked on PostgreSQL so a
    monitor run cannot change them under us; a 404 when there are none."""
    query = selected_alerts(session, group=group, filters=filters, principal=principal).where(
        Alert.status.in_(OPEN_STATUSES)
    )
    alerts = list(session.scalars(query.with_for_update(of=Alert)))
    if not alerts:
        raise AlertGroupEmpty("this group has no open alerts")
    return alerts


def _refuse_alerts_beyond_assignee(session: Session, user: User, alerts: list[Alert]) -> None:
    """A 422 naming ``assignee`` when a user bound to a region would own alerts outside
    it: they could neither read nor resolve them (national staff handed a district's
    user a neighbour district's situation)."""
    if user.region_id is None:
        return
    reader = bind_region(
        session,
        Principal(kind="user", id=user.id, name=user.username, role=user.role),
        user.region_id,
    )
    ids = [alert.id for alert in alerts]
    readable = set(
        session.scalars(select(Alert.id).where(Alert.id.in_(ids), alerts_within(reader)))
    )
    if len(readable) < len(ids):
        outside = len(ids) - len(readable)
        raise InvalidInput(
            "{username!r} cannot see {count} of these alerts: they lie outside their region",
            errors=[
                field_problem(
                    ["body", "assignee"],
                    "{username!r} cannot see {count} of these alerts: they lie outside their "
                    "region",
                    username=user.username,
                    count=outside,
                )
            ],
            username=user.username,
            count=outside,
        )


def acknowledge_group(
    session: Session,
    *,
    group: Mapping[str, str | None],
    filters: AlertGroupFilters,
    note: str,
    principal: Principal,
    now: datetime | None = None,
) -> list[Alert]:
    """Acknowledge every firing (or acknowledged) alert of a group with one note; pending
    ones have not fired and are left alone. Returns the alerts acknowledged."""
    require_role(principal, *ALERT_HANDLERS)
    note = clean_note(note)
    now = now or utc_now()
    actor = principal.label
    acknowledged = [
        alert
        for alert in _open_alerts(session, group=group, filters=filters, principal=principal)
        if alert.status in (AlertStatus.firing, AlertStatus.acknowledged)
    ]
    if not acknowledged:
        raise AlertGroupEmpty("this group has no firing alerts to acknowledge")
    for alert in acknowledged:
        alert.status = AlertStatus.acknowledged
        alert.acknowledged_at = now
        alert.acknowledged_by = actor
        alert.acknowledgement_note = note
    session.add_all(
        alert_event(alert, kind="acknowledged", actor=actor, at=now, note=note)
        for alert in acknowledged
    )
    session.flush()
    return acknowledged


def assign_group(
    session: Session,
    *,
    group: Mapping[str, str | None],
    filters: AlertGroupFilters,
    assignee: str,
    principal: Principal,
    note: str | None = None,
    now: datetime | None = None,
) -> list[Alert]:
    """Hand every open alert of a group to one bureau user, so one person owns the
    situation; a 422 naming ``assignee`` when that is no active bureau user."""
    require_role(principal, *ALERT_HANDLERS)
    note = clean_note(note) if note else None
    username = assignee.strip()
    user = session.scalars(
        select(User).where(
            User.username == username,
            User.active.is_(True),
            User.role.in_(ASSIGNABLE_ROLES),
            within_region(principal, User.region_id),
        )
    ).first()
    if user is None:
        raise InvalidInput(
            "{username!r} is no active bureau user",
            errors=[
                field_problem(
                    ["body", "assignee"], "{username!r} is no active bureau user", username=username
                )
            ],
            username=username,
        )
    now = now or utc_now()
    actor = principal.label
    alerts = _open_alerts(session, group=group, filters=filters, principal=principal)
    _refuse_alerts_beyond_assignee(session, user, alerts)
    for alert in alerts:
        alert.assignee = user.username
        alert.assigned_at = now
    session.add_all(
        alert_event(
            alert,
            kind="assigned",
            actor=actor,
            at=now,
            note=f"to {user.username}" + (f": {note}" if note else ""),
        )
        for alert in alerts
    )
    session.flush()
    return alerts


def group_matchers(group: Mapping[str, str | None], filters: AlertGroupFilters) -> dict[str, str]:
    """Silence matchers selecting a group's alerts: its labels and the view's label
    filters; a 422 for a group a silence cannot express (a chain, or a missing label)."""
    problems = []
    for name, code in group.items():
        if name == "chain":
            problems.append(
                field_problem(
                    ["body", "group", name], "a silence cannot match a chain; group by store"
                )
            )
        elif code is None:
            problems.append(
                field_problem(["body", "group", name], "a silence cannot match a missing label")
            )
    if problems:
        raise InvalidInput("this group cannot be silenced", errors=problems)
    matchers = {
        "region" if name == "district" else name: str(code)
        for name, code in group.items()
        if code is not None
    }
    for name, value in (
        ("region", filters.district),
        ("product", filters.product),
        ("store", filters.store),
        ("category", filters.category),
        ("severity", filters.severity.value if filters.severity else None),
        ("rule", filters.rule.value if filters.rule else None),
    ):
        if value is not None:
            matchers.setdefault(name, value)
    return matchers


def _confined(session: Session, matchers: dict[str, str], principal: Principal) -> dict[str, str]:
    """``matchers`` kept inside a district-bound bureau's district when the group names
    neither region nor store (a city's code would match its city-wide alerts only, so a
    city bureau names a district itself, or is told to)."""
    if principal.region_id is None or "region" in matchers or "store" in matchers:
        return matchers
    region = session.get(Region, principal.region_id)
    if region is None or region.level is not RegionLevel.district:
        return matchers
    return {**matchers, "region": region.code}


def silence_preview(
    session: Session,
    *,
    group: Mapping[str, str | None],
    filters: AlertGroupFilters,
    principal: Principal,
) -> tuple[dict[str, str], int]:
    """The matchers a group's silence would have and how many open alerts it mutes now:
    what a person confirms before muting a situation."""
    require_role(principal, *ALERT_HANDLERS)
    matchers = _confined(session, group_matchers(group, filters), principal)
    found = open_alerts_matching(session, matchers=matchers, principal=principal)
    return matchers, len(found)


def silence_group(
    session: Session,
    *,
    group: Mapping[str, str | None],
    filters: AlertGroupFilters,
    hours: float,
    comment: str,
    principal: Principal,
    now: datetime | None = None,
) -> tuple[Silence, list[int]]:
    """Mute a group's notifications for ``hours``: a silence whose matchers are the
    group's labels, so alerts joining the situation later are muted too."""
    require_role(principal, *ALERT_HANDLERS)
    if not 0 < hours <= MAX_SILENCE_HOURS:
        raise InvalidInput(
            "hours must be a number from 0 to {limit}",
            errors=[field_problem(["body", "hours"], "0 to {limit}", limit=MAX_SILENCE_HOURS)],
            limit=MAX_SILENCE_HOURS,
        )
    _open_alerts(session, group=group, filters=filters, principal=principal)
    matchers = _confined(session, group_matchers(group, filters), principal)
    if not confines_silence(session, principal, matchers):
        # A city bureau's group by category alone would mute every city's: it names the
        # district in the view's filters (this request has no ``matchers`` to name).
        raise InvalidInput(
            "a silence of staff bound to a region names a district or a store inside it",
            errors=[
                field_problem(
                    ["body", "filters", "district"], "give a district or city inside your region"
                )
            ],
        )
    now = now or utc_now()
    return create_silence(
        session,
        matchers=matchers,
        ends_at=now + timedelta(hours=hours),
        comment=comment,
        principal=principal,
        now=now,
    )
