"""``planned_switchover``: a healthy primary is handed over to the DR region; zero loss expected.

Order (Aurora ``switchover_global_cluster`` semantics, RPO 0): repoint the producer to DR (t0: new
writes now land in the DR stream), let the primary processor drain the primary stream, stop it
gracefully (the writer is fenced: nothing more is written there), wait until the DR side replayed
everything, promote DR and start its processor. Holds for any ingest/replication mode because the
old primary is drained and replicated before promotion.

Rollback on the local target: ``reset()`` back to the original topology.
"""

from __future__ import annotations

from contracts.journal import Phase
from drills.scenarios.context import DrillAborted, DrillContext
from drills.scenarios.scenario import Outcome, Scenario
from drills.scenarios.steps import finish_load_and_drain, wait_first_ack_readable, warm_up
from drills.targets.values import IngestMode


class PlannedSwitchover(Scenario):
    name = "planned_switchover"
    description = "Healthy primary handed over to the DR region (switchover, RPO 0)"

    def run(self, ctx: DrillContext) -> Outcome:
        cfg, primary, dr = ctx.config, ctx.primary, ctx.dr
        replication, processors = ctx.replication, ctx.processors
        t_load = warm_up(ctx)
        t0 = ctx.inject(lambda: ctx.load.repoint(dr), f"handover started: producer repointed to {dr}")
        drained_at = _primary_drained(ctx, primary)
        ctx.act(lambda: processors.stop_processor(primary, graceful=True))
        if not replication.wait_replication_caught_up(cfg.recovery_timeout_s):
            raise DrillAborted("DR side did not catch up with the fenced primary")
        ctx.mark(Phase.DETECTED, f"primary drained ({drained_at - t0:.2f} s), fenced and fully replicated")
        ctx.act(lambda: replication.promote_writer(dr))
        ctx.mark(Phase.PROMOTED, f"{dr} writer promoted")
        ctx.act(lambda: processors.start_processor(dr))
        ctx.mark(Phase.REPOINTED, f"processing now in {dr}")
        wait_first_ack_readable(ctx, dr, t0)
        finish_load_and_drain(ctx, dr, t_load)
        return Outcome(survivor=dr, dual_ingest=cfg.ingest_mode is IngestMode.DUAL)


def _primary_drained(ctx: DrillContext, primary: str) -> float:
    """The primary processor has consumed its stream: consumer lag ~0 and the store stopped growing."""
    last: dict[str, int | None] = {"count": None}

    def drained() -> bool:
        count = ctx.store.store_count(primary)
        lag = ctx.processors.consumer_lag_s(primary)
        stable = count is not None and count == last["count"]
        last["count"] = count
        return stable and lag is not None and lag <= 2 * ctx.config.sample_interval_s

    return ctx.wait_until("primary stream drained", drained, ctx.config.recovery_timeout_s)
