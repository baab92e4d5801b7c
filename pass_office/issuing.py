"""The flow of a pass: an enterprise or producer applies, the bureau approves (which signs
the token) or rejects with a reason, or issues directly; the bureau revokes with a reason.
Every state change is audited (who, when, from, to, why)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from core.access import Principal, require_role
from core.database import lock_for_change, serialize_on
from core.errors import Conflict, Forbidden, InvalidInput
from core.lookups import get_optional_by_code, unknown_code
from core.text import field_problem, phrase
from core.words import word
from models import (
    Enterprise,
    PassEvent,
    PassKind,
    PassStatus,
    Producer,
    Region,
    Role,
    Store,
    TransportPass,
)
from pass_office.authority import PassAuthority
from pass_office.queries import (
    PassView,
    applicant_holder,
    find_pass,
    pass_view,
)
from pass_office.regions import region_codes_inside
from pass_office.requests import PassRequest, request_problems
from passes import PassClaims, issue_token, mask_holder
from passes import PassKind as TokenKind

APPLICATIONS_WAITING_PER_APPLICANT = 20
"""How many undecided applications one enterprise or producer may have at a time: a day's
vehicles and staff for a large chain, yet well under the 50 the bureau's pass office
shows oldest first (one producer filed 300 in 4 s, and the page then held only its).
A larger fleet is issued in bulk by the bureau."""

APPLICATION_QUEUE_LOCK_SPACE = (
    0x5357_5041  # advisory locks of an applicant's waiting applications ("SWPA")
)

CODE_PREFIX = {PassKind.vehicle: "VP", PassKind.staff: "SP"}
TOKEN_KINDS = {PassKind.vehicle: TokenKind.VEHICLE, PassKind.staff: TokenKind.STAFF}


def known_region_codes(session: Session) -> set[str]:
    """Every region code a pass may name (the tree is small: read it whole)."""
    return set(session.scalars(select(Region.code)))


def check_request(
    *,
    session: Session,
    request: PassRequest,
    now: datetime,
    max_days: int,
    principal: Principal | None = None,
) -> None:
    """Refuse ``request`` with every problem named by its field, or return (a region
    outside a region-bound ``principal``'s region is refused as an unknown one)."""
    problems = request_problems(
        request,
        known_regions=regions_for(session=session, principal=principal),
        now=now,
        max_days=max_days,
    )
    if problems:
        raise InvalidInput(
            "the pass cannot be issued: {field}: {problem}",
            errors=[field_problem(["body", name], text) for name, text in problems],
            field=problems[0][0],
            problem=problems[0][1],
        )


def regions_for(*, session: Session, principal: Principal | None) -> set[str]:
    """The region codes a pass issued by ``principal`` may name: every known one, or for
    staff bound to a region only those inside it."""
    inside = (
        None if principal is None else region_codes_inside(session=session, principal=principal)
    )
    return known_region_codes(session) if inside is None else inside


def deactivated_holder(field: str) -> InvalidInput:
    """The 422 of a pass whose holder (``field``: enterprise or producer) is deactivated."""
    return InvalidInput(
        "the pass cannot be issued: {field}: {problem}",
        errors=[field_problem(["body", field], "is deactivated")],
        field=field,
        problem=phrase("is deactivated"),
    )


def inactive_holder_field(
    session: Session, *, enterprise_id: int | None, producer_id: int | None
) -> str | None:
    """``"producer"`` or ``"enterprise"`` when the pass's holder is deactivated, else None:
    deactivation takes an enterprise or producer out of the supply network, so it gets no
    new pass (those already issued run out or are revoked by the bureau)."""
    if producer_id is not None:
        active = session.scalar(select(Producer.active).where(Producer.id == producer_id))
        return None if active else "producer"
    if enterprise_id is not None:
        active = session.scalar(select(Enterprise.active).where(Enterprise.id == enterprise_id))
        return None if active else "enterprise"
    return None


def bureau_holder(
    *, session: Session, request: PassRequest, principal: Principal
) -> tuple[int | None, int | None]:
    """The (enterprise id, producer id) the bureau names as holder: exactly one of them. A
    producer lies in a region, so a region-bound bureau names only one inside it (a farm
    elsewhere applies for its pass itself); enterprises are a national register."""
    if (request.enterprise is None) == (request.producer is None):
        raise InvalidInput(
            "a pass is held by exactly one enterprise or one producer",
            errors=[field_problem(["body", "enterprise"], "give either enterprise or producer")],
        )
    enterprise = get_optional_by_code(
        session, Enterprise, request.enterprise, label=phrase("enterprise"), field="enterprise"
    )
    producer = get_optional_by_code(
        session, Producer, request.producer, label=phrase("producer"), field="producer"
    )
    if producer is not None and not principal.in_region(producer.region_id):
        raise unknown_code(label=phrase("producer"), code=request.producer, field="producer")
    for field, holder in (("enterprise", enterprise), ("producer", producer)):
        if holder is not None and not holder.active:
            raise deactivated_holder(field)
    return (enterprise.id if enterprise else None), (producer.id if producer else None)


def new_pass_row(
    request: PassRequest,
    *,
    enterprise_id: int | None,
    producer_id: int | None,
    actor: str,
) -> TransportPass:
    """An unsaved application row for ``request``; of a permit's ID number only the masked
    holder (first and last character of the name, last four of the number) is kept."""
    masked = None
    if request.kind is PassKind.staff and request.person_name and request.id_number:
        masked = mask_holder(name=request.person_name, identity_number=request.id_number)
    return TransportPass(
        kind=request.kind,
        status=PassStatus.applied,
        enterprise_id=enterprise_id,
        producer_id=producer_id,
        plate=request.plate if request.kind is PassKind.vehicle else None,
        vehicle_type=request.vehicle_type,
        driver_name=request.driver_name,
        driver_phone=request.driver_phone,
        purpose=request.purpose,
        goods=request.goods,
        person_name=request.person_name if request.kind is PassKind.staff else None,
        masked_holder=masked,
        employer=request.employer,
        workplace=request.workplace,
        home_compound=request.home_compound,
        regions=list(request.regions),
        valid_from=request.valid_from.replace(microsecond=0),
        valid_to=request.valid_to.replace(microsecond=0),
        applied_by=actor,
    )


def save_new_passes(
    session: Session,
    rows: Sequence[TransportPass],
    *,
    actor: str,
    now: datetime,
    authority: PassAuthority | None = None,
) -> None:
    """Store new rows, give each its code (``VP-2026-000042``) and audit their creation:
    as applications, or (given the ``authority``) issued directly, signed at once."""
    status = PassStatus.applied if authority is None else PassStatus.approved
    for row in rows:
        row.status = status
    session.add_all(rows)
    session.flush()
    for row in rows:
        row.code = f"{CODE_PREFIX[row.kind]}-{now.year}-{row.id:06d}"
        if authority is not None:
            sign(row, authority=authority, actor=actor, now=now)
    session.execute(
        insert(PassEvent),
        [
            {"pass_id": row.id, "at": now, "actor": actor, "from_status": None, "to_status": status}
            for row in rows
        ],
    )
    session.flush()


def audit(
    session: Session,
    row: TransportPass,
    *,
    actor: str,
    to_status: PassStatus,
    reason: str | None,
    now: datetime,
) -> None:
    """Move ``row`` to ``to_status`` and record who did it, when, from what and why."""
    session.add(
        PassEvent(
            pass_id=row.id,
            at=now,
            actor=actor,
            from_status=row.status,
            to_status=to_status,
            reason=reason,
        )
    )
    row.status = to_status


def sign(row: TransportPass, *, authority: PassAuthority, actor: str, now: datetime) -> None:
    """Approve ``row``: sign its token with the active key and record the decision."""
    claims = PassClaims(
        issuer=authority.issuer,
        pass_id=str(row.code),
        kind=TOKEN_KINDS[row.kind],
        subject=str(row.plate if row.kind is PassKind.vehicle else row.masked_holder),
        regions=tuple(row.regions),
        not_before=row.valid_from,
        expires_at=row.valid_to,
        issued_at=now,
    )
    row.token = issue_token(claims=claims, signing_key=authority.keys.active)
    row.signing_kid = authority.active_kid
    row.issued_at = now.replace(microsecond=0)
    row.decided_by = actor
    row.decided_at = now


def _view(session: Session, row: TransportPass, *, now: datetime) -> PassView:
    enterprise = session.get(Enterprise, row.enterprise_id) if row.enterprise_id else None
    producer = session.get(Producer, row.producer_id) if row.producer_id else None
    return pass_view(
        row,
        enterprise=enterprise.code if enterprise else None,
        producer=producer.code if producer else None,
        now=now,
        enterprise_name=enterprise.name if enterprise else None,
        producer_name=producer.name if producer else None,
    )


def _refuse_past_the_waiting_applications(
    session: Session, *, enterprise_id: int | None, producer_id: int | None
) -> None:
    """A 409 once the applicant has ``APPLICATIONS_WAITING_PER_APPLICANT`` applications
    the bureau has not decided (counted one filing at a time, so simultaneous filings on
    PostgreSQL cannot pass the cap together)."""
    holder = f"producer:{producer_id}" if producer_id is not None else f"enterprise:{enterprise_id}"
    serialize_on(session, space=APPLICATION_QUEUE_LOCK_SPACE, name=holder)
    own = (
        TransportPass.producer_id == producer_id
        if producer_id is not None
        else TransportPass.enterprise_id == enterprise_id
    )
    waiting = int(
        session.scalar(
            select(func.count())
            .select_from(TransportPass)
            .where(own, TransportPass.status == PassStatus.applied)
        )
        or 0
    )
    if waiting >= APPLICATIONS_WAITING_PER_APPLICANT:
        raise Conflict(
            "you already have {count} applications waiting for the bureau, as many as an "
            "applicant may have at a time ({limit}): apply again once some are decided",
            count=waiting,
            limit=APPLICATIONS_WAITING_PER_APPLICANT,
        )


def apply_for_pass(
    *, session: Session, principal: Principal, request: PassRequest, now: datetime, max_days: int
) -> PassView:
    """An application by an enterprise or producer for itself, waiting for the bureau (at
    most ``APPLICATIONS_WAITING_PER_APPLICANT`` of its own waiting at once)."""
    enterprise_id, producer_id = applicant_holder(session=session, principal=principal)
    if request.enterprise is not None or request.producer is not None:
        raise InvalidInput(
            "an applicant applies for itself; leave out enterprise and producer",
            errors=[field_problem(["body", "enterprise"], "an applicant applies for itself")],
        )
    check_request(session=session, request=request, now=now, max_days=max_days)
    inactive = inactive_holder_field(session, enterprise_id=enterprise_id, producer_id=producer_id)
    if inactive is not None:
        raise deactivated_holder(inactive)
    if principal.store_id is not None and not session.scalar(
        select(Store.active).where(Store.id == principal.store_id)
    ):
        # A closed store's clerk no longer speaks for its chain at the pass office.
        raise Forbidden("your store is deactivated; its staff apply for no passes")
    _refuse_past_the_waiting_applications(
        session, enterprise_id=enterprise_id, producer_id=producer_id
    )
    row = new_pass_row(
        request, enterprise_id=enterprise_id, producer_id=producer_id, actor=principal.label
    )
    save_new_passes(session, [row], actor=principal.label, now=now)
    return _view(session, row, now=now)


def issue_pass(
    *,
    session: Session,
    principal: Principal,
    request: PassRequest,
    authority: PassAuthority,
    now: datetime,
    max_days: int,
) -> PassView:
    """A pass the bureau issues directly: stored, approved and signed at once."""
    require_role(principal, Role.bureau)
    check_request(session=session, request=request, now=now, max_days=max_days, principal=principal)
    enterprise_id, producer_id = bureau_holder(
        session=session, request=request, principal=principal
    )
    row = new_pass_row(
        request, enterprise_id=enterprise_id, producer_id=producer_id, actor=principal.label
    )
    save_new_passes(session, [row], actor=principal.label, now=now, authority=authority)
    return _view(session, row, now=now)


def _decidable(
    session: Session, principal: Principal, code: str, *, now: datetime
) -> TransportPass:
    require_role(principal, Role.bureau)
    row, _, _ = find_pass(session=session, principal=principal, code=code, to_change=True)
    lock_for_change(session, row)
    if row.status is not PassStatus.applied:
        raise Conflict(
            "pass {code!r} is {status}, not an open application", code=code, status=word(row.status)
        )
    return row


def approve_pass(
    *, session: Session, principal: Principal, code: str, authority: PassAuthority, now: datetime
) -> PassView:
    """Approve an open application: its token is signed now with the active key."""
    row = _decidable(session, principal, code, now=now)
    if row.valid_to <= now:
        raise Conflict("pass {code!r} would already have expired; reject it", code=code)
    inactive = inactive_holder_field(
        session, enterprise_id=row.enterprise_id, producer_id=row.producer_id
    )
    if inactive is not None:
        # deactivated since it applied: no new pass is signed for it
        raise Conflict(
            "the {holder} that applied for pass {code!r} has been deactivated; reject it",
            holder=phrase(inactive),
            code=code,
        )
    sign(row, authority=authority, actor=principal.label, now=now)
    audit(session, row, actor=principal.label, to_status=PassStatus.approved, reason=None, now=now)
    session.flush()
    return _view(session, row, now=now)


def _reason(reason: str) -> str:
    cleaned = reason.strip()
    if not cleaned:
        raise InvalidInput(
            "a reason is required",
            errors=[field_problem(["body", "reason"], "a reason is required")],
        )
    return cleaned


def reject_pass(
    *, session: Session, principal: Principal, code: str, reason: str, now: datetime
) -> PassView:
    """Reject an open application with the reason the applicant reads."""
    cleaned = _reason(reason)
    row = _decidable(session, principal, code, now=now)
    row.rejection_reason = cleaned
    row.decided_by = principal.label
    row.decided_at = now
    audit(
        session, row, actor=principal.label, to_status=PassStatus.rejected, reason=cleaned, now=now
    )
    session.flush()
    return _view(session, row, now=now)


def revoke_pass(
    *, session: Session, principal: Principal, code: str, reason: str, now: datetime
) -> PassView:
    """Revoke an issued pass: it goes on the next revocation list and fails every check."""
    cleaned = _reason(reason)
    require_role(principal, Role.bureau)
    row, _, _ = find_pass(session=session, principal=principal, code=code, to_change=True)
    lock_for_change(session, row)
    if row.status is not PassStatus.approved:
        raise Conflict(
            "pass {code!r} is {status}; only an issued pass can be revoked",
            code=code,
            status=word(row.status),
        )
    row.revoked_at = now
    row.revoked_by = principal.label
    row.revocation_reason = cleaned
    audit(
        session, row, actor=principal.label, to_status=PassStatus.revoked, reason=cleaned, now=now
    )
    session.flush()
    return _view(session, row, now=now)
