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
import time

from drills.journal import Phase
from drills.measure.loss import LedgerRow, measure_loss
from drills.measure.position_clock import PositionClock
from drills.scenarios.context import DrillContext
from drills.scenarios.sampler import Probe
from drills.scenarios.scenario import Outcome, Scenario
from drills.scenarios.steps import configure_topology
from drills.targets.base import SessionWrite, Target

CACHE_LAG = "cache_replication_lag"


class CacheFailover(Scenario):
    name = "cache_failover"
    description = "Session cache primary dies; replica promoted; acknowledged sessions measured"
    event_load = False

    def __init__(self) -> None:
        self._offsets = _OffsetClock()

    def lag_probes(self, ctx: DrillContext) -> dict[str, Probe]:
        return {CACHE_LAG: lambda: self._offsets.lag_s(ctx.target)}

    def preconditions(self, ctx: DrillContext) -> list[str]:
        problems = ctx.target.health().failures()
        if ctx.target.cache_replication_offsets() is None:
            problems.append("cache: replica not attached to the primary")
        return problems

    def run(self, ctx: DrillContext) -> Outcome:
        target, cfg = ctx.target, ctx.config
        configure_topology(ctx)
        writer = _SessionWriter(target, cfg.session_rate_per_s)
        t_load = ctx.mark(Phase.LOAD_STARTED, f"{cfg.session_rate_per_s} session writes/s")
        ctx.deadline = t_load + cfg.load_s + cfg.recovery_timeout_s
        writer.start()
        try:
            ctx.sleep(cfg.fault_after_s)
            t0 = ctx.inject(target.kill_cache_primary, "cache primary killed")
            ctx.wait_until("cache failure detected", lambda: writer.failures_since(t0) >= cfg.detect_failures,
                           cfg.recovery_timeout_s)
            ctx.mark(Phase.DETECTED, f"{cfg.detect_failures} failed session writes")
            ctx.act(target.promote_cache_replica)
            ctx.mark(Phase.PROMOTED, "cache replica promoted")
            ctx.mark(Phase.REPOINTED, "session clients now write to the promoted replica")
            t_ok = ctx.wait_until("first acknowledged session readable",
                                  lambda: writer.readable_after(t0), cfg.recovery_timeout_s)
            ctx.mark(Phase.FIRST_ACK_WRITE_READABLE, "session read back from the new primary", at=t_ok)
            ctx.sleep(max(0.0, t_load + cfg.load_s - time.time()))
        finally:
            writer.stop()
        present = target.session_present(w.key for w in writer.writes)
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
    """Writes sessions at a fixed rate in a thread and keeps the ledger of what was acknowledged."""

    def __init__(self, target: Target, rate_per_s: int) -> None:
        self._target, self._interval = target, 1.0 / rate_per_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sessions", daemon=True)
        self.writes: list[_TimedWrite] = []

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def failures_since(self, t: float) -> int:
        return sum(1 for w in self.writes[-1000:] if w.t_sent >= t and w.t_ack is None)

    def readable_after(self, t0: float) -> bool:
        keys = [w.key for w in self.writes[-1000:] if w.t_ack is not None and w.t_ack > t0][:50]
        return bool(keys) and bool(self._target.session_present(keys))

    def _loop(self) -> None:
        n, next_at = 0, time.monotonic()
        while not self._stop.is_set():
            t_sent = time.time()
            try:
                result: SessionWrite = self._target.write_session(f"sess-{n}")
                t_ack = result.t_ack
            except Exception:  # the primary is dead: unacknowledged, retried as a new session
                t_ack = None
            self.writes.append(_TimedWrite(f"sess-{n}", t_sent, t_ack))
            n += 1
            next_at += self._interval
            self._stop.wait(max(0.0, next_at - time.monotonic()))


class _OffsetClock:
    """Converts the replica's byte offset into seconds behind, from the primary's offset history."""

    def __init__(self) -> None:
        self._history = PositionClock()

    def lag_s(self, target: Target) -> float | None:
        now = time.time()
        pair = target.cache_replication_offsets()
        if pair is None:
            return None
        primary, replica = pair
        self._history.record(now, primary)
        return self._history.lag_s(now, replica)
