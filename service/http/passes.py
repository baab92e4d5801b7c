"""Request bodies for passes that the API and the pages share: an application or a
direct issue, a decision's reason, a verification, a checkpoint's scans."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, Field

from models import PassKind, ScanResult
from pass_office.requests import PassRequest
from service.http.schemas import Name, StrictModel, Visible

Code = Annotated[str, Field(min_length=1, max_length=64)]
RegionCode = Annotated[str, Field(min_length=1, max_length=16)]
MAX_SCANNED_TEXT = 16_384
"""Longer than any token (2,048), so an oversized scan is judged (damaged), not refused."""


TEXT_FIELDS = (
    "plate",
    "vehicle_type",
    "driver_name",
    "driver_phone",
    "purpose",
    "goods",
    "person_name",
    "id_number",
    "employer",
    "workplace",
    "home_compound",
    "enterprise",
    "producer",
)


class PassCreate(StrictModel):
    kind: PassKind
    regions: list[RegionCode] = Field(
        min_length=1, max_length=16, description="Region codes the pass may cross"
    )
    valid_from: AwareDatetime
    valid_to: AwareDatetime
    plate: str | None = Field(default=None, max_length=16, examples=["沪A·D12345"])
    vehicle_type: str | None = Field(default=None, max_length=64)
    driver_name: str | None = Field(default=None, max_length=100)
    driver_phone: str | None = Field(default=None, max_length=32)
    purpose: str | None = Field(default=None, max_length=300)
    goods: str | None = Field(default=None, max_length=300)
    person_name: str | None = Field(default=None, max_length=100)
    id_number: str | None = Field(
        default=None, max_length=32, description="Kept only masked (last four characters)"
    )
    employer: str | None = Field(default=None, max_length=200)
    workplace: str | None = Field(default=None, max_length=200)
    home_compound: str | None = Field(default=None, max_length=200)
    enterprise: Code | None = Field(default=None, description="Holder, when the bureau issues")
    producer: Code | None = Field(default=None, description="Holder, when the bureau issues")

    def as_request(self) -> PassRequest:
        """The domain's request (empty texts as missing)."""
        texts = self.model_dump(include=set(TEXT_FIELDS))
        return PassRequest(
            kind=self.kind,
            regions=tuple(self.regions),
            valid_from=self.valid_from,
            valid_to=self.valid_to,
            **{name: value or None for name, value in texts.items()},
        )


class Decision(StrictModel):
    reason: Annotated[str, Visible] = Field(min_length=1, max_length=500)
    """Shown to the applicant and in the pass's history: one line that says something."""


class VerifyBody(StrictModel):
    token: str = Field(max_length=MAX_SCANNED_TEXT, description="The QR code's text")
    region: RegionCode | None = Field(default=None, description="Check the pass may cross it")
    checkpoint: Code | None = Field(default=None, description="Check at this checkpoint's region")


class ScanBody(StrictModel):
    token: str = Field(max_length=MAX_SCANNED_TEXT)
    scanned_at: AwareDatetime | None = Field(
        default=None,
        description="When it was scanned (offline scans uploaded later); now if left out",
    )
    device_result: ScanResult | None = Field(
        default=None, description="What the checkpoint's device showed, for an offline scan"
    )


class ScanBatch(StrictModel):
    scans: list[ScanBody] = Field(min_length=1, max_length=500)


class CheckpointCreate(StrictModel):
    code: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,16}$")]
    name: Name
    region: RegionCode
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
