"""`supplywatch serve` believes `X-Forwarded-For` only from the proxies the operator names
in `SUPPLYWATCH_FORWARDED_ALLOW_IPS`. uvicorn's own default believes it from 127.0.0.1,
so a process on the machine (or a local proxy passing the header on) could give every
password guess a fresh client address and never meet the sign-in throttle."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ATTEMPTS = 2
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _served(tmp_path: Path, **settings: str) -> Iterator[str]:
    """`supplywatch serve` on a fresh SQLite database with these settings; its base URL."""
    port = _free_port()
    environment = {
        **os.environ,
        "SUPPLYWATCH_DATABASE_URL": f"sqlite:///{tmp_path / f'serve-{port}.db'}",
        "SUPPLYWATCH_LOG_JSON": "false",
        "SUPPLYWATCH_SCHEDULER_IN_PROCESS": "false",
        "SUPPLYWATCH_LOGIN_ADDRESS_ATTEMPTS": str(ATTEMPTS),
        # This checkout's code, also when the installed command points at another one.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        **{f"SUPPLYWATCH_{name.upper()}": value for name, value in settings.items()},
    }
    environment.pop("FORWARDED_ALLOW_IPS", None)  # uvicorn's own variable
    command = [str(Path(sys.executable).parent / "supplywatch"), "serve", "--port", str(port)]
    server = subprocess.Popen(
        command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "the server never came up"
            time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        server.communicate(timeout=30)


def _guess(url: str, forwarded_for: str) -> int:
    """One wrong password, claiming to come from ``forwarded_for``; the answer's status."""
    return httpx.post(
        f"{url}/api/v1/auth/login",
        json={"username": "admin", "password": "a-wrong-guess"},
        headers={"X-Forwarded-For": forwarded_for},
        timeout=30,
    ).status_code


def test_by_default_a_forged_forwarded_for_does_not_escape_the_sign_in_throttle(
    tmp_path: Path,
) -> None:
    with _served(tmp_path) as url:
        statuses = [_guess(url, f"198.51.100.{number}") for number in range(1, ATTEMPTS + 2)]
    assert statuses == [401] * ATTEMPTS + [429]


def test_the_named_proxys_forwarded_for_is_the_client_address(tmp_path: Path) -> None:
    with _served(tmp_path, forwarded_allow_ips='["127.0.0.1"]') as url:
        each_its_own = [_guess(url, f"198.51.100.{number}") for number in range(1, ATTEMPTS + 2)]
        one_client = [_guess(url, "203.0.113.7") for _ in range(ATTEMPTS + 1)]
    assert each_its_own == [401] * (ATTEMPTS + 1)
    assert one_client == [401] * ATTEMPTS + [429]
