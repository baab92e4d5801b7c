"""Checking passes against the bureau's own records: the signed, versioned revocation
list it publishes, online verification (public: only what the QR carries), checkpoints
and the scan log of where supply vehicles passed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.access import Principal, require_in_region, require_role, within_region
from core.errors import Forbidden, InvalidInput
from core.lookups import (
    PageOf,
    add_with_unique_code,
    get_by_code,
    get_optional_by_code,
    page,
    unknown_code,
)
from core.text import field_problem, phrase
from models import (
    Checkpoint,
    PassEvent,
    PassScan,
    PassStatus,
    Region,
    Role,
    ScanResult,
    TransportPass,
)
from pass_office.authority import PassAuthority
from pass_office.regions import codes_up_from, passes_valid_in_region
from passes import RevocationList, Verification, sign_revocation_list, verify_token

LIST_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
MAX_SCAN_AGE = timedelta(days=30)
MAX_CLOCK_SKEW = timedelta(minutes=5)


def revocation_list(*, session: Session, authority: PassAuthority) -> RevocationList:
    """Every revoked pass; its version is the id of the latest revocation event, so it only
    grows and changes exactly when a pass is revoked."""
    latest = session.execute(
        select(PassEvent.id, PassEvent.at)
        .where(PassEvent.to_status == PassStatus.revoked)
        .order_by(PassEvent.id.desc())
        .limit(1)
    ).first()
    codes = session.scalars(
        select(TransportPass.code).where(TransportPass.status == PassStatus.revoked)
    )
    return RevocationList(
        issuer=authority.issuer,
        version=int(latest[0]) if latest else 0,
        issued_at=latest[1] if latest else LIST_EPOCH,
        revoked_pass_ids=frozenset(str(code) for code in codes),
    )


def signed_revocation_list(
    *, session: Session, authority: PassAuthority
) -> tuple[RevocationList, bytes]:
    """The current list and its signed bytes, the file checkpoints download."""
    current = revocation_list(session=session, authority=authority)
    return current, sign_revocation_list(revocation=current, signing_key=authority.keys.active)


def verify_pass(
    *,
    session: Session,
    authority: PassAuthority,
    token: str,
    now: datetime,
    region: str | None = None,
    checkpoint: str | None = None,
) -> Verification:
    """The status of a scanned token against the published keys and today's revocations,
    in ``region`` or at ``checkpoint``'s region; never raises on the token."""
    place: tuple[str, ...] | None = None
    if checkpoint is not None:
        found = get_optional_by_code(
            session, Checkpoint, checkpoint, label=phrase("checkpoint"), field="checkpoint"
        )
        assert found is not None
        place = codes_up_from(session, found.region_id)
    elif region is not None:
        region_id = session.scalar(select(Region.id).where(Region.code == region))
        place = codes_up_from(session, region_id) if region_id is not None else (region,)
    return verify_token(
        token,
        public_keys=authority.keys.public_keys(),
        revocation=revocation_list(session=session, authority=authority),
        now=now,
        region=place,
    )


@dataclass(frozen=True)
class CheckpointView:
    """A checkpoint as people and devices read it."""

    code: str
    name: str
    region: str
    latitude: float | None
    longitude: float | None
    active: bool
    pass_regions: tuple[str, ...] = ()
    """The regions a pass may name to hold here: the checkpoint's and those above it."""


def create_checkpoint(
    *,
    session: Session,
    principal: Principal,
    code: str,
    name: str,
    region: str,
    latitude: float | None = None,
    longitude: float | None = None,
) -> CheckpointView:
    """A new checkpoint in a known region (the one its passes are checked against); a
    region outside a region-bound caller's region is refused as an unknown one."""
    require_role(principal, Role.bureau)
    found = get_optional_by_code(session, Region, region, label=phrase("region"), field="region")
    assert found is not None
    if not principal.in_region(found.id):
        raise unknown_code(label=phrase("region"), code=region, field="region")
    row = Checkpoint(
        code=code, name=name, region_id=found.id, latitude=latitude, longitude=longitude
    )
    add_with_unique_code(session, row, label=phrase("checkpoint"))
    return CheckpointView(code, name, found.code, latitude, longitude, True)


