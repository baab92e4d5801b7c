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
from models.background_job import BackgroundJob, JobKind
from models.base import Base
from models.bulletin import Bulletin, BulletinStatus
from models.compound import Compound, LockdownStatus
from models.daily_report import DailyReport, ReportRevision, RevisionKind
from models.delivery import Delivery, DeliveryEvent, DeliveryStatus
from models.delivery_request import (
    DeliveryRequest,
    DeliveryRequestItem,
    RequestPriority,
    RequestStatus,
)
from models.dispatch_plan import (
    DispatchPlan,
    PlanRoute,
    PlanStatus,
    PlanStop,
    PlanUnassigned,
    UnassignedReason,
)
from models.enterprise import Enterprise, EnterpriseKind
from models.fleet import Depot, Truck, TruckStatus
from models.hotline import (
    AssignmentLevel,
    CallerKind,
    RoutingRule,
    SlaTargetSetting,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketEvent,
    TicketPriority,
    TicketStatus,
    WorkingGroup,
    WorkingGroupMember,
)
from models.login_throttle import LoginAddress, LoginFailure
from models.monitor_run import MonitorRun, MonitorRunPart, PartStatus, RunLock, RunStatus
from models.monitor_state import MonitorLineState, ReportChange
from models.notification import DeliveryAttempt, DeliveryState, Notification, Webhook
from models.officer import OfficerAssignment, OfficerVisit, VisitMode, VisitProblem
from models.plan_job import JobStatus, PlanJob
from models.producer import Producer, ProducerKind, ProducerProduct
from models.product import Product, ProductCategory, ProductUnitConversion, Unit, UnitDimension
from models.region import Region, RegionLevel
from models.region_lockdown import RegionLockdown
from models.region_outline import RegionOutline
from models.store import Store, StoreKind
from models.supply_board import (
    Answer,
    BuyerKind,
    MatchRun,
    OrderStatus,
    PostingStatus,
    Proposal,
    ProposalStatus,
    SupplyNeed,
    SupplyOffer,
    SupplyOrder,
    SupplyOrderEvent,
)
from models.supply_snapshot import ReportingRate, ScopeLevel, SupplySnapshot, SupplyStatus
from models.transport_pass import (
    Checkpoint,
    PassEvent,
    PassKind,
    PassScan,
    PassStatus,
    ScanResult,
    TransportPass,
)
from models.user import ApiKey, Role, User, UserSession

__all__ = [
    "OfficerAssignment",
    "OfficerVisit",
    "VisitMode",
    "VisitProblem",
    "Bulletin",
    "BulletinStatus",
    "AssignmentLevel",
    "CallerKind",
    "RoutingRule",
    "SlaTargetSetting",
    "Ticket",
    "TicketCategory",
    "TicketChannel",
    "TicketEvent",
    "TicketPriority",
    "TicketStatus",
    "WorkingGroup",
    "WorkingGroupMember",
    "Checkpoint",
    "PassEvent",
    "PassKind",
    "PassScan",
    "PassStatus",
    "ScanResult",
    "TransportPass",
    "Answer",
    "BuyerKind",
    "MatchRun",
    "OrderStatus",
    "PostingStatus",
    "Producer",
    "ProducerKind",
    "ProducerProduct",
    "Proposal",
    "ProposalStatus",
    "RegionLockdown",
    "RegionOutline",
    "SupplyNeed",
    "SupplyOffer",
    "SupplyOrder",
    "SupplyOrderEvent",
    "Compound",
    "Delivery",
    "DeliveryEvent",
    "DeliveryRequest",
    "DeliveryRequestItem",
    "DeliveryStatus",
    "Depot",
    "DispatchPlan",
    "LockdownStatus",
    "LoginAddress",
    "LoginFailure",
    "PlanRoute",
    "PlanStatus",
    "PlanStop",
    "PlanUnassigned",
    "RequestPriority",
    "RequestStatus",
    "Truck",
    "TruckStatus",
    "UnassignedReason",
    "Alert",
    "AlertEvent",
    "AlertRule",
    "AlertStatus",
    "DeliveryAttempt",
    "DeliveryState",
    "JobKind",
    "JobStatus",
    "MonitorRun",
    "PlanJob",
    "MonitorRunPart",
    "PartStatus",
    "MonitorLineState",
    "ReportChange",
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
    "BackgroundJob",
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
