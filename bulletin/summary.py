"""The bulletin's summary sentences, written from its tables with fixed templates.

Each sentence is a template keyed by a message id (English and Chinese side by side in
``TEMPLATES``, ready to move into gettext catalogues) filled only with numbers read from
``BulletinNumbers`` tables. Every number carries its ``Fact``: the table, row and column
it came from and how it was rounded, so a reader (and the tests) can trace each figure
back to its cell. Product and district names are passed in per language; prices are in
¥ per the product's unit.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import pandas as pd

from bulletin.numbers import BulletinNumbers

LANGUAGES = ("en", "zh")
TEMPLATES: dict[str, dict[str, str]] = {
    "coverage": {
        "en": "On {date}, {reported} of the {expected} outlets expected to report did so "
        "({coverage}% coverage).",
        "zh": "{date}，应报送的{expected}家网点中已有{reported}家报送，报送率{coverage}%。",
    },
    "bands": {
        "en": "Products by price signal against the pre-crisis baseline: crisis {crisis}, "
        "alert {alert}, stress {stress}, normal {normal}.",
        "zh": "与危机前基准相比，价格信号为危机的商品{crisis}种、警报{alert}种、"
        "紧张{stress}种、正常{normal}种。",
    },
    "price_up": {
        "en": "{product}: average price ¥{price} per {unit}, up {change_percent}% (¥{change}) "
        "on the previous day; signal band {band}.",
        "zh": "{product}平均零售价每{unit}¥{price}，比前一日上涨{change_percent}%"
        "（¥{change}），价格信号为{band}。",
    },
    "price_down": {
        "en": "{product}: average price ¥{price} per {unit}, down {change_percent}% "
        "(¥{change}) on the previous day; signal band {band}.",
        "zh": "{product}平均零售价每{unit}¥{price}，比前一日下降{change_percent}%"
        "（¥{change}），价格信号为{band}。",
    },
    "price_up_band_changed": {
        "en": "{product}: average price ¥{price} per {unit}, up {change_percent}% (¥{change}) "
        "on the previous day; signal band moved from {previous_band} to {band}.",
        "zh": "{product}平均零售价每{unit}¥{price}，比前一日上涨{change_percent}%"
        "（¥{change}），价格信号由{previous_band}变为{band}。",
    },
    "price_down_band_changed": {
        "en": "{product}: average price ¥{price} per {unit}, down {change_percent}% "
        "(¥{change}) on the previous day; signal band moved from {previous_band} to {band}.",
        "zh": "{product}平均零售价每{unit}¥{price}，比前一日下降{change_percent}%"
        "（¥{change}），价格信号由{previous_band}变为{band}。",
    },
    "price_up_no_baseline": {
        "en": "{product}: average price ¥{price} per {unit}, up {change_percent}% (¥{change}) "
        "on the previous day.",
        "zh": "{product}平均零售价每{unit}¥{price}，比前一日上涨{change_percent}%（¥{change}）。",
    },
    "price_down_no_baseline": {
        "en": "{product}: average price ¥{price} per {unit}, down {change_percent}% "
        "(¥{change}) on the previous day.",
        "zh": "{product}平均零售价每{unit}¥{price}，比前一日下降{change_percent}%（¥{change}）。",
    },
    "supply_drop_city": {
        "en": "City-wide days of supply of {product} fell from {previous} to {days} days "
        "({change_percent}% lower).",
        "zh": "全市{product}可销售天数由{previous}天降至{days}天（下降{change_percent}%）。",
    },
    "supply_drop_district": {
        "en": "In {district}, days of supply of {product} fell from {previous} to {days} days "
        "({change_percent}% lower).",
        "zh": "{district}{product}可销售天数由{previous}天降至{days}天（下降{change_percent}%）。",
    },
    "lowest_supply": {
        "en": "Lowest city-wide days of supply: {product}, {days} days, with {stock} {unit} "
        "in stock.",
        "zh": "全市可销售天数最低的是{product}：{days}天，库存{stock}{unit}。",
    },
    "no_moves": {
        "en": "No notable price or supply moves on {date}.",
        "zh": "{date}价格和供应无明显变动。",
    },
}
BAND_NAMES: dict[str, dict[str, str]] = {
    "en": {"normal": "normal", "stress": "stress", "alert": "alert", "crisis": "crisis"},
    "zh": {"normal": "正常", "stress": "紧张", "alert": "警报", "crisis": "危机"},
}
PRICE_DECIMALS = 2
PERCENT_DECIMALS = 1
DAYS_DECIMALS = 1


@dataclass(frozen=True)
class Fact:
    """One number of a sentence: where it comes from and how it is printed."""

    name: str
    table: str
    row: Hashable | None
    column: str
    value: float
    decimals: int
    unsigned: bool = False

    @property
    def text(self) -> str:
        """Return the number as the sentence prints it (direction, if any, is in words)."""
        value = abs(self.value) if self.unsigned else self.value
        return f"{value:,.{self.decimals}f}"


@dataclass(frozen=True)
class Sentence:
    """A summary sentence: its message id, its text and the facts it states."""

    message_id: str
    text: str
    facts: tuple[Fact, ...]


def summary_sentences(
    *,
    numbers: BulletinNumbers,
    language: str,
    product_names: Mapping[str, str],
    units: Mapping[str, str],
    district_names: Mapping[str, str] | None = None,
    max_moves: int = 5,
) -> list[Sentence]:
    """Return the bulletin's summary sentences in one language, each number from a table.

    Coverage, the count of products per price band, up to ``max_moves`` notable moves in
    their rank order (or a sentence saying there were none) and the product with the
    lowest city-wide days of supply. Names and units come from the caller's mappings,
    keyed by product and district codes; a code without a name is printed as is.
    """
    if language not in LANGUAGES:
        raise ValueError(f"no summary templates for language {language!r}")
    band_names = BAND_NAMES[language]
    day = numbers.business_date.isoformat()

    def write(message_id: str, facts: list[Fact], **words: str) -> Sentence:
        """Return the sentence of ``message_id`` filled with the facts and words."""
        values = {fact.name: fact.text for fact in facts}
        text = TEMPLATES[message_id][language].format(**values, **words)
        return Sentence(message_id=message_id, text=text, facts=tuple(facts))

    def cell(name: str, table: str, row: Hashable | None, column: str, decimals: int) -> Fact:
        """Return a fact holding one cell of a bulletin table, read from the table itself."""
        return _cell_fact(
            numbers=numbers, name=name, table=table, row=row, column=column, decimals=decimals
        )

    sentences = []
    if numbers.city_coverage["expected_outlets"] > 0:
        coverage_facts = [
            cell("reported", "city_coverage", None, "reported_outlets", 0),
            cell("expected", "city_coverage", None, "expected_outlets", 0),
            cell("coverage", "city_coverage", None, "coverage_percent", PERCENT_DECIMALS),
        ]
        sentences.append(write("coverage", coverage_facts, date=day))
    band_facts = [cell(band, "band_counts", None, band, 0) for band in band_names]
    sentences.append(write("bands", band_facts))

    moves = numbers.notable_moves.head(max_moves)
    for rank, move in moves.iterrows():
        product = str(move["product"])
        name = product_names.get(product, product)
        change_percent = _cell_fact(
            numbers=numbers,
            name="change_percent",
            table="notable_moves",
            row=rank,
            column="change_percent",
            decimals=PERCENT_DECIMALS,
            unsigned=True,
        )
        if move["kind"] == "price":
            change = _cell_fact(
                numbers=numbers,
                name="change",
                table="notable_moves",
                row=rank,
                column="change",
                decimals=PRICE_DECIMALS,
                unsigned=True,
            )
            direction = "up" if move["change"] >= 0 else "down"
            if pd.isna(move["band"]):
                band_clause = "_no_baseline"
            elif pd.notna(move["band_steps"]) and move["band_steps"] != 0:
                band_clause = "_band_changed"
            else:
                band_clause = ""
            price_facts = [
                cell("price", "notable_moves", rank, "value", PRICE_DECIMALS),
                change_percent,
                change,
            ]
            sentences.append(
                write(
                    f"price_{direction}{band_clause}",
                    price_facts,
                    product=name,
                    unit=units.get(product, ""),
                    band=band_names.get(str(move["band"]), ""),
                    previous_band=band_names.get(str(move["previous_band"]), ""),
                )
            )
            continue
        supply_facts = [
            cell("previous", "notable_moves", rank, "previous_value", DAYS_DECIMALS),
            cell("days", "notable_moves", rank, "value", DAYS_DECIMALS),
            change_percent,
        ]
        district = move["district"]
        if district is None or pd.isna(district):
            sentences.append(write("supply_drop_city", supply_facts, product=name))
        else:
            district_name = (district_names or {}).get(str(district), str(district))
            sentences.append(
                write("supply_drop_district", supply_facts, product=name, district=district_name)
            )
    if moves.empty:
        sentences.append(write("no_moves", [], date=day))

    supplied = numbers.city_supply["days_of_supply"].dropna()
    if not supplied.empty:
        lowest = supplied.idxmin()
        lowest_facts = [
            cell("days", "city_supply", lowest, "days_of_supply", DAYS_DECIMALS),
            cell("stock", "city_supply", lowest, "stock", 0),
        ]
        product = str(lowest)
        sentences.append(
            write(
                "lowest_supply",
                lowest_facts,
                product=product_names.get(product, product),
                unit=units.get(product, ""),
            )
        )
    return sentences


def _cell_fact(
    *,
    numbers: BulletinNumbers,
    name: str,
    table: str,
    row: Hashable | None,
    column: str,
    decimals: int,
    unsigned: bool = False,
) -> Fact:
    """Return a fact holding one cell of a bulletin table (a one-row table has no row)."""
    frame = getattr(numbers, table)
    value = frame[column] if row is None else frame.loc[row, column]
    return Fact(
        name=name,
        table=table,
        row=row,
        column=column,
        value=math.nan if pd.isna(value) else float(value),
        decimals=decimals,
        unsigned=unsigned,
    )
