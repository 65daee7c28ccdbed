"""``processor_crash``: the primary processor is killed mid-batch (kill -9; the ECS stop-task case).

The replacement task (restart) resumes from the stream checkpoint committed in the same database
transaction as the rows, so every acknowledged event ends up in the store exactly once: no loss, no
digest mismatch (the primary key rules out duplicates). RTO = t0 → an event acknowledged after the
kill is readable, i.e. the replacement's start-up plus the backlog it has to chew through.

Rollback: start the processor (idempotent) if the drill stopped before it did.
"""

from __future__ import annotations

from contracts.journal import Phase
from drills.scenarios.context import DrillContext
from drills.scenarios.scenario import Outcome, Scenario
from drills.scenarios.steps import detect_down, finish_load_and_drain, wait_first_ack_readable, warm_up
from drills.targets.values import IngestMode


class ProcessorCrash(Scenario):
    name = "processor_crash"
    description = "Primary stream processor killed mid-batch; replacement task resumes exactly-once"

    def run(self, ctx: DrillContext) -> Outcome:
        processors, primary = ctx.processors, ctx.primary
        t_load = warm_up(ctx)
        t0 = ctx.inject(lambda: processors.stop_processor(primary, graceful=False),
                        f"{primary} processor killed (SIGKILL)")
        detect_down(ctx, lambda: processors.processor_alive(primary), f"{primary} processor")
        ctx.act(lambda: processors.start_processor(primary))
        ctx.mark(Phase.PROMOTED, "replacement processor task started")
        wait_first_ack_readable(ctx, primary, t0)
        finish_load_and_drain(ctx, primary, t_load)
        return Outcome(survivor=primary, dual_ingest=ctx.config.ingest_mode is IngestMode.DUAL,
                       metric_sources=())
