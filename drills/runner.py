"""The plain-Python drill engine: run one scenario against a target and return its journal.

The Dagster job, the CLI and the benchmark all call ``run_drill``, so their evidence is identical.
Order: the target's drill lock (one drill at a time per target) → preconditions (refuse untouched) →
in-flight marker and a provisional journal marked aborted, rewritten at every phase → sample lag all
along → scenario → measure (before anything is rolled back) → rollbacks, always, newest first →
journal. A drill killed at any instant leaves its journal aborted at the phase it reached and the
marker, from which ``recover_drill`` restores the topology the target had and completes the journal.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from drills.inflight import (
    DrillRunning,
    marker_path,
    marker_process_alive,
    read_marker,
    target_lock,
    write_marker,
)
from drills.journal import (
    KEY_COMPARISON,
    DrillJournal,
    IntegrityResult,
    LagSample,
    Phase,
    RollbackRecord,
    Status,
    utcnow,
)
from drills.measure.evidence import measurements
from drills.measure.exposure import LateAcks, exposed_loss, late_acks
from drills.measure.lag import of_source, sampled_before, sampling_quality
from drills.measure.loss import LossResult, measure_loss
from drills.measure.objectives import evaluate
from drills.measure.rpo import exposure_sources
from drills.measure.rto import phase_time
from drills.scenarios.config import DrillConfig
from drills.scenarios.context import DrillAborted, DrillContext, PreconditionFailed
from drills.scenarios.registry import scenario as make_scenario
from drills.scenarios.sampler import LagSampler
from drills.scenarios.scenario import Outcome, Scenario
from drills.store_validation import VALIDATION_NOTE, Validator, validation_request
from drills.targets.base import ReplicationMode, Rollback, SurvivorState, Target, TopologySpec

#: The integrity result comparing the loss with the set exposure's expectation.
SET_EXPOSURE = "loss_equals_set_exposure"
#: Key comparison + checksum diff pairs taken at most before a disagreement is reported as such.
MEASURE_ATTEMPTS = 3
#: How long store validation waits for a streaming replica to replay the writer's last commits.
CATCH_UP_S = 30.0


@dataclass(frozen=True)
class DrillResult:
    journal: DrillJournal
    path: Path


def journal_dir(reports_dir: Path) -> Path:
    return reports_dir / "drills"


def run_drill(
    target: Target, scenario_name: str, config: DrillConfig, reports_dir: Path,
    progress: Callable[[str], None] = lambda _: None, stop: threading.Event | None = None,
    run_id: str | None = None, validator: Validator | None = None,
) -> DrillResult:
    """Run ``scenario_name`` on ``target``; raises ``PreconditionFailed`` before touching anything.

    ``validator`` (the Great Expectations suites, from the CLI and Dagster) validates the regions'
    stores after the measurement and before the rollbacks; without one, the journal says so.
    """
    scn = make_scenario(scenario_name)
    run_id = run_id or uuid.uuid4().hex[:12]
    holder = {"run_id": run_id, "scenario": scenario_name}
    with target_lock(target.lock_dir() or journal_dir(reports_dir), holder):
        ctx = DrillContext(target=target, config=config, progress=progress, stop=stop or threading.Event())
        problems = scn.preconditions(ctx)
        if problems:
            raise PreconditionFailed(f"{target.info().kind} target not ready for {scenario_name}: "
                                     + "; ".join(problems))
        return _run_locked(target, scn, ctx, reports_dir, run_id, validator)


def _run_locked(target: Target, scn: Scenario, ctx: DrillContext, reports_dir: Path, run_id: str,
                validator: Validator | None) -> DrillResult:
    """The drill itself, with the target's lock held and its preconditions met."""
    config, progress = ctx.config, ctx.progress
    started = utcnow()
    journals = journal_dir(reports_dir)
    before = target.topology()
    provisional = _provisional(ctx, scn, run_id, started)
    journal_path = provisional.write(journals)
    marker = write_marker(journals, {
        "run_id": run_id, "scenario": scn.name, "started": time.time(), "journal": str(journal_path),
        "topology": None if before is None else {"replication_mode": before.replication_mode.value,
                                                 "link_latency_ms": before.link_latency_ms}})

    def write_provisional() -> None:
        _provisional(ctx, scn, run_id, started).write(journals)

    ctx.on_mark = write_provisional
    outcome: Outcome | None = None
    failure: Exception | None = None
    loss: LossResult | None = None
    checksum: IntegrityResult | None = None
    validated: list[IntegrityResult] = []
    exposure: IntegrityResult | None = None
    status, reason = Status.PASSED, ""
    sampler = LagSampler(scn.lag_probes(ctx), config.sample_interval_s)
    ctx.sampler = sampler
    try:
        with sampler:
            try:
                outcome = scn.run(ctx)
            except DrillAborted as err:
                status, reason = Status.ABORTED, str(err)
                ctx.note(f"aborted: {reason}")
            except Exception as err:  # journalled as aborted, then raised again
                status, reason, failure = Status.ABORTED, f"{type(err).__name__}: {err}"[:300], err
                ctx.note(f"aborted by an unexpected error: {reason}")
        if outcome is not None:
            loss = outcome.loss
            if loss is None:
                progress("measuring loss: key comparison and bucketed checksum diff on one store state")
                loss, checksum = _measure_survivor(target, outcome.survivor, ctx)
            t0 = phase_time(ctx.timeline, Phase.FAULT_INJECTED)
            repointed = phase_time(ctx.timeline, Phase.REPOINTED)
            late = None
            if t0 is not None and repointed is not None and outcome.region_died:
                if outcome.dual_ingest:
                    ctx.note("dual ingest: an acknowledgement needs both regions, so one received after t0 "
                             "carries the dying region's response sent before it stopped")
                else:
                    late = late_acks(target.ledger_rows(), t0, repointed)
                    ctx.note(late.note)
            if outcome.exposure is not None and t0 is not None:
                exposure = _exposure_check(ctx, outcome, t0, loss, late)
            validated = _validate_stores(target, run_id, outcome.store_writer, validator, ctx)
    finally:
        _safe_stop_load(target, ctx)
        records = run_rollbacks(ctx.rollbacks, progress)
        ctx.mark(Phase.ROLLED_BACK, f"{sum(r.ok for r in records)}/{len(records)} rollbacks ok")
        marker.unlink(missing_ok=True)
    ctx.on_mark = None
    journal = _journal(ctx, scn, run_id, started, outcome, loss, status, reason,
                       sampler, records, checksum, validated, exposure)
    path = journal.write(journals)
    progress(f"journal written: {path}")
    if failure is not None:
        raise failure
    return DrillResult(journal=journal, path=path)


