"""``link_partition``: the inter-region link is cut under load for ``partition_s``, then the primary fails.

While the link is down the DR side stops receiving changes, so the replication lag grows by the
partition's length; when the primary region then dies, that lag is the exposure and the measured
RPO (data and metric) must show it. Meant for ``replication_mode: async``: with ``sync`` the primary
stops committing while cut (Aurora's ``rds.global_db_rpo`` behaviour), so the consumer lag grows
instead and single-write ingest still loses what sat in the dead stream; dual-write loses nothing.
With dual-write ingest the database lag is recorded but is not exposure (the DR stream holds every
acknowledged event and is replayed after promotion), so RPO (metric) is 0 there, as RPO (data) must be.

The cut is confirmed before the partition is timed: the DR database must report that it stopped
streaming, or the drill aborts (a partition that did not partition would measure nothing).

Rollback: the link is restored by ``reset()`` together with the region (see ``region_outage``).
"""

from __future__ import annotations

from drills.scenarios.context import DrillContext
from drills.scenarios.region_outage import fail_over_region
from drills.scenarios.scenario import EVENT_PIPELINE_ROLES, Outcome, Scenario
from drills.scenarios.steps import warm_up
from drills.targets.roles import RegionFault

#: How long the DR database may keep streaming after the cut before the drill aborts (the link drops
#: every open connection at once; the standby notices within its next read).
CUT_CONFIRM_TIMEOUT_S = 5.0


class LinkPartition(Scenario):
    name = "link_partition"
    description = "Inter-region link cut under load, then the primary region fails"
    roles = (*EVENT_PIPELINE_ROLES, RegionFault)

    def run(self, ctx: DrillContext) -> Outcome:
        t_load = warm_up(ctx)
        t_cut = ctx.clock.time()
        ctx.act(ctx.replication.cut_link)
        # The fault is verified, not assumed: the DR database must stop streaming.
        ctx.wait_until("DR database stops streaming after the link cut",
                       lambda: not ctx.replication.replication_streaming(), CUT_CONFIRM_TIMEOUT_S)
        ctx.note(f"link cut at {t_cut:.3f}, DR database not streaming "
                 f"{ctx.clock.time() - t_cut:.3f} s later; partition for {ctx.config.partition_s:g} s")
        ctx.sleep(ctx.config.partition_s)
        return fail_over_region(ctx, t_load, f"primary region killed after {ctx.config.partition_s:g} s "
                                "of link partition")
