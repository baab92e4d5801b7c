"""ORM tables, one module per table or close family; imported here for Alembic."""

from models.alert import (
    Alert,
    AlertEvent,
    AlertRule,
    AlertStatus,
    RuleSetting,
    Severity,
    Silence,
    ThresholdOverride,
)
from models.base import Base
from models.daily_report import DailyReport, ReportRevision, RevisionKind
from models.enterprise import Enterprise, EnterpriseKind
from models.monitor_run import MonitorRun, RunLock, RunStatus
from models.notification import DeliveryAttempt, DeliveryState, Notification, Webhook
from models.product import Product, ProductCategory, ProductUnitConversion, Unit, UnitDimension
from models.region import Region, RegionLevel
from models.store import Store, StoreKind
from models.supply_snapshot import ReportingRate, ScopeLevel, SupplySnapshot, SupplyStatus
from models.user import ApiKey, Role, User, UserSession

__all__ = [
    "Alert",
    "AlertEvent",
    "AlertRule",
    "AlertStatus",
    "DeliveryAttempt",
    "DeliveryState",
    "MonitorRun",
    "Notification",
    "ReportingRate",
    "RuleSetting",
    "RunLock",
    "RunStatus",
    "ScopeLevel",
    "Severity",
    "Silence",
    "SupplySnapshot",
    "SupplyStatus",
    "ThresholdOverride",
    "Webhook",
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
