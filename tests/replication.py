"""A throw-away PostgreSQL primary and its streaming replica, started from the machine's
PostgreSQL binaries (``initdb``, ``pg_basebackup -R``) on free ports, for the read-replica
tests. The suite's own server has no replication access, so the pair is its own."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.servers import free_port

SERVER_USER = "postgres"
"""PostgreSQL refuses to run as root; a root test run starts the pair as this user."""


def postgres_binaries() -> Path | None:
    """The directory of ``initdb``, ``pg_ctl`` and ``pg_basebackup``, or None."""
    found = shutil.which("pg_config")
    candidates = []
    if found:
        result = subprocess.run([found, "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(Path(result.stdout.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for directory in candidates:
        if all((directory / tool).exists() for tool in ("initdb", "pg_ctl", "pg_basebackup")):
            return directory
    return None


def why_no_replica() -> str | None:
    """None when a primary and replica can be started here, else why not."""
    if postgres_binaries() is None:
        return "PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) are not installed"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return f"running as root and there is no {SERVER_USER!r} user to start PostgreSQL as"
        if shutil.which("runuser") is None:
            return "running as root and runuser is missing"
    return None


class StreamingReplica:
    """A primary and a hot standby streaming from it, in ``root`` (a new directory outside
    pytest's private temporary tree, which the server's user cannot enter)."""

    def __init__(self, root: Path) -> None:
        binaries = postgres_binaries()
        assert binaries is not None, why_no_replica()
        self.binaries = binaries
        self.root = root
        self.primary_dir = root / "primary"
        self.replica_dir = root / "replica"
        self.primary_port = free_port()
        self.replica_port = free_port()

    def url(self, port: int, database: str = "supplywatch") -> str:
        return f"postgresql+psycopg://{SERVER_USER}@127.0.0.1:{port}/{database}"

    @property
    def primary_url(self) -> str:
        return self.url(self.primary_port)

    @property
    def replica_url(self) -> str:
        return self.url(self.replica_port)

    def _run(self, command: Sequence[str]) -> None:
        """Run a server tool as the server's user."""
        argv = [str(self.binaries / command[0]), *command[1:]]
        if os.geteuid() == 0:
            argv = ["runuser", "-u", SERVER_USER, "--", *argv]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed: {result.stderr or result.stdout}")

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, user=SERVER_USER)
        self._run(
            ["initdb", "--no-sync", "-D", str(self.primary_dir), "-A", "trust", "-U", SERVER_USER]
        )
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.root}'",
            "wal_level": "replica",
            "max_wal_senders": "4",
            "fsync": "off",
            "hot_standby_feedback": "on",
        }
        with (self.primary_dir / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
        self._server("primary", self.primary_dir, self.primary_port)
        self._sql(self.primary_port, "postgres", "CREATE DATABASE supplywatch")
        self._run(
            [
                "pg_basebackup",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.primary_port),
                "-U",
                SERVER_USER,
                "-D",
                str(self.replica_dir),
                "-R",
                "-X",
                "stream",
                "--checkpoint=fast",
                "--no-sync",
            ]
        )
        self._server("replica", self.replica_dir, self.replica_port)

    def _server(self, name: str, data_dir: Path, port: int) -> None:
        log = self.root / f"{name}.log"
        self._run(
            ["pg_ctl", "-D", str(data_dir), "-o", f"-p {port}", "-l", str(log), "-w", "start"]
        )

    def stop_replica(self) -> None:
        self._run(["pg_ctl", "-D", str(self.replica_dir), "-m", "fast", "-w", "stop"])

    def stop(self) -> None:
        """Stop both servers and remove their files."""
        for data_dir in (self.replica_dir, self.primary_dir):
            if (data_dir / "postmaster.pid").exists():
                self._run(["pg_ctl", "-D", str(data_dir), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(self.root, ignore_errors=True)

    def _sql(self, port: int, database: str, statement: str) -> list[tuple[object, ...]]:
        engine = create_engine(self.url(port, database), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                result = connection.execute(text(statement))
                return [tuple(row) for row in result] if result.returns_rows else []
        finally:
            engine.dispose()

    def pause_replay(self) -> None:
        """Hold the replica at what it has replayed: the lag a busy replica shows."""
        self._sql(self.replica_port, "supplywatch", "SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self._sql(self.replica_port, "supplywatch", "SELECT pg_wal_replay_resume()")

    def wait_until_caught_up(self, timeout_s: float = 30.0) -> None:
        """Wait until the replica has replayed everything the primary has written."""
        target = self._sql(self.primary_port, "supplywatch", "SELECT pg_current_wal_lsn()")[0][0]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            caught_up = self._sql(
                self.replica_port,
                "supplywatch",
                f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn",
            )[0][0]
            if caught_up:
                return
            time.sleep(0.05)
        raise TimeoutError(f"the replica did not replay up to {target} in {timeout_s} s")
