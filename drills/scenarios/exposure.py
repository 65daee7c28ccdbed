"""Create a set exposure before the kill (see ``drills.measure.exposure`` for what it must cause).

Pause the load until the primary has committed its whole stream and the DR database has everything,
freeze the primary processor (``processor_pause``) or cut the inter-region link (``link_cut``),
resume the load on the same ledger, and let ``exposure_s`` pass from the first acknowledgement.
"""

from __future__ import annotations

from dataclasses import replace

from drills.ledger import Ledger
from drills.measure.exposure import PROCESSOR_PAUSE, SetExposure
from drills.scenarios.context import DrillAborted, DrillContext
from drills.targets.roles import ProcessorPause


def create_exposure(ctx: DrillContext) -> SetExposure | None:
    cfg, load, primary = ctx.config, ctx.load, ctx.primary
    if cfg.exposure == "none":
        return None
    load.stop_load()
    ctx.progress("load paused: waiting until the primary committed its stream and the DR side has it all")
    ctx.wait_until("primary stream committed", lambda: _backlog(ctx) == 0, cfg.recovery_timeout_s)
    if not ctx.replication.wait_replication_caught_up(cfg.recovery_timeout_s):
        raise DrillAborted("DR database did not catch up before the set exposure")
    if cfg.exposure == PROCESSOR_PAUSE:
        target = ctx.target
        if not isinstance(target, ProcessorPause):
            raise DrillAborted(f"the {target.info().kind} target cannot pause a processor: "
                               "choose exposure=link_cut or none")
        ctx.act(lambda: target.pause_processor(primary))
    else:
        ctx.act(ctx.replication.cut_link)
    boundary = ctx.clock.time()
    ctx.act(lambda: load.start_load(replace(cfg.load(), resume=True)))
    ctx.wait_until("first acknowledgement of the exposure", lambda: load.load_stats().acknowledged > 0,
                   cfg.recovery_timeout_s)
    acks = [r.t_ack for r in Ledger(load.ledger_path()).rows() if r.t_sent > boundary and r.t_ack is not None]
    if not acks:
        raise DrillAborted("no event acknowledged after the exposure boundary")
    started = min(acks)
    ctx.note(f"set exposure: {cfg.exposure} from {boundary:.3f}, first acknowledgement after it at "
             f"{started:.3f}; the kill follows {cfg.exposure_s:g} s after that")
    ctx.sleep(max(0.0, started + cfg.exposure_s - ctx.clock.time()))
    return SetExposure(kind=cfg.exposure, set_s=cfg.exposure_s, boundary=boundary, started=started)


def _backlog(ctx: DrillContext) -> int | None:
    try:
        return ctx.processors.stream_backlog(ctx.primary)
    except Exception:
        return None
