"""The catalogue a request resolves codes against: stores, products and units.

Loaded once per request, so validation turns codes into ids and converts units
set-based (kg, jin = 0.5 kg, g, t, L, piece, box, bag, and per-product units).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import pandas as pd
from sqlalchemy import ARRAY, ColumnElement, Select, String, any_, bindparam, select
from sqlalchemy.orm import Session

from core.text import Text, echoed, phrase
from models import Product, ProductUnitConversion, Store, Unit

_NO_STORES = pd.DataFrame(columns=["id", "enterprise_id", "active"])  # never modified


class CatalogProduct(NamedTuple):
    """What validation needs of a product: its id, canonical unit and whether it is active
    (a named tuple: built for every line of every report, ten times cheaper than a frozen
    dataclass)."""

    id: int
    unit: str
    active: bool


def _named_products(named: ColumnElement[bool]) -> Select[str, int, str, bool, str, float]:
    """The products ``named`` picks, each with its special units (one row per unit)."""
    conversion = ProductUnitConversion
    return (
        select(
            Product.code,
            Product.id,
            Product.unit,
            Product.active,
            conversion.unit,
            conversion.factor,
        )
        .outerjoin(conversion, conversion.product_id == Product.id)
        .where(named)
    )


# Built once: constructing the statement and its cache key cost more than running it.
# PostgreSQL takes one array parameter rather than an IN list of as many as there are lines.
_NAMED_PRODUCTS_ANY = _named_products(
    Product.code == any_(bindparam("product_codes", type_=ARRAY(String)))
)
_NAMED_PRODUCTS_IN = _named_products(Product.code.in_(bindparam("product_codes", expanding=True)))


@dataclass
class Catalog:
    """Stores, products and units, loaded once per request to resolve codes set-based."""

    stores: pd.DataFrame  # index code → id, enterprise_id, active
    products: dict[str, CatalogProduct]  # code → product
    unit_to_base: dict[str, tuple[str, float]]  # unit → (dimension, size in base unit)
    product_units: dict[tuple[int, str], float] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, *, store_codes: list[str] | None = None) -> Catalog:
        """Read what validation needs; ``store_codes`` narrows the store lookup."""
        store_query = select(Store.code, Store.id, Store.enterprise_id, Store.active)
        if store_codes is not None and len(store_codes) <= 500:
            store_query = store_query.where(Store.code.in_(store_codes))
        stores = pd.DataFrame(
            session.execute(store_query).all(), columns=["code", "id", "enterprise_id", "active"]
        ).set_index("code")
        products = {
            code: CatalogProduct(id=product_id, unit=unit, active=active)
            for code, product_id, unit, active in session.execute(
                select(Product.code, Product.id, Product.unit, Product.active)
            )
        }
        units = {
            code: (str(dimension), float(size))
            for code, dimension, size in session.execute(
                select(Unit.code, Unit.dimension, Unit.to_base)
            )
        }
        product_units = {
            (product_id, unit): float(factor)
            for product_id, unit, factor in session.execute(
                select(
                    ProductUnitConversion.product_id,
                    ProductUnitConversion.unit,
                    ProductUnitConversion.factor,
                )
            )
        }
        return cls(
            stores=stores, products=products, unit_to_base=units, product_units=product_units
        )

    @classmethod
    def for_report(cls, session: Session, *, product_codes: list[str], with_units: bool) -> Catalog:
        """Only what one store's report needs, in one round trip: the named products with
        their special units (no store: the report already has it); the unit table too
        when ``with_units`` (some line names a unit of its own)."""
        connection = session.connection()
        postgresql = connection.dialect.name == "postgresql"
        rows = connection.execute(
            _NAMED_PRODUCTS_ANY if postgresql else _NAMED_PRODUCTS_IN,
            {"product_codes": product_codes},
        ).all()
        products: dict[str, CatalogProduct] = {}
        product_units: dict[tuple[int, str], float] = {}
        for code, product_id, unit, active, special_unit, factor in rows:
            products[code] = CatalogProduct(product_id, unit, active)
            if special_unit is not None:
                product_units[product_id, special_unit] = float(factor)
        units = {
            code: (str(dimension), float(size))
            for code, dimension, size in (
                connection.execute(select(Unit.code, Unit.dimension, Unit.to_base))
                if with_units
                else []
            )
        }
        return cls(
            stores=_NO_STORES,
            products=products,
            unit_to_base=units,
            product_units=product_units,
        )

    def product_frame(self, codes: pd.Index) -> pd.DataFrame:
        """Id, unit and active flag of each code in ``codes`` (NaN for unknown codes)."""
        known = pd.DataFrame(
            [(code, p.id, p.unit, p.active) for code, p in self.products.items()],
            columns=["code", "id", "unit", "active"],
        ).set_index("code")
        return known.reindex(codes)

    def conversion_factor(self, product_id: int, canonical_unit: str, unit: str) -> float | Text:
        """How many canonical units one ``unit`` is for this product, or why it cannot be."""
        if unit == canonical_unit:
            return 1.0
        special = self.product_units.get((product_id, unit))
        if special is not None:
            return special
        if unit not in self.unit_to_base:
            known = ", ".join(sorted(self.unit_to_base))
            return phrase("unknown unit {unit!r} (known: {known})", unit=echoed(unit), known=known)
        dimension, size = self.unit_to_base[unit]
        canonical_dimension, canonical_size = self.unit_to_base[canonical_unit]
        if dimension != canonical_dimension or dimension == "count":
            return phrase(
                "unit {unit!r} cannot be converted to this product's unit {canonical!r}",
                unit=echoed(unit),
                canonical=canonical_unit,
            )
        return size / canonical_size
