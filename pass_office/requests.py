"""What an application or a bureau's issue asks for, and every problem with it by field,
shared by single requests (``["body", field]``) and bulk files (row and column)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.text import Text, phrase
from models import PassKind

REGION_CODE = re.compile(r"[A-Za-z0-9._-]{1,16}")
IDENTITY_NUMBER = re.compile(r"[0-9A-Za-z]{4,32}")
MAX_REGIONS = 16
TEXT_LIMITS = {
    "plate": 16,
    "vehicle_type": 64,
    "driver_name": 100,
    "driver_phone": 32,
    "purpose": 300,
    "goods": 300,
    "person_name": 100,
    "employer": 200,
    "workplace": 200,
    "home_compound": 200,
}
REQUIRED_BY_KIND = {
    PassKind.vehicle: ("plate", "driver_name", "purpose"),
    PassKind.staff: ("person_name", "id_number", "employer", "workplace"),
}


@dataclass(frozen=True)
class PassRequest:
    """The fields of one vehicle pass or staff permit as asked for (texts stripped)."""

    kind: PassKind
    regions: tuple[str, ...]
    valid_from: datetime
    valid_to: datetime
    plate: str | None = None
    vehicle_type: str | None = None
    driver_name: str | None = None
    driver_phone: str | None = None
    purpose: str | None = None
    goods: str | None = None
    person_name: str | None = None
    id_number: str | None = field(default=None, repr=False)
    employer: str | None = None
    workplace: str | None = None
    home_compound: str | None = None
    enterprise: str | None = None
    producer: str | None = None

    def __post_init__(self) -> None:
        for name in TEXT_LIMITS:
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, one_spacing(value))


def one_spacing(value: str) -> str:
    """``value`` with every kind of space a keyboard or input method types (the
    ideographic space U+3000, a no-break space) as a plain space, trimmed: what a pass
    prints and signs."""
    return "".join(" " if unicodedata.category(ch) == "Zs" else ch for ch in value).strip()


def unprintable(value: str) -> bool:
    """Whether ``value`` holds what a pass cannot print or sign: a line break, a control
    character, or an invisible mark (a zero-width space, a soft hyphen, a direction mark)."""
    return not value.isprintable()


Problems = list[tuple[str, Text]]
"""(field, problem) pairs, in the order a form or a file lists them."""


def request_problems(
    request: PassRequest, *, known_regions: set[str], now: datetime, max_days: int
) -> Problems:
    """Every (field, problem) of ``request``: required fields of its kind, lengths, the
    regions and the validity period; empty when it may be issued."""
    texts = {name: getattr(request, name) for name in (*TEXT_LIMITS, "id_number")}
    return [
        *required_problems(request.kind, texts),
        *text_problems(texts),
        *region_problems(request.regions, known_regions),
        *validity_problems(request.valid_from, request.valid_to, now=now, max_days=max_days),
    ]


def required_problems(kind: PassKind, texts: Mapping[str, str | None]) -> Problems:
    """The fields a pass of ``kind`` needs that ``texts`` leaves empty."""
    word = phrase("vehicle pass") if kind is PassKind.vehicle else phrase("staff permit")
    return [
        (name, phrase("is required for a {kind}", kind=word))
        for name in REQUIRED_BY_KIND[kind]
        if not texts.get(name)
    ]


def text_problems(texts: Mapping[str, str | None]) -> Problems:
    """Texts too long or holding what a pass cannot print, and a malformed ID number
    (whatever the kind of pass)."""
    problems: Problems = []
    for name, limit in TEXT_LIMITS.items():
        value = texts.get(name)
        if value is not None and len(value) > limit:
            problems.append((name, phrase("at most {limit} characters", limit=limit)))
        elif value and unprintable(value):
            problems.append(
                (name, phrase("may not hold line breaks, control characters or invisible marks"))
            )
    id_number = texts.get("id_number")
    if id_number and not IDENTITY_NUMBER.fullmatch(id_number):
        problems.append(("id_number", phrase("must be 4-32 letters or digits")))
    return problems


def region_problems(regions: tuple[str, ...], known_regions: set[str]) -> Problems:
    """What is wrong with the regions a pass names."""
    return [("regions", text) for text in _region_problems(regions, known_regions)]


def validity_problems(
    valid_from: datetime | None, valid_to: datetime, *, now: datetime, max_days: int
) -> Problems:
    """What is wrong with a validity period (without its start when that could not be
    read: then only whether it ends in the future)."""
    problems: Problems = []
    if valid_from is not None:
        if valid_to <= valid_from:
            problems.append(("valid_to", phrase("must be after the start of validity")))
        elif valid_to - valid_from > timedelta(days=max_days):
            problems.append(
                (
                    "valid_to",
                    phrase("at most {days} days after the start of validity", days=max_days),
                )
            )
    if valid_to <= now:
        problems.append(("valid_to", phrase("must be in the future")))
    return problems


def _region_problems(regions: tuple[str, ...], known_regions: set[str]) -> list[Text]:
    if not 1 <= len(regions) <= MAX_REGIONS:
        return [phrase("name 1 to {limit} regions", limit=MAX_REGIONS)]
    if len(set(regions)) != len(regions):
        return [phrase("a region is named twice")]
    return [
        phrase("unknown {label} {code!r}", label=phrase("region"), code=code)
        for code in regions
        if not REGION_CODE.fullmatch(code) or code not in known_regions
    ]
