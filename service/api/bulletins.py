"""The daily bulletin: published ones are public (no key needed), as the bureau publishes
them for residents and the media; drafting, editing and publishing are the bureau's."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import Field
from sqlalchemy.orm import Session

from bulletin.exports import ExportTable, bulletin_table
from bulletin.history import DEFAULT_HISTORY_DAYS, MAX_HISTORY_DAYS, price_history
from bulletin.printing import bulletin_document, printed_names
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
from bulletin.regions import region_labels
from core.documents import PDF_MEDIA_TYPE
from models import Bulletin, BulletinStatus
from service.configuration import business_today
from service.http.dependencies import (
    DocumentShelfDep,
    PrincipalDep,
    ReplicaSessionDep,
    SessionDep,
    SettingsDep,
)
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


RegionQuery = Annotated[
    str | None,
    Query(
        description="A region's code: the bulletin of that region (by default your region, "
        "else the single root city's, or with several roots the whole deployment's)"
    ),
]


class BulletinListed(ReadModel):
    """A bulletin as a list shows it: its words without its tables (a list of 500 days
    with every table was 18 MB); ``GET /bulletins/{date}`` gives the tables."""

    id: int
    region: str | None = Field(
        description="The code of the region whose stores the figures cover; null for the "
        "whole deployment"
    )
    region_name: str | None
    region_name_zh: str | None
    business_date: date
    revision: int
    status: BulletinStatus
    summary_en: str
    summary_zh: str
    correction_note: str | None
    published_at: datetime | None


class BulletinRead(BulletinListed):
    figures: dict[str, Any] = Field(
        description="The day's tables (prices, category prices, days of supply, coverage, "
        "notable moves) as computed when the revision was drafted"
    )


class DraftIn(StrictModel):
    date: date
    region: str | None = Field(
        default=None,
        min_length=1,
        max_length=32,
        description="The region's code (by default your region; for national staff the "
        "single root city)",
    )
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


def _listed(session: Session, bulletins: list[Bulletin]) -> list[BulletinListed]:
    labels = region_labels(session, bulletins)
    return [
        BulletinListed(
            id=bulletin.id,
            region=labels[bulletin.region_id].code,
            region_name=labels[bulletin.region_id].name,
            region_name_zh=labels[bulletin.region_id].name_zh,
            business_date=bulletin.business_date,
            revision=bulletin.revision,
            status=bulletin.status,
            summary_en=bulletin.summary_en,
            summary_zh=bulletin.summary_zh,
            correction_note=bulletin.correction_note,
            published_at=bulletin.published_at,
        )
        for bulletin in bulletins
    ]


def _reads(session: Session, bulletins: list[Bulletin]) -> list[BulletinRead]:
    return [
        BulletinRead(**listed.model_dump(), figures=bulletin.figures)
        for listed, bulletin in zip(_listed(session, bulletins), bulletins, strict=True)
    ]


def _read(session: Session, bulletin: Bulletin) -> BulletinRead:
    return _reads(session, [bulletin])[0]


PUBLISHED_MAX_AGE_SECONDS = 300
"""How long a browser or proxy may keep a published bulletin's PDF without asking: a
correction is a new revision, seen within five minutes."""


@router.get(
    "/bulletins",
    summary="Published bulletins of every region, newest day first, without their tables (public)",
)
def list_published(
    session: ReplicaSessionDep,
    paging: PageDep,
    region: Annotated[str | None, Query(description="Only this region's bulletins")] = None,
) -> Page[BulletinListed]:
    found, total = published_bulletins(
        session=session, limit=paging.limit, offset=paging.offset, region=region
    )
    return Page(
        items=_listed(session, found),
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.get("/bulletins/{day}", summary="A day's published bulletin, its latest revision (public)")
def read_published(
    day: date, session: ReplicaSessionDep, region: RegionQuery = None
) -> BulletinRead:
    return _read(session, published_bulletin(session=session, day=day, region=region))


@router.get(
    "/bulletins/{day}/pdf",
    summary="A day's published bulletin as a PDF, in Chinese or English (public)",
    response_class=Response,
    responses={200: {"content": {PDF_MEDIA_TYPE: {}}}},
)
def read_published_pdf(
    day: date,
    session: ReplicaSessionDep,
    settings: SettingsDep,
    shelf: DocumentShelfDep,
    lang: Literal["zh", "en"] = "zh",
    region: RegionQuery = None,
) -> Response:
    bulletin = published_bulletin(session=session, day=day, region=region)

    def make() -> bytes:
        printed = printed_names(session, bulletin, lang)
        # the database is done with: its connection goes back to the pool before the
        # second or two of drawing, so a crowd of readers cannot hold every connection
        session.expunge(bulletin)
        session.rollback()
        return bulletin_document(
            bulletin=bulletin,
            region_name=printed.region_name,
            names=printed.names,
            categories=printed.categories,
            language=lang,
            translate=translations(lang).gettext,
            zone=settings.zone,
            font_file=settings.pdf_font_file,
        )

    # a published revision never changes: one PDF per revision and language
    content = shelf.get(("bulletin", bulletin.id, bulletin.revision, lang), make)
    return Response(
        content,
        media_type=PDF_MEDIA_TYPE,
        headers={
            "Content-Disposition": f'inline; filename="bulletin-{day.isoformat()}-{lang}.pdf"',
            "Cache-Control": f"public, max-age={PUBLISHED_MAX_AGE_SECONDS}",
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
    region: RegionQuery = None,
) -> Response:
    header, rows = bulletin_table(
        session=session,
        bulletin=published_bulletin(session=session, day=day, region=region),
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
    region: RegionQuery = None,
) -> PriceHistoryRead:
    return PriceHistoryRead.model_validate(
        price_history(session=session, product=product, days=days, region=region)
    )


@router.get("/bulletins/{day}/revisions", summary="Every revision of a day's bulletin, drafts too")
def list_revisions(
    day: date, session: SessionDep, principal: PrincipalDep, region: RegionQuery = None
) -> list[BulletinRead]:
    return _reads(
        session, revisions_of(session=session, principal=principal, day=day, region=region)
    )


@router.post(
    "/bulletins",
    status_code=status.HTTP_201_CREATED,
    summary="Draft a day's bulletin from its reports (or a correction of a published one)",
)
def draft(
    body: DraftIn, session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> BulletinRead:
    return _read(
        session,
        draft_bulletin(
            session=session,
            principal=principal,
            day=body.date,
            today=business_today(settings),
            oldest=business_today(settings) - timedelta(days=settings.max_report_age_days),
            correction_note=body.correction_note,
            region=body.region,
            font_file=settings.pdf_font_file,
        ),
    )


@router.patch("/bulletin-revisions/{bulletin_id}", summary="Edit a draft's summary")
def edit(
    bulletin_id: DatabaseId,
    body: SummaryIn,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> BulletinRead:
    return _read(
        session,
        edit_summary(
            session=session,
            principal=principal,
            bulletin_id=bulletin_id,
            summary_en=body.summary_en,
            summary_zh=body.summary_zh,
            font_file=settings.pdf_font_file,
        ),
    )


@router.post(
    "/bulletin-revisions/{bulletin_id}/publish", summary="Publish a draft; it is then frozen"
)
def publish(bulletin_id: DatabaseId, session: SessionDep, principal: PrincipalDep) -> BulletinRead:
    return _read(
        session, publish_bulletin(session=session, principal=principal, bulletin_id=bulletin_id)
    )
