"""PostgreSQL primary and physical streaming standby from pgserver's bundled binaries.

The binaries are driven directly (initdb, postgres, pg_basebackup) so every setting is ours. As
root the clusters run as an unprivileged OS user (PostgreSQL refuses root). They listen on
127.0.0.1 TCP only, authenticate with SCRAM, and the standby streams from the primary THROUGH the
link proxy, so replication pays the emulated inter-region latency and can be partitioned.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from dataclasses import dataclass
from pathlib import Path

import psycopg

from contracts.store import STORE_DDL
from drills.targets.local.binaries import Binaries
from drills.targets.local.credentials import Credentials
from drills.targets.local.process import ProcessTable, RunAs, chown_tree, run_tool

HOST = "127.0.0.1"
#: application_name of the standby's WAL receiver; what ``synchronous_standby_names`` names in sync mode.
STANDBY_NAME = "dr_standby"
SLOT_NAME = "dr_standby_slot"

_BASE_CONF = """
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
password_encryption = 'scram-sha-256'
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
hot_standby = on
hot_standby_feedback = on
wal_receiver_status_interval = 1s
wal_retrieve_retry_interval = 500ms
wal_sender_timeout = 15s
wal_receiver_timeout = 15s
synchronous_commit = on
# fsync off: the sandbox fakes process crashes (SIGKILL), never power loss; the OS keeps the pages.
fsync = off
dynamic_shared_memory_type = mmap
shared_buffers = 64MB
max_connections = 60
logging_collector = off
log_min_messages = warning
"""

_HBA = f"""
host all all {HOST}/32 scram-sha-256
host replication all {HOST}/32 scram-sha-256
"""


@dataclass(frozen=True)
class PgNode:
    """One cluster: its data directory, port and the pid-file name of its postmaster."""

    name: str
    data_dir: Path
    port: int


def conninfo(port: int, creds: Credentials, dbname: str, connect_timeout_s: int = 3) -> dict[str, object]:
    """psycopg keyword arguments; kept as a dict so no password ends up in a printed DSN."""
    return {
        "host": HOST,
        "port": port,
        "user": creds.db_user,
        "dbname": dbname,
        "password": creds.db_password.get_secret_value(),
        "connect_timeout": connect_timeout_s,
    }


def connect(
    port: int, creds: Credentials, dbname: str = "postgres", connect_timeout_s: int = 3
) -> psycopg.Connection:
    """An autocommit connection (probes and admin statements are single statements)."""
    return psycopg.connect(**conninfo(port, creds, dbname, connect_timeout_s), autocommit=True)  # type: ignore[arg-type]


def accepts_connections(port: int, creds: Credentials) -> bool:
    """True once the server answers a query (startup and recovery finished)."""
    try:
        with connect(port, creds, connect_timeout_s=1) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def init_primary(binaries: Binaries, node: PgNode, creds: Credentials, run_as: RunAs | None) -> None:
    """initdb with the generated superuser password, then write our config and pg_hba."""
    node.data_dir.mkdir(parents=True, mode=0o700)
    chown_tree(node.data_dir, run_as)
    pwfile = node.data_dir.parent / f".{node.name}.pw"
    fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(creds.db_password.get_secret_value())
    chown_tree(pwfile, run_as)
    try:
        run_tool(
            [
                str(binaries.pg("initdb")),
                "-D",
                str(node.data_dir),
                "-U",
                creds.db_user,
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--no-sync",
                "--locale=C",
            ],
            run_as,
            cwd=node.data_dir,
        )
    finally:
        pwfile.unlink(missing_ok=True)
    with open(node.data_dir / "postgresql.conf", "a") as handle:
        handle.write(_BASE_CONF)
    (node.data_dir / "pg_hba.conf").write_text(_HBA)


def start(binaries: Binaries, table: ProcessTable, node: PgNode, run_as: RunAs | None) -> int:
    """Start the postmaster detached; the port is given on the command line (the standby's conf is a copy)."""
    return table.spawn(
        node.name,
        [str(binaries.pg("postgres")), "-D", str(node.data_dir), "-p", str(node.port)],
        run_as=run_as,
        cwd=node.data_dir,
    )


def prepare_database(port: int, creds: Credentials, dbname: str) -> None:
    """Create the patient store database and its tables (the standby gets them by replication)."""
    with connect(port, creds) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if not exists:
            conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(dbname)))
    with connect(port, creds, dbname) as conn:
        conn.execute(STORE_DDL)


