"""The plain-Python drill engine: run one scenario against a target and return its journal.

The Dagster job, the CLI and the benchmark all call ``run_drill``, so their evidence is identical.
Order: roles (refuse a target lacking one) → the target's drill lock (one drill at a time per
target; a second is refused naming the first) → health and preconditions (refuse untouched) →
in-flight marker and a provisional journal marked aborted, rewritten at every phase → sample lag all
along → scenario → measure on a snapshot of the surviving store and validate the stores (before
anything is rolled back) → rollbacks, always, newest first → health again (the steady state) →
verdict → journal. A drill killed at any instant leaves its journal aborted at the phase it reached
and the marker, from which ``recover`` restores the topology the target had and completes the journal.
"""

from __future__ import annotations

import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

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
    Status,
    SteadyState,
    utcnow,
)
from contracts.store_validation import VALIDATION_NOTE, Validator
from drills.clock import SYSTEM_CLOCK, Clock
from drills.inflight import DrillRunning, marker_process_alive, read_marker, target_lock, write_marker
from drills.integrity.diff import diff_sources
from drills.integrity.source import Source
from drills.ledger import Ledger
from drills.measure.exposure import SET_EXPOSURE, LateAcks, exposed_loss, late_acks
from drills.measure.lag import of_source, sampled_before, sampling_quality
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
from drills.targets.roles import (
    DatabaseReplication,
    DrillSite,
    EventStore,
    FixedParameters,
    LoadAndLedger,
    Target,
    TopologyReadBack,
    missing_roles,
)
from drills.targets.values import Health, ReplicationMode, Rollback, TopologySpec

#: How long store validation waits for a streaming replica to replay the writer's last commits.
CATCH_UP_S = 30.0

__all__ = ["MEASURE_ATTEMPTS", "SET_EXPOSURE", "DrillResult", "DrillRunning", "run_drill", "run_rollbacks"]


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
    run_id = run_id or uuid.uuid4().hex[:12]
    with target_lock(_lock_dir(target, reports_dir), {"run_id": run_id, "scenario": scenario_name}):
        ctx = DrillContext(target=target, config=config, progress=progress, stop=stop or threading.Event(),
                           clock=clock)
        health = target.health()
        problems = health.failures() or scn.preconditions(ctx)
        if problems:
            raise PreconditionFailed(f"{target.info().kind} target not ready for {scenario_name}: "
                                     + "; ".join(problems))
        return _run_locked(ctx, scn, reports_dir, run_id, validator, SteadyState(before=_components(health)))


def _lock_dir(target: Target, reports_dir: Path) -> Path:
    """Where the target keeps its drill lock; a target that does not say: one per target identity
    (kind and environment) in the system's temporary directory, whatever reports dir is used."""
    located = target.lock_dir() if isinstance(target, DrillSite) else None
    if located is not None:
        return located
    info = target.info()
    return Path(tempfile.gettempdir()) / "htdr-drill-locks" / f"{info.kind}-{info.environment}"


