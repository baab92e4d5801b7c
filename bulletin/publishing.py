"""The bulletin's life: a draft computed from the day's reports, reviewed, published and
then frozen; a correction after publishing is a new revision with a note.

The figures are computed once, when the draft is made, and stored with it as plain
tables (JSON), so a published bulletin reads the same years later whatever reports are
corrected meanwhile. Flushes only; the caller's unit of work commits.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Select, and_, func, select, true
from sqlalchemy.orm import Session

from bulletin.numbers import BulletinNumbers, compute_bulletin_numbers
from bulletin.regions import bulletin_region_id, for_region, stores_in
from bulletin.signals import baselines_from_daily_prices
from bulletin.summary import summary_sentences
from core.access import Principal, require_role
from core.bulk import read_frame
from core.database import lock_for_change
from core.documents import undrawable_characters
from core.errors import Conflict, InvalidInput, NotFound
from core.text import BIDI_CONTROLS, field_problem, is_blank
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
    Unit,
)
from models.base import utc_now
from monitors.computing.inputs import load_regions, load_report_window, load_stores

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


COMPARED_DAYS = (0, 1, 7)
"""The days whose lines the figures compare: D, D−1 and D−7 (the baseline before them
needs only each product's daily price totals)."""


def _daily_price_totals(
    session: Session, *, first_day: date, last_day: date, stores: Select[int] | None
) -> pd.DataFrame:
    """Each product's sum and count of usable prices per business day in ``stores``
    (None: every store), summed by the database: the baseline's weeks of lines never
    leave it."""
    query = (
        select(
            Product.code,
            DailyReport.report_date,
            func.sum(DailyReport.price),
            func.count(DailyReport.price),
        )
        .join(Product, Product.id == DailyReport.product_id)
        .where(DailyReport.report_date.between(first_day, last_day), DailyReport.price > 0)
        .group_by(Product.code, DailyReport.report_date)
    )
    if stores is not None:
        query = query.where(DailyReport.store_id.in_(stores.scalar_subquery()))
    return pd.DataFrame(
        session.execute(query).all(),
        columns=["product", "business_date", "price_total", "priced_lines"],
    ).astype({"price_total": "float64", "priced_lines": "int64"})


def _frames(
    session: Session, *, day: date, stores: Select[int] | None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Report lines of D, D−1 and D−7 of ``stores`` (None: every store), with the
    monitor's expected sales on the days it ran, the outlets with their districts and
    the products with their categories.

    The lines come through the monitor's typed reader (a province's million lines a day
    never pass through Python one by one) and meet the monitor's store-level snapshots
    in pandas rather than in an outer join the database would run per line. The
    monitor's reader has no store filter, so a region's lines are kept in pandas.
    """
    days = [day - timedelta(days=offset) for offset in COMPARED_DAYS]
    covered = None if stores is None else set(session.scalars(stores))
    lines = pd.concat(
        [
            load_report_window(session, first_day=day - timedelta(days=1), last_day=day),
            load_report_window(session, first_day=days[2], last_day=days[2]),
        ],
        ignore_index=True,
    )
    expected_query = select(
        SupplySnapshot.scope_id,
        SupplySnapshot.item_id,
        SupplySnapshot.business_date,
        SupplySnapshot.expected_daily_sales,
    ).where(
        SupplySnapshot.business_date.in_(days),
        SupplySnapshot.scope_level == ScopeLevel.store,
        SupplySnapshot.item_kind == "product",
    )
    if stores is not None and covered is not None:
        lines = lines[lines["store_id"].isin(covered)]
        expected_query = expected_query.where(SupplySnapshot.scope_id.in_(stores.scalar_subquery()))
    expected = read_frame(
        session.connection(),
        expected_query,
        ["store_id", "product_id", "report_date", "expected_daily_sales"],
    ).astype({"store_id": "int32", "product_id": "int32", "expected_daily_sales": "float64"})
    expected["report_date"] = pd.to_datetime(expected["report_date"])
    lines = lines.merge(expected, on=["store_id", "product_id", "report_date"], how="left")
    products = pd.DataFrame(
        session.execute(
            select(Product.id, Product.code, ProductCategory.code)
            .join(ProductCategory, ProductCategory.id == Product.category_id)
            .where(Product.active.is_(True))
            .order_by(Product.code)
        ).all(),
        columns=["product_id", "product", "category"],
    )
    codes = pd.Series(products["product"].to_numpy(), index=products["product_id"].to_numpy())
    lines = lines[lines["product_id"].isin(codes.index)]
    reports = pd.DataFrame(
        {
            "outlet": lines["store_id"].to_numpy(),
            "product": codes.reindex(lines["product_id"].to_numpy()).to_numpy(),
            "business_date": lines["report_date"].to_numpy(),
            "price": lines["price"].to_numpy(dtype="float64"),
            "stock": lines["stock"].to_numpy(dtype="float64"),
            "expected_daily_sales": lines["expected_daily_sales"].to_numpy(dtype="float64"),
        }
    )
    regions = load_regions(session)
    outlets_frame = load_stores(session, regions)
    if covered is not None:
        outlets_frame = outlets_frame[outlets_frame["store_id"].isin(covered)]
    district_codes = regions.set_index("region_id")["code"]
    outlets = pd.DataFrame(
        {
            "outlet": outlets_frame["store_id"],
            "district": [
                None if pd.isna(district) else str(district_codes[int(district)])
                for district in outlets_frame["district_id"]
            ],
            "expected_to_report": outlets_frame["active"],
        }
    )
    return reports, outlets, products[["product", "category"]]


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


def _latest(session: Session, day: date, region_id: int | None) -> Bulletin | None:
    return session.scalars(
        select(Bulletin)
        .where(Bulletin.business_date == day, for_region(region_id))
        .order_by(Bulletin.revision.desc())
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
    region: str | None = None,
    font_file: Path | None = None,
) -> Bulletin:
    """Compute ``day``'s figures for ``region`` (a code; by default the caller's region,
    else the single root city) from the stores inside it into a draft: the first
    revision, a fresh computation of an unpublished draft, or (with a note) a correction
    of a published bulletin; ``day`` lies between ``oldest`` (the oldest day a report may
    be for) and ``today``. With ``font_file``, a note its PDF cannot print is refused."""
    require_role(principal, *EDITORS)
    region_id = bulletin_region_id(session=session, principal=principal, region=region)
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
    if correction_note is not None:
        _refuse_control_characters(correction_note, "correction_note")
        _refuse_undrawable(correction_note, "correction_note", font_file)
    if correction_note is not None and len(correction_note) > MAX_NOTE_CHARS:
        raise InvalidInput(
            "the correction note is too long",
            errors=[
                field_problem(
                    ["body", "correction_note"], "longer than {limit}", limit=MAX_NOTE_CHARS
                )
            ],
        )
    latest = _latest(session, day, region_id)
    published = latest is not None and latest.status is BulletinStatus.published
    if published and (not correction_note or is_blank(correction_note)):
        raise Conflict(
            "the bulletin of {day} is published; a correction needs a note",
            day=day.isoformat(),
        )
    start, end = (baseline or BaselinePeriod()).bounds(day)
    stores = stores_in(session, region_id)
    reports, outlets, products = _frames(session, day=day, stores=stores)
    baselines = baselines_from_daily_prices(
        daily=_daily_price_totals(session, first_day=start, last_day=end, stores=stores),
        baseline_start=start,
        baseline_end=end,
    )
    numbers = compute_bulletin_numbers(
        reports=reports,
        outlets=outlets,
        products=products,
        business_date=day,
        baselines=baselines,
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
            region_id=region_id,
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


def bulletin_by_id(session: Session, bulletin_id: int, principal: Principal) -> Bulletin:
    """A bulletin revision of the caller's region, or 404 (also for one outside it)."""
    found = session.get(Bulletin, bulletin_id)
    if found is None or not principal.in_region(found.region_id):
        raise NotFound("bulletin {bulletin_id} does not exist", bulletin_id=bulletin_id)
    return found


