"""The ``supplywatch`` command: serve, load the demo city, migrate, create keys and
users, and import report files. Each command is one unit of work."""

from __future__ import annotations

import getpass
import os
import signal
import threading
import unicodedata
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from accounts.authentication import create_api_key, create_user
from core.access import Principal
from core.database import (
    SessionFactory,
    create_database_engine,
    create_session_factory,
    session_scope,
)
from core.errors import DomainError
from core.lookups import get_optional_by_code
from core.partitions import DEFAULT_MONTHS_AHEAD, keep_partitions
from core.text import phrase
from models import Alert, AlertStatus, Enterprise, Region, Role, Store
from monitors.running.runs import MonitorRunFailed, run_monitor
from reports.submissions import import_report_file
from service.cli_passes import passes_app
from service.configuration import (
    business_today,
    ingest_limits,
    monitor_config,
    oldest_postable_day,
    pass_authority,
    report_rules,
)
from service.migrate import upgrade_to_head
from service.scheduling import build_scheduler, deliver_notifications, prune_old_jobs
from service.settings import Settings, get_settings
from service.worker import create_celery, part_queue

app = typer.Typer(
    help="supplywatch: keeps a city's essential goods flowing in an emergency.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys for machines.", no_args_is_help=True)
users_app = typer.Typer(help="People who sign in.", no_args_is_help=True)
monitor_app = typer.Typer(help="Days of supply and alerts.", no_args_is_help=True)
catalog_app = typer.Typer(help="The product catalogue.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(monitor_app, name="monitor")
app.add_typer(catalog_app, name="catalog")
app.add_typer(keys_app, name="keys")
app.add_typer(users_app, name="users")
app.add_typer(passes_app, name="passes")

CLI_PRINCIPAL = Principal("cli", 0, "command line", Role.admin)
DEMO_MONITORED_DAYS = 8


WORKER_HEALTHCHECK_S = 120
"""How long uvicorn waits for a worker to answer its health check before killing it. A
spawned worker answers only once it has imported this command's module, which takes
5-50 s on a busy machine; uvicorn's 5 s default killed and respawned every worker
forever (``supplywatch serve --workers 2`` never served at load average 10)."""


def _serve(settings: Settings, host: str, port: int, workers: int) -> None:
    """Serve with uvicorn. One scheduler per deployment: in-process only with a single
    worker, whose app is built here from these settings (settings read before the
    process changed its environment would miss it); with more workers, each builds its
    own app with the scheduler off and `supplywatch scheduler` runs beside them."""
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "access_log": False,
        "log_level": settings.log_level.lower(),
        # uvicorn believes X-Forwarded-For from 127.0.0.1 by default: any local process (or
        # a local proxy that passes the header on) would choose the address sign-in
        # throttling and the /metrics networks see. Only the configured proxies are believed.
        "proxy_headers": bool(settings.forwarded_allow_ips),
        "forwarded_allow_ips": settings.forwarded_allow_ips or None,
    }
    if workers == 1:
        from service.app import create_app

        uvicorn.run(
            create_app(settings.model_copy(update={"scheduler_in_process": True})), **options
        )
        return
    os.environ["SUPPLYWATCH_SCHEDULER_IN_PROCESS"] = "false"
    uvicorn.run(
        "service.app:create_app",
        factory=True,
        workers=workers,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
        **options,
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
) -> None:
    """Migrate the database to the newest schema, then serve the API."""
    settings = get_settings()
    upgrade_to_head(settings.database_url)
    typer.echo(f"supplywatch serving on http://{host}:{port} (database {_safe(settings)})")
    _serve(settings, host, port, workers)


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Seed of the generated city")] = 42,
    days: Annotated[int, typer.Option(min=8, max=120, help="Days of reports")] = 30,
    reset: Annotated[
        bool, typer.Option(help="Delete the SQLite database file first (a fresh demo)")
    ] = False,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve once loaded")
    ] = True,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
) -> None:
    """Load a realistic demo city (Pingdingshan-size, 30 days ending in a lockdown)
    into the configured database, print the demo logins, and serve."""
    from service.demo import load_demo_city
    from service.demo.bulletins import publish_demo_bulletins

    settings = get_settings()
    url = make_url(settings.database_url)
    if reset:
        if url.get_backend_name() != "sqlite" or not url.database:
            raise typer.BadParameter(
                "--reset only deletes a SQLite database file", param_hint="--reset"
            )
        for suffix in ("", "-wal", "-shm"):
            Path(url.database + suffix).unlink(missing_ok=True)
    upgrade_to_head(settings.database_url)
    engine = create_database_engine(settings.database_url)
    factory = create_session_factory(engine)
    with session_scope(factory) as session:
        if session.scalar(select(func.count()).select_from(Store)):
            typer.echo(
                "The database already has stores; run `supplywatch demo --reset` for a fresh "
                "SQLite demo, or point SUPPLYWATCH_DATABASE_URL at an empty database.",
                err=True,
            )
            raise typer.Exit(code=1)
        typer.echo("Loading the demo city ...")
        summary = load_demo_city(
            session,
            seed=seed,
            end_date=business_today(settings),
            days=days,
            pass_authority=pass_authority(settings),
        )
    # Play the monitor over the last days, as the scheduler would have, so there is
    # history to chart and alerts that escalated and resolved along the way.
    monitored_days = min(DEMO_MONITORED_DAYS, days)
    typer.echo(f"Running the monitor over the last {monitored_days} business days ...")
    for offset in range(monitored_days - 1, -1, -1):
        run = run_monitor(
            factory=factory,
            business_date=summary.last_date - timedelta(days=offset),
            config=monitor_config(settings),
            trigger="demo",
            requested_by="cli",
        )
    with session_scope(factory) as session:
        bulletins = publish_demo_bulletins(session, last_date=summary.last_date)
    open_alerts = _firing(factory)
    engine.dispose()
    url_text = f"http://{host}:{port}"
    typer.echo(
        f"\nDemo city loaded into {_safe(settings)}: {summary.districts} districts, "
        f"{summary.chains} chains with {summary.chain_stores} stores, {summary.markets} "
        f"farmers' markets, {summary.products} products, {summary.report_lines} report lines "
        f"from {summary.first_date} to {summary.last_date}."
    )
    typer.echo(
        f"Monitor: {run.counts.get('snapshots', 0)} supply snapshots, "
        f"{open_alerts} alerts open after {monitored_days} daily runs."
    )
    typer.echo(
        f"Dispatch: {summary.locked_compounds} of {summary.compounds} compounds locked down, "
        f"{summary.open_requests} open delivery requests ({summary.urgent_requests} urgent) for "
        f"{summary.last_date}, {summary.trucks} trucks at {summary.depots} depots: plan them with "
        f'POST /api/v1/dispatch/plans {{"date": "{summary.last_date}"}}.'
    )
    if summary.lockdown_start:
        typer.echo(
            f"Lockdown from {summary.lockdown_start}; supply disrupted from "
            f"{summary.disruption_start} in {', '.join(summary.disrupted_districts)}."
        )
    typer.echo(
        f"Supply network: {summary.producers} producers, {summary.offers} offers and "
        f"{summary.needs} needs on the board, {summary.proposals} proposals of a match run "
        f"({summary.supply_orders} accepted into orders); restock suggestions at "
        f"GET /api/v1/restock?level=district, the board at {url_text}/board."
    )
    typer.echo(f"Bulletin: {bulletins} days published, the latest at {url_text}/bulletin.")
    typer.echo(
        f"Hotline: {summary.tickets} tickets over the last week, {summary.unanswered_tickets} "
        f"never answered (their SLA alerts rise at the first escalation); the queue at "
        f"GET /api/v1/hotline/tickets?open=true."
    )
    typer.echo(
        f"Service officers: {summary.officer_assignments} key enterprises and markets "
        f"assigned to 2 officers, {summary.officer_visits} visits logged "
        f"({summary.officer_tickets} raised hotline tickets); the officer's page at "
        f"{url_text}/officers/me, the coverage at {url_text}/officers/coverage."
    )
    typer.echo(
        f"Passes: {summary.passes} transport passes and staff permits issued "
        f"({summary.revoked_pass} revoked), {summary.pass_applications} applications "
        f"waiting; public keys at GET /api/v1/passes/keys, the signed revocation list at "
        f"GET /api/v1/passes/revocations."
    )
    typer.echo(
        f"\nOpen {url_text}/ in a browser and sign in with one of these logins "
        f"(the API: {url_text}/docs, POST /api/v1/auth/login):"
    )
    login_rows = [
        [login.username, login.password, login.role.value, login.can] for login in summary.logins
    ]
    for line in _aligned_rows(login_rows):
        typer.echo(f"  {line}")
    typer.echo(
        "\nAPI keys, one per login but the service officers', who sign in with "
        "POST /api/v1/auth/login for a token (send as 'Authorization: Bearer <key>'):"
    )
    key_rows = [
        [
            key.name.removeprefix("demo "),
            key.role.value,
            f"({key.bound_to})" if key.bound_to else "",
            key.secret,
        ]
        for key in summary.api_keys
    ]
    for line in _aligned_rows(key_rows):
        typer.echo(f"  {line}")
    if serve_after:
        typer.echo(f"\nServing on {url_text} — Ctrl+C to stop.")
        _serve(served_at(settings, url_text), host, port, 1)


