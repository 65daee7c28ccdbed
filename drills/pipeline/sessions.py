"""Device sessions in the regional cache: ``session:<device_id>`` -> last_seq, last_ts, region.

Only operational state lives here — no ``patient_ref``, no vitals — so the cache holds no PHI. The
cache is secondary to the store: when it is unreachable the processor keeps writing the store and
retries the cache later (``SessionCache.update`` reports failure instead of raising).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

import redis

from drills.pipeline.events import VitalsEvent

log = logging.getLogger("htdr.processor")

RETRY_AFTER_S = 2.0


class SessionCache:
    """Lazy, self-reconnecting Valkey/Redis client for the session hashes."""

    def __init__(self, host: str, port: int, auth_token: str | None, region: str, *, tls: bool) -> None:
        """``tls``: Redis protocol over TLS, verifying the server's certificate against the system's
        trust store (ElastiCache in-transit encryption); ``auth_token``: the AUTH password, if any."""
        self._client = redis.Redis(
            host=host, port=port, password=auth_token,
            ssl=tls, ssl_cert_reqs="required", ssl_check_hostname=tls,
            socket_timeout=2, socket_connect_timeout=2,
        )
        self._region = region
        self._down_since: float | None = None
        self._retry_at = 0.0

    def update(self, events: Iterable[VitalsEvent]) -> bool:
        """Set each device's newest (seq, ts); False when skipped because the cache is unreachable."""
        if self._down_since is not None and time.monotonic() < self._retry_at:
            return False
        latest: dict[str, VitalsEvent] = {}
        for event in events:
            seen = latest.get(event.device_id)
            if seen is None or event.seq > seen.seq:
                latest[event.device_id] = event
        try:
            pipe = self._client.pipeline(transaction=False)
            for device_id, event in latest.items():
                pipe.hset(f"session:{device_id}", mapping={
                    "last_seq": event.seq, "last_ts": event.ts, "region": self._region,
                })
            pipe.execute()
        except redis.RedisError as err:
            if self._down_since is None:
                self._down_since = time.monotonic()
                log.warning("session cache unreachable (%s); store writes continue, retrying",
                            type(err).__name__)
            self._retry_at = time.monotonic() + RETRY_AFTER_S
            return False
        if self._down_since is not None:
            log.info("session cache reachable again after %.1f s", time.monotonic() - self._down_since)
            self._down_since = None
        return True

    def close(self) -> None:
        self._client.close()