def _editable(session: Session, principal: Principal, bulletin_id: int) -> Bulletin:
    """A draft the caller may change, read under a row lock so an edit and a publish sent
    at once are taken one after the other; a published revision is frozen (409)."""
    require_role(principal, *EDITORS)
    bulletin = bulletin_by_id(session, bulletin_id, principal)
    lock_for_change(session, bulletin)
    if bulletin.status is BulletinStatus.published:
        raise Conflict(
            "bulletin {bulletin_id} is published and frozen; draft a correction instead",
            bulletin_id=bulletin_id,
        )
    return bulletin


def _refuse_control_characters(text: str, field: str) -> None:
    """A summary is published as HTML, PDF and an Atom feed, and XML cannot hold a control
    character: one in one district's summary would make the whole feed unreadable."""
    if any(
        (unicodedata.category(character) == "Cc" and character not in "\n\r\t")
        or character in BIDI_CONTROLS
        for character in text
    ):
        raise InvalidInput(
            "{field} holds a control character",
            errors=[field_problem(["body", field], "holds a control character")],
            field=field,
        )


def _refuse_undrawable(text: str, field: str, font_file: Path | None) -> None:
    """The PDF prints what the page shows: a character its font cannot draw (an emoji, an
    Arabic or Hebrew letter in a Chinese font) would silently go missing from it."""
    missing = undrawable_characters(text, font_file) if font_file is not None else []
    if missing:
        shown = " ".join(missing[:10])
        raise InvalidInput(
            "{field} has characters the bulletin's PDF cannot print: {characters}",
            errors=[
                field_problem(
                    ["body", field],
                    "has characters the PDF cannot print: {characters}",
                    characters=shown,
                )
            ],
            field=field,
            characters=shown,
        )