def served_at(settings: Settings, url: str) -> Settings:
    """The settings with the address the demo serves at as the public URL (the links a
    ticket's follow page and the bulletin's feed give), unless one was set."""
    if "base_url" in settings.model_fields_set:
        return settings
    return settings.model_copy(update={"base_url": url})


def _display_width(text: str) -> int:
    """Columns a terminal gives ``text``: a Chinese character (a plate like 豫D) takes two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _aligned_rows(rows: list[list[str]]) -> list[str]:
    """Rows of cells padded into columns as wide as their widest cell, the last unpadded."""
    if not rows:
        return []
    widths = [max(_display_width(row[column]) for row in rows) for column in range(len(rows[0]))]
    return [
        " ".join(
            cell if column == len(row) - 1 else cell + " " * (widths[column] - _display_width(cell))
            for column, cell in enumerate(row)
        )
        for row in rows
    ]


@monitor_app.command("run")
def monitor_run(
    day: Annotated[
        str | None, typer.Option("--date", help="Business day YYYY-MM-DD (default: today)")
    ] = None,
    deliver: Annotated[bool, typer.Option(help="Deliver due notifications afterwards")] = True,
) -> None:
    """Run the monitor once (for cron or a Kubernetes CronJob); exit 1 if it failed."""
    settings = get_settings()
    try:
        business_date = date.fromisoformat(day) if day else business_today(settings)
    except ValueError as error:
        raise typer.BadParameter("use YYYY-MM-DD", param_hint="--date") from error
    engine = create_database_engine(settings.database_url)
    factory = create_session_factory(engine)
    try:
        run = run_monitor(
            factory=factory,
            business_date=business_date,
            config=monitor_config(settings),
            trigger="cli",
            requested_by="cli",
            queue=part_queue(settings),
        )
    except MonitorRunFailed as error:
        typer.echo(f"monitor run for {business_date} failed: {error}", err=True)
        raise typer.Exit(code=1) from error
    finally:
        if deliver:
            deliver_notifications(settings, factory)
        engine.dispose()
    typer.echo(f"monitor run {run.id} for {business_date}: {run.status.value} {run.counts}")
    if run.status.value == "skipped":
        raise typer.Exit(code=3)


@app.command()
def worker(
    concurrency: Annotated[
        int | None,
        typer.Option(help="Tasks at once, one process each (default: one per core)"),
    ] = None,
    pool: Annotated[
        str, typer.Option(help="Celery pool: prefork (processes) or solo (this process)")
    ] = "prefork",
) -> None:
    """Run a task-queue worker: it computes the parts of monitor runs fanned out by region
    (needs SUPPLYWATCH_BROKER_URL, the same database and settings as the API)."""
    settings = get_settings()
    if not settings.broker_url:
        typer.echo("set SUPPLYWATCH_BROKER_URL (amqp://...) to run a worker", err=True)
        raise typer.Exit(code=2)
    argv = [
        "worker",
        "--loglevel=INFO",
        f"--queues={settings.task_queue}",
        f"--pool={pool}",
        f"--hostname=supplywatch-{os.getpid()}@%h",
        "--without-gossip",
        "--without-mingle",
    ]
    if concurrency is not None:
        argv.append(f"--concurrency={concurrency}")
    create_celery(settings).worker_main(argv)


@app.command()
def scheduler() -> None:
    """Run monitor runs on their schedule and deliver notifications, until stopped."""
    settings = get_settings()
    upgrade_to_head(settings.database_url)
    engine = create_database_engine(settings.database_url)
    factory = create_session_factory(engine)
    schedule = build_scheduler(settings, factory)
    stop = threading.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stop.set())
    typer.echo(
        f"scheduler: monitor every {settings.monitor_interval_minutes} min, "
        f"database {_safe(settings)}"
    )
    schedule.run(stop)
    engine.dispose()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database to the newest schema (alembic upgrade head)."""
    settings = get_settings()
    upgrade_to_head(settings.database_url)
    typer.echo(f"database {_safe(settings)} is at the newest schema")


