"""An AWS drill from the operator's options to its journal: every safety check, then the same runner
as a local drill (``drills.drill_runner.run_drill``) on an ``AwsTarget``.

Order: the scenario is one the aws target can run (``link_partition`` refused with its sentence, a
missing role named) → outputs → suffix allowlist (the dry run stops here and prints the plan) →
parameters AWS cannot honour (``replication_mode`` sync) → ``--confirm`` for a destructive scenario
→ every stack ``DrillAllowed=true`` and none production → no rollback pending from an interrupted
drill → ``run_drill``: the runner's drill lock, health (the steady state), the scenario's role calls
(the target opens the rollback state file at its first action, under that lock), the measurement,
the rollbacks, the journal. After the run the journal
gets the notes only AWS has: a region outage was SIMULATED, and the SQL lag sampled at t0 against
CloudWatch's ``AuroraGlobalDBRPOLag`` around t0.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from contracts.evidence_layout import journal_dir, journal_name
from contracts.journal import DrillJournal, Phase
from contracts.store_validation import Validator
from drills.clock import SYSTEM_CLOCK, Clock
from drills.drill_runner import DrillResult, run_drill
from drills.drill_runner import recover as recover_target
from drills.measure.lag import MAX_GAP_INTERVALS, of_source, value_at
from drills.measure.rpo import DB_LAG
from drills.measure.rto import phase_time
from drills.scenarios.config import DrillConfig
from drills.scenarios.context import MissingCapability
from drills.scenarios.registry import scenario as make_scenario
from drills.targets.aws.aurora_sql import AuroraSql
from drills.targets.aws.cloudwatch_lag import RPO_LAG, aurora_lag, cross_check, window
from drills.targets.aws.data_plane_role import DataPlane
from drills.targets.aws.dry_run import render
from drills.targets.aws.executor import ClientFactory, Executor
from drills.targets.aws.outputs import AwsOutputs
from drills.targets.aws.plans import REFUSED, AwsPlan, RefusedOnAws, plan_for
from drills.targets.aws.recover import Recovered
from drills.targets.aws.role_actions import SIMULATED_OUTAGE
from drills.targets.aws.rollback_state import RollbackState, state_path
from drills.targets.aws.safety import SafetyPolicy, check_confirm, check_stacks, check_suffix
from drills.targets.aws.session_cache import AwsSessionCache
from drills.targets.aws.site import AwsSite, pid_alive
from drills.targets.aws.target import SYNC_REFUSED, AwsTarget, UnsupportedOnAws
from drills.targets.roles import missing_roles
from drills.targets.values import ReplicationMode

#: Builds the data plane of a deployment: outputs, a working directory (ledger), the AWS clients.
DataPlaneFactory = Callable[[AwsOutputs, Path, ClientFactory], DataPlane]


@dataclass(frozen=True)
class AwsRequest:
    """Everything an AWS drill needs, read once at the edge (CLI options or the Dagster resource)."""

    outputs_path: Path
    policy: SafetyPolicy
    reports_dir: Path
    poll_s: float = 5.0


def refuse_unless_runnable(scenario: str) -> None:
    """Refused on AWS with its sentence, or missing a role ``AwsTarget`` does not implement (named as
    the runner names it); an unknown scenario is a ``ValueError`` naming the known ones."""
    scn = make_scenario(scenario)
    if scenario in REFUSED:
        raise RefusedOnAws(f"{scenario} is refused on the aws target: {REFUSED[scenario]}")
    missing = missing_roles(AwsTarget, scn.roles)  # the class carries every role method it implements
    if missing:
        raise MissingCapability(f"scenario {scenario} cannot run on the aws target: it lacks the "
                                f"{', '.join(missing)} capability")


def prepare(scenario: str, request: AwsRequest) -> tuple[AwsOutputs, AwsPlan]:
    """Every check that needs no AWS call (the dry run stops here)."""
    refuse_unless_runnable(scenario)
    outputs = AwsOutputs.load(request.outputs_path)
    check_suffix(outputs, request.policy)
    return outputs, plan_for(scenario, outputs)


def dry_run(scenario: str, request: AwsRequest) -> str:
    outputs, plan = prepare(scenario, request)
    return render(plan, outputs, state_path(request.reports_dir, outputs.suffix))


def check_config(config: DrillConfig) -> None:
    """The drill parameters AWS cannot honour, refused before anything is read."""
    if config.replication_mode is not ReplicationMode.ASYNC:
        raise UnsupportedOnAws(SYNC_REFUSED)


def run_aws_drill(
    scenario: str, request: AwsRequest, config: DrillConfig, clients: ClientFactory,
    data_plane: DataPlaneFactory, *, probe_clients: ClientFactory | None = None, sql: AuroraSql | None = None,
    progress: Callable[[str], None] = lambda _: None, stop: threading.Event | None = None,
    run_id: str | None = None, validator: Validator | None = None, clock: Clock = SYSTEM_CLOCK,
    sessions: AwsSessionCache | None = None,
) -> DrillResult:
    """Refused (one line) before any change; otherwise ``run_drill`` on the deployment, which always
    rolls back and writes the journal (a step that raised is raised again after that). ``sessions``:
    the session cache client (default: the deployment's primary cache)."""
    outputs, plan = prepare(scenario, request)
    check_config(config)
    check_confirm(outputs, request.policy, scenario, plan.destructive)
    check_stacks(outputs, clients)
    state = RollbackState(state_path(request.reports_dir, outputs.suffix))
    state.refuse_if_pending()
    run_id = run_id or uuid.uuid4().hex[:12]
    stop = stop or threading.Event()
    sql = sql or AuroraSql.from_outputs(outputs, clients)
    try:
        data = data_plane(outputs, journal_dir(request.reports_dir) / f"aws-{run_id}", clients)
    except BaseException:
        sql.close()
        raise
    target = AwsTarget(outputs, clients, data, sql, state, probe_clients=probe_clients, poll_s=request.poll_s,
                       progress=progress, stop=stop, clock=clock, run=(run_id, scenario), sessions=sessions)
    try:
        result = run_drill(target, scenario, config, request.reports_dir, progress=progress, stop=stop,
                           run_id=run_id, validator=validator, clock=clock)
    except Exception:  # a step raised: its journal (written, aborted) still gets the AWS notes
        written = journal_dir(request.reports_dir) / journal_name(scenario, run_id)
        if written.is_file():
            _with_aws_notes(DrillJournal.read(written), outputs, clients, config.sample_interval_s).write(
                written.parent)
        raise
    finally:
        sql.close()
        data.close()
        target.sessions.close()
        if target.began and not state.pending():
            state.clear()
    journal = _with_aws_notes(result.journal, outputs, clients, config.sample_interval_s)
    return DrillResult(journal=journal, path=journal.write(result.path.parent))


def _with_aws_notes(journal: DrillJournal, outputs: AwsOutputs, clients: ClientFactory,
                    interval_s: float) -> DrillJournal:
    """The journal with the notes only an AWS run has: that a region outage was simulated, and the SQL
    lag sampled at t0 compared with CloudWatch around t0."""
    simulated = [SIMULATED_OUTAGE] if journal.scenario == "region_outage" else []
    t0 = phase_time(journal.timeline, Phase.FAULT_INJECTED)
    if t0 is None:
        note = "CloudWatch cross-check not made: the fault was not injected"
    else:
        hit = value_at(of_source(journal.lag_samples, DB_LAG), t0, round(MAX_GAP_INTERVALS * interval_s, 3))
        try:
            points = aurora_lag(outputs, clients, RPO_LAG, *window(t0))
            note = cross_check(hit.lag_s if hit else None, points, t0)
        except Exception as err:  # monitoring unreadable: say so, the drill's evidence stands
            note = f"cross-check not made: CloudWatch not readable ({type(err).__name__})"
    return journal.model_copy(update={"notes": [*simulated, *journal.notes, note]})


def recover_aws(request: AwsRequest, clients: ClientFactory, alive: Callable[[int], bool] = pid_alive,
                progress: Callable[[str], None] = lambda _: None) -> list[Recovered]:
    """Run what an interrupted AWS drill left in the rollback state file (allowlist checked first) and,
    when the runner's in-flight marker is there, mark that drill's journal aborted with the phase it
    reached (``drills.drill_runner.recover``). Refused while the drill is still running. Needs no
    data plane: the producer died with the drill's process."""
    outputs = AwsOutputs.load(request.outputs_path)
    check_suffix(outputs, request.policy)
    state = RollbackState(state_path(request.reports_dir, outputs.suffix))
    site = AwsSite(outputs, clients, state, Executor(clients, state, poll_s=request.poll_s, log=progress),
                   progress, alive)
    try:
        if recover_target(site, request.reports_dir) is None:
            site.reset()
    except RuntimeError:
        pass  # the failed ones are in ``recovered`` with their error, and stay in the state file
    return site.recovered
