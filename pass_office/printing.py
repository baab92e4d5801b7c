"""Passes on paper, for a car without a phone holder: a PDF page per pass with its QR code
and what a checkpoint officer reads (plate or holder, validity, regions), in Chinese and
English side by side, since the officer and the driver may read either.

The QR code carries the signed token; the printed words only help a person find the
right vehicle. A pass that is not in force (applied, rejected, revoked) is not printed,
so a revoked pass cannot be handed out again on fresh paper.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.access import Principal
from core.documents import Document
from core.errors import Conflict, NotFound
from models import (
    DispatchPlan,
    Enterprise,
    PassKind,
    PassStatus,
    PlanRoute,
    PlanStatus,
    PlanStop,
    Producer,
    Region,
    TransportPass,
    Truck,
)
from pass_office.queries import PassState, find_pass, state_of
from passes import pass_qr_png

QR_WIDTH_MM = 75
"""Wide enough for a phone to read a version-13 code through a windscreen."""
FLEET_HOLDER = "应急车队 / Emergency fleet"
VERIFY_NOTE = (
    "请扫描二维码核验；仅凭打印文字不能证明通行证有效。"
    " Scan the QR code to verify: the printed words alone prove nothing."
)
TITLES = {
    PassKind.vehicle: "应急运输车辆通行证 / Emergency transport vehicle pass",
    PassKind.staff: "保供企业人员通行证 / Supply staff permit",
}


@dataclass(frozen=True)
class PrintedPass:
    """What a printed pass shows: its title, subject in large type (plate or person), QR
    token and label/value lines."""

    code: str
    title: str
    subject: str
    token: str
    lines: list[tuple[str, str]]


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


def _holder(session: Session, row: TransportPass) -> str:
    if row.enterprise_id is not None:
        found = session.scalar(select(Enterprise.name).where(Enterprise.id == row.enterprise_id))
        return str(found)
    if row.producer_id is not None:
        return str(session.scalar(select(Producer.name).where(Producer.id == row.producer_id)))
    return FLEET_HOLDER


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
    lines: list[tuple[str, str]] = [("编号 / Pass", str(row.code))]
    if row.kind is PassKind.vehicle:
        lines += [
            ("车牌号 / Plate", row.plate or ""),
            ("车辆类型 / Vehicle", row.vehicle_type or ""),
            ("驾驶员 / Driver", " ".join(p for p in (row.driver_name, row.driver_phone) if p)),
            ("持证单位 / Holder", _holder(session, row)),
            ("用途 / Purpose", row.purpose or ""),
            ("运载物资 / Goods", row.goods or ""),
        ]
    else:
        lines += [
            ("姓名 / Name", row.person_name or ""),
            ("证件号 / ID", row.masked_holder or ""),
            ("工作单位 / Employer", row.employer or ""),
            ("工作地点 / Workplace", row.workplace or ""),
            ("居住小区 / Home", row.home_compound or ""),
        ]
    lines += [
        ("通行区域 / Regions", _region_names(session, list(row.regions))),
        ("有效期 / Valid", validity),
    ]
    subject = (row.plate if row.kind is PassKind.vehicle else row.person_name) or str(row.code)
    return PrintedPass(
        code=str(row.code), title=TITLES[row.kind], subject=subject, token=row.token, lines=lines
    )


def _write_pass(document: Document, printed: PrintedPass, *, caption: str | None = None) -> None:
    document.heading(printed.title, size=17)
    if caption:
        document.paragraph(caption, gray=True)
    document.heading(printed.subject, size=30, centred=True)
    document.image(pass_qr_png(token=printed.token, scale=8, border=4), width=QR_WIDTH_MM)
    document.fields(printed.lines)
    document.paragraph(VERIFY_NOTE, size=9, gray=True)


def pass_pdf(
    *,
    session: Session,
    principal: Principal,
    code: str,
    now: datetime,
    zone: ZoneInfo,
    font_file: Path,
) -> bytes:
    """The pass ``code`` as a one-page PDF, for whoever may read the pass (404 otherwise)."""
    row, _, _ = find_pass(session=session, principal=principal, code=code)
    printed = printed_pass(session, row, now=now, zone=zone)
    document = Document(font_file=font_file, title=f"{printed.title} {printed.code}")
    _write_pass(document, printed)
    return document.to_bytes()


def plan_passes(
    *, session: Session, plan_id: int, now: datetime, zone: ZoneInfo
) -> list[tuple[str, int, PrintedPass]]:
    """Each truck of a committed plan with its number of stops and the pass it drives with
    that day (the latest issued in force), in route order; 404 for no plan, 409 for a
    plan not committed (it has no passes yet)."""
    plan = session.get(DispatchPlan, plan_id)
    if plan is None:
        raise NotFound("dispatch plan {plan_id} not found", plan_id=plan_id)
    if plan.status is not PlanStatus.committed:
        raise Conflict(
            "dispatch plan {plan_id} is not committed: its trucks have no passes yet",
            plan_id=plan_id,
        )
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
    return _passes_of(session, trucks, day_start=day_start, now=now, zone=zone)


def _passes_of(
    session: Session,
    trucks: list[tuple[str, int]],
    *,
    day_start: datetime,
    now: datetime,
    zone: ZoneInfo,
) -> list[tuple[str, int, PrintedPass]]:
    held: dict[str, TransportPass] = {}
    for row in session.scalars(
        select(TransportPass)
        .where(
            TransportPass.plate.in_([plate for plate, _ in trucks]),
            TransportPass.status == PassStatus.approved,
            TransportPass.valid_from < day_start + timedelta(days=1),
            TransportPass.valid_to > max(day_start, now),
        )
        .order_by(TransportPass.issued_at)
    ):
        held[str(row.plate)] = row
    return [
        (plate, stops, printed_pass(session, held[plate], now=now, zone=zone))
        for plate, stops in trucks
        if plate in held
    ]


def plan_passes_pdf(
    *, session: Session, plan_id: int, now: datetime, zone: ZoneInfo, font_file: Path
) -> bytes:
    """The passes of a committed plan's trucks as one PDF, a page per truck."""
    plan_date: date | None = session.scalar(
        select(DispatchPlan.plan_date).where(DispatchPlan.id == plan_id)
    )
    found = plan_passes(session=session, plan_id=plan_id, now=now, zone=zone)
    document = Document(font_file=font_file, title=f"Dispatch plan {plan_id} passes")
    for number, (plate, stops, printed) in enumerate(found):
        if number:
            document.new_page()
        caption = (
            f"调度计划 {plan_id} · {plan_date} · {plate} · {stops} 个停靠点 / "
            f"Dispatch plan {plan_id} · {plan_date} · {plate} · {stops} stops"
        )
        _write_pass(document, printed, caption=caption)
    if not found:
        document.paragraph(
            f"调度计划 {plan_id} 没有有效通行证 / Plan {plan_id} has no passes in force"
        )
    return document.to_bytes()
