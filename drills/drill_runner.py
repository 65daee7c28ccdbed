"""The plain-Python drill engine: run one scenario against a target and return its journal.

The Dagster job, the CLI and the benchmark all call ``run_drill``, so their evidence is identical.
Order: roles (refuse a target lacking one) → health and preconditions (refuse untouched) → in-flight
marker → sample lag all along → scenario → measure on a snapshot of the surviving store and validate
the stores (before anything is rolled back) → rollbacks, always, newest first → health again (the
steady state) → verdict → journal. The in-flight marker lets ``htdr drill recover`` restore the
target when this process was killed.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from contracts.evidence_layout import inflight_marker, journal_dir
from contracts.journal import (
    CHECKSUM_PROOF,
    KEY_COMPARISON,
    ComponentState,
    DrillJournal,
    IntegrityResult,
    LagSample,
    Phase,
    RollbackRecord,
    SteadyState,
    utcnow,
)
from contracts.store_validation import VALIDATION_NOTE, Validator
from drills.clock import SYSTEM_CLOCK, Clock
from drills.integrity.diff import diff_sources
from drills.integrity.source import Source
from drills.ledger import Ledger
from drills.measure.lag import of_source, sampling_quality
from drills.measure.loss import LossResult, measure_loss
from drills.measure.measurements import measurements
from drills.measure.objectives import evaluate
from drills.measure.rpo import exposure_sources
from drills.measure.rto import phase_time
from drills.measure.verdict import MEASURE_ATTEMPTS, checksum_agrees, judge
from drills.scenarios.config import DrillConfig
from drills.scenarios.context import DrillAborted, DrillContext, MissingCapability, PreconditionFailed
from drills.scenarios.registry import scenario as make_scenario
from drills.scenarios.sampler import LagSampler
from drills.scenarios.scenario import Outcome, Scenario
from drills.store_validation import validation_request
from drills.targets.roles import DatabaseReplication, EventStore, LoadAndLedger, Target, missing_roles
from drills.targets.values import Health, Rollback

#: How long store validation waits for a streaming replica to replay the writer's last commits.
CATCH_UP_S = 30.0

__all__ = ["MEASURE_ATTEMPTS", "DrillResult", "run_drill", "run_rollbacks"]


@dataclass(frozen=True)
class DrillResult:
    journal: DrillJournal
    path: Path


def refuse_unless_capable(target: Target, scenario: Scenario) -> None:
    """One line naming the scenario, the target and the capability it lacks; nothing is touched."""
    missing = missing_roles(target, scenario.roles)
    if missing:
        raise MissingCapability(f"scenario {scenario.name} cannot run on the {target.info().kind} target: "
                                f"it lacks the {', '.join(missing)} capability")


def run_drill(
    target: Target, scenario_name: str, config: DrillConfig, reports_dir: Path,
    progress: Callable[[str], None] = lambda _: None, stop: threading.Event | None = None,
    run_id: str | None = None, validator: Validator | None = None, clock: Clock = SYSTEM_CLOCK,
) -> DrillResult:
    """Run ``scenario_name`` on ``target``; raises ``PreconditionFailed`` before touching anything.

    ``validator`` (the Great Expectations suites, from the CLI and Dagster) validates the regions'
    stores after the measurement and before the rollbacks; without one, the journal says so.
    """
    scn = make_scenario(scenario_name)
    refuse_unless_capable(target, scn)
    ctx = DrillContext(target=target, config=config, progress=progress, stop=stop or threading.Event(),
                       clock=clock)
    health = target.health()
    problems = health.failures() or scn.preconditions(ctx)
    if problems:
        raise PreconditionFailed(f"{target.info().kind} target not ready for {scenario_name}: "
                                 + "; ".join(problems))
    steady = SteadyState(before=_components(health))
    run_id = run_id or uuid.uuid4().hex[:12]
    started = utcnow()
    marker = _write_inflight(reports_dir, run_id, scenario_name)
    outcome: Outcome | None = None
    loss: LossResult | None = None
    checksum: IntegrityResult | None = None
    validated: list[IntegrityResult] = []
    abort_reason = ""
    failure: Exception | None = None
    sampler = LagSampler(scn.lag_probes(ctx), config.sample_interval_s, clock)
    ctx.sampler = sampler
    try:
        with sampler:
            try:
                outcome = scn.run(ctx)
            except DrillAborted as err:
                abort_reason = str(err)
                ctx.note(f"aborted: {abort_reason}")
            except Exception as err:  # journalled as aborted (rollbacks still run), then raised again
                abort_reason = f"a step failed: {type(err).__name__}: {str(err)[:200]}"
                failure = err
                ctx.note(f"aborted: {abort_reason}")
        if outcome is not None:
            loss = outcome.loss
            if loss is None:
                progress("measuring loss: key comparison and bucketed checksum diff on one store state")
                loss, checksum = _measure_survivor(ctx, outcome.survivor)
            validated = _validate_stores(ctx, run_id, outcome.store_writer, validator)
    finally:
        _safe_stop_load(ctx)
        records = run_rollbacks(ctx.rollbacks, progress)
        ctx.mark(Phase.ROLLED_BACK, f"{sum(r.ok for r in records)}/{len(records)} rollbacks ok")
        steady = _steady_state_after(ctx, steady)
        marker.unlink(missing_ok=True)
    journal = _journal(ctx, scn, run_id, started, outcome, loss, abort_reason, sampler, records, checksum,
                       validated, steady)
    path = journal.write(journal_dir(reports_dir))
    progress(f"journal written: {path}")
    if failure is not None:
        raise failure
    return DrillResult(journal=journal, path=path)


def _measure_survivor(ctx: DrillContext, region: str) -> tuple[LossResult, IntegrityResult | None]:
    """Loss by key comparison and its checksum proof, taken on the same snapshot of the store.

    If the two still disagree (a store that kept changing, or a target whose snapshot is not one
    state) both are taken again, ``MEASURE_ATTEMPTS`` times at most. A disagreement that remains is
    left for the verdict to state (and fails the drill).
    """
    t0 = phase_time(ctx.timeline, Phase.FAULT_INJECTED)
    ledger = Ledger(ctx.load.ledger_path())
    rows = ledger.rows()
    for attempt in range(1, MEASURE_ATTEMPTS + 1):
        digests, checksum = _survivor_state(ctx, ledger, region)
        loss = measure_loss(rows, digests, latency_until=t0)
        if checksum is None or checksum_agrees(checksum, loss.detail):
            return loss, checksum
        if attempt < MEASURE_ATTEMPTS:
            ctx.note(f"measurement {attempt}: checksum diff ({checksum.summary}) and key comparison "
                     f"({loss.detail.lost} lost) disagree; measuring again")
            ctx.clock.wait(ctx.stop, ctx.config.drain_settle_s)
    return loss, checksum


def _survivor_state(ctx: DrillContext, ledger: Ledger, region: str
                    ) -> tuple[dict[int, int], IntegrityResult | None]:
    """``event_key -> digest`` of the store and the checksum diff of the acknowledged ledger against
    it, on one snapshot. A failing diff is noted, never fatal to the key comparison."""
    store = ctx.store
    try:
        with store.snapshot(region) as source:
            digests = _all_digests(source)
            if not ledger.exists:
                return digests, None
            result = diff_sources(ledger.acknowledged_source(), source)
        return digests, result.to_integrity_result(CHECKSUM_PROOF)
    except Exception as err:
        ctx.note(f"checksum diff not run: {type(err).__name__}: {str(err)[:200]}")
    with store.snapshot(region) as source:
        return _all_digests(source), None


def _all_digests(source: Source) -> dict[int, int]:
    source.open()
    try:
        keys = source.bounds()
        return {} if keys is None else source.range_digests([keys])
    finally:
        source.close()


def _validate_stores(ctx: DrillContext, run_id: str, writer: str, validator: Validator | None
                     ) -> list[IntegrityResult]:
    """The stores as the drill left them, validated before any rollback; a failure is noted, not fatal."""
    if validator is None:
        ctx.note(f"{VALIDATION_NOTE}not run: no validator was given to this drill run")
        return []
    if missing_roles(ctx.target, (EventStore, DatabaseReplication, LoadAndLedger)):
        ctx.note(f"{VALIDATION_NOTE}not run: this drill sent no events, so no store holds rows of it")
        return []
    try:
        ledger = Ledger(ctx.load.ledger_path()).rows()
        request = validation_request(ctx.store, ctx.replication, ctx.primary, ctx.dr, run_id, writer,
                                     ledger, CATCH_UP_S, ctx.progress)
        for region in request.unreachable:
            ctx.note(f"{VALIDATION_NOTE}store of {region} not validated: unreachable (the drill took it "
                     "down)")
        for store in request.stores:
            if not store.role.holds_every_ack:
                ctx.note(f"{VALIDATION_NOTE}store of {store.region} is {store.role.value} (no longer fed "
                         "by the writer): validated without the ledger checks")
        if not request.ledger:
            ctx.note(f"{VALIDATION_NOTE}not run: this drill sent no events, so no store holds rows of it")
            return []
        return validator(request, ctx.progress)
    except Exception as err:
        ctx.note(f"{VALIDATION_NOTE}not run: {type(err).__name__}: {str(err)[:200]}")
        return []


def _components(health: Health) -> list[ComponentState]:
    return [ComponentState(name=c.name, ok=c.ok, detail=c.detail) for c in health.components]


def _steady_state_after(ctx: DrillContext, steady: SteadyState) -> SteadyState:
    """Health again after the rollbacks: the drill must leave the target as it found it."""
    try:
        after = _components(ctx.target.health())
    except Exception as err:
        ctx.note(f"health after the rollbacks not readable: {type(err).__name__}: {str(err)[:200]}")
        after = []
    return steady.model_copy(update={"after": after})


def _journal(
    ctx: DrillContext, scn: Scenario, run_id: str, started: datetime, outcome: Outcome | None,
    loss: LossResult | None, abort_reason: str, sampler: LagSampler, rollbacks: list[RollbackRecord],
    checksum: IntegrityResult | None, validated: list[IntegrityResult], steady: SteadyState,
) -> DrillJournal:
    """The facts of the run, their figures, and the verdict computed from them."""
    cfg = ctx.config
    samples = sampler.samples()
    t0 = phase_time(ctx.timeline, Phase.FAULT_INJECTED)
    sources: tuple[str, ...] = ()
    if outcome is not None:
        sources = outcome.metric_sources if outcome.metric_sources is not None \
            else exposure_sources(outcome.dual_ingest)
    fault_s = t0 - ctx.fault_started if t0 is not None and ctx.fault_started is not None else 0.0
    m = measurements(t0, loss, ctx.timeline, samples, sources, cfg.sample_interval_s,
                     not_measured_reason=f"drill aborted: {abort_reason}" if abort_reason else "",
                     fault_duration_s=fault_s)
    objectives = evaluate(m, cfg.objectives)
    notes = [*ctx.notes, *_sampling_notes(samples), *(outcome.notes if outcome else [])]
    if loss is not None and loss.ack_latency_p99_s is not None:
        notes.append(f"ack latency p99 before t0 {loss.ack_latency_p99_s * 1000:.1f} ms")
    notes.append(f"RPO (metric) components at t0: {m.rpo_metric.note}")
    if loss is not None and loss.detail.lost_or_changed:
        notes.append(f"of the lost events, {loss.lost_acked_after} were acknowledged after t0 (by the dying "
                     "region in its last instant, or never processed after recovery)")
    integrity = [] if loss is None else [IntegrityResult(
        name=KEY_COMPARISON,
        passed=loss.detail.lost == 0 and loss.detail.digest_mismatches == 0,
        summary=f"{loss.detail.acknowledged} acknowledged, {loss.detail.lost} missing, "
                f"{loss.detail.digest_mismatches} digest mismatches, {loss.detail.in_doubt} in doubt "
                f"({loss.detail.method})",
        details={"survivor": outcome.survivor if outcome else "",
                 "first_lost": loss.detail.lost_event_ids[:10]},
    )]
    if checksum is not None and loss is not None:
        # Rows the store has beyond the acknowledged ledger are in-doubt events, not a defect.
        passed = checksum.details.get("missing") == 0 and checksum.details.get("changed") == 0
        integrity.append(checksum.model_copy(update={"passed": passed}))
        notes.append("bucketed checksum diff " + ("confirms" if checksum_agrees(checksum, loss.detail)
                                                 else "DISAGREES with")
                     + f" the key comparison: {checksum.summary}")
    integrity.extend(validated)
    verdict = judge(abort_reason=abort_reason, objectives=objectives, loss=m.loss, integrity=integrity,
                    steady_state=steady)
    notes.extend(verdict.notes)
    return DrillJournal(
        run_id=run_id, scenario=scn.name, description=scn.description, target=ctx.target.info(),
        parameters=cfg.parameters(), started_at=started, finished_at=utcnow(),
        timeline=sorted(ctx.timeline, key=lambda e: e.t), lag_samples=samples, measurements=m,
        objectives=objectives, integrity=integrity, rollbacks=rollbacks, status=verdict.status, notes=notes,
        abort_reason=abort_reason, steady_state=steady,
    )


def _sampling_notes(samples: list[LagSample]) -> list[str]:
    """Achieved sampling rate per metric: evidence that the >= 10 Hz requirement held."""
    out = []
    for source in sorted({s.source for s in samples}):
        q = sampling_quality(of_source(samples, source))
        if q.rate_hz is None:
            out.append(f"{source}: too few samples ({q.count})")
            continue
        out.append(f"{source}: {q.count} samples at {q.rate_hz:.1f} Hz (max gap {q.max_gap_s:.3f} s)"
                   + ("" if q.meets_minimum else " — BELOW the 10 Hz requirement"))
    return out


def run_rollbacks(rollbacks: list[Rollback], progress: Callable[[str], None]) -> list[RollbackRecord]:
    """Newest first; one failing rollback does not stop the others; shared keys run once."""
    done: set[str] = set()
    records = []
    for rb in reversed(rollbacks):
        if rb.key is not None and rb.key in done:
            records.append(RollbackRecord(action=rb.action, rollback=f"covered by {rb.key}", ok=True))
            continue
        progress(f"rollback: {rb.description}")
        try:
            rb.undo()
            records.append(RollbackRecord(action=rb.action, rollback=rb.description, ok=True))
        except Exception as err:  # keep going: every other rollback must still run
            records.append(RollbackRecord(action=rb.action, rollback=rb.description, ok=False,
                                          error=f"{type(err).__name__}: {err}"[:300]))
        if rb.key is not None:
            done.add(rb.key)
    return list(reversed(records))


def _safe_stop_load(ctx: DrillContext) -> None:
    if not isinstance(ctx.target, LoadAndLedger):
        return
    try:
        ctx.target.stop_load()
    except Exception as err:
        ctx.note(f"stopping the load failed: {type(err).__name__}")


def _write_inflight(reports_dir: Path, run_id: str, scenario_name: str) -> Path:
    """Marker naming the running drill; removed when rollbacks ran. Left behind only by a kill."""
    path = inflight_marker(reports_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"run_id": run_id, "scenario": scenario_name, "pid": os.getpid(),
                                "started": time.time()}))
    return path


def read_inflight(reports_dir: Path) -> dict[str, object] | None:
    """The marker of a drill that did not finish its rollbacks, or None."""
    path = inflight_marker(reports_dir)
    if not path.exists():
        return None
    data: dict[str, object] = json.loads(path.read_text())
    return data


def clear_inflight(reports_dir: Path) -> None:
    inflight_marker(reports_dir).unlink(missing_ok=True)


class RecoverRefused(ValueError):
    """The in-flight drill is still running: recovering would fight it."""


def recover(target: Target, reports_dir: Path, alive: Callable[[int], bool]) -> dict[str, object] | None:
    """Restore ``target`` after a drill process was killed mid-fault (its rollbacks never ran).

    Returns the interrupted drill's marker, or None when there was none (nothing is touched then).
    ``alive`` tells whether a pid still runs; a drill that still runs is refused, not recovered.
    """
    marker = read_inflight(reports_dir)
    if marker is None:
        return None
    pid = int(str(marker.get("pid", 0)))
    if pid and alive(pid):
        raise RecoverRefused(f"drill {marker.get('run_id')} is still running (pid {pid}): stop it first")
    target.reset()
    clear_inflight(reports_dir)
    return marker
