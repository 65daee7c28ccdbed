"""Steps shared by the scenarios: warm-up under load, detection, readability of new writes, drain."""

from __future__ import annotations

from collections.abc import Callable

from contracts.journal import Phase
from drills.ledger import Ledger
from drills.measure.rpo import DB_LAG
from drills.scenarios.context import DrillAborted, DrillContext
from drills.targets.roles import TopologyReadBack

#: Pre-fault guard: more than this share of failed POST batches means the pipeline is not healthy.
MAX_WARMUP_ERROR_SHARE = 0.2


def warm_up(ctx: DrillContext) -> float:
    """Configure the topology, start the load and, once it flows (the producer process takes a moment
    to start on a busy machine), let it run ``fault_after_s`` with the abort guards on."""
    cfg, load = ctx.config, ctx.load
    configure_topology(ctx)
    ctx.act(lambda: load.start_load(cfg.load()))
    ctx.wait_until("first acknowledged event (producer start-up)",
                   lambda: load.load_stats().acknowledged > 0, cfg.recovery_timeout_s)
    t_load = ctx.mark(Phase.LOAD_STARTED, f"{cfg.rate_per_min} events/min, ingest {cfg.ingest_mode.value}, "
                      f"replication {cfg.replication_mode.value}, link {cfg.link_latency_ms:g} ms")
    ctx.deadline = t_load + cfg.load_s + cfg.recovery_timeout_s
    end = ctx.clock.monotonic() + cfg.fault_after_s
    while ctx.clock.monotonic() < end:
        ctx.sleep(min(0.5, max(0.0, end - ctx.clock.monotonic())))
        guard_warm_up(ctx)
    stats = load.load_stats()
    if stats.acknowledged == 0:
        raise DrillAborted("no event was acknowledged during warm-up: the pipeline is not taking load")
    ctx.progress(f"warm-up done: {stats.acknowledged} events acknowledged")
    return t_load


def configure_topology(ctx: DrillContext) -> None:
    """Apply the drill's topology and record what the target reports actually in effect."""
    ctx.act(lambda: ctx.replication.configure(ctx.config.topology()))
    applied = ctx.target.topology() if isinstance(ctx.target, TopologyReadBack) else None
    if applied is None:
        ctx.note("topology in effect: not readable from the target")
        return
    ctx.applied_topology = {"replication_mode": applied.replication_mode.value,
                            "link_latency_ms": applied.link_latency_ms}
    ctx.note(f"topology in effect (read back): replication {applied.replication_mode.value}, "
             f"link {applied.link_latency_ms:g} ms")


def guard_warm_up(ctx: DrillContext) -> None:
    """Abort conditions before the fault: runaway lag or a failing ingest (the drill would mean nothing)."""
    lag = ctx.sampler.latest(DB_LAG) if ctx.sampler else None
    if lag is not None and lag.lag_s is not None and lag.lag_s > ctx.config.abort_lag_s:
        raise DrillAborted(f"replication lag {lag.lag_s:.1f} s exceeds abort_lag_s before the fault")
    stats = ctx.load.load_stats()
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
    store, ledger = ctx.store, Ledger(ctx.load.ledger_path())

    def ready() -> bool:
        def any_post_t0_ack() -> bool:
            keys = store.newest_stored_keys(region, since=t0)
            return any(t is not None and t > t0 for t in ledger.ack_times(keys).values())
        return _safe(any_post_t0_ack)

    t = ctx.wait_until("first acknowledged write readable", ready, ctx.config.recovery_timeout_s)
    return ctx.mark(Phase.FIRST_ACK_WRITE_READABLE, f"read back from {region}", at=t)


def finish_load_and_drain(ctx: DrillContext, region: str, t_load: float) -> float:
    """Let the load run its course, stop it, then wait until ``region``'s backlog has drained.

    Drained means, on every poll of a ``drain_settle_s`` window: the processor is running, its
    committed stream positions are at the end of its stream as it stands after the producer stopped
    (``stream_backlog`` is 0: every record is in the store) and the store count did not change. A
    store that merely paused (a processor restarting, a replay not yet started) is not drained.
    After ``recovery_timeout_s`` the drill aborts with a "not drained" reason instead of measuring
    loss on a store that is still filling.
    """
    cfg, store, processors = ctx.config, ctx.store, ctx.processors
    ctx.sleep(max(0.0, t_load + cfg.load_s - ctx.clock.time()))
    ctx.load.stop_load()
    ctx.progress("load stopped; draining the backlog")
    state: dict[str, float | int | None] = {"count": -1, "since": None, "backlog": None}

    def settled() -> bool:
        backlog = _safe_count(lambda: processors.stream_backlog(region))
        count = _safe_count(lambda: store.store_count(region))
        running = _safe(lambda: processors.processor_alive(region))
        state["backlog"] = backlog
        now = ctx.clock.time()
        if not running or backlog != 0 or count is None or count != state["count"]:
            state["count"], state["since"] = count, None
            return False
        if state["since"] is None:
            state["since"] = now
        return now - float(state["since"] or now) >= cfg.drain_settle_s

    try:
        ctx.wait_until("backlog drained", settled, cfg.recovery_timeout_s)
    except DrillAborted:
        if ctx.stop.is_set():
            raise
        left = "unreadable" if state["backlog"] is None else state["backlog"]
        raise DrillAborted(f"backlog not drained within {cfg.recovery_timeout_s:.0f} s "
                           f"(unconsumed stream records: {left}, store rows "
                           f"{state['count']}): loss not measured") from None
    return ctx.mark(Phase.BACKLOG_DRAINED, f"{state['count']} rows in {region}'s store, its stream fully "
                    "consumed", at=float(state["since"] or ctx.clock.time()))


def _safe_count(probe: Callable[[], int | None]) -> int | None:
    """A count probe that raises is unreadable (None)."""
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
