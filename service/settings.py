"""Runtime configuration, read from ``SUPPLYWATCH_*`` environment variables.

One settings class for the whole service so that every limit a client can hit is
named, documented and changeable without code.
"""

from __future__ import annotations

from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="SUPPLYWATCH_", env_file=None, extra="ignore")

    database_url: str = Field(
        default="sqlite:///./var/supplywatch.db",
        description="SQLAlchemy URL; SQLite by default, postgresql+psycopg:// in production.",
    )
    read_database_url: str | None = Field(
        default=None,
        description=(
            "A streaming replica's URL for reads that tolerate a little lag (dashboards, "
            "supply and history, the public board and bulletins); the primary when unset "
            "or unreachable."
        ),
    )
    timezone: str = Field(default="Asia/Shanghai", description="The city's time zone.")
    admin_token: str | None = Field(
        default=None, description="An admin API key that is ensured to exist at start."
    )
    base_url: str = Field(default="http://127.0.0.1:8000", description="Public URL of the service.")

    max_body_bytes: int = Field(default=2 * 1024 * 1024, gt=0)
    max_upload_bytes: int = Field(default=128 * 1024 * 1024, gt=0)
    max_report_lines: int = Field(default=500, gt=0)
    max_bulk_rows: int = Field(default=1_000_000, gt=0)
    max_listed_errors: int = Field(default=1000, gt=0)
    max_page_size: int = Field(default=500, gt=0)
    max_report_age_days: int = Field(default=400, gt=0)
    max_quantity: float = Field(default=10_000_000.0, gt=0)
    max_price: float = Field(default=100_000.0, gt=0)

    database_lock_wait_seconds: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="How long a write waits for another's SQLite write lock before the "
        "request is refused with 503 and Retry-After.",
    )

    webhook_allowed_networks: list[str] = Field(
        default_factory=list,
        description="Private networks webhooks may reach, as CIDR (JSON list in the env).",
    )
    login_address_attempts: int = Field(
        default=10, gt=0, description="Password attempts one client address may make per window."
    )
    login_address_window_seconds: int = Field(default=900, gt=0)
    login_max_failures: int = Field(
        default=20, gt=0, description="Failures of one account before it may lock."
    )
    login_lock_addresses: int = Field(
        default=3, gt=0, description="Distinct failing addresses needed to lock an account."
    )
    login_lockout_seconds: int = Field(default=300, gt=0)
    login_longest_lockout_seconds: int = Field(default=3600, gt=0)
    session_hours: int = Field(default=12, gt=0)

    report_retention_months: int | None = Field(
        default=None,
        ge=1,
        description=(
            "PostgreSQL: whole months of report lines and supply snapshots kept before the "
            "current one; older monthly partitions are detached into the supplywatch_archive "
            "schema. Unset keeps everything."
        ),
    )
    job_retention_days: int = Field(
        default=30,
        ge=1,
        description="Days finished plan jobs and background jobs (queued uploads, pass "
        "PDFs, with their files) are kept; the scheduler deletes older ones before each run.",
    )
    job_silent_minutes: int = Field(
        default=15,
        ge=1,
        description="Minutes a queued or running plan job or background job may show no "
        "life (no progress written) before the scheduler sends it to the queue again, its "
        "process taken to have stopped.",
    )
    max_unfinished_jobs: int = Field(
        default=5,
        ge=1,
        le=1000,
        description="Jobs one key or person may have queued or running at a time, every "
        "kind together (bulk report files, pass PDFs, plan solves, monitor runs it asked "
        "for, and long work it runs inside a request); one more is refused with 429 and "
        "Retry-After until one ends.",
    )
    job_max_attempts: int = Field(
        default=3,
        ge=1,
        description="Starts after which an interrupted job is failed instead of sent again.",
    )
    monitor_interval_minutes: int = Field(
        default=60, gt=0, le=24 * 60, description="How often the scheduler runs the monitor."
    )
    report_cutoff_hour: int = Field(
        default=10, ge=0, le=23, description="Local hour on D+1 by which D's report is due."
    )
    monitor_read_connections: int = Field(
        default=2,
        ge=1,
        le=16,
        description="Connections a monitor run reads the report window with on PostgreSQL "
        "(about one per core the database can spare).",
    )
    monitor_forecast_threads: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Threads a monitor run computes the stock-out forecast on (about one "
        "per core the run's process may use; 1 for workers that share the cores).",
    )
    monitor_incremental: bool = Field(
        default=False,
        description="A monitor run reads each store's kept state and the store-days "
        "changed since (report_changes) instead of the whole report window. Off by "
        "default: measured slower and heavier than the full read (docs/monitor.md).",
    )
    low_supply_method: Literal["forecast", "cover"] = Field(
        default="forecast",
        description="How the store low_supply warning decides: each line's stock-out "
        "forecast (docs/forecast.md) or days of supply below the level (`cover`, "
        "DESIGN.md's rule with the refill check).",
    )
    monitor_part_stores: int = Field(
        default=2000,
        ge=1,
        description="About how many stores (whole districts) one part of a monitor run "
        "fanned out over workers holds.",
    )
    monitor_part_timeout_seconds: float = Field(
        default=3600.0,
        gt=0,
        description="How long a monitor run fanned out over workers waits for all its "
        "parts before it fails (the previous results are kept).",
    )
    broker_url: str | None = Field(
        default=None,
        description="The task queue's broker (RabbitMQ: amqp://user:password@host:5672//). "
        "Set, monitor runs are fanned out by region to `supplywatch worker` processes; "
        "unset, they run in the process that starts them.",
    )
    task_queue: str = Field(
        default="supplywatch",
        min_length=1,
        max_length=100,
        description="The broker queue the workers take tasks from.",
    )
    scheduler_in_process: bool = Field(
        default=False,
        description="Run the scheduler inside the web process (set by `serve` with 1 worker).",
    )
    notification_max_attempts: int = Field(
        default=30, gt=0, le=1000, description="Tries before a notification is given up (~1 day)."
    )
    notification_base_delay_seconds: float = Field(default=30.0, gt=0)
    notification_max_delay_seconds: float = Field(default=3600.0, gt=0)

    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token a Prometheus scraper sends to read /metrics from any address.",
    )
    metrics_allowed_networks: list[str] = Field(
        default=["127.0.0.1/32", "::1/128"],
        description="Client networks that read /metrics without the token, as a JSON list "
        "of CIDRs; the default is the machine itself, [] requires the token everywhere.",
    )
    forwarded_allow_ips: list[str] = Field(
        default_factory=list,
        description="Addresses or CIDR networks of the reverse proxies whose X-Forwarded-For "
        "and X-Forwarded-Proto `supplywatch serve` believes, as a JSON list; the default [] "
        "believes no one, so no local process can choose the client address.",
    )
    hotline_public_tickets_per_hour: int = Field(
        default=5, gt=0, le=1000, description="Tickets one address may file per hour on the form."
    )
    complaint_cluster_count: int = Field(
        default=5, gt=1, le=10_000, description="Tickets about one thing in a district that alert."
    )
    complaint_cluster_hours: int = Field(default=24, gt=0, le=24 * 14)
    pdf_font_file: Path = Field(
        default=Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
        description="CJK font (TrueType/OpenType, or a .ttc collection: its Simplified "
        "Chinese face is used) embedded in printable PDFs; without it PDFs answer 503.",
    )
    passes_signing_key_file: Path = Field(
        default=Path("var/passes/signing.pem"),
        description="PEM file of the Ed25519 key that signs passes and revocation lists; "
        "created owner-only (0600) on first start when missing. Never in the database.",
    )
    passes_retired_keys_file: Path | None = Field(
        default=None,
        description="A published key set (JSON) of retired signing keys whose passes stay "
        "valid until they expire (after a rotation).",
    )
    passes_issuer: str = Field(
        default="CN-410400-SWB",
        min_length=1,
        max_length=64,
        description="The issuing bureau named in every pass and revocation list; the default "
        "is the demo city's (Pingdingshan, 410400): set your own.",
    )
    passes_max_days: int = Field(
        default=90, gt=0, le=366, description="Longest validity of one pass, in days."
    )

    log_json: bool = True
    log_level: str = "INFO"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        ZoneInfo(value)
        return value

    @field_validator("metrics_allowed_networks", "forwarded_allow_ips")
    @classmethod
    def _known_networks(cls, value: list[str]) -> list[str]:
        for network in value:
            ip_network(network, strict=False)
        return value

    @model_validator(mode="after")
    def _retention_keeps_every_postable_day(self) -> Settings:
        """A store may still post or correct a day up to max_report_age_days old: its month
        must not be archived yet (28 days is the shortest month)."""
        months = self.report_retention_months
        if months is not None and months * 28 < self.max_report_age_days:
            raise ValueError(
                f"report_retention_months={months} would archive months a store may still "
                f"post for (max_report_age_days={self.max_report_age_days}); keep at least "
                f"{-(-self.max_report_age_days // 28)} months or lower max_report_age_days"
            )
        return self

    @property
    def metrics_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        """The networks allowed to read /metrics without the token."""
        return tuple(ip_network(network, strict=False) for network in self.metrics_allowed_networks)

    @property
    def zone(self) -> ZoneInfo:
        """The city's time zone as an object."""
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        """True when the configured database is a SQLite file."""
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
