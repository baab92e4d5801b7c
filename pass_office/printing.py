"""Passes on paper, for a car without a phone holder: a PDF page per pass with its QR code
and what a checkpoint officer reads (plate or holder, validity, regions), in Chinese and
English side by side, since the officer and the driver may read either.

The QR code carries the signed token; the printed words only help a person find the
right vehicle. A pass that is not in force (applied, rejected, revoked) is not printed,
so a revoked pass cannot be handed out again on fresh paper.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.access import Principal
from core.documents import Document
from core.errors import Conflict, NotFound
from core.text import N_
from models import (
    DispatchPlan,
    Enterprise,
    PassKind,
    PlanRoute,
    PlanStatus,
    PlanStop,
    Producer,
    Region,
    TransportPass,
    Truck,
)
from pass_office.fleet import plan_fleet_passes
from pass_office.queries import PassState, state_of
from pass_office.regions import passes_within_region
from passes import pass_qr_png

QR_WIDTH_MM = 75
"""Wide enough for a phone to read a version-13 code through a windscreen."""
FLEET_HOLDER = N_("Emergency fleet")
VERIFY_NOTE = N_("Scan the QR code to verify: the printed words alone prove nothing.")
TITLES = {
    PassKind.vehicle: N_("Emergency transport vehicle pass"),
    PassKind.staff: N_("Supply staff permit"),
}
PLAN_CAPTION = N_("Dispatch plan {plan} · {day} · {plate} · {stops} stops")
NO_PASSES = N_("Dispatch plan {plan} has no passes in force")
Translate = Callable[[str], str]
"""English message id to Chinese (the pages' catalogue), given by the adapter."""


@dataclass(frozen=True)
class PassLine:
    """A label (message id) and its value; ``translated`` when the value is a message id
    too (the fleet as holder), else data printed as it is."""

    label: str
    value: str
    translated: bool = False


@dataclass(frozen=True)
class PrintedPass:
    """What a printed pass shows: its title (message id), subject in large type (plate or
    person), QR token and label/value lines."""

    code: str
    title: str
    subject: str
    token: str
    lines: list[PassLine]


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _region_names(session: Session, codes: list[str]) -> str:
    """The regions' codes with their Chinese and English names, as a checkpoint reads them."""
    names = {
        code: (name_zh, name)
        for code, name, name_zh in session.execute(
            select(Region.code, Region.name, Region.name_zh).where(Region.code.in_(codes))
        )
    }
    shown = []
    for code in codes:
        name_zh, name = names.get(code, (None, None))
        label = " ".join(part for part in (name_zh, name) if part)
        shown.append(f"{label} ({code})" if label else code)
    return "; ".join(shown)


def _holder(session: Session, row: TransportPass) -> PassLine:
    if row.enterprise_id is not None:
        found = session.scalar(select(Enterprise.name).where(Enterprise.id == row.enterprise_id))
        return PassLine(N_("Holder"), str(found))
    if row.producer_id is not None:
        found = session.scalar(select(Producer.name).where(Producer.id == row.producer_id))
        return PassLine(N_("Holder"), str(found))
    return PassLine(N_("Holder"), FLEET_HOLDER, translated=True)


def printed_pass(
    session: Session, row: TransportPass, *, now: datetime, zone: ZoneInfo
) -> PrintedPass:
    """The printed form of an issued pass in force (or due), or 409 for one that is not."""
    state = state_of(row, now=now)
    if state is not PassState.approved or row.token is None:
        raise Conflict(
            "pass {code!r} is {state}: only an issued pass in force is printed",
            code=row.code,
            state=state.value,
        )
    validity = f"{_local(row.valid_from, zone)} – {_local(row.valid_to, zone)} ({zone.key})"
    lines = [PassLine(N_("Pass"), str(row.code))]
    if row.kind is PassKind.vehicle:
        driver = " ".join(part for part in (row.driver_name, row.driver_phone) if part)
        lines += [
            PassLine(N_("Plate"), row.plate or ""),
            PassLine(N_("Vehicle"), row.vehicle_type or ""),
            PassLine(N_("Driver"), driver),
            _holder(session, row),
            PassLine(N_("Purpose"), row.purpose or ""),
            PassLine(N_("Goods"), row.goods or ""),
        ]
    else:
        lines += [
            PassLine(N_("Full name"), row.person_name or ""),
            PassLine(N_("ID number"), row.masked_holder or ""),
            PassLine(N_("Employer"), row.employer or ""),
            PassLine(N_("Workplace"), row.workplace or ""),
            PassLine(N_("Home compound"), row.home_compound or ""),
        ]
    lines += [
        PassLine(N_("Regions"), _region_names(session, list(row.regions))),
        PassLine(N_("Valid"), validity),
    ]
    subject = (row.plate if row.kind is PassKind.vehicle else row.person_name) or str(row.code)
    return PrintedPass(
        code=str(row.code), title=TITLES[row.kind], subject=subject, token=row.token, lines=lines
    )


def _both(chinese: Translate, message: str) -> str:
    """A message in Chinese and English side by side, as the printed pass shows it."""
    return f"{chinese(message)} / {message}"


def _write_pass(
    document: Document, printed: PrintedPass, chinese: Translate, *, caption: str | None = None
) -> None:
    document.heading(_both(chinese, printed.title), size=17)
    if caption:
        document.paragraph(caption, gray=True)
    document.heading(printed.subject, size=30, centred=True)
    document.image(pass_qr_png(token=printed.token, scale=8, border=4), width=QR_WIDTH_MM)
    document.fields(
        [
            (
                _both(chinese, line.label),
                _both(chinese, line.value) if line.translated else line.value,
            )
            for line in printed.lines
        ]
    )
    document.paragraph(_both(chinese, VERIFY_NOTE), size=9, gray=True)


def printed_pass_pdf(printed: PrintedPass, *, chinese: Translate, font_file: Path) -> bytes:
    """A printed pass as a one-page PDF, labels in Chinese and English."""
    document = Document(font_file=font_file, title=f"{printed.title} {printed.code}")
    _write_pass(document, printed, chinese)
    return document.to_bytes()


def committed_plan(session: Session, plan_id: int) -> DispatchPlan:
    """The plan whose passes are printed: 404 for no plan, 409 for a plan not committed
    (it has no passes yet)."""
    plan = session.get(DispatchPlan, plan_id)
    if plan is None:
        raise NotFound("dispatch plan {plan_id} not found", plan_id=plan_id)
    if plan.status is not PlanStatus.committed:
        raise Conflict(
            "dispatch plan {plan_id} is not committed: its trucks have no passes yet",
            plan_id=plan_id,
        )
    return plan


def plan_passes(
    *,
    session: Session,
    plan_id: int,
    now: datetime,
    zone: ZoneInfo,
    principal: Principal | None = None,
) -> list[tuple[str, int, PrintedPass]]:
    """Each truck of a committed plan with its number of stops and the pass it drives with
    that day (the latest issued fleet pass in force naming the districts of its stops; for
    a region-bound caller only passes valid inside its region), in route order; 404 for
    no plan, 409 for a plan not committed (it has no passes yet)."""
    plan = committed_plan(session, plan_id)
    day_start = datetime.combine(plan.plan_date, time(0), tzinfo=zone)
    stops = (
        select(func.count(PlanStop.id))
        .where(PlanStop.route_id == PlanRoute.id)
        .correlate(PlanRoute)
        .scalar_subquery()
    )
    trucks = [
        (str(plate), int(count))
        for plate, count in session.execute(
            select(Truck.plate, stops)
            .join(PlanRoute, PlanRoute.truck_id == Truck.id)
            .where(PlanRoute.plan_id == plan_id)
            .order_by(PlanRoute.id)
        )
    ]
    inside = (
        None if principal is None else passes_within_region(session=session, principal=principal)
    )
    held = plan_fleet_passes(
        session=session,
        plan_id=plan_id,
        start=max(day_start, now),
        end=day_start + timedelta(days=1),
        where=inside,
    )
    return [
        (plate, stops, printed_pass(session, held[plate], now=now, zone=zone))
        for plate, stops in trucks
        if plate in held
    ]


def plan_passes_pdf(
    *,
    session: Session,
    plan_id: int,
    now: datetime,
    zone: ZoneInfo,
    font_file: Path,
    chinese: Translate,
    principal: Principal | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """The passes of a committed plan's trucks as one PDF, a page per truck (for a
    region-bound ``principal`` only the passes valid inside its region); ``on_progress``
    hears (passes rendered, passes in all) before the first page and after each."""
    plan_date: date | None = session.scalar(
        select(DispatchPlan.plan_date).where(DispatchPlan.id == plan_id)
    )
    found = plan_passes(session=session, plan_id=plan_id, now=now, zone=zone, principal=principal)
    document = Document(font_file=font_file, title=f"Dispatch plan {plan_id} passes")
    if on_progress is not None:
        on_progress(0, len(found))
    for number, (plate, stops, printed) in enumerate(found):
        if number:
            document.new_page()
        words = {"plan": plan_id, "day": plan_date, "plate": plate, "stops": stops}
        caption = " / ".join(
            template.format(**words) for template in (chinese(PLAN_CAPTION), PLAN_CAPTION)
        )
        _write_pass(document, printed, chinese, caption=caption)
        if on_progress is not None:
            on_progress(number + 1, len(found))
    if not found:
        document.paragraph(
            " / ".join(
                template.format(plan=plan_id) for template in (chinese(NO_PASSES), NO_PASSES)
            )
        )
    return document.to_bytes()
