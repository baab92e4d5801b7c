"""The real task queue for tests: RabbitMQ on this machine, and `supplywatch worker`
processes started and killed by the test."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kombu import Connection

ROOT_README = Path(__file__).resolve().parents[1] / "README.md"
BROKER_URL = os.environ.get("SUPPLYWATCH_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
ROOT = Path(__file__).resolve().parents[1]


def _broker_reason() -> str | None:
    """None when the broker answers, else why the queue's tests are skipped."""
    try:
        with Connection(BROKER_URL, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as error:  # any failure means: not reachable here
        return f"RabbitMQ not reachable at {BROKER_URL}: {error}"
    return None


BROKER_SKIP_REASON = _broker_reason()


def readme_worker_command() -> list[str]:
    """The README's command that starts a worker, with this checkout's `supplywatch`."""
    (line,) = re.findall(
        r"^\.venv/bin/supplywatch worker\b[^#\n]*", ROOT_README.read_text(), re.MULTILINE
    )
    return [str(Path(sys.executable).with_name("supplywatch")), *shlex.split(line)[1:]]


def fresh_queue() -> str:
    """A queue of this test's own, so runs of the suite never take each other's tasks."""
    return f"supplywatch-test-{uuid.uuid4().hex[:12]}"


def worker_environment(database_url: str, queue: str) -> dict[str, str]:
    """The settings a worker of this test reads: the test's database and queue."""
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SUPPLYWATCH_DATABASE_URL": database_url,
        "SUPPLYWATCH_BROKER_URL": BROKER_URL,
        "SUPPLYWATCH_TASK_QUEUE": queue,
        "SUPPLYWATCH_LOG_JSON": "false",
    }


class Worker:
    """One `supplywatch worker` with one pool process, as production runs them (the
    main process talks to the broker, a child computes), in a process group of its own
    so that killing the worker kills both, like a machine that loses power."""

    def __init__(self, database_url: str, queue: str, log: Path) -> None:
        self.log = log
        self._log_file = log.open("ab")
        self.process = subprocess.Popen(
            # One pool process, so the test knows which part the worker holds.
            [*readme_worker_command(), "--concurrency", "1"],
            cwd=ROOT,
            env=worker_environment(database_url, queue),
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL to the worker and its pool: no cleanup, no acknowledgement."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log_file.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def running_workers(
    database_url: str, queue: str, log_dir: Path, count: int = 1
) -> Iterator[list[Worker]]:
    """``count`` workers on ``queue`` for the block; stopped (or killed) after."""
    workers = [Worker(database_url, queue, log_dir / f"worker-{n}.log") for n in range(count)]
    try:
        yield workers
    finally:
        for worker in workers:
            worker.stop()


def wait_until(condition: object, *, seconds: float = 60.0, what: str = "condition") -> None:
    """Poll ``condition()`` until it is true, or fail naming ``what``."""
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)
