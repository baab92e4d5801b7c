"""Where passes were shown: each checkpoint with its place and how many scans it recorded,
valid and refused, so the bureau sees on a map which supply vehicles passed where."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core.access import Principal, require_role, within_region
from models import Checkpoint, PassScan, Region, Role, ScanResult


@dataclass(frozen=True)
class CheckpointScans:
    """A checkpoint, where it is, and the scans recorded there (all, valid, refused)."""

    code: str
    name: str
    region: str
    latitude: float | None
    longitude: float | None
    scans: int
    valid: int
    refused: int


def scans_by_checkpoint(*, session: Session, principal: Principal) -> list[CheckpointScans]:
    """Every checkpoint by code with its scan counts (zero where none); the bureau's (the
    checkpoints of its region for staff bound to one)."""
    require_role(principal, Role.bureau)
    valid = func.sum(case((PassScan.result == ScanResult.valid, 1), else_=0))
    rows = session.execute(
        select(
            Checkpoint.code,
            Checkpoint.name,
            Region.code,
            Checkpoint.latitude,
            Checkpoint.longitude,
            func.count(PassScan.id),
            valid,
        )
        .join(Region, Region.id == Checkpoint.region_id)
        .outerjoin(PassScan, PassScan.checkpoint_id == Checkpoint.id)
        .where(within_region(principal, Checkpoint.region_id))
        .group_by(
            Checkpoint.code, Checkpoint.name, Region.code, Checkpoint.latitude, Checkpoint.longitude
        )
        .order_by(Checkpoint.code)
    )
    return [
        CheckpointScans(
            code=code,
            name=name,
            region=region,
            latitude=latitude,
            longitude=longitude,
            scans=int(total),
            valid=int(valid_count or 0),
            refused=int(total) - int(valid_count or 0),
        )
        for code, name, region, latitude, longitude, total, valid_count in rows
    ]
