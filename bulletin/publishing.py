"""The bulletin's life: a draft computed from the day's reports, reviewed, published and
then frozen; a correction after publishing is a new revision with a note.

The figures are computed once, when the draft is made, and stored with it as plain
tables (JSON), so a published bulletin reads the same years later whatever reports are
corrected meanwhile. Flushes only; the caller's unit of work commits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from bulletin.numbers import BulletinNumbers, compute_bulletin_numbers, compute_price_baselines
from bulletin.summary import summary_sentences
from core.access import Principal, require_role
from core.errors import Conflict, InvalidInput, NotFound
from core.text import field_problem
from models import (
    Bulletin,
    BulletinStatus,
    DailyReport,
    Product,
    ProductCategory,
    Region,
    Role,
    ScopeLevel,
    SupplySnapshot,
)
from models.base import utc_now
from monitors.computing.inputs import load_regions, load_stores

EDITORS = (Role.admin, Role.bureau)
MAX_SUMMARY_CHARS = 4000
MAX_NOTE_CHARS = 500
TABLES = (
    "prices",
    "category_prices",
    "city_category_supply",
    "district_category_supply",
    "city_supply",
    "district_coverage",
    "notable_moves",
)
"""The tables a bulletin keeps and shows (the per-district × product one is left out: it
is the reports themselves, one click away in the supply pages)."""


@dataclass(frozen=True)
class BaselinePeriod:
    """Where the pre-crisis price baseline sits: ``days`` business days ending
    ``gap_days`` before the bulletin's day (a bureau declares the crisis's start; until
    then the baseline trails the day by the gap)."""

    days: int = 28
    gap_days: int = 7

    def bounds(self, day: date) -> tuple[date, date]:
        """The first and last day of the baseline for the bulletin of ``day``."""
        end = day - timedelta(days=self.gap_days)
        return end - timedelta(days=self.days - 1), end


def _frames(
    session: Session, *, day: date, first_day: date
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Report lines from ``first_day`` to ``day`` (with the monitor's expected sales on
    the days it ran), the outlets with their districts and the products with their
    categories."""
    snapshot = and_(
        SupplySnapshot.business_date == DailyReport.report_date,
        SupplySnapshot.scope_level == ScopeLevel.store,
        SupplySnapshot.scope_id == DailyReport.store_id,
        SupplySnapshot.item_kind == "product",
        SupplySnapshot.item_id == DailyReport.product_id,
    )
    rows = session.execute(
        select(
            DailyReport.store_id,
            Product.code,
            DailyReport.report_date,
            DailyReport.price,
            DailyReport.stock,
            SupplySnapshot.expected_daily_sales,
        )
        .join(Product, Product.id == DailyReport.product_id)
        .outerjoin(SupplySnapshot, snapshot)
        .where(DailyReport.report_date.between(first_day, day))
    ).all()
    reports = pd.DataFrame(
        rows,
        columns=["outlet", "product", "business_date", "price", "stock", "expected_daily_sales"],
    ).astype({"price": "float64", "stock": "float64", "expected_daily_sales": "float64"})
    reports["business_date"] = pd.to_datetime(reports["business_date"])
    regions = load_regions(session)
    stores = load_stores(session, regions)
    district_codes = regions.set_index("region_id")["code"]
    outlets = pd.DataFrame(
        {
            "outlet": stores["store_id"],
            "district": [
                None if pd.isna(district) else str(district_codes[int(district)])
                for district in stores["district_id"]
            ],
            "expected_to_report": stores["active"],
        }
    )
    products = pd.DataFrame(
        session.execute(
            select(Product.code, ProductCategory.code)
            .join(ProductCategory, ProductCategory.id == Product.category_id)
            .where(Product.active.is_(True))
            .order_by(Product.code)
        ).all(),
        columns=["product", "category"],
    )
    reports = reports[reports["product"].isin(products["product"])]
    return reports, outlets, products


def _cell(value: Any) -> Any:
    """A table cell as JSON holds it: numbers finite or None, dates and keys as text."""
    if value is None:
        return None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "item"):  # numpy scalars
        return _cell(value.item())
    if isinstance(value, (int, str, bool)):
        return value
    if pd.isna(value):
        return None
    return str(value)