@db_app.command("partitions")
def db_partitions(
    months_ahead: Annotated[
        int, typer.Option(min=0, max=24, help="Months after this one to make partitions for")
    ] = DEFAULT_MONTHS_AHEAD,
) -> None:
    """Make monthly partitions ahead and archive those past SUPPLYWATCH_REPORT_RETENTION_MONTHS
    (PostgreSQL; the scheduler does this before each run)."""
    settings = get_settings()
    engine = create_database_engine(settings.database_url)
    try:
        if engine.dialect.name != "postgresql":
            typer.echo("SQLite keeps one table per kind: no partitions to keep")
            return
        with engine.begin() as connection:
            upkeep = keep_partitions(
                connection,
                today=business_today(settings),
                oldest_day=oldest_postable_day(settings),
                retention_months=settings.report_retention_months,
                months_ahead=months_ahead,
            )
    finally:
        engine.dispose()
    typer.echo(f"partitions created: {', '.join(upkeep.created) or 'none'}")
    if upkeep.moved_rows:
        typer.echo(f"lines moved out of a default partition: {upkeep.moved_rows}")
    typer.echo(f"partitions archived: {', '.join(upkeep.archived) or 'none'}")


@db_app.command("prune-jobs")
def db_prune_jobs() -> None:
    """Delete the plan jobs and background jobs (queued uploads, pass PDFs) that ended more
    than SUPPLYWATCH_JOB_RETENTION_DAYS ago (the scheduler does this before each run)."""
    settings = get_settings()
    engine = create_database_engine(settings.database_url)
    try:
        pruned = prune_old_jobs(settings, create_session_factory(engine))
    finally:
        engine.dispose()
    typer.echo(
        f"deleted {pruned['background_jobs']} background job(s) and {pruned['plan_jobs']} "
        f"plan job(s) that ended more than {settings.job_retention_days} day(s) ago"
    )