def _measure_survivor(target: Target, region: str, ctx: DrillContext
                      ) -> tuple[LossResult, IntegrityResult | None]:
    """Loss by key comparison and its checksum proof, taken on the same state of the store.

    The target reads both in one snapshot when it can; if the two still disagree (a store that kept
    changing, or a target without snapshots) both are taken again, ``MEASURE_ATTEMPTS`` times at most.
    A disagreement that remains is left for the journal to state (and fails the drill).
    """
    t0 = phase_time(ctx.timeline, Phase.FAULT_INJECTED)
    ledger = target.ledger_rows()
    for attempt in range(1, MEASURE_ATTEMPTS + 1):
        state = _survivor_state(target, region, ctx)
        loss = measure_loss(ledger, state.digests, latency_until=t0)
        if state.checksum is None or _agrees(state.checksum, loss):
            return loss, state.checksum
        if attempt < MEASURE_ATTEMPTS:
            ctx.note(f"measurement {attempt}: checksum diff ({state.checksum.summary}) and key comparison "
                     f"({loss.detail.lost} lost) disagree; measuring again")
            time.sleep(ctx.config.drain_settle_s)
    return loss, state.checksum


def _validate_stores(target: Target, run_id: str, writer: str, validator: Validator | None,
                     ctx: DrillContext) -> list[IntegrityResult]:
    """The stores as the drill left them, validated before any rollback; a failure is noted, not fatal."""
    if validator is None:
        ctx.note(f"{VALIDATION_NOTE}not run: no validator was given to this drill run")
        return []
    try:
        request = validation_request(target, run_id, writer, CATCH_UP_S, ctx.progress)
        for region in request.unreachable:
            ctx.note(f"{VALIDATION_NOTE}store of {region} not validated: unreachable (the drill took it "
                     "down; the rollback rebuilds it)")
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