def _run_locked(ctx: DrillContext, scn: Scenario, reports_dir: Path, run_id: str,
                validator: Validator | None, steady: SteadyState) -> DrillResult:
    """The drill itself, with the target's lock held and its preconditions met."""
    target, config, progress = ctx.target, ctx.config, ctx.progress
    started = utcnow()
    journals = journal_dir(reports_dir)
    before = target.topology() if isinstance(target, TopologyReadBack) else None
    journal_path = _provisional(ctx, scn, run_id, started).write(journals)
    marker = write_marker(reports_dir, {
        "run_id": run_id, "scenario": scn.name, "started": time.time(), "journal": str(journal_path),
        "topology": None if before is None else {"replication_mode": before.replication_mode.value,
                                                 "link_latency_ms": before.link_latency_ms}})

    def write_provisional() -> None:
        _provisional(ctx, scn, run_id, started).write(journals)

    ctx.on_mark = write_provisional
    exposure: IntegrityResult | None = None
    outcome: Outcome | None = None
    loss: LossResult | None = None
    checksum: IntegrityResult | None = None
    validated: list[IntegrityResult] = []
    abort_reason = ""
    failure: Exception | None = None
    sampler = LagSampler(scn.lag_probes(ctx), config.sample_interval_s, ctx.clock)
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
                try:
                    exposure = _check_exposure_and_late_acks(ctx, outcome, loss)
                except Exception as err:  # the loss figures stand; the check says it could not run
                    why = f"{type(err).__name__}: {str(err)[:200]}"
                    ctx.note(f"set exposure and late acknowledgements not checked: {why}")
                    if outcome.exposure is not None:
                        exposure = IntegrityResult(name=SET_EXPOSURE, passed=False,
                                                   summary=f"set exposure not checked: {why}")
            validated = _validate_stores(ctx, run_id, outcome.store_writer, validator)
    finally:
        _safe_stop_load(ctx)
        records = run_rollbacks(ctx.rollbacks, progress)
        ctx.mark(Phase.ROLLED_BACK, f"{sum(r.ok for r in records)}/{len(records)} rollbacks ok")
        steady = _steady_state_after(ctx, steady)
        marker.unlink(missing_ok=True)
    ctx.on_mark = None
    journal = _journal(ctx, scn, run_id, started, outcome, loss, abort_reason, sampler, records, checksum,
                       validated, steady, exposure)
    path = journal.write(journals)
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
    exposure: IntegrityResult | None = None,
) -> DrillJournal:
    """The facts of the run, their figures, and the verdict computed from them."""
    cfg = ctx.config
    samples = sampler.samples()
    t0 = phase_time(ctx.timeline, Phase.FAULT_INJECTED)
    sources: tuple[str, ...] = ()
    if outcome is not None:
        sources = outcome.metric_sources if outcome.metric_sources is not None \
            else exposure_sources(outcome.dual_ingest)
    metric_at = outcome.metric_at if outcome else None
    m = measurements(t0, loss, ctx.timeline, samples, sources, cfg.sample_interval_s,
                     not_measured_reason=f"drill aborted: {abort_reason}" if abort_reason else "",
                     fault_duration_s=ctx.fault_duration_s, metric_at=metric_at)
    objectives = evaluate(m, cfg.objectives)
    notes = [*ctx.notes, *(f"parameter {name} not applied on this target: {why}"
                           for name, why in _fixed_parameters(ctx).items()),
             *_sampling_notes(samples, metric_at or t0, cfg.sample_interval_s),
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
        notes.append("bucketed checksum diff " + ("confirms" if checksum_agrees(checksum, loss.detail)
                                                 else "DISAGREES with")
                     + f" the key comparison: {checksum.summary}")
    if exposure is not None:
        integrity.append(exposure)
        notes.append(exposure.summary)
    integrity.extend(validated)
    verdict = judge(abort_reason=abort_reason, objectives=objectives, loss=m.loss, integrity=integrity,
                    steady_state=steady)
    notes.extend(verdict.notes)
    return DrillJournal(
        run_id=run_id, scenario=scn.name, description=scn.description, target=ctx.target.info(),
        parameters=_parameters(ctx, scn), started_at=started, finished_at=utcnow(),
        timeline=sorted(ctx.timeline, key=lambda e: e.t), lag_samples=samples, measurements=m,
        objectives=objectives, integrity=integrity, rollbacks=rollbacks, status=verdict.status, notes=notes,
        abort_reason=abort_reason, steady_state=steady,
    )


#: Parameters of the event load, left out of the journal of a scenario that runs none.
EVENT_LOAD_PARAMETERS = ("rate_per_min", "ingest", "devices", "exposure", "exposure_s", "partition_s")


def _fixed_parameters(ctx: DrillContext) -> dict[str, str]:
    """Parameters the target does not apply, and why (``FixedParameters``); none for most targets."""
    return ctx.target.fixed_parameters() if isinstance(ctx.target, FixedParameters) else {}


def _parameters(ctx: DrillContext, scn: Scenario) -> dict[str, object]:
    """What ran: the resolved parameters the scenario uses and the topology read back from the target."""
    params = ctx.config.parameters()
    if not scn.event_load:
        params = {k: v for k, v in params.items() if k not in EVENT_LOAD_PARAMETERS}
    for name in _fixed_parameters(ctx):
        if name in params:
            params[name] = None     # not applied: a figure the target never ran with is not recorded
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
    expected = exposed_loss(Ledger(ctx.load.ledger_path()).rows(), outcome.exposure, t0, repointed,
                            outcome.dual_ingest)
    return IntegrityResult(
        name=SET_EXPOSURE, passed=lost == expected.expected_lost, summary=expected.summary(lost),
        details={"kind": outcome.exposure.kind, "set_s": outcome.exposure.set_s,
                 "realized_s": expected.realized_s, "exposed": expected.exposed,
                 "expected_lost": expected.expected_lost, "lost": lost,
                 "late_acks": late.count if late else None,
                 "newest_late_ack_s": late.newest_after_t0_s if late else None})


def _check_exposure_and_late_acks(ctx: DrillContext, outcome: Outcome, loss: LossResult
                                  ) -> IntegrityResult | None:
    """With the ledger still there (before the rollbacks): what the dying region acknowledged after
    t0 (single ingest; a note), and the set exposure's expected loss against the measured one."""
    t0 = phase_time(ctx.timeline, Phase.FAULT_INJECTED)
    repointed = phase_time(ctx.timeline, Phase.REPOINTED)
    late = None
    if t0 is not None and repointed is not None and outcome.region_died:
        if outcome.dual_ingest:
            ctx.note("dual ingest: an acknowledgement needs both regions, so one received after t0 "
                     "carries the dying region's response sent before it stopped")
        else:
            late = late_acks(Ledger(ctx.load.ledger_path()).rows(), t0, repointed)
            ctx.note(late.note)
    if outcome.exposure is None or t0 is None:
        return None
    return _exposure_check(ctx, outcome, t0, loss, late)


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


def _safe_stop_load(ctx: DrillContext) -> None:
    if not isinstance(ctx.target, LoadAndLedger):
        return
    try:
        ctx.target.stop_load()
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
        objectives=evaluate(m, ctx.config.objectives), status=Status.ABORTED, notes=[reason, *ctx.notes],
        abort_reason=reason)


