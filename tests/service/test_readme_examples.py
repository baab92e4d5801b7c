"""The README's examples, run as a newcomer would: `supplywatch demo` loads the city and
prints its keys, `supplywatch serve` serves it, and every `curl` of the README's shell
blocks runs in bash against it with those keys."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.documents import DEFAULT_FONT_FILE

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SUPPLYWATCH = Path(sys.executable).with_name("supplywatch")
README_URL = "http://127.0.0.1:8000"

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="no curl here")


@dataclass(frozen=True)
class DemoServer:
    url: str
    keys: dict[str, str]
    """API key by demo login (store, chain, dispatcher, bureau, ...)."""
    printed: str
    """What ``supplywatch demo`` printed."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    folder = tmp_path_factory.mktemp("readme")
    environment = os.environ | {
        "SUPPLYWATCH_DATABASE_URL": f"sqlite:///{folder / 'demo.db'}",
        "SUPPLYWATCH_LOG_JSON": "false",
        "SUPPLYWATCH_LOG_LEVEL": "WARNING",
    }
    loaded = subprocess.run(
        [str(SUPPLYWATCH), "demo", "--days", "8", "--no-serve"],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        cwd=folder,
    )
    keys_section = loaded.stdout.split("API keys", 1)[1]
    keys = {
        match.group(1): match.group(2)
        for match in re.finditer(r"^  (\w+) .* (\S+)$", keys_section, re.MULTILINE)
    }
    port = _free_port()
    server = subprocess.Popen(
        [str(SUPPLYWATCH), "serve", "--port", str(port)],
        env=environment,
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                pytest.fail("supplywatch serve did not become ready")
            time.sleep(0.2)
        yield DemoServer(url=url, keys=keys, printed=loaded.stdout)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def _shell_blocks() -> list[str]:
    """The README's shell blocks that call the API, in order (the others start servers or
    load data, which the fixture does), without the line that says where keys come from."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    return [
        re.sub(r"^export (\w+=\.\.\. ?)+.*$", "", block, flags=re.MULTILINE)
        for block in blocks
        if ("curl " in block or "DAY=" in block)
        and not re.search(r"^(supplywatch|make|\.venv|export SUPPLYWATCH)", block, re.MULTILINE)
    ]


def _api_table_calls() -> list[str]:
    """The paths of the README's `GET /api/v1/...` calls in its tables."""
    return re.findall(r"\| `GET (/api/v1/[^`]+)` \|", README.read_text(encoding="utf-8"))


def test_every_readme_curl_answers_success_against_the_demo_city(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    blocks = _shell_blocks()
    assert sum(block.count("curl ") for block in blocks) >= 5
    # curl is wrapped so each call leaves its body and status code in a file.
    script = "\n".join(
        [
            "set -euo pipefail",
            'curl() { N=$((N+1)); command curl -sS -o "body.$N" -w "%{http_code}\\n" "$@" '
            ">> codes; }",
            "N=0",
            *(block.replace(README_URL, demo_server.url) for block in blocks),
        ]
    )
    keys = {
        f"{login.upper()}_KEY": demo_server.keys[login]
        for login in ("store", "chain", "dispatcher", "bureau")
    }
    subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=os.environ | keys, check=True, timeout=300
    )
    codes = (tmp_path / "codes").read_text().split()
    bodies = [(tmp_path / f"body.{number}").read_text() for number in range(1, len(codes) + 1)]
    assert [code[0] for code in codes] == ["2"] * len(codes), list(zip(codes, bodies, strict=True))

    corrected, uploaded, queued, planned, committed, printing, monitored, started, bulletin = (
        json.loads(body) for body in bodies
    )
    assert corrected["counts"]["deleted"] == 0
    assert corrected["counts"]["unchanged"] > 0  # the day's other lines were kept
    assert {line["product"] for line in corrected["lines"]} >= {"pork", "rice"}
    assert uploaded["rows"] == 1 and uploaded["inserted"] + uploaded["updated"] == 1
    assert planned["id"] == 1 and planned["version"] == 1
    assert committed["status"] == "committed"
    assert monitored["status"] == "succeeded"
    assert started["status"] == "running" and started["id"] == monitored["id"] + 1
    assert bulletin["status"] == "published" and bulletin["figures"]["prices"]
    # The queued upload and PDF ran in the server's own process (no broker in the demo).
    upload_job = _followed(demo_server, f"/api/v1/reports/bulk-jobs/{queued['id']}", "chain")
    assert upload_job["status"] == "succeeded", upload_job
    assert upload_job["result"] == {"rows": 1, "inserted": 0, "updated": 0, "unchanged": 1}
    pdf_job = _followed(
        demo_server, f"/api/v1/dispatch/pass-pdf-jobs/{printing['id']}", "dispatcher"
    )
    if DEFAULT_FONT_FILE.exists():
        assert pdf_job["status"] == "succeeded" and pdf_job["download"], pdf_job
    # The run started with `Prefer: respond-async` went on after its 202.
    run = _followed(demo_server, f"/api/v1/monitor/runs/{started['id']}", "bureau")
    assert run["status"] == "succeeded", run


def _followed(server: DemoServer, path: str, login: str) -> dict[str, Any]:
    """A job as it reads once it has ended (a minute at most)."""
    headers = {"Authorization": f"Bearer {server.keys[login]}"}
    deadline = time.monotonic() + 60
    while True:
        job: dict[str, Any] = httpx.get(server.url + path, headers=headers, timeout=30).json()
        if job["status"] in ("succeeded", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.2)


def test_every_readme_api_table_read_finds_data_in_the_demo_city(
    demo_server: DemoServer,
) -> None:
    calls = _api_table_calls()
    assert len(calls) >= 3
    headers = {"Authorization": f"Bearer {demo_server.keys['bureau']}"}
    for path in calls:
        answer = httpx.get(demo_server.url + path, headers=headers, timeout=30)
        assert answer.status_code == 200, (path, answer.text)
        body = answer.json()
        found = body["items"] if isinstance(body, dict) and "items" in body else body
        assert found, f"{path} found nothing in the demo city"


def _api_table_posts() -> list[tuple[str, str]]:
    """The path and JSON body of each `POST /api/v1/...` call in the README's tables."""
    return re.findall(
        r"\| `POST (/api/v1/[^`]+)` `(\{.*\})` \|", README.read_text(encoding="utf-8")
    )


def test_every_readme_api_table_change_is_accepted_by_the_demo_city(
    demo_server: DemoServer,
) -> None:
    """The table's POST examples, their "..." filled in as a reader would."""
    calls = _api_table_posts()
    assert len(calls) >= 3
    headers = {"Authorization": f"Bearer {demo_server.keys['bureau']}"}
    firing = httpx.get(
        f"{demo_server.url}/api/v1/alerts",
        params={"status": "firing", "limit": 1},
        headers=headers,
        timeout=30,
    ).json()["items"]
    filled = {
        '"ends_at": "..."': f'"ends_at": "{(datetime.now(UTC) + timedelta(days=1)).isoformat()}"',
        '"https://..."': '"https://hooks.example.invalid/supplywatch"',
        '"secret": "..."': f'"secret": "{secrets.token_urlsafe(24)}"',
        '"..."': '"from the README"',
    }
    for path, body in calls:
        for placeholder, value in filled.items():
            body = body.replace(placeholder, value)
        sent = httpx.post(
            demo_server.url + path.replace("{id}", str(firing[0]["id"])),
            json=json.loads(body),
            headers=headers,
            timeout=30,
        )
        assert sent.status_code in (200, 201), (path, body, sent.text)


def test_the_readme_lists_every_login_the_demo_prints(demo_server: DemoServer) -> None:
    readme = set(
        re.findall(r"^\| `(\w+)` \| `([\w-]+)` \|", README.read_text(encoding="utf-8"), re.M)
    )
    logins = demo_server.printed.split("sign in with one of these logins", 1)[1]
    printed = set(re.findall(r"^  (\w+) +(\w+-demo) ", logins.split("API keys")[0], re.M))
    assert len(printed) >= 11
    assert readme == printed


def test_the_readme_loads_the_catalogue_into_a_fresh_database_as_it_says(
    tmp_path: Path,
) -> None:
    """The README's fresh-database block runs as written (its `.venv/bin/` being this
    checkout's) and prints what its comments promise."""
    blocks = [
        block
        for block in re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
        if "supplywatch catalog load" in block and "SUPPLYWATCH_DATABASE_URL" in block
    ]
    assert len(blocks) == 1
    script = "set -euo pipefail\n" + blocks[0].replace(".venv/bin/", f"{SUPPLYWATCH.parent}/")
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("SUPPLYWATCH_")
    }
    ran = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=environment | {"SUPPLYWATCH_LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stderr
    printed = ran.stdout.strip().splitlines()
    assert printed == [
        "53 products added, 0 updated, 0 unchanged",
        "0 products added, 0 updated, 53 unchanged",
    ]
    for line in printed:
        assert line in blocks[0]
    with closing(sqlite3.connect(tmp_path / "fresh.db")) as database:
        assert database.execute("SELECT count(*) FROM products").fetchone() == (53,)