def _survivor_state(target: Target, region: str, ctx: DrillContext) -> SurvivorState:
    """The integrity issue's proof of loss; its failure is noted, never fatal to the key comparison."""
    try:
        return target.survivor_state(region)
    except Exception as err:
        ctx.note(f"checksum diff not run: {type(err).__name__}: {str(err)[:200]}")
        return SurvivorState(digests=target.store_digests(region), checksum=None)


def _agrees(checksum: IntegrityResult, loss: LossResult) -> bool:
    """The diff's missing/changed counts equal the key comparison's lost/digest-mismatch counts."""
    return (checksum.details.get("missing"), checksum.details.get("changed")) == (
        loss.detail.lost, loss.detail.digest_mismatches)


def _journal(
    ctx: DrillContext, scn: Scenario, run_id: str, started: datetime,
    outcome: Outcome | None, loss: LossResult | None, status: Status, reason: str, sampler: LagSampler,
    rollbacks: list[RollbackRecord], checksum: IntegrityResult | None, validated: list[IntegrityResult],
    exposure: IntegrityResult | None = None,
) -> DrillJournal:
    cfg = ctx.config
    samples = sampler.samples()
    t0 = phase_time(ctx.timeline, Phase.FAULT_INJECTED)
    sources: tuple[str, ...] = ()
    if outcome is not None:
        sources = outcome.metric_sources if outcome.metric_sources is not None \
            else exposure_sources(outcome.dual_ingest)
    metric_at = outcome.metric_at if outcome else None
    m = measurements(t0, loss, ctx.timeline, samples, sources, cfg.sample_interval_s,
                     not_measured_reason=f"drill aborted: {reason}" if reason else "",
                     fault_duration_s=ctx.fault_duration_s, metric_at=metric_at)
    objectives = evaluate(m, cfg.objectives)
    if status is Status.PASSED and not all(o.passed for o in objectives):
        status = Status.FAILED
    notes = [*ctx.notes, *_sampling_notes(samples, metric_at or t0, cfg.sample_interval_s),
             *(outcome.notes if outcome else [])]
    if loss is not None and loss.ack_latency_p99_s is not None:
        notes.append(f"ack latency p99 before t0 {loss.ack_latency_p99_s * 1000:.1f} ms")
    where = f"at {outcome.metric_at_label}" if outcome and outcome.metric_at else "at t0"
    notes.append(f"RPO (metric) {where}, from {', '.join(sources) or 'no exposed lag'}: {m.rpo_metric.note}")
    notes.append(f"RPO agreement tolerance {m.rpo_agreement_tolerance_s:.3f} s: {m.rpo_agreement_note}")
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
        agrees = _agrees(checksum, loss)
        notes.append("bucketed checksum diff " + ("confirms" if agrees else "DISAGREES with")
                     + f" the key comparison: {checksum.summary}")
        if not agrees:
            notes.append(f"loss not proven: key comparison and checksum diff still disagree after "
                         f"{MEASURE_ATTEMPTS} measurements; the drill cannot pass")
            if status is Status.PASSED:
                status = Status.FAILED
    if exposure is not None:
        integrity.append(exposure)
        notes.append(exposure.summary)
        if not exposure.passed and status is Status.PASSED:
            status = Status.FAILED
    failed_suites = [v.name for v in validated if not v.passed]
    if failed_suites:
        notes.append(f"{VALIDATION_NOTE}failed: {', '.join(failed_suites)}; the drill cannot pass")
        if status is Status.PASSED:
            status = Status.FAILED
    integrity.extend(validated)
    return DrillJournal(
        run_id=run_id, scenario=scn.name, description=scn.description, target=ctx.target.info(),
        parameters=_parameters(ctx, scn), started_at=started, finished_at=utcnow(),
        timeline=sorted(ctx.timeline, key=lambda e: e.t), lag_samples=samples, measurements=m,
        objectives=objectives, integrity=integrity, rollbacks=rollbacks, status=status, notes=notes,
    )


