"""The session client of ``cache_failover``, the same on every target: synthetic sessions written to and
read back from the current cache writer, and the replication offsets read from ``INFO replication``.

A session is the key ``drill:sess-<n>`` with the value ``1`` (no PHI), set with an expiry so a drill
against a shared cache leaves none behind. The target injects where its writer is (``CacheEndpoint``:
host, port, TLS, AUTH token), asked again on every call, so a target whose writer moves (the sandbox's
promotion changes the port) or whose DNS name moves (ElastiCache's primary endpoint) is followed.

Writes use one kept client per endpoint and a short timeout: the writer ticks at up to
``session_rate_per_s`` and a dead primary must fail a write fast, not stall the ticker. Probes of
``INFO replication`` keep their own clients (the lag sampler polls at >= 10 Hz).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from drills.targets.values import SessionWrite

#: Key prefix of the synthetic sessions (never a real session's).
PREFIX = "drill:"
#: Expiry of a synthetic session: longer than any drill (its read-back happens at the drill's end).
SESSION_TTL_S = 86_400
#: Timeout of one session write or offset probe, and of the final read-back.
WRITE_TIMEOUT_S = 0.3
READ_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class CacheEndpoint:
    """Where the cache writer (or a node to probe) listens, and how to authenticate to it.

    ``token`` is the AUTH token: kept out of ``repr`` (and so out of every log line and exception that
    shows an endpoint). ``tls``: the server's certificate is verified against the system's trust store
    and its name checked against ``host``."""

    host: str
    port: int
    token: str = field(repr=False)
    tls: bool = False

    def __str__(self) -> str:
        return f"{self.host}:{self.port}{' (TLS)' if self.tls else ''}"


def connection_kwargs(endpoint: CacheEndpoint, timeout_s: float) -> dict[str, Any]:
    """Keyword arguments of ``redis.Redis`` for ``endpoint`` (they carry the token: never log them).

    No retry: a write the writer does not take is recorded as failed at once (the session writer's
    next tick is the retry), instead of redis-py's default retries with backoff stalling the ticker."""
    kwargs: dict[str, Any] = {
        "host": endpoint.host,
        "port": endpoint.port,
        "password": endpoint.token,
        "socket_timeout": timeout_s,
        "socket_connect_timeout": timeout_s,
        "decode_responses": True,
        "retry": Retry(NoBackoff(), 0),
    }
    if endpoint.tls:
        kwargs.update(ssl=True, ssl_cert_reqs="required", ssl_check_hostname=True)
    return kwargs


def connect(endpoint: CacheEndpoint, timeout_s: float) -> redis.Redis:
    return redis.Redis(**connection_kwargs(endpoint, timeout_s))


class SessionStore:
    """Sessions on the writer ``writer()`` names; offsets from the nodes a target names."""

    def __init__(self, writer: Callable[[], CacheEndpoint], clock: Callable[[], float] = time.time) -> None:
        self._writer = writer
        self._clock = clock
        self._lock = threading.Lock()
        self._writers: dict[CacheEndpoint, redis.Redis] = {}
        self._probes: dict[CacheEndpoint, redis.Redis] = {}

    def _kept(self, pool: dict[CacheEndpoint, redis.Redis], endpoint: CacheEndpoint) -> redis.Redis:
        with self._lock:
            client = pool.get(endpoint)
            if client is None:
                client = pool[endpoint] = connect(endpoint, WRITE_TIMEOUT_S)
            return client

    def write(self, key: str) -> SessionWrite:
        """One SET on the writer; unacknowledged (``t_ack`` None) when the writer does not take it."""
        try:
            self._kept(self._writers, self._writer()).set(f"{PREFIX}{key}", "1", ex=SESSION_TTL_S)
            return SessionWrite(key=key, t_ack=self._clock())
        except redis.RedisError:
            return SessionWrite(key=key, t_ack=None)

    def present(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` the writer holds (one pipelined EXISTS each, on a fresh connection)."""
        wanted = list(keys)
        with connect(self._writer(), READ_TIMEOUT_S) as conn:
            pipe = conn.pipeline(transaction=False)
            for key in wanted:
                pipe.exists(f"{PREFIX}{key}")
            found = pipe.execute()
        return {k for k, hit in zip(wanted, found, strict=True) if hit}

    def replication_info(self, endpoint: CacheEndpoint | None = None) -> dict[str, Any] | None:
        """``INFO replication`` of ``endpoint`` (default: the writer); None when it does not answer."""
        node = endpoint or self._writer()
        try:
            return dict(self._kept(self._probes, node).info("replication"))
        except redis.RedisError:
            with self._lock:
                self._probes.pop(node, None)
            return None

    def forget(self) -> None:
        """Drop every kept client (the nodes were rebuilt)."""
        with self._lock:
            clients = [*self._writers.values(), *self._probes.values()]
            self._writers, self._probes = {}, {}
        for client in clients:
            client.close()


def offsets_of_pair(primary: dict[str, Any] | None, replica: dict[str, Any] | None) -> tuple[int, int] | None:
    """(primary ``master_repl_offset``, replica ``slave_repl_offset``), each node read on its own;
    None unless both answered and the replica is attached as one."""
    if not primary or not replica or replica.get("role") != "slave":
        return None
    return int(str(primary.get("master_repl_offset", 0))), int(str(replica.get("slave_repl_offset", 0)))


def offsets_seen_by_primary(primary: dict[str, Any] | None) -> tuple[int, int] | None:
    """(``master_repl_offset``, the lowest ``offset`` of the replicas it lists online) from the primary's
    ``INFO replication`` alone; None when it is not a primary or lists no online replica.

    A replica's offset as the primary sees it is the one the replica last acknowledged (replicas
    acknowledge about once a second), and with several replicas the lowest is taken: the gap is then
    an upper bound of the promoted replica's."""
    if not primary or primary.get("role") != "master":
        return None
    replicas = [v for k, v in primary.items() if k.startswith("slave") and k[5:].isdigit()
                and isinstance(v, dict) and v.get("state") == "online" and "offset" in v]
    if not replicas:
        return None
    return int(str(primary.get("master_repl_offset", 0))), min(int(str(r["offset"])) for r in replicas)
