"""``planned_switchover``: a healthy primary is handed over to the DR region; zero loss expected.

Order (Aurora ``switchover_global_cluster`` semantics, RPO 0): repoint the producer to DR (t0: new
writes now land in the DR stream), let the primary processor drain the primary stream, stop it
gracefully (the writer is fenced: nothing more is written there), wait until the DR side replayed
everything, promote DR and start its processor. Holds for any ingest/replication mode because the
old primary is drained and replicated before promotion.

Drained is read from the primary's OWN stream: no record after its processor's committed checkpoint
(``consumer_lag_s(primary) == 0``, stream position vs checkpoint) and its store stopped growing, on
consecutive polls. RPO (metric) is the replication plus consumer lag left when the writer changes
(at promotion), which a correct switchover brings to 0 whatever the mode.

Rollback on the local target: ``reset()`` back to the original topology.
"""

from __future__ import annotations

from contracts.journal import Phase
from drills.measure.rpo import CONSUMER_LAG, DB_LAG
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
        t_handover = ctx.clock.time()   # the metric is read as the writer changes, before the promotion
        ctx.act(lambda: replication.promote_writer(dr))
        ctx.mark(Phase.PROMOTED, f"{dr} writer promoted")
        ctx.act(lambda: processors.start_processor(dr))
        ctx.mark(Phase.REPOINTED, f"processing now in {dr}")
        wait_first_ack_readable(ctx, dr, t0)
        finish_load_and_drain(ctx, dr, t_load)
        return Outcome(survivor=dr, dual_ingest=cfg.ingest_mode is IngestMode.DUAL,
                       metric_sources=(DB_LAG, CONSUMER_LAG), metric_at=t_handover,
                       metric_at_label="promotion")


#: Consecutive polls that must find the primary's stream committed to its end and its store unchanged.
DRAINED_POLLS = 3


def _primary_drained(ctx: DrillContext, primary: str) -> float:
    """The primary processor has committed its whole stream (no record after its checkpoint) and
    the primary store stopped growing, ``DRAINED_POLLS`` polls in a row."""
    state: dict[str, int | None] = {"count": None, "streak": 0}

    def drained() -> bool:
        count = ctx.store.store_count(primary)
        lag = ctx.processors.consumer_lag_s(primary)
        quiet = count is not None and count == state["count"] and lag == 0.0
        state["count"], state["streak"] = count, (state["streak"] or 0) + 1 if quiet else 0
        return (state["streak"] or 0) >= DRAINED_POLLS

    return ctx.wait_until("primary stream drained", drained, ctx.config.recovery_timeout_s)