#: Parameters of the event load, left out of the journal of a scenario that runs none.
EVENT_LOAD_PARAMETERS = ("rate_per_min", "ingest", "devices", "exposure", "exposure_s", "partition_s")


def _parameters(ctx: DrillContext, scn: Scenario) -> dict[str, object]:
    """What ran: the resolved parameters the scenario uses and the topology read back from the target."""
    params = ctx.config.parameters()
    if not scn.event_load:
        params = {k: v for k, v in params.items() if k not in EVENT_LOAD_PARAMETERS}
    if ctx.applied_topology:
        params["applied_topology"] = dict(ctx.applied_topology)
    return params


def _exposure_check(ctx: DrillContext, outcome: Outcome, t0: float, loss: LossResult | None,
                    late: LateAcks | None) -> IntegrityResult:
    """The loss the set exposure must cause (from the ledger) against the loss measured."""
    assert outcome.exposure is not None
    repointed = phase_time(ctx.timeline, Phase.REPOINTED)
    lost = None if loss is None else loss.detail.lost_or_changed
    if repointed is None:
        return IntegrityResult(name=SET_EXPOSURE, passed=False, summary="set exposure not checked: the "
                               "producer was never repointed", details={"kind": outcome.exposure.kind})
    expected = exposed_loss(ctx.target.ledger_rows(), outcome.exposure, t0, repointed, outcome.dual_ingest)
    return IntegrityResult(
        name=SET_EXPOSURE, passed=lost == expected.expected_lost, summary=expected.summary(lost),
        details={"kind": outcome.exposure.kind, "set_s": outcome.exposure.set_s,
                 "realized_s": expected.realized_s, "exposed": expected.exposed,
                 "expected_lost": expected.expected_lost, "lost": lost,
                 "late_acks": late.count if late else None,
                 "newest_late_ack_s": late.newest_after_t0_s if late else None})


def _sampling_notes(samples: list[LagSample], t0: float | None, interval_s: float) -> list[str]:
    """Achieved sampling rate per metric: over the drill, and in the window before t0 that decides
    the metric (the rule of ``sampled_before``; after t0 the dead side may not answer at all)."""
    out = []
    for source in sorted({s.source for s in samples}):
        series = of_source(samples, source)
        q = sampling_quality(series)
        overall = (f"too few samples ({q.count})" if q.rate_hz is None else
                   f"{q.count} samples at {q.rate_hz:.1f} Hz over the drill (max gap {q.max_gap_s:.3f} s)")
        if t0 is None:
            out.append(f"{source}: {overall}")
            continue
        ok, why = sampled_before(series, t0, interval_s)
        out.append(f"{source}: {overall}; before t0 {why}"
                   + ("" if ok else " — BELOW the 10 Hz requirement: not measured"))
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


def _safe_stop_load(target: Target, ctx: DrillContext) -> None:
    try:
        target.stop_load()
    except Exception as err:
        ctx.note(f"stopping the load failed: {type(err).__name__}")


#: The note a journal carries while its drill runs; still there afterwards = the process was killed.
IN_PROGRESS = "drill in progress"


