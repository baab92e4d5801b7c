"""The daily bulletin: published ones are public (no key needed), as the bureau publishes
them for residents and the media; drafting, editing and publishing are the bureau's."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import Field

from bulletin.exports import ExportTable, bulletin_table
from bulletin.history import DEFAULT_HISTORY_DAYS, MAX_HISTORY_DAYS, price_history
from bulletin.printing import bulletin_pdf
from bulletin.publishing import (
    MAX_NOTE_CHARS,
    MAX_SUMMARY_CHARS,
    draft_bulletin,
    edit_summary,
    publish_bulletin,
    published_bulletin,
    published_bulletins,
    revisions_of,
)
from core.access import require_role
from core.documents import PDF_MEDIA_TYPE
from models import Bulletin, BulletinStatus, Role
from service.configuration import business_today
from service.http.dependencies import PrincipalDep, ReplicaSessionDep, SessionDep, SettingsDep
from service.http.exports import XLSX_MEDIA_TYPE, ExportFormat, table_response
from service.http.schemas import (
    PROBLEM_RESPONSES,
    DatabaseId,
    Page,
    PageDep,
    ReadModel,
    StrictModel,
)
from service.translations import translations

router = APIRouter(tags=["bulletin"], responses=PROBLEM_RESPONSES)


class BulletinRead(ReadModel):
    id: int
    business_date: date
    revision: int
    status: BulletinStatus
    summary_en: str
    summary_zh: str
    correction_note: str | None
    published_at: datetime | None
    figures: dict[str, Any] = Field(
        description="The day's tables (prices, category prices, days of supply, coverage, "
        "notable moves) as computed when the revision was drafted"
    )


class DraftIn(StrictModel):
    date: date
    correction_note: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_NOTE_CHARS,
        description="Required to correct a published bulletin: why",
    )


class SummaryIn(StrictModel):
    summary_en: str | None = Field(default=None, min_length=1, max_length=MAX_SUMMARY_CHARS)
    summary_zh: str | None = Field(default=None, min_length=1, max_length=MAX_SUMMARY_CHARS)


class PricePointRead(ReadModel):
    business_date: date
    revision: int
    average_price: float | None = Field(description="City-wide average, ¥ per the unit")
    min_price: float | None = Field(description="The lowest outlet's price")
    max_price: float | None = Field(description="The highest outlet's price")
    outlets_priced: int | None
    change_vs_previous_day_percent: float | None
    band: str | None = Field(description="Price signal band: normal, stress, alert or crisis")


class PriceHistoryRead(ReadModel):
    product: str
    name: str
    name_zh: str | None
    unit: str
    category: str
    points: list[PricePointRead] = Field(description="One per published day, oldest first")


def _read(bulletin: Bulletin) -> BulletinRead:
    return BulletinRead.model_validate(bulletin)


@router.get("/bulletins", summary="Published bulletins, newest day first (public)")
def list_published(session: ReplicaSessionDep, paging: PageDep) -> Page[BulletinRead]:
    found, total = published_bulletins(session=session, limit=paging.limit, offset=paging.offset)
    return Page(
        items=[_read(item) for item in found],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.get("/bulletins/{day}", summary="A day's published bulletin, its latest revision (public)")
def read_published(day: date, session: ReplicaSessionDep) -> BulletinRead:
    return _read(published_bulletin(session=session, day=day))


@router.get(
    "/bulletins/{day}/pdf",
    summary="A day's published bulletin as a PDF, in Chinese or English (public)",
    response_class=Response,
    responses={200: {"content": {PDF_MEDIA_TYPE: {}}}},
)
def read_published_pdf(
    day: date, session: ReplicaSessionDep, settings: SettingsDep, lang: Literal["zh", "en"] = "zh"
) -> Response:
    content = bulletin_pdf(
        session=session,
        bulletin=published_bulletin(session=session, day=day),
        language=lang,
        translate=translations(lang).gettext,
        zone=settings.zone,
        font_file=settings.pdf_font_file,
    )
    return Response(
        content,
        media_type=PDF_MEDIA_TYPE,
        headers={
            "Content-Disposition": f'inline; filename="bulletin-{day.isoformat()}-{lang}.pdf"'
        },
    )


@router.get(
    "/bulletins/{day}/tables/{table}",
    summary="One table of a day's published bulletin as CSV or XLSX (public)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, XLSX_MEDIA_TYPE: {}}}},
)
def read_published_table(
    day: date,
    table: ExportTable,
    session: ReplicaSessionDep,
    format: ExportFormat = ExportFormat.csv,
    lang: Literal["zh", "en"] = "en",
) -> Response:
    header, rows = bulletin_table(
        session=session,
        bulletin=published_bulletin(session=session, day=day),
        table=table,
        language=lang,
    )
    return table_response(header, rows, format=format, name=f"bulletin-{day}-{table.value}")


@router.get(
    "/bulletin-products/{product}/prices",
    summary="A product's city-wide price (average, lowest, highest) over the published "
    "bulletins (public)",
)
def product_prices(
    product: str,
    session: ReplicaSessionDep,
    days: Annotated[
        int, Query(ge=1, le=MAX_HISTORY_DAYS, description="How many published days, newest")
    ] = DEFAULT_HISTORY_DAYS,
) -> PriceHistoryRead:
    return PriceHistoryRead.model_validate(
        price_history(session=session, product=product, days=days)
    )


@router.get("/bulletins/{day}/revisions", summary="Every revision of a day's bulletin, drafts too")
def list_revisions(day: date, session: SessionDep, principal: PrincipalDep) -> list[BulletinRead]:
    require_role(principal, Role.admin, Role.bureau)
    return [_read(item) for item in revisions_of(session=session, day=day)]


@router.post(
    "/bulletins",
    status_code=status.HTTP_201_CREATED,
    summary="Draft a day's bulletin from its reports (or a correction of a published one)",
)
def draft(
    body: DraftIn, session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> BulletinRead:
    return _read(
        draft_bulletin(
            session=session,
            principal=principal,
            day=body.date,
            today=business_today(settings),
            oldest=business_today(settings) - timedelta(days=settings.max_report_age_days),
            correction_note=body.correction_note,
        )
    )


@router.patch("/bulletin-revisions/{bulletin_id}", summary="Edit a draft's summary")
def edit(
    bulletin_id: DatabaseId, body: SummaryIn, session: SessionDep, principal: PrincipalDep
) -> BulletinRead:
    return _read(
        edit_summary(
            session=session,
            principal=principal,
            bulletin_id=bulletin_id,
            summary_en=body.summary_en,
            summary_zh=body.summary_zh,
        )
    )


@router.post(
    "/bulletin-revisions/{bulletin_id}/publish", summary="Publish a draft; it is then frozen"
)
def publish(bulletin_id: DatabaseId, session: SessionDep, principal: PrincipalDep) -> BulletinRead:
    return _read(publish_bulletin(session=session, principal=principal, bulletin_id=bulletin_id))
