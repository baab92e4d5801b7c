"""`supplywatch serve` as an operator starts it: with one worker the scheduler runs inside."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ADMIN_TOKEN = "serve-test-admin-token"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_with_one_worker_runs_the_monitor_on_its_schedule(tmp_path: Path) -> None:
    port = _free_port()
    environment = {
        **os.environ,
        "SUPPLYWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "SUPPLYWATCH_ADMIN_TOKEN": ADMIN_TOKEN,
        "SUPPLYWATCH_LOG_JSON": "false",
        # The shortest schedule: a run at start, then one a minute.
        "SUPPLYWATCH_MONITOR_INTERVAL_MINUTES": "1",
    }
    environment.pop("SUPPLYWATCH_SCHEDULER_IN_PROCESS", None)
    command = [str(Path(sys.executable).parent / "supplywatch"), "serve", "--port", str(port)]
    server = subprocess.Popen(
        command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    runs: list[dict[str, object]] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not runs:
            time.sleep(0.5)
            try:
                answer = httpx.get(
                    f"http://127.0.0.1:{port}/api/v1/monitor/runs",
                    headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                    timeout=5,
                )
            except httpx.TransportError:
                continue
            if answer.status_code == 200:
                runs = [run for run in answer.json()["items"] if run["trigger"] == "scheduler"]
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode(errors="replace")
    assert runs, f"no scheduled run appeared; the server said:\n{output[-3000:]}"