def _provisional(ctx: DrillContext, scn: Scenario, run_id: str, started: datetime) -> DrillJournal:
    """The journal as it stands while the drill runs: status aborted with the phase reached, so a
    drill killed at any instant leaves a journal saying so (``recover`` completes it)."""
    reached = ctx.timeline[-1].phase.value if ctx.timeline else "started"
    reason = f"{IN_PROGRESS} (phase reached: {reached}); if it stays so, the drill process was killed"
    m = measurements(None, None, ctx.timeline, [], (), ctx.config.sample_interval_s,
                     not_measured_reason=reason)
    return DrillJournal(
        run_id=run_id, scenario=scn.name, description=scn.description, target=ctx.target.info(),
        parameters=_parameters(ctx, scn), started_at=started, finished_at=utcnow(),
        timeline=sorted(ctx.timeline, key=lambda e: e.t), lag_samples=[], measurements=m,
        objectives=evaluate(m, ctx.config.objectives), status=Status.ABORTED, notes=[reason, *ctx.notes])


def read_inflight(reports_dir: Path) -> dict[str, Any] | None:
    """The marker of a drill that did not finish its rollbacks, or None."""
    return read_marker(journal_dir(reports_dir))


def clear_inflight(reports_dir: Path) -> None:
    marker_path(journal_dir(reports_dir)).unlink(missing_ok=True)


def recover_drill(target: Target, reports_dir: Path, progress: Callable[[str], None] = lambda _: None
                  ) -> str | None:
    """After a drill process was killed: restore the topology it found, complete its journal as
    aborted (with the phase it reached), clear the marker. None when there is nothing to recover.

    Refused while the marker's process is still the drill (same pid, start time and command line)
    or while any drill holds the target's lock.
    """
    journals = journal_dir(reports_dir)
    marker = read_marker(journals)
    if marker is None:
        return None
    if marker_process_alive(marker):
        pid = (marker.get("process") or {}).get("pid", marker.get("pid"))
        raise DrillRunning(f"drill {marker.get('run_id')} ({marker.get('scenario')}) is still running "
                           f"(pid {pid}): stop it first")
    run_id = str(marker.get("run_id"))
    with target_lock(target.lock_dir() or journals, {"run_id": run_id, "scenario": "recover"}):
        recorded = marker.get("topology")
        topology = None if not recorded else TopologySpec(
            replication_mode=ReplicationMode(recorded["replication_mode"]),
            link_latency_ms=float(recorded["link_latency_ms"]))
        progress(f"restoring the topology found before drill {run_id}: "
                 + ("as the target was created" if topology is None else
                    f"replication {topology.replication_mode.value}, link {topology.link_latency_ms:g} ms"))
        error = ""
        try:
            target.restore(topology)
        except Exception as err:
            error = f"{type(err).__name__}: {err}"[:300]
        _complete_killed_journal(marker, error)
        if error:
            raise RuntimeError(f"recover could not restore the target: {error}")
        clear_inflight(reports_dir)
    return run_id


def _complete_killed_journal(marker: dict[str, Any], error: str) -> None:
    """Mark the killed drill's journal aborted for good: the phase it reached, the recovery run."""
    path = Path(str(marker.get("journal", "")))
    if not path.is_file():
        return
    journal = DrillJournal.read(path)
    reached = journal.timeline[-1].phase.value if journal.timeline else "started"
    reason = f"drill process killed in phase {reached}; its rollbacks were run by 'htdr drill recover'"
    notes = [reason, *(n for n in journal.notes if not n.startswith(IN_PROGRESS))]
    rollback = RollbackRecord(action="recover", rollback="restore the topology found before the drill",
                              ok=not error, error=error)
    m = journal.measurements.model_copy(update={"rpo_agreement_note": f"not compared: {reason}"})
    journal.model_copy(update={"status": Status.ABORTED, "notes": notes, "finished_at": utcnow(),
                               "rollbacks": [*journal.rollbacks, rollback], "measurements": m}
                       ).write(path.parent)
