"""The session cache of a deployment as ``cache_failover``'s session client reaches it: the primary
replication group's primary endpoint, through the same ``SessionStore`` the sandbox uses.

Found from the outputs: ``PrimaryCacheEndpoint`` (a ``host:port`` endpoint keeps its own port) and
``CachePort``. The drill runs inside the deployment's network (the control plane's run task, with a
private path to the primary region's cache), so the endpoint's name resolves to the current primary
node: ElastiCache moves that DNS name to the promoted replica after a failover, so the client needs
no switch (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/AutoFailover.html).

TLS: the replication group requires in-transit encryption (``TransitEncryptionMode: required``), so the
client speaks TLS and verifies the node's certificate and name
(https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/in-transit-encryption.html). AUTH: the token of
the cache secret (``contracts.secrets.CACHE_AUTH_TOKEN``), read on first use from its home (primary)
region, else from its DR replica, and kept in memory only (never in a repr, log line or exception).

Offsets: ``INFO replication`` is not among ElastiCache's restricted commands
(https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/ClientConfig.RestrictedCommands.html); the
outputs name no replica endpoint, so both offsets come from the primary: its ``master_repl_offset`` and
the offset its replicas last acknowledged (``offsets_seen_by_primary``). Without an online replica
listed the pair is None and the scenario reports the metric as not measured.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from contracts.outputs import OutputKey, RegionalKey, Side
from drills.targets.aws.credentials import cache_auth_token, home_or_replica
from drills.targets.aws.executor import ClientFactory
from drills.targets.aws.outputs import AwsOutputs
from drills.targets.session_store import CacheEndpoint, SessionStore, offsets_seen_by_primary
from drills.targets.values import SessionWrite


class AwsSessionCache:
    """Sessions and replication offsets of the deployment's primary cache; ``endpoint`` overrides where
    the writer is (a test's own Valkey), otherwise it is the primary endpoint with TLS and AUTH."""

    def __init__(self, outputs: AwsOutputs, clients: ClientFactory,
                 endpoint: Callable[[], CacheEndpoint] | None = None) -> None:
        self._outputs, self._clients = outputs, clients
        self._lock = threading.Lock()
        self._endpoint: CacheEndpoint | None = None
        self._store = SessionStore(endpoint or self.primary_endpoint)

    def primary_endpoint(self) -> CacheEndpoint:
        """The primary replication group's primary endpoint, TLS, with the AUTH token (read once)."""
        with self._lock:
            if self._endpoint is None:
                host, port = self._outputs.endpoint(Side.PRIMARY, RegionalKey.CACHE_ENDPOINT,
                                                    OutputKey.CACHE_PORT)
                token = home_or_replica(lambda side: cache_auth_token(self._outputs, self._clients, side))
                self._endpoint = CacheEndpoint(host, int(port), token, tls=True)
            return self._endpoint

    def write_session(self, key: str) -> SessionWrite:
        return self._store.write(key)

    def session_present(self, keys: Iterable[str]) -> set[str]:
        return self._store.present(keys)

    def cache_replication_offsets(self) -> tuple[int, int] | None:
        return offsets_seen_by_primary(self._store.replication_info())

    def close(self) -> None:
        self._store.forget()