def read_inflight(reports_dir: Path) -> dict[str, Any] | None:
    """The marker of a drill that did not finish its rollbacks, or None."""
    return read_marker(reports_dir)


def clear_inflight(reports_dir: Path) -> None:
    inflight_marker(reports_dir).unlink(missing_ok=True)


class RecoverRefused(ValueError):
    """The in-flight drill is still running: recovering would fight it."""


def recover(target: Target, reports_dir: Path,
            alive: Callable[[dict[str, Any]], bool] = marker_process_alive) -> dict[str, Any] | None:
    """Restore ``target`` after a drill process was killed mid-fault (its rollbacks never ran):
    rebuild the topology recorded before the drill, complete its journal as aborted (with the phase
    it reached), clear the marker.

    Returns the interrupted drill's marker, or None when there was none (nothing is touched then).
    ``alive`` tells whether the marker's process is still the drill (by default: same pid, start
    time and command line, so a reused pid is not mistaken for it); a running drill is refused, and
    so is recovery while any drill holds the target's lock.
    """
    marker = read_inflight(reports_dir)
    if marker is None:
        return None
    if alive(marker):
        pid = (marker.get("process") or {}).get("pid", marker.get("pid"))
        raise RecoverRefused(f"drill {marker.get('run_id')} ({marker.get('scenario')}) is still running "
                             f"(pid {pid}): stop it first")
    with target_lock(_lock_dir(target, reports_dir), {"run_id": marker.get("run_id"), "scenario": "recover"}):
        recorded = marker.get("topology")
        topology = None if not recorded else TopologySpec(
            replication_mode=ReplicationMode(recorded["replication_mode"]),
            link_latency_ms=float(recorded["link_latency_ms"]))
        error = ""
        try:
            if isinstance(target, DrillSite):
                target.restore(topology)
            else:
                target.reset()
        except Exception as err:
            error = f"{type(err).__name__}: {err}"[:300]
        _complete_killed_journal(marker, error)
        if error:
            raise RuntimeError(f"recover could not restore the target: {error}")
        clear_inflight(reports_dir)
    return marker


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
                               "abort_reason": reason, "rollbacks": [*journal.rollbacks, rollback],
                               "measurements": m}).write(path.parent)
