"""An AWS drill from outputs to journal: safety, plan, actions with saved rollbacks, rollbacks, journal.

The journal has the shape of a local drill's (``DrillJournal``): target kind ``aws``, the timeline the
actions marked, the rollback records, and notes saying plainly what was simulated and what was not
measured on this run.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from contracts.evidence_layout import journal_dir
from contracts.journal import (
    DrillJournal,
    LagSample,
    Phase,
    RollbackRecord,
    SteadyState,
    TargetInfo,
    TimelineEvent,
    utcnow,
)
from contracts.outputs import Side
from drills.drill_runner import run_rollbacks
from drills.measure.measurements import measurements
from drills.measure.objectives import evaluate
from drills.measure.verdict import judge
from drills.scenarios.config import DrillConfig
from drills.scenarios.sampler import LagSampler, Probe
from drills.targets.aws.credentials import CredentialsError
from drills.targets.aws.dry_run import render
from drills.targets.aws.executor import ClientFactory, Executor
from drills.targets.aws.lag_sampling import SOURCE, cloudwatch_cross_check, dr_side_probe, with_metric_rpo
from drills.targets.aws.outputs import AwsOutputs
from drills.targets.aws.plan_runner import run_plan
from drills.targets.aws.plans import SIMULATED_OUTAGE, AwsPlan, plan_for
from drills.targets.aws.recover import Recovered, recover
from drills.targets.aws.rollback_state import RollbackState, state_path
from drills.targets.aws.safety import SafetyPolicy, check_confirm, check_stacks, check_suffix
from drills.targets.aws.steady_state import NotSteady, steady_state

AWS_KIND = "aws"
#: Why the figures of an AWS run are absent until the load and measurement roles drive it.
NOT_MEASURED = (
    "not measured on the aws target yet: this run drove the AWS actions and their rollbacks; "
    "the producer's ledger and the surviving store are not wired to it"
)


@dataclass(frozen=True)
class AwsRequest:
    """Everything an AWS drill needs, read once at the edge (CLI options or the Dagster resource)."""

    outputs_path: Path
    policy: SafetyPolicy
    reports_dir: Path
    poll_s: float = 5.0
    sample_lag: bool = True


def prepare(scenario: str, request: AwsRequest) -> tuple[AwsOutputs, AwsPlan]:
    """Outputs, allowlist and plan: every check that needs no AWS call (the dry run stops here)."""
    outputs = AwsOutputs.load(request.outputs_path)
    check_suffix(outputs, request.policy)
    return outputs, plan_for(scenario, outputs)


def dry_run(scenario: str, request: AwsRequest) -> str:
    outputs, plan = prepare(scenario, request)
    return render(plan, outputs, state_path(request.reports_dir, outputs.suffix))


def target_info(outputs: AwsOutputs) -> TargetInfo:
    return TargetInfo(
        kind=AWS_KIND,
        environment=outputs.suffix,
        primary_region=outputs.region(Side.PRIMARY),
        dr_region=outputs.region(Side.DR),
    )


def run_aws_drill(
    scenario: str,
    request: AwsRequest,
    config: DrillConfig,
    clients: ClientFactory,
    hooks: Mapping[str, Callable[[], None]] | None = None,
    progress: Callable[[str], None] = lambda _: None,
    run_id: str | None = None,
    stop: threading.Event | None = None,
    lag_probe: Probe | None = None,
) -> tuple[DrillJournal, Path]:
    """Refuses (``UnsafeTarget``) before any change; otherwise always rolls back and writes a journal.

    ``stop`` (SIGINT/SIGTERM in the CLI) ends the actions at the next action or poll; the rollbacks
    still run. ``lag_probe`` (default: ``aurora_global_db_status()`` on the DR reader) is sampled at the
    config's ``sample_interval_s`` while the actions run."""
    outputs, plan = prepare(scenario, request)
    check_confirm(outputs, request.policy, scenario, plan.destructive)
    check_stacks(outputs, clients)
    run_id = run_id or uuid.uuid4().hex[:12]
    state = RollbackState(state_path(request.reports_dir, outputs.suffix))
    state.refuse_if_pending()
    before = steady_state(outputs, clients)
    unhealthy = [f"{c.name}: {c.detail}" for c in before if not c.ok]
    if unhealthy:
        raise NotSteady(
            f"deployment {outputs.suffix} is not in its steady state ({'; '.join(unhealthy)}): "
            "a drill would not mean anything; restore it first"
        )
    state.begin(run_id, scenario)
    executor = Executor(clients, state, hooks, request.poll_s, progress, stop=stop)
    started = utcnow()
    probes, notes = _lag_probes(request, outputs, clients, lag_probe)
    sampler = LagSampler(probes, config.sample_interval_s)
    with sampler:
        run = run_plan(plan, executor, progress, stop)
    records = run_rollbacks(run.rollbacks, progress)
    timeline = [
        *run.timeline,
        TimelineEvent(
            phase=Phase.ROLLED_BACK,
            t=utcnow().timestamp(),
            detail=f"{sum(r.ok for r in records)}/{len(records)} rollbacks ok",
        ),
    ]
    if not state.pending():
        state.clear()
    steady = SteadyState(before=before, after=steady_state(outputs, clients))
    notes.extend(
        f"{hook} not done: no producer runs in this AWS drill (the endpoint switch is client-side)"
        for hook in dict.fromkeys(executor.skipped_local)
    )
    samples = sampler.samples()
    t0 = next((e.t for e in timeline if e.phase is Phase.FAULT_INJECTED), None)
    if probes:
        notes.append(cloudwatch_cross_check(outputs, clients, samples, t0, config.sample_interval_s))
    journal = _journal(
        plan, outputs, config, run_id, started, timeline, records, run.error, samples, notes, steady
    )
    return journal, journal.write(journal_dir(request.reports_dir))


