"""The bureau's dashboard, alert list and drill-downs as plain tables (titles and rows),
for the CSV and XLSX exports: the same numbers the pages show, from the same reads.

Titles are message ids the adapter translates; ``word`` turns the English of a status or
severity (``core.words.english``) into the reader's language."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core.text import N_
from core.words import english
from monitors.queries.alerts import AlertView
from monitors.queries.dashboard import SupplyDrillDown, UnreportedStore
from monitors.queries.supply import DistrictCategorySupply

Cell = str | int | float | None
Word = Callable[[str], str]


@dataclass(frozen=True)
class Table:
    """An exported table: column titles (message ids) and rows of cells."""

    titles: tuple[str, ...]
    rows: list[list[Cell]]


def _same(value: str) -> str:
    return value


def _named(name: str, name_zh: str | None, language: str) -> str:
    """The Chinese name for a Chinese reader when there is one, else the name."""
    return (name_zh if language == "zh" else None) or name


def _rounded(value: float | None, digits: int = 1) -> float | None:
    """A figure as the page rounds it; None (shown empty) when there is none or no end."""
    if value is None or value != value or value in (float("inf"), float("-inf")):
        return None
    return round(value, digits)


def _percent(share: float | None) -> float | None:
    return None if share is None else _rounded(100 * share)


SUPPLY_TITLES = (
    N_("District code"),
    N_("District"),
    N_("Category code"),
    N_("Category"),
    N_("Days of supply"),
    N_("Status"),
)


def supply_table(
    cells: Sequence[DistrictCategorySupply], *, language: str = "en", word: Word = _same
) -> Table:
    """The heatmap's district × category days of supply, one row per cell."""
    return Table(
        SUPPLY_TITLES,
        [
            [
                cell.district_code,
                _named(cell.district_name, cell.district_name_zh, language),
                cell.category_code,
                _named(cell.category_name, cell.category_name_zh, language),
                _rounded(cell.days_of_supply),
                word(english(cell.status)),
            ]
            for cell in cells
        ],
    )


def not_reported_table(stores: Sequence[UnreportedStore], *, language: str = "en") -> Table:
    """The active stores without a report today, by region and code, each region named in
    the reader's language."""
    return Table(
        (N_("Store"), N_("Name"), N_("Region")),
        [
            [store.code, store.name, _named(store.region_name, store.region_name_zh, language)]
            for store in stores
        ],
    )


ALERT_TITLES = (
    N_("Alert"),
    N_("Severity"),
    N_("Rule"),
    N_("Status"),
    N_("Summary"),
    N_("District"),
    N_("Store"),
    N_("Product"),
    N_("Category"),
    N_("Value"),
    N_("Threshold"),
    N_("Since"),
    N_("Last day"),
    N_("Silenced"),
    N_("Acknowledged by"),
    N_("Note"),
)


def alert_table(alerts: Sequence[AlertView], *, word: Word = _same, language: str = "en") -> Table:
    """The alerts of the list view, one row each, with what the page shows of them (the
    summaries worded by ``word``, names spelt in ``language``)."""
    return Table(
        ALERT_TITLES,
        [
            [
                alert.id,
                word(english(alert.severity)),
                word(english(alert.rule)),
                word(english(alert.status)),
                (
                    alert.summary_text.render(word, language)
                    if alert.summary_text
                    else alert.summary
                ),
                alert.district,
                alert.store,
                alert.product,
                alert.category,
                _rounded(alert.value, 2),
                _rounded(alert.threshold, 2),
                alert.first_date.isoformat(),
                alert.last_date.isoformat(),
                word("yes") if alert.silenced else word("no"),
                (alert.acknowledged_by or "").split(":")[-1] or None,
                alert.acknowledgement_note,
            ]
            for alert in alerts
        ],
    )


FIGURE_TITLES = (
    N_("Days of supply"),
    N_("Stock"),
    N_("Expected daily sales"),
    N_("Coverage (%)"),
    N_("Price"),
    N_("Status"),
)


def drill_down_table(found: SupplyDrillDown, *, word: Word = _same) -> Table:
    """A district's products (or a product's districts) worst first, as on the page."""
    first = (
        (N_("Product"), N_("Category"))
        if found.kind == "district"
        else (N_("District code"), N_("District"))
    )
    return Table(
        (*first, *FIGURE_TITLES),
        [
            [
                *(
                    (row.product, row.category)
                    if found.kind == "district"
                    else (row.scope.code, row.scope.name)
                ),
                _rounded(row.days_of_supply),
                _rounded(row.stock),
                _rounded(row.expected_daily_sales),
                _percent(row.coverage),
                _rounded(row.price, 2),
                word(english(row.status)),
            ]
            for row in found.rows
        ],
    )


def history_table(found: SupplyDrillDown, *, word: Word = _same) -> Table:
    """The chosen product's numbers over time, oldest day first, as the page's chart."""
    return Table(
        (N_("Business day"), *FIGURE_TITLES),
        [
            [
                point.date.isoformat(),
                _rounded(point.days_of_supply),
                _rounded(point.stock),
                _rounded(point.expected_daily_sales),
                _percent(point.coverage),
                _rounded(point.price, 2),
                word(english(point.status)),
            ]
            for point in found.history
        ],
    )