def edit_summary(
    *,
    session: Session,
    principal: Principal,
    bulletin_id: int,
    summary_en: str | None = None,
    summary_zh: str | None = None,
    font_file: Path | None = None,
) -> Bulletin:
    """Change a draft's summary in either language (the editor's words replace the
    template's; the tables stay as computed)."""
    bulletin = _editable(session, principal, bulletin_id)
    for field, text in (("summary_en", summary_en), ("summary_zh", summary_zh)):
        if text is None:
            continue
        cleaned = text.strip()
        _refuse_control_characters(cleaned, field)
        _refuse_undrawable(cleaned, field, font_file)
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


def _published(
    session: Session, *, limit: int, offset: int, where: ColumnElement[bool]
) -> tuple[list[Bulletin], int]:
    """The latest published revision of each region's day among the bulletins ``where``
    keeps, newest day first, and how many such days."""
    latest = (
        select(
            Bulletin.region_id,
            Bulletin.business_date,
            func.max(Bulletin.revision).label("revision"),
        )
        .where(Bulletin.status == BulletinStatus.published, where)
        .group_by(Bulletin.region_id, Bulletin.business_date)
        .subquery()
    )
    query = (
        select(Bulletin)
        .join(
            latest,
            and_(
                Bulletin.region_id.is_not_distinct_from(latest.c.region_id),
                Bulletin.business_date == latest.c.business_date,
                Bulletin.revision == latest.c.revision,
            ),
        )
        .order_by(Bulletin.business_date.desc(), Bulletin.region_id, Bulletin.id)
    )
    total = session.scalar(select(func.count()).select_from(latest)) or 0
    return list(session.scalars(query.limit(limit).offset(offset))), int(total)


def published_bulletins(
    *, session: Session, limit: int, offset: int, region: str | None = None
) -> tuple[list[Bulletin], int]:
    """The latest published revision of each region's day (only ``region``'s, a code,
    when given), newest day first, and how many: the public archive of every region."""
    if region is None:
        return _published(session, limit=limit, offset=offset, where=true())
    region_id = bulletin_region_id(session=session, principal=None, region=region)
    return _published(session, limit=limit, offset=offset, where=for_region(region_id))


def published_in_region(
    *, session: Session, limit: int, offset: int, region: str | None = None
) -> tuple[list[Bulletin], int]:
    """The latest published revision of each day of ``region``'s bulletins (by default
    the single root city's, or the whole deployment's), newest day first, and how many."""
    region_id = bulletin_region_id(session=session, principal=None, region=region)
    return _published(session, limit=limit, offset=offset, where=for_region(region_id))


def published_bulletin(*, session: Session, day: date, region: str | None = None) -> Bulletin:
    """The latest published revision of ``day``'s bulletin for ``region`` (by default
    the single root city's, or the whole deployment's), or 404."""
    region_id = bulletin_region_id(session=session, principal=None, region=region)
    found = session.scalars(
        select(Bulletin)
        .where(
            Bulletin.business_date == day,
            for_region(region_id),
            Bulletin.status == BulletinStatus.published,
        )
        .order_by(Bulletin.revision.desc())
    ).first()
    if found is None:
        raise NotFound("no bulletin is published for {day}", day=day.isoformat())
    return found


def revisions_of(
    *, session: Session, principal: Principal, day: date, region: str | None = None
) -> list[Bulletin]:
    """Every revision of ``day``'s bulletin for ``region`` (by default the caller's
    region, else the single root city), oldest first, drafts included; a region
    outside the caller's is a 404."""
    require_role(principal, *EDITORS)
    region_id = bulletin_region_id(session=session, principal=principal, region=region)
    return list(
        session.scalars(
            select(Bulletin)
            .where(Bulletin.business_date == day, for_region(region_id))
            .order_by(Bulletin.revision)
        )
    )


@dataclass(frozen=True)
class Names:
    """What the pages print for the codes in a bulletin's tables, in one language."""

    products: dict[str, str]
    units: dict[str, str]
    regions: dict[str, str]


def names_for(session: Session, language: str) -> Names:
    """Product, unit and region names (Chinese where known, for ``zh``)."""
    products = {
        code: (name_zh if language == "zh" and name_zh else name)
        for code, name, name_zh in session.execute(
            select(Product.code, Product.name, Product.name_zh)
        )
    }
    # A Chinese bulletin says 每千克, not 每kg: the unit's Chinese name where the table has one.
    units: dict[str, str] = {
        code: (name_zh if language == "zh" and name_zh else unit)
        for code, unit, name_zh in session.execute(
            select(Product.code, Product.unit, Unit.name_zh).join(Unit, Unit.code == Product.unit)
        )
    }
    regions = {
        code: (name_zh if language == "zh" and name_zh else name)
        for code, name, name_zh in session.execute(select(Region.code, Region.name, Region.name_zh))
    }
    return Names(products=products, units=units, regions=regions)
