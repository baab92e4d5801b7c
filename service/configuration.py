"""The service's settings turned into the explicit parameters each domain takes.

Domains never read ``Settings``; adapters build their parameters here, once.
"""

from __future__ import annotations

from datetime import date, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from accounts.authentication import LoginLimits
from core.clock import business_day_today
from hotline.escalation import ClusterSettings
from monitors.computing.reporting import ReportingSettings
from monitors.computing.supply import SupplySettings
from monitors.notifications.receivers import ReceiverPolicy
from monitors.running.runs import MonitorConfig
from pass_office.authority import PassAuthority
from passes import KeyRing, PublicKeySet, load_or_create_signing_key
from reports.submissions import IngestLimits
from reports.validation import ReportRules
from service.settings import Settings
from supply_network.rules import BoardLimits


def business_today(settings: Settings) -> date:
    """Today's business day in the city's time zone."""
    return business_day_today(settings.zone)


def oldest_postable_day(settings: Settings) -> date:
    """The oldest business day a store may still post or correct (the partitions' first)."""
    return business_today(settings) - timedelta(days=settings.max_report_age_days)


def report_rules(settings: Settings, *, day: date | None = None) -> ReportRules:
    """The line limits in force, checked against ``day`` (default: today's business day)."""
    return ReportRules(
        today=day or business_today(settings),
        max_age_days=settings.max_report_age_days,
        max_quantity=settings.max_quantity,
        max_price=settings.max_price,
    )


def ingest_limits(settings: Settings) -> IngestLimits:
    """How much one report or upload may carry."""
    return IngestLimits(
        max_report_lines=settings.max_report_lines,
        max_bulk_rows=settings.max_bulk_rows,
        max_listed_errors=settings.max_listed_errors,
    )


def monitor_config(settings: Settings) -> MonitorConfig:
    """The monitor's configuration from the service settings."""
    return MonitorConfig(
        supply=SupplySettings(warning_method=settings.low_supply_method),
        reporting=ReportingSettings(cutoff_hour=settings.report_cutoff_hour),
        timezone=settings.zone,
        external_url=settings.base_url.rstrip("/"),
        read_connections=settings.monitor_read_connections,
        forecast_threads=settings.monitor_forecast_threads,
        part_stores=settings.monitor_part_stores,
        incremental=settings.monitor_incremental,
        part_timeout_seconds=settings.monitor_part_timeout_seconds,
    )


def board_limits(settings: Settings) -> BoardLimits:
    """The largest quantity and price a posting, a registry line or an order may carry:
    the same ceilings as a report line."""
    return BoardLimits(max_quantity=settings.max_quantity, max_price=settings.max_price)


def login_limits(settings: Settings) -> LoginLimits:
    """How sign-in is throttled per client address and per account."""
    return LoginLimits(
        address_attempts=settings.login_address_attempts,
        address_window=timedelta(seconds=settings.login_address_window_seconds),
        account_failures=settings.login_max_failures,
        account_addresses=settings.login_lock_addresses,
        lockout=timedelta(seconds=settings.login_lockout_seconds),
        longest_lockout=timedelta(seconds=settings.login_longest_lockout_seconds),
    )


def receiver_policy(settings: Settings) -> ReceiverPolicy:
    """Which private networks webhooks may reach besides public addresses."""
    return ReceiverPolicy.allowing(settings.webhook_allowed_networks)


def complaint_cluster_settings(settings: Settings) -> ClusterSettings:
    """When tickets about one thing in one district make a ``complaint_cluster`` alert."""
    return ClusterSettings(
        count=settings.complaint_cluster_count, hours=settings.complaint_cluster_hours
    )


def pass_authority(settings: Settings) -> PassAuthority:
    """The issuer and key ring passes are signed with: the active key from its file
    (created owner-only when missing), retired public keys from the published set (none
    while its file does not exist: no key has been rotated out yet)."""
    active = load_or_create_signing_key(path=settings.passes_signing_key_file)
    retired: tuple[Ed25519PublicKey, ...] = ()
    if settings.passes_retired_keys_file is not None and settings.passes_retired_keys_file.exists():
        published = PublicKeySet.from_json(settings.passes_retired_keys_file.read_bytes())
        retired = tuple(
            key
            for kid in published
            if kid != active.kid and (key := published.get(kid)) is not None
        )
    return PassAuthority(
        issuer=settings.passes_issuer,
        keys=KeyRing(active=active, retired=retired),
    )