def clone_standby(
    binaries: Binaries, standby: PgNode, link_port: int, creds: Credentials, run_as: RunAs | None
) -> None:
    """pg_basebackup through the link (creating the replication slot) and configure streaming."""
    standby.data_dir.parent.mkdir(parents=True, exist_ok=True)
    chown_tree(standby.data_dir.parent, run_as)
    env = {**os.environ, "PGPASSWORD": creds.db_password.get_secret_value(), "PGCONNECT_TIMEOUT": "10"}
    run_tool(
        [
            str(binaries.pg("pg_basebackup")),
            "-h",
            HOST,
            "-p",
            str(link_port),
            "-U",
            creds.db_user,
            "-D",
            str(standby.data_dir),
            "-X",
            "stream",
            "-c",
            "fast",
            "--no-sync",
            "-C",
            "-S",
            SLOT_NAME,
        ],
        run_as,
        env=env,
        cwd=standby.data_dir.parent,
    )
    primary_conninfo = (
        f"host={HOST} port={link_port} user={creds.db_user} "
        f"password={creds.db_password.get_secret_value()} application_name={STANDBY_NAME}"
    )
    with open(standby.data_dir / "postgresql.auto.conf", "a") as handle:
        handle.write(f"primary_conninfo = '{primary_conninfo}'\nprimary_slot_name = '{SLOT_NAME}'\n")
    (standby.data_dir / "standby.signal").touch()
    chown_tree(standby.data_dir, run_as)


def is_streaming(standby_port: int, creds: Credentials) -> bool:
    """True when the standby's WAL receiver is connected and streaming."""
    try:
        with connect(standby_port, creds, connect_timeout_s=1) as conn:
            row = conn.execute("SELECT status FROM pg_stat_wal_receiver").fetchone()
        return row is not None and row[0] == "streaming"
    except psycopg.Error:
        return False


def in_recovery(port: int, creds: Credentials) -> bool | None:
    """True for a standby, False for a primary, None when unreachable."""
    try:
        with connect(port, creds, connect_timeout_s=1) as conn:
            row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
        return bool(row[0]) if row else None
    except psycopg.Error:
        return None


def require_sync_standby(port: int, creds: Credentials) -> None:
    """Sync mode: every commit now waits for the standby's flush (``synchronous_commit = on``).

    Set only once the standby streams: before that, even CREATE DATABASE would wait forever.
    """
    with connect(port, creds) as conn:
        conn.execute(f"ALTER SYSTEM SET synchronous_standby_names = '{STANDBY_NAME}'")
        conn.execute("SELECT pg_reload_conf()")


def promote(port: int, creds: Credentials) -> None:
    """Promote the standby and clear ``synchronous_standby_names`` on it.

    The standby's config is a copy of the primary's: in sync mode it still names a standby that no
    longer exists, and every write on the new primary would hang waiting for it (measured).
    """
    with connect(port, creds) as conn:
        conn.execute("SELECT pg_promote(true, 60)")
        conn.execute("ALTER SYSTEM SET synchronous_standby_names = ''")
        conn.execute("SELECT pg_reload_conf()")


#: IPC_RMID for shmctl(2).
_IPC_RMID = 0


def release_orphaned_shared_memory(data_dir: Path) -> int:
    """Remove the small SysV segment a SIGKILLed postmaster leaves behind; returns how many.

    PostgreSQL keys that segment from the data directory's inode (trying the next key when one is
    taken); a crash leaves it with no process attached. Only unattached segments with such a key
    are removed, so a running cluster is never touched.
    """
    try:
        inode = data_dir.stat().st_ino
        lines = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    except OSError:
        return 0
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    removed = 0
    for line in lines:
        fields = line.split()
        key, shmid, attached = int(fields[0]), int(fields[1]), int(fields[6])
        if inode <= key <= inode + 16 and attached == 0 and libc.shmctl(shmid, _IPC_RMID, None) == 0:
            removed += 1
    return removed
