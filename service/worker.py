"""The task queue: a Celery app on the configured broker (RabbitMQ), its tasks, and the
queue a monitor run hands its parts to.

Workers are started with ``supplywatch worker`` on as many machines as the load needs;
each reads the same settings as the API (database, broker). A task is acknowledged only
after it returns (``acks_late``), and a worker that dies mid-task gives its task back to
the broker (``reject_on_worker_lost``): another worker computes it again, and the task
itself makes a second delivery count once (see :mod:`monitors.running.fanout`).

Without a broker (``make demo``, the tests that do not start one) nothing here is used:
runs compute in the process that starts them, and a plan job or a background job (a bulk
report file, a plan's passes as a PDF) runs in a background thread of the web process
(``InProcessPlanJobs``, ``InProcessJobs``).
"""

from __future__ import annotations

from functools import lru_cache

from celery import Celery

from core.database import SessionFactory, create_database_engine, create_session_factory
from core.jobs import JobQueue
from dispatch.plan_jobs import PlanJobQueue, run_plan_job
from models import JobKind, JobStatus
from monitors.running.fanout import PartQueue, compute_run_part
from pass_office.print_jobs import run_plan_passes_pdf
from reports.upload_jobs import run_report_upload
from service.configuration import ingest_limits, monitor_config, report_rules
from service.settings import Settings, get_settings
from service.translations import translations

MONITOR_PART_TASK = "supplywatch.monitor.part"
PLAN_JOB_TASK = "supplywatch.dispatch.plan"
JOB_TASKS = {
    JobKind.report_upload: "supplywatch.reports.upload",
    JobKind.plan_passes_pdf: "supplywatch.passes.plan_pdf",
}


def create_celery(settings: Settings) -> Celery:
    """A Celery app on ``settings.broker_url``: tasks as JSON, each acknowledged once it
    has run, one task per worker process at a time (a part is long; prefetching a second
    would leave it waiting behind the first while another worker idles)."""
    celery = Celery("supplywatch", broker=settings.broker_url, set_as_current=False)
    celery.conf.update(
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_default_queue=settings.task_queue,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        timezone="UTC",
    )
    celery.task(name=MONITOR_PART_TASK, bind=False)(_monitor_part)
    celery.task(name=PLAN_JOB_TASK, bind=False)(_plan_job)
    celery.task(name=JOB_TASKS[JobKind.report_upload], bind=False)(_report_upload)
    celery.task(name=JOB_TASKS[JobKind.plan_passes_pdf], bind=False)(_plan_passes_pdf)
    return celery


def _monitor_part(run_id: int, part_number: int) -> str | None:
    """Compute one part of a monitor run (see monitors.running.fanout)."""
    settings = get_settings()
    status = compute_run_part(
        _worker_sessions(settings.database_url),
        run_id=run_id,
        part_number=part_number,
        config=monitor_config(settings),
    )
    return None if status is None else status.value


def _plan_job(job_id: int) -> str | None:
    """Solve one queued plan job (see dispatch.plan_jobs)."""
    status = run_plan_job(_worker_sessions(get_settings().database_url), job_id)
    return None if status is None else status.value


def _report_upload(job_id: int) -> str | None:
    """Check and store one queued bulk report file (see reports.upload_jobs)."""
    settings = get_settings()
    factory = _worker_sessions(settings.database_url)
    status = run_background_job(settings, factory, JobKind.report_upload, job_id)
    return None if status is None else status.value


def _plan_passes_pdf(job_id: int) -> str | None:
    """Print one queued plan's passes (see pass_office.print_jobs)."""
    settings = get_settings()
    factory = _worker_sessions(settings.database_url)
    status = run_background_job(settings, factory, JobKind.plan_passes_pdf, job_id)
    return None if status is None else status.value


