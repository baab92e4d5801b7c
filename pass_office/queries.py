"""Reading passes as their holders and the bureau see them: who may see which, the state
a pass is in now (expired is read from its dates), search by plate or holder."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, Select, or_, select
from sqlalchemy.orm import Session

from core.access import Principal
from core.errors import Forbidden, NotFound
from core.lookups import PageOf, page
from models import (
    Enterprise,
    PassEvent,
    PassKind,
    PassStatus,
    Producer,
    Role,
    Store,
    TransportPass,
)
from pass_office.regions import may_change, passes_valid_in_region


class PassState(enum.StrEnum):
    """The state people read: the stored status, or expired once an approved pass ends."""

    applied = "applied"
    approved = "approved"
    rejected = "rejected"
    revoked = "revoked"
    expired = "expired"


@dataclass(frozen=True)
class PassView:
    """A pass as its holder and the bureau read it (the full ID number is never kept)."""

    code: str
    kind: PassKind
    state: PassState
    enterprise: str | None
    producer: str | None
    plate: str | None
    vehicle_type: str | None
    driver_name: str | None
    driver_phone: str | None
    purpose: str | None
    goods: str | None
    person_name: str | None
    masked_holder: str | None
    employer: str | None
    workplace: str | None
    home_compound: str | None
    regions: list[str]
    valid_from: datetime
    valid_to: datetime
    applied_by: str
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    rejection_reason: str | None
    revoked_at: datetime | None
    revocation_reason: str | None
    issued_at: datetime | None
    signing_kid: str | None
    token: str | None
    enterprise_name: str | None = None
    producer_name: str | None = None


@dataclass(frozen=True)
class PassEventView:
    """One audited state change of a pass."""

    at: datetime
    actor: str
    from_status: PassStatus | None
    to_status: PassStatus
    reason: str | None


def state_of(row: TransportPass, *, now: datetime) -> PassState:
    """The state of ``row`` at ``now``: an approved pass past its end is expired."""
    if row.status is PassStatus.approved and row.valid_to <= now:
        return PassState.expired
    return PassState(row.status.value)


def pass_view(
    row: TransportPass,
    *,
    enterprise: str | None,
    producer: str | None,
    now: datetime,
    enterprise_name: str | None = None,
    producer_name: str | None = None,
) -> PassView:
    """The view of ``row`` with its holder's code and name."""
    return PassView(
        code=str(row.code),
        kind=row.kind,
        state=state_of(row, now=now),
        enterprise=enterprise,
        producer=producer,
        plate=row.plate,
        vehicle_type=row.vehicle_type,
        driver_name=row.driver_name,
        driver_phone=row.driver_phone,
        purpose=row.purpose,
        goods=row.goods,
        person_name=row.person_name,
        masked_holder=row.masked_holder,
        employer=row.employer,
        workplace=row.workplace,
        home_compound=row.home_compound,
        regions=list(row.regions),
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        applied_by=row.applied_by,
        created_at=row.created_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        rejection_reason=row.rejection_reason,
        revoked_at=row.revoked_at,
        revocation_reason=row.revocation_reason,
        issued_at=row.issued_at,
        signing_kid=row.signing_kid,
        token=row.token,
        enterprise_name=enterprise_name,
        producer_name=producer_name,
    )


def _with_holders(query: Select) -> Select:
    return query.outerjoin(Enterprise, Enterprise.id == TransportPass.enterprise_id).outerjoin(
        Producer, Producer.id == TransportPass.producer_id
    )


def applicant_holder(*, session: Session, principal: Principal) -> tuple[int | None, int | None]:
    """The (enterprise id, producer id) an applicant applies and reads for: a store key
    bound to an enterprise or to one of its stores, or a producer; others are refused."""
    if principal.role is Role.producer and principal.producer_id is not None:
        return None, principal.producer_id
    if principal.role is Role.store:
        if principal.enterprise_id is not None:
            return principal.enterprise_id, None
        enterprise_id = session.scalar(
            select(Store.enterprise_id).where(Store.id == principal.store_id)
        )
        if enterprise_id is not None:
            return enterprise_id, None
    raise Forbidden("passes are applied for by an enterprise or a producer, and read by the bureau")


def visible_passes(*, session: Session, principal: Principal) -> Select:
    """The passes ``principal`` may read: all for the bureau (for staff bound to a region,
    those valid in it), its own for an applicant."""
    query = _with_holders(
        select(TransportPass, Enterprise.code, Producer.code, Enterprise.name, Producer.name)
    )
    if principal.role in (Role.admin, Role.bureau):
        return query.where(passes_valid_in_region(session=session, principal=principal))
    enterprise_id, producer_id = applicant_holder(session=session, principal=principal)
    if producer_id is not None:
        return query.where(TransportPass.producer_id == producer_id)
    return query.where(TransportPass.enterprise_id == enterprise_id)


