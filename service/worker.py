"""The task queue: a Celery app on the configured broker (RabbitMQ), its tasks, and the
queue a monitor run hands its parts to.

Workers are started with ``supplywatch worker`` on as many machines as the load needs;
each reads the same settings as the API (database, broker). A task is acknowledged only
after it returns (``acks_late``), and a worker that dies mid-task gives its task back to
the broker (``reject_on_worker_lost``): another worker computes it again, and the task
itself makes a second delivery count once (see :mod:`monitors.running.fanout`).

Without a broker (``make demo``, the tests that do not start one) nothing here is used:
runs compute in the process that starts them, and a plan job is solved in a background
thread of the web process (``InProcessPlanJobs``).
"""

from __future__ import annotations

from functools import lru_cache

from celery import Celery

from core.database import SessionFactory, create_database_engine, create_session_factory
from dispatch.plan_jobs import PlanJobQueue, run_plan_job
from monitors.running.fanout import PartQueue, compute_run_part
from service.configuration import monitor_config
from service.settings import Settings, get_settings

MONITOR_PART_TASK = "supplywatch.monitor.part"
PLAN_JOB_TASK = "supplywatch.dispatch.plan"


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
