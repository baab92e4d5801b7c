"""The demo city's transport passes: a checkpoint on the road into the first sealed
district, vehicle passes and staff permits issued by the bureau (one revoked), two
applications waiting for a decision, and a few scans at the checkpoint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import Principal
from models import Checkpoint, Enterprise, PassKind, Producer, Region, Role
from pass_office.authority import PassAuthority
from pass_office.issuing import apply_for_pass, issue_pass, revoke_pass
from pass_office.requests import PassRequest
from pass_office.verification import ScanInput, record_scans

DEMO_CHECKPOINT = "G310-W"
VEHICLE_PASSES = 24
STAFF_PERMITS = 6
MAX_DAYS = 90


@dataclass(frozen=True)
class DemoPasses:
    """What the demo issued: counts, the revoked pass and the checkpoint's id (for its login)."""

    issued: int
    revoked: str
    applications: int
    scans: int
    checkpoint_id: int


def _vehicle(
    number: int, regions: tuple[str, ...], start: datetime, holder: dict[str, str]
) -> PassRequest:
    return PassRequest(
        kind=PassKind.vehicle,
        regions=regions,
        valid_from=start,
        valid_to=start + timedelta(days=14),
        plate=f"豫D·{number:05d}",
        vehicle_type="refrigerated truck" if number % 3 == 0 else "box truck",
        driver_name=f"Driver {number}",
        driver_phone=f"1380000{number:04d}",
        purpose="restock supermarkets in sealed districts",
        goods="vegetables, pork, eggs",
        **holder,
    )


def load_passes(
    session: Session,
    *,
    authority: PassAuthority,
    district: Region,
    other_district: Region,
    chain: str,
    producer: str | None,
    now: datetime,
) -> DemoPasses:
    """Write the demo's checkpoint, passes, applications and scans through the pass office."""
    checkpoint = Checkpoint(
        code=DEMO_CHECKPOINT,
        name="G310 west gate",
        region_id=district.id,
        latitude=district.latitude,
        longitude=district.longitude,
    )
    session.add(checkpoint)
    session.flush()
    bureau = Principal("demo", 0, "demo bureau", Role.bureau)
    start = now - timedelta(days=1)
    both = (district.code, other_district.code)
    issued = []
    for number in range(1, VEHICLE_PASSES + 1):
        holder = {"producer": producer} if producer and number % 4 == 0 else {"enterprise": chain}
        request = _vehicle(number, both if number % 5 else (other_district.code,), start, holder)
        issued.append(
            issue_pass(
                session=session,
                principal=bureau,
                request=request,
                authority=authority,
                now=now,
                max_days=MAX_DAYS,
            )
        )
    for number in range(1, STAFF_PERMITS + 1):
        permit = PassRequest(
            kind=PassKind.staff,
            regions=both,
            valid_from=start,
            valid_to=start + timedelta(days=14),
            person_name=("王建国", "李秀英", "张伟", "刘洋", "陈静", "杨磊")[number - 1],
            id_number=f"41040219900101{number:04d}",
            employer=chain,
            workplace="store PDS-0001",
            home_compound="Jianshe Road compound",
            enterprise=chain,
        )
        issue_pass(
            session=session,
            principal=bureau,
            request=permit,
            authority=authority,
            now=now,
            max_days=MAX_DAYS,
        )
    revoked = revoke_pass(
        session=session,
        principal=bureau,
        code=issued[2].code,
        reason="truck reported stolen",
        now=now,
    )
    applicant = _applicant(session, chain=chain, producer=producer)
    for number in (901, 902):
        apply_for_pass(
            session=session,
            principal=applicant,
            request=_vehicle(number, both, now, {}),
            now=now,
            max_days=MAX_DAYS,
        )
    gate = Principal("demo", 0, "demo checkpoint", Role.checkpoint, checkpoint_id=checkpoint.id)
    scanned = [issued[0], issued[1], revoked, issued[4]]
    scans = record_scans(
        session=session,
        principal=gate,
        authority=authority,
        scans=[
            ScanInput(token=str(view.token), scanned_at=now - timedelta(minutes=50 - 10 * index))
            for index, view in enumerate(scanned)
        ],
        now=now,
    )
    return DemoPasses(
        issued=VEHICLE_PASSES + STAFF_PERMITS,
        revoked=revoked.code,
        applications=2,
        scans=len(scans),
        checkpoint_id=checkpoint.id,
    )


def _applicant(session: Session, *, chain: str, producer: str | None) -> Principal:
    """Who applies in the demo: the demo producer, or the chain when there is none."""
    if producer is not None:
        found = session.scalar(select(Producer.id).where(Producer.code == producer))
        return Principal("demo", 0, "demo producer", Role.producer, producer_id=found)
    chain_id = session.scalar(select(Enterprise.id).where(Enterprise.code == chain))
    return Principal("demo", 0, "demo chain", Role.store, enterprise_id=chain_id)