@keys_app.command("create")
def keys_create(
    role: Annotated[Role, typer.Option(help="Role of the key")],
    name: Annotated[str, typer.Option(help="What the key is for")] = "created from the CLI",
    store: Annotated[str | None, typer.Option(help="Store code (store role)")] = None,
    enterprise: Annotated[str | None, typer.Option(help="Enterprise code (store role)")] = None,
    region: Annotated[
        str | None, typer.Option(help="Region code (admin or bureau bound to a region)")
    ] = None,
) -> None:
    """Create an API key; the key itself is printed alone on the last line."""
    settings = get_settings()
    engine = create_database_engine(settings.database_url)
    try:
        with session_scope(create_session_factory(engine)) as session:
            store_row = get_optional_by_code(
                session, Store, store, label=phrase("store"), field="store"
            )
            enterprise_row = get_optional_by_code(
                session, Enterprise, enterprise, label=phrase("enterprise"), field="enterprise"
            )
            region_row = get_optional_by_code(
                session, Region, region, label=phrase("region"), field="region"
            )
            key, secret = create_api_key(
                session,
                name=name,
                role=role,
                store_id=store_row.id if store_row else None,
                enterprise_id=enterprise_row.id if enterprise_row else None,
                region_id=region_row.id if region_row else None,
                created_by="cli",
            )
            typer.echo(f"created API key {key.id} ({role.value}); it is shown only once:")
            typer.echo(secret)
    except DomainError as error:
        typer.echo(f"error: {error.detail}", err=True)
        raise typer.Exit(code=2) from error
    finally:
        engine.dispose()


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Option(help="Sign-in name")],
    role: Annotated[Role, typer.Option(help="Role of the user")],
    password: Annotated[
        str | None, typer.Option(help="Password (asked for when not given)")
    ] = None,
    full_name: Annotated[str | None, typer.Option()] = None,
    store: Annotated[str | None, typer.Option(help="Store code (store role)")] = None,
    enterprise: Annotated[str | None, typer.Option(help="Enterprise code (store role)")] = None,
    region: Annotated[
        str | None, typer.Option(help="Region code (admin or bureau bound to a region)")
    ] = None,
) -> None:
    """Create a person who signs in with a password (stored as an argon2 hash)."""
    secret = password or getpass.getpass("Password: ")
    if len(secret) < 8:
        typer.echo("error: the password needs at least 8 characters", err=True)
        raise typer.Exit(code=2)
    settings = get_settings()
    engine = create_database_engine(settings.database_url)
    try:
        with session_scope(create_session_factory(engine)) as session:
            store_row = get_optional_by_code(
                session, Store, store, label=phrase("store"), field="store"
            )
            enterprise_row = get_optional_by_code(
                session, Enterprise, enterprise, label=phrase("enterprise"), field="enterprise"
            )
            region_row = get_optional_by_code(
                session, Region, region, label=phrase("region"), field="region"
            )
            create_user(
                session,
                username=username,
                password=secret,
                role=role,
                full_name=full_name,
                store_id=store_row.id if store_row else None,
                enterprise_id=enterprise_row.id if enterprise_row else None,
                region_id=region_row.id if region_row else None,
            )
        typer.echo(f"created user {username} ({role.value})")
    except DomainError as error:
        typer.echo(f"error: {error.detail}", err=True)
        raise typer.Exit(code=2) from error
    finally:
        engine.dispose()