def _table(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A figures table as rows of plain values, its index as leading columns."""
    flat = frame.reset_index()
    return [
        {str(column): _cell(value) for column, value in zip(flat.columns, row, strict=True)}
        for row in flat.itertuples(index=False, name=None)
    ]


def bulletin_figures(numbers: BulletinNumbers) -> dict[str, Any]:
    """The bulletin's tables and headline coverage, ready to store and serve."""
    figures: dict[str, Any] = {name: _table(getattr(numbers, name)) for name in TABLES}
    figures["city_coverage"] = {
        str(name): _cell(value) for name, value in numbers.city_coverage.items()
    }
    figures["band_counts"] = {
        str(name): _cell(value) for name, value in numbers.band_counts.items()
    }
    return figures


def _summary(numbers: BulletinNumbers, names: Names, language: str) -> str:
    """The summary paragraph in ``language``: sentences that each state table numbers
    (Chinese sentences end in their own full stop and need no space between them)."""
    return ("" if language == "zh" else " ").join(
        sentence.text
        for sentence in summary_sentences(
            numbers=numbers,
            language=language,
            product_names=names.products,
            units=names.units,
            district_names=names.regions,
        )
    )


def _latest(session: Session, day: date) -> Bulletin | None:
    return session.scalars(
        select(Bulletin).where(Bulletin.business_date == day).order_by(Bulletin.revision.desc())
    ).first()


def draft_bulletin(
    *,
    session: Session,
    principal: Principal,
    day: date,
    today: date,
    oldest: date | None = None,
    baseline: BaselinePeriod | None = None,
    correction_note: str | None = None,
) -> Bulletin:
    """Compute ``day``'s figures into a draft: the first revision, a fresh computation of
    an unpublished draft, or (with a note) a correction of a published bulletin; ``day``
    lies between ``oldest`` (the oldest day a report may be for) and ``today``."""
    require_role(principal, *EDITORS)
    if day > today:
        raise InvalidInput(
            "a bulletin is for a business day that has begun",
            errors=[field_problem(["body", "date"], "after today")],
        )
    if oldest is not None and day < oldest:
        raise InvalidInput(
            "a bulletin is for a business day reports may still be for",
            errors=[field_problem(["body", "date"], "before {oldest}", oldest=oldest.isoformat())],
        )
    if correction_note is not None and len(correction_note) > MAX_NOTE_CHARS:
        raise InvalidInput(
            "the correction note is too long",
            errors=[
                field_problem(
                    ["body", "correction_note"], "longer than {limit}", limit=MAX_NOTE_CHARS
                )
            ],
        )
    latest = _latest(session, day)
    if latest is not None and latest.status is BulletinStatus.published and not correction_note:
        raise Conflict(
            "the bulletin of {day} is published; a correction needs a note",
            day=day.isoformat(),
        )
    start, end = (baseline or BaselinePeriod()).bounds(day)
    reports, outlets, products = _frames(
        session, day=day, first_day=min(start, day - timedelta(days=7))
    )
    numbers = compute_bulletin_numbers(
        reports=reports,
        outlets=outlets,
        products=products,
        business_date=day,
        baselines=compute_price_baselines(reports=reports, baseline_start=start, baseline_end=end),
    )
    figures = bulletin_figures(numbers) | {
        "baseline": {"start": start.isoformat(), "end": end.isoformat()}
    }
    summary_en = _summary(numbers, names_for(session, "en"), "en")
    summary_zh = _summary(numbers, names_for(session, "zh"), "zh")
    if latest is not None and latest.status is BulletinStatus.draft:
        bulletin = latest
    else:
        bulletin = Bulletin(
            business_date=day,
            revision=1 if latest is None else latest.revision + 1,
            status=BulletinStatus.draft,
        )
        session.add(bulletin)
    bulletin.figures = figures
    bulletin.summary_en = summary_en
    bulletin.summary_zh = summary_zh
    bulletin.correction_note = correction_note or (latest.correction_note if latest else None)
    bulletin.drafted_by = principal.label
    session.flush()
    return bulletin


def bulletin_by_id(session: Session, bulletin_id: int) -> Bulletin:
    """A bulletin revision, or 404."""
    found = session.get(Bulletin, bulletin_id)
    if found is None:
        raise NotFound("bulletin {bulletin_id} does not exist", bulletin_id=bulletin_id)
    return found


def _editable(session: Session, principal: Principal, bulletin_id: int) -> Bulletin:
    """A draft the caller may change; a published revision is frozen (409)."""
    require_role(principal, *EDITORS)
    bulletin = bulletin_by_id(session, bulletin_id)
    if bulletin.status is BulletinStatus.published:
        raise Conflict(
            "bulletin {bulletin_id} is published and frozen; draft a correction instead",
            bulletin_id=bulletin_id,
        )
    return bulletin


def edit_summary(
    *,
    session: Session,
    principal: Principal,
    bulletin_id: int,
    summary_en: str | None = None,
    summary_zh: str | None = None,
) -> Bulletin:
    """Change a draft's summary in either language (the editor's words replace the
    template's; the tables stay as computed)."""
    bulletin = _editable(session, principal, bulletin_id)
    for field, text in (("summary_en", summary_en), ("summary_zh", summary_zh)):
        if text is None:
            continue
        cleaned = text.strip()
        if not cleaned or len(cleaned) > MAX_SUMMARY_CHARS:
            raise InvalidInput(
                "{field} must have 1 to {limit} characters",
                errors=[
                    field_problem(
                        ["body", field], "1 to {limit} characters", limit=MAX_SUMMARY_CHARS
                    )
                ],
                field=field,
                limit=MAX_SUMMARY_CHARS,
            )
        setattr(bulletin, field, cleaned)
    session.flush()
    return bulletin


def publish_bulletin(*, session: Session, principal: Principal, bulletin_id: int) -> Bulletin:
    """Publish a draft: from now on it is frozen and public."""
    bulletin = _editable(session, principal, bulletin_id)
    bulletin.status = BulletinStatus.published
    bulletin.published_by = principal.label
    bulletin.published_at = utc_now()
    session.flush()
    return bulletin


def published_bulletins(*, session: Session, limit: int, offset: int) -> tuple[list[Bulletin], int]:
    """The latest published revision of each day, newest day first, and how many days."""
    latest = (
        select(Bulletin.business_date, func.max(Bulletin.revision).label("revision"))
        .where(Bulletin.status == BulletinStatus.published)
        .group_by(Bulletin.business_date)
        .subquery()
    )
    query = (
        select(Bulletin)
        .join(
            latest,
            and_(
                Bulletin.business_date == latest.c.business_date,
                Bulletin.revision == latest.c.revision,
            ),
        )
        .order_by(Bulletin.business_date.desc())
    )
    total = session.scalar(select(func.count()).select_from(latest)) or 0
    return list(session.scalars(query.limit(limit).offset(offset))), int(total)


def published_bulletin(*, session: Session, day: date) -> Bulletin:
    """The latest published revision of ``day``'s bulletin, or 404."""
    found = session.scalars(
        select(Bulletin)
        .where(Bulletin.business_date == day, Bulletin.status == BulletinStatus.published)
        .order_by(Bulletin.revision.desc())
    ).first()
    if found is None:
        raise NotFound("no bulletin is published for {day}", day=day.isoformat())
    return found


def revisions_of(*, session: Session, day: date) -> list[Bulletin]:
    """Every revision of ``day``'s bulletin, oldest first (drafts included)."""
    return list(
        session.scalars(
            select(Bulletin).where(Bulletin.business_date == day).order_by(Bulletin.revision)
        )
    )


@dataclass(frozen=True)
class Names:
    """What the pages print for the codes in a bulletin's tables, in one language."""

    products: dict[str, str]
    units: dict[str, str]
    regions: dict[str, str]


def names_for(session: Session, language: str) -> Names:
    """Product and region names (Chinese where known, for ``zh``) and product units."""
    products = {
        code: (name_zh if language == "zh" and name_zh else name)
        for code, name, name_zh in session.execute(
            select(Product.code, Product.name, Product.name_zh)
        )
    }
    units: dict[str, str] = dict(session.execute(select(Product.code, Product.unit)).all())
    regions = {
        code: (name_zh if language == "zh" and name_zh else name)
        for code, name, name_zh in session.execute(select(Region.code, Region.name, Region.name_zh))
    }
    return Names(products=products, units=units, regions=regions)
