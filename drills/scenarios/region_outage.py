"""``region_outage``: under load, the whole primary region dies at once.

Ingest API, writer DB, stream endpoint and processor frozen at one instant, then killed, and the
inter-region link cut (t0 = the start of that action, its duration recorded). The drill detects it
(writer health probe, N consecutive failures), promotes the DR writer, repoints the producer
(routing file + SIGHUP: the DNS switch) and starts the DR processor, then measures until the
backlog drained.

Expected loss: with ``replication_mode: sync`` AND ``ingest: dual`` (the sync default) no
acknowledged event may be lost: every commit is on the DR side before it returns, and the DR stream
holds every acknowledged event, which the DR processor replays from its newest stored event minus a
margin. With ``async``/``single`` (Aurora-global-like), events acknowledged into the dead region's
stream but not yet processed, and rows not yet replicated, are lost: RPO = consumer + replication lag.

With ``exposure`` set, a known exposure is created before the kill (``drills.scenarios.exposure``)
and the journal checks the loss against it.

Rollback on the local target: ``reset()`` rebuilds the original topology (the dead region cannot be
"un-killed"; on AWS the old primary rejoins as a secondary).
"""

from __future__ import annotations

from dataclasses import replace

from contracts.journal import Phase
from drills.scenarios.context import DrillContext
from drills.scenarios.exposure import create_exposure
from drills.scenarios.scenario import EVENT_PIPELINE_ROLES, Outcome, Scenario
from drills.scenarios.steps import detect_down, finish_load_and_drain, wait_first_ack_readable, warm_up
from drills.targets.roles import RegionFault
from drills.targets.values import IngestMode


class RegionOutage(Scenario):
    name = "region_outage"
    description = "Primary region dies under load; fail over to the DR region and drain the backlog"
    roles = (*EVENT_PIPELINE_ROLES, RegionFault)

    def run(self, ctx: DrillContext) -> Outcome:
        t_load = warm_up(ctx)
        exposure = create_exposure(ctx)
        outcome = fail_over_region(ctx, t_load, "primary region killed (writer, link, stream, processor)")
        return replace(outcome, exposure=exposure)


def fail_over_region(ctx: DrillContext, t_load: float, what: str) -> Outcome:
    """Kill the primary region and recover in DR: shared with ``link_partition``."""
    primary, dr = ctx.primary, ctx.dr
    t0 = ctx.inject(lambda: ctx.faults.kill_region(primary), what)
    detect_down(ctx, lambda: ctx.replication.writer_alive(primary), f"{primary} writer")
    ctx.act(lambda: ctx.replication.promote_writer(dr))
    ctx.mark(Phase.PROMOTED, f"{dr} writer promoted")
    t_repoint = ctx.clock.time()
    ctx.act(lambda: ctx.load.repoint(dr))
    ctx.act(lambda: ctx.processors.start_processor(dr))
    ctx.mark(Phase.REPOINTED, f"producer and processing now in {dr}", at=t_repoint)
    wait_first_ack_readable(ctx, dr, t0)
    finish_load_and_drain(ctx, dr, t_load)
    return Outcome(survivor=dr, dual_ingest=ctx.config.ingest_mode is IngestMode.DUAL, region_died=True)
