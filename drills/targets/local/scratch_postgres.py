"""A throw-away PostgreSQL cluster (pgserver's binaries) for the integrity tests and benchmarks.

Real engine, not a fake: initdb + postgres on 127.0.0.1 in the caller's port range, in a temporary
directory, durability switched off because the data is disposable. As root the server runs as
``nobody`` (PostgreSQL refuses to run as root); as a normal user it runs as that user. A streaming
standby of a cluster is one ``pg_basebackup -R`` away (``standby_of``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import psycopg.sql

from drills.targets.local.binaries import locate_binaries
from drills.targets.local.ports import port_is_free

_FAST_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "256MB",
    "work_mem": "64MB",
    "max_wal_size": "4GB",
    "hot_standby_feedback": "on",
    "log_min_messages": "warning",
}


def free_port(low: int, high: int) -> int:
    """First port in [low, high) nobody listens on (the helpers share the machine)."""
    for port in range(low, high):
        if port_is_free(port):
            return port
    raise RuntimeError(f"no free port in {low}-{high}")


def _run_as() -> dict[str, int]:
    """Popen kwargs that drop root to ``nobody``; empty for a normal user."""
    return {"user": 65534, "group": 65534} if os.geteuid() == 0 else {}


def _chown_tree(path: Path) -> None:
    if os.geteuid() == 0:
        for root, dirs, files in os.walk(path):
            for name in [*dirs, *files]:
                os.chown(Path(root) / name, 65534, 65534)
        os.chown(path, 65534, 65534)


@dataclass
class PgCluster:
    """One running postgres process; ``stop()`` ends it and removes its files."""

    base: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None
    owns_base: bool = True
    _log: Path = field(init=False)

    def __post_init__(self) -> None:
        self._log = self.base / f"postgres-{self.port}.log"

    @property
    def data_dir(self) -> Path:
        return self.base / f"data-{self.port}"

    def dsn(self, dbname: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname} connect_timeout=5"

    def url(self, dbname: str = "postgres", driver: str = "postgresql") -> str:
        """SQLAlchemy-style URL (reladiff, Great Expectations)."""
        return f"{driver}://postgres@127.0.0.1:{self.port}/{dbname}"

    @classmethod
    def create(cls, port: int, base: Path | None = None) -> PgCluster:
        """initdb a new cluster and start it."""
        cluster = cls(base=base or _make_base(), port=port, owns_base=base is None)
        cluster.data_dir.mkdir()
        _chown_tree(cluster.base)
        subprocess.run(
            [str(locate_binaries().pg("initdb")), "-D", str(cluster.data_dir), "-U", "postgres",
             "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"],
            check=True, capture_output=True, **_run_as(),  # type: ignore[call-overload]
        )
        cluster.start()
        return cluster

    def standby_of(self, port: int) -> PgCluster:
        """A physical streaming standby of this cluster (pg_basebackup -R), started."""
        standby = PgCluster(base=self.base, port=port, owns_base=False)
        subprocess.run(
            [str(locate_binaries().pg("pg_basebackup")), "-h", "127.0.0.1", "-p", str(self.port), "-U",
             "postgres", "-D", str(standby.data_dir), "-R", "-X", "stream", "-c", "fast", "--no-sync"],
            check=True, capture_output=True, **_run_as(),  # type: ignore[call-overload]
        )
        standby.start()
        return standby

    def start(self) -> None:
        settings = [arg for key, value in _FAST_SETTINGS.items() for arg in ("-c", f"{key}={value}")]
        log = self._log.open("ab")
        self.proc = subprocess.Popen(
            [str(locate_binaries().pg("postgres")), "-D", str(self.data_dir), "-p", str(self.port),
             "-k", str(self.base), *settings],
            stdout=log, stderr=log, **_run_as(),  # type: ignore[call-overload]
        )
        self._wait_ready()

    def _wait_ready(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"postgres on port {self.port} exited; see {self._log}")
            try:
                with psycopg.connect(self.dsn(), connect_timeout=2) as conn:
                    conn.execute("SELECT 1")
                    return
            except psycopg.OperationalError:
                time.sleep(0.1)
        raise RuntimeError(f"postgres on port {self.port} not ready after {timeout_s} s")

    def stop(self) -> None:
        """Fast shutdown of the process we started; files go with the cluster that owns them."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self.owns_base:
            shutil.rmtree(self.base, ignore_errors=True)


def _make_base() -> Path:
    """A temp dir the unprivileged server user can traverse (pytest's tmp dirs are 0700 root)."""
    base = Path(tempfile.mkdtemp(prefix="htdr-integrity-pg-"))
    base.chmod(0o755)
    return base


@contextmanager
def scratch_cluster(ports: tuple[int, int], sql: Mapping[str, str] | None = None) -> Iterator[PgCluster]:
    """A scratch cluster on a free port in ``ports``: each database named in ``sql`` is created (unless
    it is ``postgres``) and its statements run in it, in order; the cluster is stopped on exit."""
    cluster = PgCluster.create(free_port(*ports))
    try:
        for dbname, statements in (sql or {}).items():
            if dbname != "postgres":
                with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
                    conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(dbname)))
            if statements:
                with psycopg.connect(cluster.dsn(dbname), autocommit=True) as conn:
                    conn.execute(statements)
        yield cluster
    finally:
        cluster.stop()
