"""Silences: mute the notifications of alerts that match every given label for a while
(a known shortage being handled, a district under maintenance), after Alertmanager.

A silence is never deleted: ``DELETE`` expires it early and records who did, so the
record of who muted what, when and why stays complete.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import Field

from models import AlertRule, Severity
from models.base import utc_now
from monitors.alerting.acknowledgement import MAX_NOTE_CHARS
from monitors.alerting.silences import SilenceState, create_silence, expire_silence
from monitors.queries import silences
from monitors.queries.silences import MAX_LISTED_ALERTS, silence_detail
from service.api.alerts import Code, UtcDateTime
from service.http.dependencies import PrincipalDep, SessionDep
from service.http.schemas import (
    PROBLEM_RESPONSES,
    DatabaseId,
    Page,
    PageDep,
    ReadModel,
    StrictModel,
)

router = APIRouter(prefix="/silences", tags=["alerts"], responses=PROBLEM_RESPONSES)


class Matchers(StrictModel):
    """Labels an alert must all carry to be muted; give at least one."""

    rule: AlertRule | None = None
    region: Code | None = Field(default=None, description="District or city code")
    product: Code | None = Field(default=None, description="Product code")
    category: Code | None = Field(default=None, description="Category code")
    severity: Severity | None = None
    store: Code | None = Field(default=None, description="Store code")


class SilenceIn(StrictModel):
    matchers: Matchers
    starts_at: UtcDateTime | None = Field(
        default=None, description="Default: now; at most 90 days ahead (mutes nothing before)"
    )
    ends_at: UtcDateTime = Field(description="After starts_at, in the future, within 90 days")
    comment: str = Field(
        min_length=1, max_length=MAX_NOTE_CHARS, description="Why: one line, not blank"
    )


class SilenceRead(ReadModel):
    id: int
    matchers: dict[str, str]
    starts_at: datetime
    ends_at: datetime
    comment: str
    state: SilenceState
    created_by: str
    created_at: datetime
    expired_by: str | None


class SilenceDetail(SilenceRead):
    matched_alerts: int = Field(description="Open alerts its matchers match now")
    matched_alert_ids: list[int] = Field(
        description=f"Their ids, newest first (at most {MAX_LISTED_ALERTS})"
    )


@router.post("", status_code=status.HTTP_201_CREATED, summary="Silence matching alerts")
def create(body: SilenceIn, session: SessionDep, principal: PrincipalDep) -> SilenceDetail:
    now = utc_now()
    silence, _ = create_silence(
        session,
        matchers=body.matchers.model_dump(mode="json", exclude_none=True),
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        comment=body.comment,
        principal=principal,
        now=now,
    )
    return SilenceDetail.model_validate(
        silence_detail(session=session, silence=silence, now=now, principal=principal)
    )


@router.get("", summary="List silences, newest first")
def list_silences(
    session: SessionDep,
    principal: PrincipalDep,
    paging: PageDep,
    state: Annotated[SilenceState | None, Query(description="pending, active or expired")] = None,
) -> Page[SilenceRead]:
    found = silences.list_silences(
        session=session,
        principal=principal,
        state=state,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(
        items=[SilenceRead.model_validate(view) for view in found.items],
        total=found.total,
        limit=found.limit,
        offset=found.offset,
    )


@router.get("/{silence_id}", summary="Read a silence and the open alerts it matches")
def read_silence(
    silence_id: DatabaseId, session: SessionDep, principal: PrincipalDep
) -> SilenceDetail:
    view = silences.read_silence(session=session, principal=principal, silence_id=silence_id)
    return SilenceDetail.model_validate(view)


@router.delete("/{silence_id}", summary="Expire a silence now (it is kept, marked expired)")
def expire(silence_id: DatabaseId, session: SessionDep, principal: PrincipalDep) -> SilenceDetail:
    now = utc_now()
    silence = expire_silence(session, silence_id=silence_id, principal=principal, now=now)
    return SilenceDetail.model_validate(
        silence_detail(session=session, silence=silence, now=now, principal=principal)
    )