def list_checkpoints(*, session: Session, principal: Principal) -> list[CheckpointView]:
    """Every checkpoint by code (those of the region for staff bound to one); for the
    bureau and checkpoint staff."""
    require_role(principal, Role.bureau, Role.checkpoint)
    rows = session.execute(
        select(Checkpoint, Region.code)
        .join(Region, Region.id == Checkpoint.region_id)
        .where(within_region(principal, Checkpoint.region_id))
        .order_by(Checkpoint.code)
    )
    return [
        CheckpointView(row.code, row.name, region, row.latitude, row.longitude, row.active)
        for row, region in rows
    ]


def checkpoint_of(*, session: Session, principal: Principal) -> CheckpointView:
    """The checkpoint a checkpoint account works at (its page checks passes in its region)."""
    if principal.role is not Role.checkpoint or principal.checkpoint_id is None:
        raise Forbidden("only checkpoint staff record scans, at their own checkpoint")
    row = session.execute(
        select(Checkpoint, Region.code)
        .join(Region, Region.id == Checkpoint.region_id)
        .where(Checkpoint.id == principal.checkpoint_id)
    ).one()
    checkpoint, region = row
    return CheckpointView(
        checkpoint.code,
        checkpoint.name,
        region,
        checkpoint.latitude,
        checkpoint.longitude,
        checkpoint.active,
        codes_up_from(session, checkpoint.region_id),
    )


@dataclass(frozen=True)
class ScanInput:
    """One scan as a checkpoint device sends it: the token text, when it was scanned and,
    for a scan made offline, what the device showed."""

    token: str
    scanned_at: datetime | None = None
    device_result: ScanResult | None = None


@dataclass(frozen=True)
class ScanView:
    """A recorded scan: where, when, which pass (when it could be read) and the result."""

    checkpoint: str
    scanned_at: datetime
    pass_code: str | None
    result: ScanResult
    device_result: ScanResult | None
    offline: bool
    subject: str | None
    valid_to: datetime | None
    reason: str
    pass_readable: bool = True
    """Whether the caller may open the pass's page (a scan at a district's checkpoint of a
    pass not valid in the district shows its code only)."""


def _scan_time(index: int, item: ScanInput, now: datetime) -> datetime:
    scanned_at = item.scanned_at or now
    if scanned_at > now + MAX_CLOCK_SKEW or scanned_at < now - MAX_SCAN_AGE:
        raise InvalidInput(
            "scan {position}: the time of the scan must lie within the last 30 days",
            errors=[
                field_problem(
                    ["body", "scans", index, "scanned_at"],
                    "must lie within the last 30 days and not in the future",
                )
            ],
            position=index,
        )
    return scanned_at


def _recorded_times(
    session: Session, checkpoint_id: int, recorded_by: str, times: list[datetime]
) -> set[tuple[datetime, str | None]]:
    """The (scan time, pass code) of the scans this person already recorded here at the
    batch's times: an upload sent twice records each scan once."""
    rows = session.execute(
        select(PassScan.scanned_at, PassScan.pass_code).where(
            PassScan.checkpoint_id == checkpoint_id,
            PassScan.recorded_by == recorded_by,
            PassScan.scanned_at.in_(set(times)),
        )
    ).all()
    return {(at, code) for at, code in rows}


