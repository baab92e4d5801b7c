"""A published bulletin as a PDF to print or send: the summary and the tables of the
public page, in Chinese or English, read from the revision's frozen tables (so the file
says what the page says, whatever reports are corrected later)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bulletin.publishing import Names, names_for
from bulletin.regions import region_labels
from core.documents import Document
from core.text import N_
from models import Bulletin, ProductCategory

Translate = Callable[[str], str]
LABELS = {
    "title": N_("Daily supply bulletin"),
    "revision": N_("Revision"),
    "published": N_("Published"),
    "summary": N_("Summary"),
    "outlets_reporting": N_("Outlets reporting"),
    "moves": N_("Notable moves"),
    "product": N_("Product"),
    "district": N_("District"),
    "now": N_("Now"),
    "before": N_("Before"),
    "change": N_("Change"),
    "price": N_("price"),
    "days_of_supply_word": N_("days of supply"),
    "city_wide": N_("city-wide"),
    "prices": N_("Retail prices"),
    "prices_note": N_(
        "City-wide average over the outlets that reported a price; the signal compares it "
        "with the pre-crisis baseline"
    ),
    "average": N_("Average"),
    "lowest": N_("Lowest"),
    "highest": N_("highest"),
    "vs_previous_day": N_("vs. previous day"),
    "vs_week_before": N_("vs. a week before"),
    "signal": N_("Signal"),
    "category_supply": N_("Days of supply by category"),
    "category": N_("Category"),
    "days_of_supply": N_("Days of supply"),
    "outlets": N_("Outlets"),
    "coverage": N_("Reporting by district"),
    "reported": N_("Reported"),
    "expected": N_("Expected"),
}
"""The words of the PDF, the same message ids as the public page so both read alike."""


def _number(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:,.{digits}f}"


def _signed(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:+.{digits}f}"


def _category_names(session: Session, language: str) -> dict[str, str]:
    return {
        code: (name_zh if language == "zh" and name_zh else name)
        for code, name, name_zh in session.execute(
            select(ProductCategory.code, ProductCategory.name, ProductCategory.name_zh)
        )
    }


@dataclass(frozen=True)
class PrintedNames:
    """What a bulletin's PDF prints for its codes, read before the slow part begins."""

    region_name: str | None
    names: Names
    categories: dict[str, str]


def printed_names(session: Session, bulletin: Bulletin, language: str) -> PrintedNames:
    """The region's, products', districts' and categories' names in ``language``."""
    region = region_labels(session, [bulletin])[bulletin.region_id]
    return PrintedNames(
        region_name=region.in_language(language),
        names=names_for(session, language),
        categories=_category_names(session, language),
    )


def bulletin_document(
    *,
    bulletin: Bulletin,
    names: Names,
    categories: dict[str, str],
    language: str,
    translate: Translate,
    zone: ZoneInfo,
    font_file: Path,
    region_name: str | None = None,
) -> bytes:
    """The PDF of a bulletin revision from its tables and the names to print for codes,
    headed by its region's name (none for the whole deployment)."""
    words = {key: translate(message) for key, message in LABELS.items()}
    figures: dict[str, Any] = bulletin.figures
    subject = bulletin.business_date.isoformat()
    if region_name:
        subject = f"{region_name} · {subject}"
    document = Document(
        font_file=font_file,
        title=f"{words['title']} {subject}",
        language="zh-CN" if language == "zh" else "en",
    )
    document.heading(f"{words['title']} · {subject}", size=18)
    meta = []
    if bulletin.revision > 1:
        note = f": {bulletin.correction_note}" if bulletin.correction_note else ""
        meta.append(f"{words['revision']} {bulletin.revision}{note}")
    if isinstance(bulletin.published_at, datetime):
        published = bulletin.published_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        meta.append(f"{words['published']} {published}")
    if meta:
        document.paragraph(" · ".join(meta), size=9, gray=True)

    coverage = figures.get("city_coverage") or {}
    document.heading(words["summary"], size=13)
    document.paragraph(bulletin.summary_zh if language == "zh" else bulletin.summary_en)
    document.paragraph(
        f"{words['outlets_reporting']}: {coverage.get('reported_outlets', '–')} / "
        f"{coverage.get('expected_outlets', '–')} "
        f"({_number(coverage.get('coverage_percent'))} %)",
        size=9,
        gray=True,
    )

    def product(code: str) -> str:
        return names.products.get(code, code)

    moves = figures.get("notable_moves") or []
    if moves:
        document.heading(words["moves"], size=13)
        document.table(
            [
                words["product"],
                words["district"],
                words["now"],
                words["before"],
                f"{words['change']} %",
            ],
            [
                [
                    f"{product(move['product'])} ("
                    + (
                        f"{words['price']}, ¥/{names.units.get(move['product'], '')}"
                        if move["kind"] == "price"
                        else words["days_of_supply_word"]
                    )
                    + ")",
                    names.regions.get(move["district"], move["district"])
                    if move.get("district")
                    else words["city_wide"],
                    _number(move.get("value"), 2),
                    _number(move.get("previous_value"), 2),
                    _signed(move.get("change_percent")),
                ]
                for move in moves
            ],
            widths=(34, 22, 14, 14, 14),
            align=("L", "L", "R", "R", "R"),
        )

    baseline = figures.get("baseline") or {}
    document.heading(words["prices"], size=13)
    document.paragraph(
        f"{words['prices_note']} ({baseline.get('start', '–')} – {baseline.get('end', '–')}).",
        size=8.5,
        gray=True,
    )
    document.table(
        [
            words["product"],
            words["average"],
            f"{words['lowest']} – {words['highest']}",
            f"{words['vs_previous_day']} %",
            f"{words['vs_week_before']} %",
            words["signal"],
        ],
        [
            [
                product(row["product"]),
                f"¥{_number(row['average_price'], 2)}/{names.units.get(row['product'], '')}"
                if row.get("average_price") is not None
                else "–",
                f"{_number(row['min_price'], 2)} – {_number(row['max_price'], 2)}"
                if row.get("min_price") is not None
                else "–",
                _signed(row.get("change_vs_previous_day_percent")),
                _signed(row.get("change_vs_week_before_percent")),
                translate(row["band"]) if row.get("band") else "–",
            ]
            for row in figures.get("prices") or []
        ],
        widths=(26, 20, 20, 14, 14, 12),
        align=("L", "R", "R", "R", "R", "L"),
    )

    document.heading(words["category_supply"], size=13)
    document.table(
        [words["category"], words["days_of_supply"], words["vs_previous_day"], words["outlets"]],
        [
            [
                categories.get(row["category"], row["category"]),
                _number(row.get("days_of_supply")),
                _signed(row.get("days_of_supply_change")),
                str(row.get("reporting_lines", "–")),
            ]
            for row in figures.get("city_category_supply") or []
        ],
        widths=(30, 20, 20, 15),
        align=("L", "R", "R", "R"),
    )

    document.heading(words["coverage"], size=13)
    document.table(
        [words["district"], words["reported"], words["expected"], "%"],
        [
            [
                names.regions.get(row["district"], row["district"] or "–"),
                str(row.get("reported_outlets", "–")),
                str(row.get("expected_outlets", "–")),
                _number(row.get("coverage_percent")),
            ]
            for row in figures.get("district_coverage") or []
        ],
        widths=(30, 15, 15, 15),
        align=("L", "R", "R", "R"),
    )
    return document.to_bytes()
