"""Silences as the bureau reads them: which are in force, pending or over, and which open
alerts each one mutes now."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy.orm import Session

from core.access import Principal, require_role
from core.lookups import PageOf, page
from models import Silence
from models.base import utc_now
from monitors.alerting.acknowledgement import ALERT_HANDLERS
from monitors.alerting.silences import (
    SilenceState,
    get_silence,
    open_alerts_matching,
    silence_state,
    silences_in_state,
)

MAX_LISTED_ALERTS = 1000
"""How many ids of matched alerts a silence's detail lists (newest first)."""


@dataclass(frozen=True)
class SilenceView:
    """A silence with its state at the moment it was read."""

    id: int
    matchers: dict[str, str]
    starts_at: datetime
    ends_at: datetime
    comment: str
    state: SilenceState
    created_by: str
    created_at: datetime
    expired_by: str | None


@dataclass(frozen=True)
class SilenceDetailView(SilenceView):
    """A silence and the open alerts its matchers match now."""

    matched_alerts: int
    matched_alert_ids: list[int]


def silence_view(silence: Silence, *, now: datetime) -> SilenceView:
    """``silence`` as people read it, its state judged at ``now``."""
    return SilenceView(
        id=silence.id,
        matchers={name: str(value) for name, value in silence.matchers.items()},
        starts_at=silence.starts_at,
        ends_at=silence.ends_at,
        comment=silence.comment,
        state=silence_state(silence, now=now),
        created_by=silence.created_by,
        created_at=silence.created_at,
        expired_by=silence.expired_by,
    )


def silence_detail(
    *, session: Session, silence: Silence, now: datetime, principal: Principal | None = None
) -> SilenceDetailView:
    """``silence`` with the open alerts it mutes now, so whoever set it sees its reach
    (those inside the caller's region when ``principal`` is bound to one)."""
    matched = [
        alert.id
        for alert in open_alerts_matching(session, matchers=silence.matchers, principal=principal)
    ]
    view = silence_view(silence, now=now)
    return SilenceDetailView(
        **{field.name: getattr(view, field.name) for field in fields(SilenceView)},
        matched_alerts=len(matched),
        matched_alert_ids=matched[:MAX_LISTED_ALERTS],
    )


def list_silences(
    *,
    session: Session,
    principal: Principal,
    state: SilenceState | None = None,
    limit: int,
    offset: int,
) -> PageOf[SilenceView]:
    """One page of silences in ``state`` (all when None), newest first; staff bound to a
    region see only the silences confined inside it."""
    require_role(principal, *ALERT_HANDLERS)
    now = utc_now()
    rows, total = page(
        session,
        silences_in_state(state, now=now, principal=principal),
        limit=limit,
        offset=offset,
    )
    return PageOf(
        items=[silence_view(row[0], now=now) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


def read_silence(*, session: Session, principal: Principal, silence_id: int) -> SilenceDetailView:
    """One silence and the open alerts it matches, or a 404 (also for one not confined
    inside the caller's region)."""
    require_role(principal, *ALERT_HANDLERS)
    silence = get_silence(session, silence_id=silence_id, principal=principal)
    return silence_detail(session=session, silence=silence, now=utc_now(), principal=principal)


def silences_not_over(
    *, session: Session, principal: Principal, now: datetime
) -> list[SilenceView]:
    """Silences in force, then those still to start, newest first in each: what the
    alert page lists for someone deciding whether to mute more."""
    require_role(principal, *ALERT_HANDLERS)
    found = list(session.scalars(silences_in_state("active", now=now, principal=principal)))
    found += list(session.scalars(silences_in_state("pending", now=now, principal=principal)))
    return [silence_view(silence, now=now) for silence in found]