def recover_aws(
    request: AwsRequest,
    clients: ClientFactory,
    alive: Callable[[int], bool],
    progress: Callable[[str], None] = lambda _: None,
) -> list[Recovered]:
    """Run what an interrupted AWS drill left in the rollback state file (allowlist checked first);
    refused while the process that wrote it is ``alive``."""
    outputs = AwsOutputs.load(request.outputs_path)
    check_suffix(outputs, request.policy)
    state = RollbackState(state_path(request.reports_dir, outputs.suffix))
    return recover(state, Executor(clients, state, poll_s=request.poll_s, log=progress), alive, progress)


def _lag_probes(
    request: AwsRequest, outputs: AwsOutputs, clients: ClientFactory, given: Probe | None
) -> tuple[dict[str, Probe], list[str]]:
    """The DB lag probe to sample, or none with the reason (never a made-up figure)."""
    if given is not None:
        return {SOURCE: given}, []
    if not request.sample_lag:
        return {}, ["RPO (metric) not sampled: lag sampling switched off for this run"]
    try:
        return {SOURCE: dr_side_probe(outputs, clients)}, []
    except CredentialsError as err:
        return {}, [f"RPO (metric) not sampled: {err}"]


def _journal(
    plan: AwsPlan,
    outputs: AwsOutputs,
    config: DrillConfig,
    run_id: str,
    started: datetime,
    timeline: list[TimelineEvent],
    records: list[RollbackRecord],
    error: str | None,
    samples: list[LagSample],
    lag_notes: list[str],
    steady: SteadyState,
) -> DrillJournal:
    t0 = next((e.t for e in timeline if e.phase is Phase.FAULT_INJECTED), None)
    m = measurements(t0, None, timeline, [], (), config.sample_interval_s, not_measured_reason=NOT_MEASURED)
    m = with_metric_rpo(m, samples, t0, config.sample_interval_s)
    notes = [
        f"aws target, deployment {outputs.suffix}: {plan.summary}",
        f"objective on AWS: {plan.objective}",
        *lag_notes,
    ]
    if plan.scenario == "region_outage":
        notes.insert(0, SIMULATED_OUTAGE)
    objectives = evaluate(m, config.objectives)
    verdict = judge(
        abort_reason=error or "",
        objectives=objectives,
        loss=m.loss,
        integrity=[],
        steady_state=steady,
    )
    return DrillJournal(
        run_id=run_id,
        scenario=plan.scenario,
        description=plan.summary,
        target=target_info(outputs),
        parameters={**config.parameters(), "target": AWS_KIND, "suffix": outputs.suffix},
        started_at=started,
        finished_at=utcnow(),
        timeline=sorted(timeline, key=lambda e: e.t),
        lag_samples=samples,
        measurements=m,
        objectives=objectives,
        rollbacks=records,
        status=verdict.status,
        abort_reason=error or "",
        steady_state=steady,
        notes=[*notes, *verdict.notes],
    )
