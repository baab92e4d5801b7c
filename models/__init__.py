"""ORM tables, one module per table or close family; imported here for Alembic."""

from models.base import Base
from models.daily_report import DailyReport, ReportRevision, RevisionKind
from models.enterprise import Enterprise, EnterpriseKind
from models.product import Product, ProductCategory, ProductUnitConversion, Unit, UnitDimension
from models.region import Region, RegionLevel
from models.store import Store, StoreKind
from models.user import ApiKey, Role, User, UserSession

__all__ = [
    "ApiKey",
    "Base",
    "DailyReport",
    "Enterprise",
    "EnterpriseKind",
    "Product",
    "ProductCategory",
    "ProductUnitConversion",
    "Region",
    "RegionLevel",
    "ReportRevision",
    "RevisionKind",
    "Role",
    "Store",
    "StoreKind",
    "Unit",
    "UnitDimension",
    "User",
    "UserSession",
]
