"""Real servers for tests that need real connections: the whole app under uvicorn in a
thread on a free port (parallel requests, a browser), and a local webhook receiver."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import uvicorn

from service.app import create_app
from service.settings import Settings


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_server(settings: Settings) -> Iterator[str]:
    """The app built from ``settings`` served until the block ends; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


Call = tuple[str, str, dict[str, str], Any]
"""One request to send: method, URL, headers and JSON body (None for none)."""


def send_at_once(calls: list[Call], delays: list[float] | None = None) -> list[httpx.Response]:
    """Send every call from its own thread and connection, released together by a barrier
    (each after its delay in seconds, when given): what two people clicking at the same
    moment do to a server."""
    barrier = threading.Barrier(len(calls))
    waits = delays or [0.0] * len(calls)

    def send(numbered: tuple[int, Call]) -> httpx.Response:
        number, (method, url, headers, body) = numbered
        with httpx.Client(timeout=60) as client:
            barrier.wait()
            time.sleep(waits[number])
            return client.request(method, url, headers=headers, json=body)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(send, enumerate(calls)))


class LocalReceiver:
    """What a webhook receiver on this machine was sent, and what it answers."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.status = 200
        self.reply = b""
        self.url = ""


@contextmanager
def local_receiver() -> Iterator[LocalReceiver]:
    """A real HTTP receiver on 127.0.0.1 that records every POST body and answers with
    its ``status`` and ``reply`` (an internal service a webhook should never reach)."""
    received = LocalReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
            length = int(self.headers.get("Content-Length") or 0)
            received.bodies.append(self.rfile.read(length))
            self.send_response(received.status)
            self.send_header("Content-Length", str(len(received.reply)))
            self.end_headers()
            self.wfile.write(received.reply)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    received.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
