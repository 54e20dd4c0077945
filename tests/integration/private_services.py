"""Private Redis and PostgreSQL servers that a fault test may kill and restart: the machine's
own services (6379, 5432) are shared with everyone else's runs and are never touched.

CI has the Debian packages: /usr/bin/redis-server and PostgreSQL 15 in /usr/lib/postgresql/15/bin."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

import redis

from tests.polling import wait_for

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
# Ports for the Redis servers these tests start, away from the machine's own 6379.
REDIS_PORTS = range(6390, 6400)
POSTGRES_BIN = Path(os.environ.get("POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port(candidates=None) -> int:
    if candidates is None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]
    for port in candidates:
        if _port_is_free(port):
            return port
    raise RuntimeError(f"No free port among {candidates}")


class PrivateRedis:
    """A redis-server with no persistence (no RDB snapshot, no append-only file): killed, it
    comes back empty, as a Redis without persistence does after a crash or a reboot."""

    def __init__(self, log_path: Path):
        self.port = free_port(REDIS_PORTS)
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, db=0)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--dir", str(self.log_path.parent)],
            stdout=self.log_path.open("a"),
            stderr=subprocess.STDOUT,
        )
        wait_for(lambda: self.client().ping(), what="the private Redis to answer", ignore=(redis.ConnectionError,))

    def kill(self) -> None:
        """SIGKILL, as a crash or a power cut would: whatever it held in memory is gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=20)


class PrivatePostgres:
    """A PostgreSQL cluster of its own (initdb into a temporary folder, trust authentication,
    its own port), run by the `postgres` OS user since initdb and postgres refuse to run as root."""

    def __init__(self, port: int | None = None, base: Path | None = None):
        """A new cluster's place, or (port and base) the one another process started."""
        self.port = port or free_port()
        # Not under pytest's tmp_path: that is private to root, and the server runs as postgres.
        self.base = base or Path(tempfile.mkdtemp(prefix="portal-pg-"))
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        if base is None and os.geteuid() == 0:
            shutil.chown(self.base, user="postgres")

    def environment(self) -> dict[str, str]:
        """How a test process started by this one finds the cluster (`from_environment`)."""
        return {"PRIVATE_PG_PORT": str(self.port), "PRIVATE_PG_BASE": str(self.base)}

    @classmethod
    def from_environment(cls) -> PrivatePostgres:
        return cls(port=int(os.environ["PRIVATE_PG_PORT"]), base=Path(os.environ["PRIVATE_PG_BASE"]))

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(prefix + list(command), check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self._run(str(POSTGRES_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        self._pg_ctl("start")

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: every connection is cut, the server comes back."""
        self._pg_ctl("restart", "-m", "fast")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._pg_ctl("stop", "-m", "immediate")

    def _pg_ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.base} -c fsync=off"
        self._run(
            str(POSTGRES_BIN / "pg_ctl"), action, *extra, "-w", "-D", str(self.data), "-l", str(self.log), "-o", options
        )

    def remove(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)
