"""Typed factories for the pass office's tests: checkpoints, and pass bodies as an
applicant or the bureau sends them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from models import Checkpoint, Region
from tests.factories import make_region


def make_checkpoint(
    session: Session, *, code: str = "G320-W", region: Region | None = None
) -> Checkpoint:
    """A checkpoint on a road at the city's edge, in ``region``."""
    region = region or make_region(session)
    checkpoint = Checkpoint(
        code=code, name="G320 west gate", region_id=region.id, latitude=31.2, longitude=121.1
    )
    session.add(checkpoint)
    session.flush()
    return checkpoint


def vehicle_body(
    *, regions: list[str], days: int = 7, start_hours: float = -1, **changes: Any
) -> dict[str, Any]:
    """An application for a vehicle pass valid from ``start_hours`` from now for ``days``."""
    start = datetime.now(UTC) + timedelta(hours=start_hours)
    body: dict[str, Any] = {
        "kind": "vehicle",
        "plate": "沪A·D12345",
        "vehicle_type": "refrigerated truck",
        "driver_name": "Wang Qiang",
        "driver_phone": "13800001111",
        "purpose": "vegetables to supermarkets",
        "goods": "cabbage, pork",
        "regions": regions,
        "valid_from": start.isoformat(),
        "valid_to": (start + timedelta(days=days)).isoformat(),
    }
    body.update(changes)
    return body


def staff_body(*, regions: list[str], **changes: Any) -> dict[str, Any]:
    """An application for a staff permit of a supermarket clerk."""
    start = datetime.now(UTC) - timedelta(hours=1)
    body: dict[str, Any] = {
        "kind": "staff",
        "person_name": "张三丰",
        "id_number": "310101199001011234",
        "employer": "Lianhua Supermarkets",
        "workplace": "Lianhua Pudong store",
        "home_compound": "Sunshine Garden",
        "regions": regions,
        "valid_from": start.isoformat(),
        "valid_to": (start + timedelta(days=14)).isoformat(),
    }
    body.update(changes)
    return body
