"""The sessions cache: a Valkey (Redis-protocol) primary and a replica that replicates through a link.

Both require the generated AUTH token (``requirepass``/``masterauth``), like ElastiCache with AUTH
from an existing secret. Persistence is off: the cache is rebuilt from sessions, not restored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import redis

from drills.targets.local.binaries import Binaries
from drills.targets.local.credentials import Credentials
from drills.targets.local.process import ProcessTable

HOST = "127.0.0.1"


@dataclass(frozen=True)
class CacheNode:
    """One valkey-server: its working dir, port and, for a replica, the port it replicates from."""

    name: str
    work_dir: Path
    port: int
    replicaof_port: int | None = None


def _config(node: CacheNode, creds: Credentials) -> str:
    token = creds.cache_token.get_secret_value()
    lines = [
        f"port {node.port}",
        f"bind {HOST}",
        "protected-mode yes",
        f"dir {node.work_dir}",
        'save ""',
        "appendonly no",
        "daemonize no",
        f"requirepass {token}",
        f"masterauth {token}",
        "repl-diskless-sync yes",
        "repl-diskless-sync-delay 0",
        "repl-timeout 15",
        "loglevel warning",
    ]
    if node.replicaof_port is not None:
        lines.append(f"replicaof {HOST} {node.replicaof_port}")
    return "\n".join(lines) + "\n"


def start(binaries: Binaries, table: ProcessTable, node: CacheNode, creds: Credentials) -> int:
    """Write the node's config (0600: it holds the token) and start it detached."""
    node.work_dir.mkdir(parents=True, exist_ok=True)
    conf = node.work_dir / "valkey.conf"
    conf.touch(mode=0o600)
    conf.write_text(_config(node, creds))
    return table.spawn(node.name, [str(binaries.valkey_server), str(conf)], cwd=node.work_dir)


def client(port: int, creds: Credentials, timeout_s: float = 1.0) -> redis.Redis:
    """An authenticated client; ``decode_responses`` so INFO and roles come back as str."""
    return redis.Redis(
        host=HOST,
        port=port,
        password=creds.cache_token.get_secret_value(),
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        decode_responses=True,
    )


def replication_info(port: int, creds: Credentials) -> dict[str, object] | None:
    """``INFO replication`` of the node, or None when it does not answer."""
    try:
        with client(port, creds) as conn:
            return dict(conn.info("replication"))
    except redis.RedisError:
        return None


def is_ready(port: int, creds: Credentials) -> bool:
    """True when the node answers an authenticated PING."""
    try:
        with client(port, creds) as conn:
            return bool(conn.ping())
    except redis.RedisError:
        return False


def replica_in_sync(port: int, creds: Credentials) -> bool:
    """True when the replica's link to its primary is up."""
    info = replication_info(port, creds)
    return bool(info) and info.get("role") == "slave" and info.get("master_link_status") == "up"  # type: ignore[union-attr]


def promote(port: int, creds: Credentials) -> None:
    """REPLICAOF NO ONE: the replica becomes a writable primary."""
    with client(port, creds, timeout_s=5.0) as conn:
        conn.execute_command("REPLICAOF", "NO", "ONE")
