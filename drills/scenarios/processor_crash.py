"""``processor_crash``: the primary processor is killed mid-batch (kill -9; the ECS stop-task case).

The replacement task (restart) resumes from the stream checkpoint committed in the same database
transaction as the rows, so every acknowledged event ends up in the store exactly once: no loss, no
digest mismatch (the primary key rules out duplicates). RTO = t0 → an event acknowledged after the
kill is readable, i.e. the replacement's start-up plus the backlog it has to chew through.

RPO (metric): the stream outlives the processor, so the consumer lag at t0 is delay, not exposure;
what monitoring shows as unrecovered is the consumer lag (stream position vs committed checkpoint)
once the replacement has drained the backlog. A replacement that skipped records would show 0 there
while the data side shows loss: the two disagree and the drill fails.

Rollback: start the processor (idempotent) if the drill stopped before it did.
"""

from __future__ import annotations

from contracts.journal import Phase
from drills.measure.rpo import CONSUMER_LAG
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
        drained = ctx.clock.time()
        return Outcome(survivor=primary, dual_ingest=ctx.config.ingest_mode is IngestMode.DUAL,
                       metric_sources=(CONSUMER_LAG,), metric_at=drained,
                       metric_at_label="the end of the drain")
