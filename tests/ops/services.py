"""Private Redis and PostgreSQL servers for the tests that stop and start them.

Each runs as a child of the test process on a free port in a temporary folder, so a test
can kill it without touching the shared servers (127.0.0.1:5432 and :6379) that other
suites use; ``close()`` (called from fixtures' ``finally``) stops it whatever happened.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def _pg_bin() -> Path:
    """Where ``initdb`` and ``pg_ctl`` are: ``BUDDY_PG_BIN``, else the newest Debian cluster
    version's (as ``.ci/run`` starts whichever is installed), else ``initdb`` on the PATH."""
    if os.environ.get("BUDDY_PG_BIN"):
        return Path(os.environ["BUDDY_PG_BIN"])
    versions = Path("/usr/lib/postgresql").glob("*/bin/initdb")
    newest = max(versions, key=lambda p: int(p.parent.parent.name), default=None)
    if newest is not None:
        return newest.parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _pg_bin()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, *, up: bool, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                if up:
                    return
        except OSError:
            if not up:
                return
        time.sleep(0.05)
    raise TimeoutError(f"port {port} did not go {'up' if up else 'down'} in {seconds} s")


class PrivateRedis:
    """``redis-server`` on a free port, no persistence; ``stop()`` / ``start()`` at will."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> "PrivateRedis":
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no", "--loglevel", "warning"]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL)  # noqa: S603
        wait_for_port(self.port, up=True)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # as a crash would: no goodbye to the clients
            self.process.wait(10)
        self.process = None
        wait_for_port(self.port, up=False)

    close = stop


class PrivatePostgres:
    """A PostgreSQL cluster made with ``initdb`` in a temporary folder, run as the
    ``postgres`` user (the server refuses root) on a free port, trust authentication."""

    def __init__(self) -> None:
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="buddy-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        as_postgres = os.geteuid() == 0
        self._prefix = ["runuser", "-u", "postgres", "--"] if as_postgres else []
        if as_postgres:
            shutil.chown(self.folder, "postgres")
        self._run(PG_BIN / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres",
                  "--no-sync", "-E", "UTF8")  # fmt: skip

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *argv) -> None:
        subprocess.run(  # noqa: S603 - fixed binaries
            [*self._prefix, *map(str, argv)], check=True, capture_output=True, timeout=60
        )

    def start(self) -> "PrivatePostgres":
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.folder} -c fsync=off -c max_connections=60"  # noqa: E501
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.log, "-o", options, "-w", "start")
        return self

    def stop(self, mode: str = "immediate") -> None:
        """``immediate``: like a crash, every connection is cut."""
        if (self.data / "postmaster.pid").exists():
            self._run(PG_BIN / "pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def close(self) -> None:
        try:
            self.stop()
        except subprocess.SubprocessError:
            pid_file = self.data / "postmaster.pid"
            if pid_file.exists():
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
        shutil.rmtree(self.folder, ignore_errors=True)
