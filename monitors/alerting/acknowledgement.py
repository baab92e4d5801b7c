"""Acknowledging alerts: who is handling an alert, and the audit trail that says so.

Plain functions over a session (no HTTP): the API and the web pages share them, and they
check who may act with the caller's Principal.
They only flush; the caller's unit of work commits, so a rejected change writes nothing.
Every change names its actor and leaves an :class:`AlertEvent`, so the trail of an alert
tells who acknowledged or silenced it and why.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import Principal, require_role
from core.errors import Conflict, InvalidInput, NotFound
from core.text import control_character_problem, field_problem, is_blank, phrase, verbatim
from core.words import word
from models import Alert, AlertEvent, AlertStatus, Role
from models.base import utc_now
from monitors.alerting.regions import alerts_within

MAX_NOTE_CHARS = 2000
OPEN_STATUSES = (AlertStatus.pending, AlertStatus.firing, AlertStatus.acknowledged)
ALERT_HANDLERS = (Role.bureau,)
"""Who may acknowledge and silence alerts: the bureau (and admins)."""


class AlertNotFound(NotFound):
    """No alert with that id."""


class AlertStateConflict(Conflict):
    """The alert is not in a state that allows this action (acknowledging a resolved one)."""


def _locked_alert(session: Session, alert_id: int, principal: Principal) -> Alert:
    """The alert, row-locked on PostgreSQL so a monitor run cannot change it under us; a
    404 for one outside the caller's region, as for an unknown id."""
    alert = session.scalars(
        select(Alert).where(Alert.id == alert_id, alerts_within(principal)).with_for_update()
    ).first()
    if alert is None:
        raise AlertNotFound("alert {alert_id} not found", alert_id=alert_id)
    return alert


def alert_event(
    alert: Alert, *, kind: str, actor: str, at: datetime, note: str | None
) -> AlertEvent:
    """An audit event recording what someone did to ``alert`` and why."""
    return AlertEvent(
        alert_id=alert.id,
        at=at,
        kind=kind,
        actor=actor,
        severity=alert.severity.value,
        value=alert.value,
        note=note,
    )


def clean_note(note: str, *, field: str = "note") -> str:
    """The note stripped, or a 422 naming ``field`` when it shows nothing (white space and
    zero-width characters only), is too long, or is not one line without control
    characters (the pages' note is a one-line field, as a silence's comment is)."""
    note = note.strip()
    label = phrase("note") if field == "note" else verbatim(field)
    if is_blank(note) or len(note) > MAX_NOTE_CHARS:
        raise InvalidInput(
            "{field} must be 1 to {limit} characters",
            errors=[
                field_problem(["body", field], "1 to {limit} characters", limit=MAX_NOTE_CHARS)
            ],
            field=label,
            limit=MAX_NOTE_CHARS,
        )
    if (problem := control_character_problem(note, ["body", field])) is not None:
        raise InvalidInput(
            "{field} must be one line without control characters", errors=[problem], field=label
        )
    return note


def acknowledge_alert(
    session: Session,
    *,
    alert_id: int,
    note: str,
    principal: Principal,
    now: datetime | None = None,
) -> Alert:
    """Mark a firing alert as being handled, so colleagues do not chase it twice.

    Only a firing (or already acknowledged: the note is replaced) alert can be
    acknowledged; a pending one has not fired and a resolved one is over, so both are
    a 409. The monitor keeps it acknowledged while the condition holds.
    """
    require_role(principal, *ALERT_HANDLERS)
    actor = principal.label
    note = clean_note(note)
    alert = _locked_alert(session, alert_id, principal)
    if alert.status not in (AlertStatus.firing, AlertStatus.acknowledged):
        reason = {
            AlertStatus.pending: phrase(
                "it is pending (its condition has not held long enough to fire)"
            ),
            AlertStatus.resolved: phrase("it is resolved (its condition has cleared)"),
        }[alert.status]
        raise AlertStateConflict(
            "alert {alert_id} cannot be acknowledged: {reason}", alert_id=alert_id, reason=reason
        )
    now = now or utc_now()
    alert.status = AlertStatus.acknowledged
    alert.acknowledged_at = now
    alert.acknowledged_by = actor
    alert.acknowledgement_note = note
    session.add(alert_event(alert, kind="acknowledged", actor=actor, at=now, note=note))
    session.flush()
    return alert


def unacknowledge_alert(
    session: Session,
    *,
    alert_id: int,
    principal: Principal,
    note: str | None = None,
    now: datetime | None = None,
) -> Alert:
    """Put an acknowledged alert back to firing (nobody is handling it after all)."""
    require_role(principal, *ALERT_HANDLERS)
    actor = principal.label
    note = clean_note(note) if note is not None else None
    alert = _locked_alert(session, alert_id, principal)
    if alert.status is not AlertStatus.acknowledged:
        raise AlertStateConflict(
            "alert {alert_id} is {status}, not acknowledged; nothing to undo",
            alert_id=alert_id,
            status=word(alert.status),
        )
    now = now or utc_now()
    alert.status = AlertStatus.firing
    alert.acknowledged_at = None
    alert.acknowledged_by = None
    alert.acknowledgement_note = None
    session.add(alert_event(alert, kind="unacknowledged", actor=actor, at=now, note=note))
    session.flush()
    return alert