def list_passes(
    *,
    session: Session,
    principal: Principal,
    now: datetime,
    state: PassState | None = None,
    kind: PassKind | None = None,
    contains: str | None = None,
    oldest_first: bool = False,
    limit: int,
    offset: int,
) -> PageOf[PassView]:
    """One page of the passes ``principal`` may see, newest first (or oldest first, as
    applications are decided), by state, kind and a plate or holder that contains
    ``contains``."""
    order = TransportPass.id.asc() if oldest_first else TransportPass.id.desc()
    query = visible_passes(session=session, principal=principal).order_by(order)
    if kind is not None:
        query = query.where(TransportPass.kind == kind)
    if state is PassState.expired:
        query = query.where(
            TransportPass.status == PassStatus.approved, TransportPass.valid_to <= now
        )
    elif state is PassState.approved:
        query = query.where(
            TransportPass.status == PassStatus.approved, TransportPass.valid_to > now
        )
    elif state is not None:
        query = query.where(TransportPass.status == PassStatus(state.value))
    if contains:
        # What was typed is matched as typed: % and _ are not wildcards.
        pattern = "%" + re.sub(r"([\\%_])", r"\\\1", contains) + "%"
        query = query.where(
            or_(
                *(
                    column.ilike(pattern, escape="\\")
                    for column in (
                        TransportPass.plate,
                        TransportPass.masked_holder,
                        TransportPass.person_name,
                        TransportPass.code,
                        Enterprise.code,
                        Enterprise.name,
                        Producer.code,
                        Producer.name,
                    )
                )
            )
        )
    rows, total = page(session, query, limit=limit, offset=offset)
    return PageOf(
        items=[_view_of(row, now=now) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


Holders = Row[TransportPass, str | None, str | None, str | None, str | None]
"""A row of ``visible_passes``: the pass, its holder's codes, then their names."""


def _view_of(found: Holders, *, now: datetime) -> PassView:
    """The view of a row of ``visible_passes``: the pass, its holder's codes and names."""
    row, enterprise, producer, enterprise_name, producer_name = found
    return pass_view(
        row,
        enterprise=enterprise,
        producer=producer,
        now=now,
        enterprise_name=enterprise_name,
        producer_name=producer_name,
    )


def _visible(
    *, session: Session, principal: Principal, code: str, to_change: bool = False
) -> Holders:
    """The row of ``visible_passes`` for the pass ``code``, or a 404 (also for another
    holder's, or one not valid in a region-bound caller's region); ``to_change``: a 403
    for a pass the caller reads but that is valid beyond its region too."""
    found = session.execute(
        visible_passes(session=session, principal=principal).where(TransportPass.code == code)
    ).first()
    if found is None:
        raise NotFound("pass {code!r} not found", code=code)
    if to_change and not may_change(session=session, principal=principal, regions=found[0].regions):
        raise Forbidden(
            "pass {code!r} is valid outside your region too: a bureau whose region holds "
            "every region it names decides or revokes it",
            code=code,
        )
    return found


def find_pass(
    *, session: Session, principal: Principal, code: str, to_change: bool = False
) -> tuple[TransportPass, str | None, str | None]:
    """The pass ``code`` with its holder's codes, or a 404 (also for another holder's);
    ``to_change``: a 403 for one a region-bound bureau reads but may not change alone."""
    found = _visible(session=session, principal=principal, code=code, to_change=to_change)
    return found[0], found[1], found[2]


def read_pass(*, session: Session, principal: Principal, code: str, now: datetime) -> PassView:
    """The pass ``code`` as ``principal`` may read it, or a 404."""
    return _view_of(_visible(session=session, principal=principal, code=code), now=now)


def pass_history(*, session: Session, principal: Principal, code: str) -> list[PassEventView]:
    """Every state change of the pass ``code``, oldest first (who, when, from, to, why)."""
    row, _, _ = find_pass(session=session, principal=principal, code=code)
    events = session.scalars(
        select(PassEvent).where(PassEvent.pass_id == row.id).order_by(PassEvent.id)
    )
    return [
        PassEventView(
            at=event.at,
            actor=event.actor,
            from_status=event.from_status,
            to_status=event.to_status,
            reason=event.reason,
        )
        for event in events
    ]