def run_background_job(
    settings: Settings, factory: SessionFactory, kind: JobKind, job_id: int
) -> JobStatus | None:
    """Run background job ``job_id`` of ``kind`` with the settings' parameters."""
    if kind is JobKind.report_upload:
        return run_report_upload(
            factory, job_id, rules=report_rules(settings), limits=ingest_limits(settings)
        )
    return run_plan_passes_pdf(
        factory,
        job_id,
        zone=settings.zone,
        font_file=settings.pdf_font_file,
        chinese=translations("zh").gettext,
    )


@lru_cache
def _worker_sessions(database_url: str) -> SessionFactory:
    """One engine per worker process, made on its first task (after the pool forked)."""
    return create_session_factory(create_database_engine(database_url))


class CeleryPartQueue:
    """Sends a run's parts to the workers as tasks on the broker."""

    def __init__(self, celery: Celery, queue: str) -> None:
        self.celery = celery
        self.queue = queue

    def send_part(self, *, run_id: int, part_number: int) -> None:
        self.celery.send_task(
            MONITOR_PART_TASK,
            kwargs={"run_id": run_id, "part_number": part_number},
            queue=self.queue,
        )


def part_queue(settings: Settings) -> PartQueue | None:
    """Where monitor runs send their parts: the broker's queue when one is set, else
    nowhere (the run computes in its own process)."""
    if not settings.broker_url:
        return None
    return CeleryPartQueue(
        _celery_for(settings.broker_url, settings.task_queue), settings.task_queue
    )


@lru_cache
def _celery_for(broker_url: str, queue: str) -> Celery:
    settings = get_settings()
    return create_celery(
        settings.model_copy(update={"broker_url": broker_url, "task_queue": queue})
    )


class CeleryPlanJobs:
    """Sends plan jobs to the workers as tasks on the broker (the job's id only)."""

    def __init__(self, celery: Celery, queue: str) -> None:
        self.celery = celery
        self.queue = queue

    def send_plan_job(self, *, job_id: int) -> None:
        self.celery.send_task(PLAN_JOB_TASK, kwargs={"job_id": job_id}, queue=self.queue)


class InProcessPlanJobs:
    """Solves a plan job in the calling thread: the web process calls it from a
    background task (Starlette's thread pool, after the response is sent), so a page or
    client gets its job at once and ``make demo`` needs no broker."""

    def __init__(self, factory: SessionFactory) -> None:
        self.factory = factory

    def send_plan_job(self, *, job_id: int) -> None:
        run_plan_job(self.factory, job_id)


def plan_job_queue(settings: Settings, factory: SessionFactory) -> PlanJobQueue:
    """Where plan jobs go: the broker's queue when one is set, else this process."""
    if not settings.broker_url:
        return InProcessPlanJobs(factory)
    return CeleryPlanJobs(
        _celery_for(settings.broker_url, settings.task_queue), settings.task_queue
    )


class CeleryJobs:
    """Sends background jobs to the workers as tasks on the broker (the job's id only)."""

    def __init__(self, celery: Celery, queue: str) -> None:
        self.celery = celery
        self.queue = queue

    def send_job(self, *, kind: JobKind, job_id: int) -> None:
        self.celery.send_task(JOB_TASKS[kind], kwargs={"job_id": job_id}, queue=self.queue)


class InProcessJobs:
    """Runs a background job in the calling thread: the web process calls it from a
    background task (after the response is sent), so ``make demo`` needs no broker."""

    def __init__(self, settings: Settings, factory: SessionFactory) -> None:
        self.settings = settings
        self.factory = factory

    def send_job(self, *, kind: JobKind, job_id: int) -> None:
        run_background_job(self.settings, self.factory, kind, job_id)


def job_queue(settings: Settings, factory: SessionFactory) -> JobQueue:
    """Where background jobs go: the broker's queue when one is set, else this process."""
    if not settings.broker_url:
        return InProcessJobs(settings, factory)
    return CeleryJobs(_celery_for(settings.broker_url, settings.task_queue), settings.task_queue)
