"""Steps shared by the scenarios: warm-up under load, detection, readability of new writes, drain."""

from __future__ import annotations

import time
from collections.abc import Callable

from drills.journal import Phase
from drills.measure.rpo import DB_LAG
from drills.scenarios.context import DrillAborted, DrillContext

#: Pre-fault guard: more than this share of failed POST batches means the pipeline is not healthy.
MAX_WARMUP_ERROR_SHARE = 0.2
#: Drained: the newest acknowledged event is at most this much newer than the newest stored one
#: (a store that merely paused for ``drain_settle_s`` under CPU pressure is not drained).
DRAINED_LAG_S = 0.5


def warm_up(ctx: DrillContext) -> float:
    """Configure the topology, start the load and, once it flows (the producer process takes a moment
    to start on a busy machine), let it run ``fault_after_s`` with the abort guards on."""
    cfg, target = ctx.config, ctx.target
    ctx.act(lambda: target.configure(cfg.topology()))
    ctx.act(lambda: target.start_load(cfg.load()))
    ctx.wait_until("first acknowledged event (producer start-up)",
                   lambda: target.load_stats().acknowledged > 0, cfg.recovery_timeout_s)
    t_load = ctx.mark(Phase.LOAD_STARTED, f"{cfg.rate_per_min} events/min, ingest {cfg.ingest_mode.value}, "
                      f"replication {cfg.replication_mode.value}, link {cfg.link_latency_ms:g} ms")
    ctx.deadline = t_load + cfg.load_s + cfg.recovery_timeout_s
    end = time.monotonic() + cfg.fault_after_s
    while time.monotonic() < end:
        ctx.sleep(min(0.5, max(0.0, end - time.monotonic())))
        guard_warm_up(ctx)
    stats = target.load_stats()
    if stats.acknowledged == 0:
        raise DrillAborted("no event was acknowledged during warm-up: the pipeline is not taking load")
    ctx.progress(f"warm-up done: {stats.acknowledged} events acknowledged")
    return t_load


def guard_warm_up(ctx: DrillContext) -> None:
    """Abort conditions before the fault: runaway lag or a failing ingest (the drill would mean nothing)."""
    lag = ctx.sampler.latest(DB_LAG) if ctx.sampler else None
    if lag is not None and lag.lag_s is not None and lag.lag_s > ctx.config.abort_lag_s:
        raise DrillAborted(f"replication lag {lag.lag_s:.1f} s exceeds abort_lag_s before the fault")
    stats = ctx.target.load_stats()
    batches = max(1, stats.sent // 500)
    if stats.errors / batches > MAX_WARMUP_ERROR_SHARE:
        raise DrillAborted(f"ingest failing before the fault ({stats.errors} failed batches)")


def detect_down(ctx: DrillContext, alive: Callable[[], bool], what: str) -> float:
    """Health probe every ``probe_interval_s``; down after ``detect_failures`` consecutive failures."""
    needed, failures = ctx.config.detect_failures, 0

    def probe() -> bool:
        nonlocal failures
        failures = 0 if _safe(alive) else failures + 1
        return failures >= needed

    ctx.wait_until(f"detection of {what}", probe, ctx.config.recovery_timeout_s)
    return ctx.mark(Phase.DETECTED, f"{what}: {needed} consecutive failed probes")


def wait_first_ack_readable(ctx: DrillContext, region: str, t0: float) -> float:
    """RTO end: an event acknowledged after t0 is readable from ``region``'s writer."""
    target = ctx.target

    def ready() -> bool:
        def any_post_t0_ack() -> bool:
            keys = target.newest_stored_keys(region, since=t0)
            return any(t is not None and t > t0 for t in target.ack_times(keys).values())
        return _safe(any_post_t0_ack)

    t = ctx.wait_until("first acknowledged write readable", ready, ctx.config.recovery_timeout_s)
    return ctx.mark(Phase.FIRST_ACK_WRITE_READABLE, f"read back from {region}", at=t)


def finish_load_and_drain(ctx: DrillContext, region: str, t_load: float) -> float:
    """Let the load run its course, stop it, then wait until ``region``'s store stops growing and the
    processor has caught up with the newest acknowledged event."""
    cfg, target = ctx.config, ctx.target
    ctx.sleep(max(0.0, t_load + cfg.load_s - time.time()))
    target.stop_load()
    ctx.progress("load stopped; draining the backlog")
    last = {"count": -1, "changed": time.time()}

    def settled() -> bool:
        count = target.store_count(region)
        now = time.time()
        if count != last["count"]:
            last["count"], last["changed"] = count if count is not None else -1, now
            return False
        if now - last["changed"] < cfg.drain_settle_s:
            return False
        lag = _safe_lag(lambda: target.consumer_lag_s(region))
        return lag is None or lag <= DRAINED_LAG_S

    ctx.wait_until("backlog drained", settled, cfg.recovery_timeout_s)
    return ctx.mark(Phase.BACKLOG_DRAINED, f"{last['count']} rows in {region}'s store", at=last["changed"])


def _safe_lag(probe: Callable[[], float | None]) -> float | None:
    """A lag probe that raises is unreadable (None)."""
    try:
        return probe()
    except Exception:
        return None


def _safe(check: Callable[[], bool]) -> bool:
    """A probe that raises counts as a failed probe (the engine is unreachable)."""
    try:
        return check()
    except Exception:
        return False