@catalog_app.command("load")
def catalog_load(
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            exists=True,
            dir_okay=False,
            help="A CSV or XLSX with the packaged catalogue's columns (code, name_en, "
            "category, unit, kg_per_unit[, name_zh, typical_price_cny, shelf_life_days]); "
            "default: the 53 goods the demo uses",
        ),
    ] = None,
    update: Annotated[
        bool,
        typer.Option(
            "--update",
            help="Give products that differ from the file the file's values "
            "(default: keep them as an admin left them)",
        ),
    ] = False,
) -> None:
    """Load the product catalogue: add the products the database lacks; a product already
    there keeps its values unless --update. A file with a bad cell loads nothing."""
    from masterdata.catalogue import load_catalogue, read_catalogue_file
    from service.demo.reference import package_conversions, packaged_catalogue

    settings = get_settings()
    upgrade_to_head(settings.database_url)
    engine = create_database_engine(settings.database_url)
    try:
        with session_scope(create_session_factory(engine)) as session:
            entries = read_catalogue_file(
                session=session,
                data=packaged_catalogue() if file is None else file.read_bytes(),
                filename="products.csv" if file is None else file.name,
                conversions=package_conversions() if file is None else None,
            )
            loaded = load_catalogue(
                session=session, principal=CLI_PRINCIPAL, entries=entries, update=update
            )
    except DomainError as error:
        typer.echo(f"error: nothing was loaded: {error.detail}", err=True)
        _echo_problems(error)
        raise typer.Exit(code=2) from error
    finally:
        engine.dispose()
    typer.echo(
        f"{len(loaded.added)} products added, {len(loaded.updated)} updated, "
        f"{len(loaded.unchanged)} unchanged"
    )
    if loaded.kept:
        typer.echo(
            f"{len(loaded.kept)} differ from the file and were kept as they are "
            f"(--update takes the file's values): {', '.join(loaded.kept)}"
        )


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or XLSX file")],
    chunk_rows: Annotated[int, typer.Option(min=1000, help="Rows stored per step")] = 50_000,
) -> None:
    """Import a report file (columns store,date,product,stock,sales,price[,received][,unit]):
    every row is stored, or none, with each bad cell listed by row and column."""
    settings = get_settings()
    engine = create_database_engine(settings.database_url)
    try:
        with (
            Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            ) as display,
            session_scope(create_session_factory(engine)) as session,
        ):
            task = display.add_task(f"reading and checking {file.name}", total=None)

            def advance(stored: int, total: int) -> None:
                display.update(task, description="storing", total=total, advance=stored)

            result = import_report_file(
                session,
                data=file.read_bytes(),
                filename=file.name,
                principal=CLI_PRINCIPAL,
                rules=report_rules(settings),
                limits=ingest_limits(settings),
                chunk_rows=chunk_rows,
                progress=advance,
            )
    except DomainError as error:
        typer.echo(f"error: nothing was imported: {error.detail}", err=True)
        _echo_problems(error)
        raise typer.Exit(code=2) from error
    finally:
        engine.dispose()
    counts = result.counts
    typer.echo(
        f"imported {result.rows} rows: {counts.inserted} inserted, {counts.updated} updated, "
        f"{counts.unchanged} unchanged"
    )


def _echo_problems(error: DomainError) -> None:
    """A refused file's first 50 problems, each by row and column (or where it is)."""
    for item in (error.errors or [])[:50]:
        where = (
            f"row {item['row']}, {item['column']}"
            if "row" in item
            else ".".join(str(part) for part in item["loc"])
        )
        typer.echo(f"  {where}: {item['msg']}", err=True)


def _firing(factory: SessionFactory) -> int:
    with factory() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(Alert).where(Alert.status != AlertStatus.resolved)
            )
            or 0
        )


def _safe(settings: Settings) -> str:
    return make_url(settings.database_url).render_as_string(hide_password=True)


if __name__ == "__main__":  # pragma: no cover
    app()
