"""Product categories, products, units and unit conversions."""

from __future__ import annotations

import enum

from sqlalchemy import CheckConstraint, Enum, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, TimestampMixin


class UnitDimension(enum.StrEnum):
    mass = "mass"
    volume = "volume"
    count = "count"  # type: ignore[assignment]  # shadows str.count, harmlessly


class Unit(Base):
    """A unit a report may use; ``to_base`` converts it into its dimension's base unit."""

    __tablename__ = "units"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    name_zh: Mapped[str | None] = mapped_column(String(64))
    dimension: Mapped[UnitDimension] = mapped_column(
        Enum(UnitDimension, native_enum=False, length=16, validate_strings=True)
    )
    to_base: Mapped[float] = mapped_column(Float)

    __table_args__ = (CheckConstraint("to_base > 0", name="to_base_positive"),)


class ProductCategory(TimestampMixin, Base):
    __tablename__ = "product_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str | None] = mapped_column(String(200))

    products: Mapped[list[Product]] = relationship(
        "Product", lazy="raise", back_populates="category"
    )


class Product(TimestampMixin, Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str | None] = mapped_column(String(200))
    category_id: Mapped[int] = mapped_column(
        ForeignKey("product_categories.id", ondelete="RESTRICT"), index=True
    )
    unit: Mapped[str] = mapped_column(ForeignKey("units.code", ondelete="RESTRICT"))
    kg_per_unit: Mapped[float] = mapped_column(Float)
    shelf_life_days: Mapped[int | None]
    typical_price: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(default=True)

    category: Mapped[ProductCategory] = relationship(
        "ProductCategory", lazy="raise", back_populates="products"
    )
    conversions: Mapped[list[ProductUnitConversion]] = relationship(
        "ProductUnitConversion", lazy="raise", back_populates="product"
    )

    __table_args__ = (CheckConstraint("kg_per_unit > 0", name="kg_per_unit_positive"),)


class ProductUnitConversion(Base):
    """A unit of another dimension that one product may be reported in (a box of 30 eggs)."""

    __tablename__ = "product_unit_conversions"

    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    unit: Mapped[str] = mapped_column(
        ForeignKey("units.code", ondelete="RESTRICT"), primary_key=True
    )
    factor: Mapped[float] = mapped_column(Float)

    product: Mapped[Product] = relationship("Product", lazy="raise", back_populates="conversions")

    __table_args__ = (CheckConstraint("factor > 0", name="factor_positive"),)
