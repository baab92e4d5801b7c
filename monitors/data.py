"""Reading what a monitor run needs into data frames, with few, set-based queries.

Report lines of the look-back window are the bulk of it (8.4 M rows for a province):
PostgreSQL streams them with ``COPY … TO STDOUT`` straight into pandas; SQLite reads
them through one cursor.
"""

from __future__ import annotations

import io
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import (
    DailyReport,
    Product,
    ProductCategory,
    Region,
    RegionLevel,
    Store,
    ThresholdOverride,
)

REPORT_COLUMNS = ["store_id", "product_id", "report_date", "stock", "sales", "price"]


def load_regions(session: Session) -> pd.DataFrame:
    """Every region with its district and city ancestors (``district_id``, ``city_id``)."""
    regions = pd.DataFrame(
        session.execute(
            select(Region.id, Region.code, Region.parent_id, Region.level, Region.name)
        ).all(),
        columns=["region_id", "code", "parent_id", "level", "name"],
    )
    if regions.empty:
        return regions.assign(
            district_id=pd.Series(dtype="Int64"), city_id=pd.Series(dtype="Int64")
        )
    regions["level"] = regions["level"].map(lambda level: getattr(level, "value", level))
    parent = dict(zip(regions["region_id"], regions["parent_id"], strict=True))
    level = dict(zip(regions["region_id"], regions["level"], strict=True))

    def ancestor(region_id: int, wanted: str) -> int | None:
        current: int | None = region_id
        for _ in range(16):  # the tree is shallow; the bound guards against a cycle
            if current is None or pd.isna(current):
                return None
            if level.get(current) == wanted:
                return int(current)
            current = parent.get(current)
        return None

    regions["district_id"] = pd.array(
        [ancestor(r, RegionLevel.district.value) for r in regions["region_id"]], dtype="Int64"
    )
    regions["city_id"] = pd.array(
        [ancestor(r, RegionLevel.city.value) for r in regions["region_id"]], dtype="Int64"
    )
    return regions


def load_stores(session: Session, regions: pd.DataFrame) -> pd.DataFrame:
    """Stores with their district and city (a store sits in a township or district)."""
    stores = pd.DataFrame(
        session.execute(select(Store.id, Store.code, Store.region_id, Store.active)).all(),
        columns=["store_id", "code", "region_id", "active"],
    ).astype({"store_id": "int64", "region_id": "int64", "active": "bool"})
    ancestors = regions.set_index("region_id")[["district_id", "city_id"]]
    stores = stores.join(ancestors, on="region_id")
    # A store filed directly under a city has no district; it counts for the city only.
    stores["district_id"] = stores["district_id"].astype("Int64")
    stores["city_id"] = stores["city_id"].astype("Int64")
    return stores


def load_products(session: Session) -> pd.DataFrame:
    """Products with their category code and id, and weight per unit."""
    return pd.DataFrame(
        session.execute(
            select(
                Product.id,
                Product.code,
                ProductCategory.code,
                ProductCategory.id,
                Product.kg_per_unit,
                Product.active,
            ).join(ProductCategory, Product.category_id == ProductCategory.id)
        ).all(),
        columns=["product_id", "code", "category", "category_id", "kg_per_unit", "active"],
    ).astype(
        {"product_id": "int64", "category_id": "int64", "kg_per_unit": "float64", "active": "bool"}
    )


def load_report_window(session: Session, *, first_day: date, last_day: date) -> pd.DataFrame:
    """Report lines with ``first_day ≤ report_date ≤ last_day``, compactly typed."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        query = (
            "COPY (SELECT store_id, product_id, report_date, stock, sales, price "
            f"FROM daily_reports WHERE report_date BETWEEN '{first_day.isoformat()}' "
            f"AND '{last_day.isoformat()}') "
            "TO STDOUT WITH (FORMAT csv)"
        )
        buffer = io.BytesIO()
        dbapi = connection.connection.driver_connection
        assert dbapi is not None
        with dbapi.cursor() as cursor, cursor.copy(query) as copy:
            for chunk in copy:
                buffer.write(chunk)
        buffer.seek(0)
        frame = pd.read_csv(
            buffer,
            names=REPORT_COLUMNS,
            dtype={
                "store_id": "int32",
                "product_id": "int32",
                "stock": "float64",
                "sales": "float64",
                "price": "float64",
            },
            parse_dates=["report_date"],
        )
    else:
        rows = connection.exec_driver_sql(
            "SELECT store_id, product_id, report_date, stock, sales, price FROM daily_reports "
            "WHERE report_date BETWEEN ? AND ?",
            (first_day.isoformat(), last_day.isoformat()),
        ).all()
        frame = pd.DataFrame(rows, columns=REPORT_COLUMNS)
        frame["report_date"] = pd.to_datetime(frame["report_date"], format="%Y-%m-%d")
        frame = frame.astype(
            {
                "store_id": "int32",
                "product_id": "int32",
                "stock": "float64",
                "sales": "float64",
                "price": "float64",
            }
        )
    return frame


def load_submissions(session: Session, *, first_day: date, last_day: date) -> pd.DataFrame:
    """When each store's report for each day first arrived (for on-time rates)."""
    rows = session.execute(
        select(
            DailyReport.store_id,
            DailyReport.report_date,
            func.min(DailyReport.created_at),
        )
        .where(DailyReport.report_date.between(first_day, last_day))
        .group_by(DailyReport.store_id, DailyReport.report_date)
    ).all()
    frame = pd.DataFrame(rows, columns=["store_id", "report_date", "first_received_at"])
    frame["first_received_at"] = pd.to_datetime(frame["first_received_at"], utc=True)
    return frame


def load_threshold_overrides(
    session: Session,
) -> tuple[dict[str, dict[str, object]], dict[int, dict[str, object]]]:
    """Stored overrides as (by category code, by product id)."""
    by_category: dict[str, dict[str, object]] = {}
    by_product: dict[int, dict[str, object]] = {}
    category_codes = dict(session.execute(select(ProductCategory.id, ProductCategory.code)).all())
    for override in session.scalars(select(ThresholdOverride)):
        if override.product_id is not None:
            by_product[override.product_id] = dict(override.changes)
        elif override.category_id is not None:
            by_category[str(category_codes[override.category_id])] = dict(override.changes)
    return by_category, by_product


def window_start(business_date: date, days: int) -> date:
    """The first day of a ``days``-long window ending on ``business_date``."""
    return business_date - timedelta(days=days - 1)
