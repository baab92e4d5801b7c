"""The pass form the bureau's direct issue and an applicant's application share: what was
typed, read into the pass office's ``PassRequest`` or refused with each problem by field,
and the words the pass pages show for kinds, states and scan results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from core.text import N_, Text, field_problem, listing, phrase
from masterdata.regions import RegionView, list_regions
from models import PassKind, RegionLevel
from pass_office.requests import PassRequest
from passes import pass_qr_code
from service.http.passes import TEXT_FIELDS as PASS_TEXT_FIELDS
from service.web.common import names_by_code
from service.web.forms import TypedFields

HOLDER_FIELDS = ("enterprise", "producer")
TEXT_FIELDS = tuple(name for name in PASS_TEXT_FIELDS if name not in HOLDER_FIELDS)
"""The form's free-text fields: the API's, less the holder (chosen from a list here)."""
MAX_TYPED = 400
"""Longer than any field may be; the domain names the field's own limit."""
LOCAL_INPUT = "%Y-%m-%dT%H:%M"
"""How a ``datetime-local`` field writes an instant (city time, to the minute)."""
REGION_CHOICES = 200

STATE_WORDS = {
    "applied": N_("applied"),
    "approved": N_("approved"),
    "rejected": N_("rejected"),
    "revoked": N_("revoked"),
    "expired": N_("expired"),
}
KIND_WORDS = {"vehicle": N_("vehicle pass"), "staff": N_("staff permit")}
SCAN_WORDS = {
    "valid": N_("valid"),
    "expired": N_("expired"),
    "not_yet_valid": N_("not yet valid"),
    "revoked": N_("revoked"),
    "wrong_region": N_("wrong region"),
    "unknown_key": N_("unknown key"),
    "forged": N_("forged"),
    "damaged": N_("damaged"),
}
"""The words the pass pages show for stored values (the templates translate them)."""


@dataclass(frozen=True)
class PassForm:
    """What the pass form shows: the typed values, the ticked regions and the problems
    beside their fields."""

    values: dict[str, str]
    regions: list[str]
    errors: dict[str, Text]


def blank_form(*, now: datetime, zone: ZoneInfo, kind: str = "vehicle") -> PassForm:
    """An empty form valid from now for a week, in city time."""
    start = now.astimezone(zone).replace(second=0, microsecond=0)
    values = dict.fromkeys((*TEXT_FIELDS, *HOLDER_FIELDS), "")
    values |= {
        "kind": kind,
        "valid_from": start.strftime(LOCAL_INPUT),
        "valid_to": (start + timedelta(days=7)).strftime(LOCAL_INPUT),
    }
    return PassForm(values=values, regions=[], errors={})


def posted_form(form: FormData, *, holders: bool) -> PassForm:
    """The values of a posted pass form (trimmed, cut to a safe length), with its regions."""
    names = ("kind", "valid_from", "valid_to", *TEXT_FIELDS, *(HOLDER_FIELDS if holders else ()))
    values = {name: str(form.get(name, "")).strip()[:MAX_TYPED] for name in names}
    regions = [str(code).strip()[:MAX_TYPED] for code in form.getlist("regions")]
    return PassForm(values=values, regions=[code for code in regions if code], errors={})


def _instant(name: str, text: str, zone: ZoneInfo, fields: TypedFields) -> datetime | None:
    """A typed date and time in city time (ISO 8601), or None with the problem noted."""
    if not text:
        fields.problems.append(field_problem(["body", name], phrase("Fill this in")))
        return None
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        fields.problems.append(field_problem(["body", name], phrase("not a date or time")))
        return None
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=zone)


STAND_IN_START = datetime(2000, 1, 1, tzinfo=UTC)
"""Where an unreadable validity starts, only so the pass office checks the other fields
(a problem it finds with a field the form could not read is not shown)."""


def pass_request(form: PassForm, *, zone: ZoneInfo, fields: TypedFields) -> PassRequest:
    """The request the form asks for, each field it cannot read noted in ``fields`` with
    a stand-in in its place, so ``fields.check`` lets the pass office check the rest and
    the form names every problem at once."""
    kinds = {kind.value for kind in PassKind}
    kind = form.values.get("kind", "")
    if kind not in kinds:
        fields.problems.append(field_problem(["body", "kind"], phrase("must be vehicle or staff")))
        kind = PassKind.vehicle.value
    valid_from = _instant("valid_from", form.values.get("valid_from", ""), zone, fields)
    valid_to = _instant("valid_to", form.values.get("valid_to", ""), zone, fields)
    if valid_from is None:
        valid_from = valid_to - timedelta(minutes=1) if valid_to else STAND_IN_START
    if valid_to is None:
        valid_to = valid_from + timedelta(minutes=1)
    regions = tuple(dict.fromkeys(form.regions))
    texts = {name: (form.values.get(name) or None) for name in (*TEXT_FIELDS, *HOLDER_FIELDS)}
    return PassRequest(
        kind=PassKind(kind),
        regions=regions,
        valid_from=valid_from,
        valid_to=valid_to,
        **texts,
    )


def region_choices(session: Session) -> list[RegionView]:
    """The regions a pass is usually for: the city and its districts, by code."""
    return [
        region
        for level in (RegionLevel.city, RegionLevel.district)
        for region in list_regions(
            session=session, level=level, active=True, limit=REGION_CHOICES, offset=0
        ).items
    ]


def region_names(session: Session, language: str) -> dict[str, str]:
    """The names of the regions a pass may name, by code, in ``language``: a pass page
    lists regions by name, never by code."""
    return names_by_code(region_choices(session), language)


def region_words(session: Session, codes: list[str], language: str) -> Text:
    """The regions a pass may cross as people read them (叶县、卫东区), a code only where
    the region has no name to show."""
    names = region_names(session, language)
    return listing([names.get(code, code) for code in codes])


def qr_svg(token: str | None) -> Markup | None:
    """A pass's QR code as inline SVG (segno writes it; nothing of it is typed by people)."""
    return Markup(pass_qr_code(token=token).svg) if token else None
