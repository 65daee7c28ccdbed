"""``cache_failover``: the session cache primary dies; the replica is promoted; sessions are measured.

A writer thread writes synthetic sessions (``sess-<n>``, no PHI) at ``session_rate_per_s`` and
records each acknowledgement — the sessions' own ledger. The cache primary is killed (t0), detected by
consecutive failed writes, the replica promoted (the global datastore failover) and clients repointed.
Loss = acknowledged sessions missing on the new primary; RPO (metric) = the replication offset gap at
t0 converted to seconds with the primary's own offset history (how long ago the primary was where
the replica is now). RTO = t0 → a session acknowledged after t0 is readable.

Rollback: ``reset()`` rebuilds the original cache pair.
"""

from __future__ import annotations

import threading

from contracts.events import LedgerRow
from contracts.journal import Phase
from drills.clock import Clock, Ticker
from drills.measure.loss import measure_loss
from drills.measure.position_clock import PositionClock
from drills.scenarios.context import DrillContext
from drills.scenarios.sampler import Probe
from drills.scenarios.scenario import Outcome, Scenario
from drills.scenarios.steps import configure_topology
from drills.targets.roles import DatabaseReplication, SessionCache
from drills.targets.values import SessionWrite

CACHE_LAG = "cache_replication_lag"


class CacheFailover(Scenario):
    name = "cache_failover"
    description = "Session cache primary dies; replica promoted; acknowledged sessions measured"
    #: The topology (link latency, replication mode) is applied like every drill's, so the journal
    #: records what ran.
    roles = (SessionCache, DatabaseReplication)
    event_load = False

    def lag_probes(self, ctx: DrillContext) -> dict[str, Probe]:
        cache, offsets = ctx.cache, _OffsetClock(ctx.clock)
        return {CACHE_LAG: lambda: offsets.lag_s(cache)}

    def preconditions(self, ctx: DrillContext) -> list[str]:
        if ctx.cache.cache_replication_offsets() is None:
            return ["cache: replica not attached to the primary"]
        return []

    def run(self, ctx: DrillContext) -> Outcome:
        cache, cfg = ctx.cache, ctx.config
        configure_topology(ctx)
        writer = _SessionWriter(cache, cfg.session_rate_per_s, ctx.clock)
        t_load = ctx.mark(Phase.LOAD_STARTED, f"{cfg.session_rate_per_s} session writes/s")
        ctx.deadline = t_load + cfg.load_s + cfg.recovery_timeout_s
        writer.start()
        try:
            ctx.sleep(cfg.fault_after_s)
            t0 = ctx.inject(cache.kill_cache_primary, "cache primary killed")
            ctx.wait_until("cache failure detected", lambda: writer.failures_since(t0) >= cfg.detect_failures,
                           cfg.recovery_timeout_s)
            ctx.mark(Phase.DETECTED, f"{cfg.detect_failures} failed session writes")
            ctx.act(cache.promote_cache_replica)
            ctx.mark(Phase.PROMOTED, "cache replica promoted")
            ctx.mark(Phase.REPOINTED, "session clients now write to the promoted replica")
            t_ok = ctx.wait_until("first acknowledged session readable",
                                  lambda: writer.readable_after(t0), cfg.recovery_timeout_s)
            ctx.mark(Phase.FIRST_ACK_WRITE_READABLE, "session read back from the new primary", at=t_ok)
            ctx.sleep(max(0.0, t_load + cfg.load_s - ctx.clock.time()))
        finally:
            writer.stop()
        present = cache.session_present(w.key for w in writer.writes)
        ctx.mark(Phase.BACKLOG_DRAINED, "nothing to drain: sessions are written synchronously")
        rows = [LedgerRow(event_key=i, digest=0, t_sent=w.t_sent, t_ack=w.t_ack)
                for i, w in enumerate(writer.writes)]
        store = {i: 0 for i, w in enumerate(writer.writes) if w.key in present}
        loss = measure_loss(rows, store, method="session keys read back from the promoted cache",
                            name=lambda i: f"sess-{i}")
        return Outcome(survivor=ctx.dr, dual_ingest=False, loss=loss, metric_sources=(CACHE_LAG,),
                       writer=ctx.primary)


class _TimedWrite:
    __slots__ = ("key", "t_ack", "t_sent")

    def __init__(self, key: str, t_sent: float, t_ack: float | None) -> None:
        self.key, self.t_sent, self.t_ack = key, t_sent, t_ack


class _SessionWriter:
    """Writes sessions at a fixed rate on a ticker and keeps the ledger of what was acknowledged."""

    def __init__(self, cache: SessionCache, rate_per_s: int, clock: Clock) -> None:
        self._cache, self._interval, self._clock = cache, 1.0 / rate_per_s, clock
        self._ticker: Ticker | None = None
        self._lock = threading.Lock()
        self.writes: list[_TimedWrite] = []

    def start(self) -> None:
        self._ticker = self._clock.every(self._interval, self._write_one, "sessions")

    def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.stop()

    def _recent(self) -> list[_TimedWrite]:
        with self._lock:
            return self.writes[-1000:]

    def failures_since(self, t: float) -> int:
        return sum(1 for w in self._recent() if w.t_sent >= t and w.t_ack is None)

    def readable_after(self, t0: float) -> bool:
        keys = [w.key for w in self._recent() if w.t_ack is not None and w.t_ack > t0][:50]
        return bool(keys) and bool(self._cache.session_present(keys))

    def _write_one(self) -> None:
        key = f"sess-{len(self.writes)}"
        t_sent = self._clock.time()
        try:
            result: SessionWrite = self._cache.write_session(key)
            t_ack = result.t_ack
        except Exception:  # the primary is dead: unacknowledged, retried as a new session
            t_ack = None
        with self._lock:
            self.writes.append(_TimedWrite(key, t_sent, t_ack))


class _OffsetClock:
    """Converts the replica's byte offset into seconds behind, from the primary's offset history."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._history = PositionClock()

    def lag_s(self, cache: SessionCache) -> float | None:
        pair = cache.cache_replication_offsets()
        if pair is None:
            return None
        now = self._clock.time()
        primary, replica = pair
        self._history.record(now, primary)
        return self._history.lag_s(now, replica)