def record_scans(
    *,
    session: Session,
    principal: Principal,
    authority: PassAuthority,
    scans: list[ScanInput],
    now: datetime,
) -> list[ScanView]:
    """Judge and record scans made at the caller's checkpoint (online now, or offline and
    uploaded later: judged at their scan time); checkpoint staff only."""
    if principal.role is not Role.checkpoint or principal.checkpoint_id is None:
        raise Forbidden("only checkpoint staff record scans, at their own checkpoint")
    # Locked so that one person's uploads at one checkpoint run one after another: a page
    # reloaded while its upload was on the way sends the same queued scans again.
    checkpoint = session.scalars(
        select(Checkpoint).where(Checkpoint.id == principal.checkpoint_id).with_for_update()
    ).one()
    region = codes_up_from(session, checkpoint.region_id)
    times = [_scan_time(index, item, now) for index, item in enumerate(scans)]
    recorded = _recorded_times(
        session,
        checkpoint.id,
        principal.label,
        [t for t, item in zip(times, scans, strict=True) if item.scanned_at],
    )
    revocation = revocation_list(session=session, authority=authority)
    public_keys = authority.keys.public_keys()
    judged = [
        verify_token(
            item.token, public_keys=public_keys, revocation=revocation, now=at, region=region
        )
        for item, at in zip(scans, times, strict=True)
    ]
    codes = {v.claims.pass_id for v in judged if v.authentic and v.claims is not None}
    ids = dict(
        session.execute(
            select(TransportPass.code, TransportPass.id).where(TransportPass.code.in_(codes))
        ).all()
    )
    views = []
    for item, at, verdict in zip(scans, times, judged, strict=True):
        code = verdict.claims.pass_id if verdict.authentic and verdict.claims else None
        offline = item.scanned_at is not None and item.scanned_at < now - MAX_CLOCK_SKEW
        if item.scanned_at is None or (at, code) not in recorded:
            recorded.add((at, code))
            session.add(
                PassScan(
                    checkpoint_id=checkpoint.id,
                    pass_id=ids.get(code) if code else None,
                    pass_code=code,
                    scanned_at=at,
                    recorded_at=now,
                    recorded_by=principal.label,
                    result=ScanResult(verdict.status.value),
                    device_result=item.device_result,
                    offline=offline,
                )
            )
        views.append(
            ScanView(
                checkpoint=checkpoint.code,
                scanned_at=at,
                pass_code=code,
                result=ScanResult(verdict.status.value),
                device_result=item.device_result,
                offline=offline,
                subject=verdict.claims.subject if verdict.authentic and verdict.claims else None,
                valid_to=verdict.claims.expires_at
                if verdict.authentic and verdict.claims
                else None,
                reason=verdict.reason,
            )
        )
    session.flush()
    return views


def list_scans(
    *,
    session: Session,
    principal: Principal,
    checkpoint: str | None = None,
    pass_code: str | None = None,
    limit: int,
    offset: int,
) -> PageOf[ScanView]:
    """One page of the scan log, newest first, at a checkpoint or of a pass; the bureau's
    (only the checkpoints of its region for staff bound to one; another's is a 404)."""
    require_role(principal, Role.bureau)
    query = (
        select(
            PassScan,
            Checkpoint.code,
            TransportPass.plate,
            TransportPass.masked_holder,
            TransportPass.valid_to,
        )
        .join(Checkpoint, Checkpoint.id == PassScan.checkpoint_id)
        .outerjoin(TransportPass, TransportPass.id == PassScan.pass_id)
        .where(within_region(principal, Checkpoint.region_id))
        .order_by(PassScan.scanned_at.desc(), PassScan.id.desc())
    )
    if checkpoint is not None:
        found = get_by_code(session, Checkpoint, checkpoint, label=phrase("checkpoint"))
        require_in_region(principal, found.region_id, label=phrase("checkpoint"), code=checkpoint)
        query = query.where(PassScan.checkpoint_id == found.id)
    if pass_code is not None:
        query = query.where(PassScan.pass_code == pass_code)
    rows, total = page(session, query, limit=limit, offset=offset)
    readable = _readable_codes(
        session=session, principal=principal, codes={row[0].pass_code for row in rows}
    )
    return PageOf(
        items=[
            ScanView(
                checkpoint=code,
                scanned_at=scan.scanned_at,
                pass_code=scan.pass_code,
                result=scan.result,
                device_result=scan.device_result,
                offline=scan.offline,
                subject=plate or masked,
                valid_to=valid_to,
                reason="",
                pass_readable=scan.pass_code in readable,
            )
            for scan, code, plate, masked, valid_to in rows
        ],
        total=total,
        limit=limit,
        offset=offset,
    )


def _readable_codes(*, session: Session, principal: Principal, codes: set[str | None]) -> set[str]:
    """Which of the scanned passes ``codes`` the bureau ``principal`` may read: those valid
    in its region (all, for a bureau bound to none)."""
    wanted = sorted(code for code in codes if code)
    if not wanted:
        return set()
    return set(
        session.scalars(
            select(TransportPass.code).where(
                TransportPass.code.in_(wanted),
                passes_valid_in_region(session=session, principal=principal),
            )
        )
    )


def scan_counts(*, session: Session) -> dict[str, int]:
    """Scans recorded per checkpoint code (for the pass office's map)."""
    return {
        str(code): int(count)
        for code, count in session.execute(
            select(Checkpoint.code, func.count(PassScan.id))
            .outerjoin(PassScan, PassScan.checkpoint_id == Checkpoint.id)
            .group_by(Checkpoint.code)
        )
    }
