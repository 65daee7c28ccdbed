"""Every scenario the aws target accepts, run through the same runner as a local drill
(``drills.drill_runner.run_drill`` via ``run_aws_drill``) on an ``AwsTarget``:
- the AWS actions are botocore ``Stubber`` clients (every request checked against the service model
  and the expected parameters, in order; response shapes from the API references, ``aws_world``);
- the polled probes read the ``ControlPlane`` state, validated against the same models;
- Aurora's SQL (writer probe, ``aurora_global_db_status()``) is a scratch PostgreSQL standing in;
- the producer, ledger and stores are the in-memory ``FakeDataPlane`` on a manual clock;
- the session cache is a real Valkey primary and replica behind the aws target's own session client
  (``AwsSessionCache``), moved by ``TestFailover`` as ``control_plane.CacheWorld`` models it.
Asserted: the actions performed are the dry-run plan's, in order; every rollback runs, newest first;
the journal has a local journal's shape (target kind aws) and renders in the report; a failure at
each action step aborts the drill and rolls back what was done.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from compliance.report.drill_views import drill_view, history_row
from contracts.journal import DrillJournal, Phase, Status
from drills.drill_runner import run_drill
from drills.measure.rpo import DB_LAG
from drills.measure.verdict import rejudge
from drills.scenarios.cache_failover import CACHE_LAG
from drills.scenarios.config import parse_config
from drills.targets.aws.outputs import AwsOutputs
from drills.targets.aws.plans import PLANS, RefusedOnAws, plan_for
from drills.targets.aws.role_actions import SIMULATED_OUTAGE
from drills.targets.aws.rollback_state import state_path
from drills.targets.aws.safety import SafetyPolicy
from drills.targets.aws.session import AwsRequest, run_aws_drill
from drills.targets.aws.target import AWS_DEFAULTS, SYNC_REFUSED, UnsupportedOnAws
from drills.targets.local.scratch_postgres import PgCluster
from drills.targets.session_store import PREFIX, connect
from drills.targets.values import ActionFailed
from tests.fakes.fake_target import FakeTarget
from tests.fakes.manual_clock import ManualClock
from tests.targets.aws.aws_world import (
    ACTIONS,
    GLOBAL,
    SEQUENCES,
    D,
    P,
    S,
    _db_arns,
    _global,
    expect_rpo_lag_metric,
    expect_stacks,
    expect_steady,
)
from tests.targets.aws.conftest import FIXTURE
from tests.targets.aws.rig import ALLOWED, Doors, Rig, expect_drill
from tests.targets.valkey_pair import ValkeyPair, valkey_pair

pytestmark = pytest.mark.sandbox  # a scratch PostgreSQL stands in for Aurora's SQL

#: A short drill (the defaults run in ``test_every_accepted_scenario_passes_with_the_aws_defaults``).
SHORT = {**AWS_DEFAULTS, "load_s": 6.0, "fault_after_s": 1.0, "drain_settle_s": 0.3,
         "recovery_timeout_s": 20.0}


@pytest.fixture(scope="module")
def valkey() -> Iterator[ValkeyPair]:
    with valkey_pair() as pair:
        yield pair


@pytest.fixture
def rig(aurora: PgCluster, valkey: ValkeyPair, tmp_path: Path) -> Iterator[Rig]:
    valkey.flush()
    made = Rig(aurora, tmp_path / "reports", cache=valkey)
    yield made
    made.data.close()
    Doors(aurora).open()


def _shape(value: Any) -> Any:
    """The field names of a journal, recursively (values and list lengths left out)."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value and isinstance(value[0], dict) else []
    return None


@pytest.fixture(scope="module")
def local_journal(tmp_path_factory: pytest.TempPathFactory) -> DrillJournal:
    """A local-style journal of the same scenario family, on the in-memory fake target."""
    work = tmp_path_factory.mktemp("local")
    target = FakeTarget(ManualClock(), work)
    config = parse_config({k: v for k, v in SHORT.items()})
    return run_drill(target, "region_outage", config, work / "reports", clock=target.clock).journal


#: The event scenarios; ``cache_failover`` (sessions, no event load) has its own test below.
EVENT_SCENARIOS = sorted(set(PLANS) - {"cache_failover"})


@pytest.mark.parametrize("scenario", EVENT_SCENARIOS)
def test_every_accepted_scenario_passes_with_the_aws_defaults(
    scenario: str, rig: Rig, outputs: AwsOutputs, local_journal: DrillJournal
) -> None:
    """``htdr drill run <scenario> --target aws`` with no option: the aws defaults, the whole drill."""
    plan = plan_for(scenario, outputs)
    assert [a.name for a in plan.actions] == SEQUENCES[scenario]
    expect_drill(rig.aws, scenario)

    result = rig.run(scenario, parse_config(dict(AWS_DEFAULTS)))

    journal = result.journal
    rig.aws.assert_done()  # every expected AWS call was made, in order, with the expected parameters
    assert rig.performed() == [a.description for a in plan.actions]  # the dry-run plan, in order
    assert rig.undone() == [a.undo for a in reversed(plan.actions)]  # every rollback, newest first
    assert journal.status is Status.PASSED, journal.notes
    assert all(r.ok for r in journal.rollbacks) and journal.steady_state and journal.steady_state.restored
    assert not state_path(rig.reports, S).exists()  # nothing left pending
    assert (journal.target.kind, journal.target.environment) == ("aws", S)
    assert (journal.target.primary_region, journal.target.dr_region) == (P, D)
    assert journal.parameters["replication_mode"] == "async" and journal.parameters["ingest"] == "single"
    assert "topology in effect: not readable from the target" in journal.notes
    # the latency AWS does not let a drill set is not recorded as if it had run with it
    assert journal.parameters["link_latency_ms"] is None
    assert local_journal.parameters["link_latency_ms"] == 20.0
    assert any(n.startswith("parameter link_latency_ms not applied on this target: ") for n in journal.notes)
    phases = [e.phase for e in journal.timeline]
    assert {Phase.FAULT_INJECTED, Phase.PROMOTED, Phase.FIRST_ACK_WRITE_READABLE,
            Phase.BACKLOG_DRAINED} <= set(phases) and phases[-1] is Phase.ROLLED_BACK
    db_lag = [s for s in journal.lag_samples if s.source == DB_LAG]
    assert db_lag and all(s.lag_s == 0.0 for s in db_lag)  # read from aurora_global_db_status()
    assert journal.measurements.rpo_metric.value == 0.0
    assert journal.measurements.loss.lost == 0 and journal.measurements.loss.acknowledged > 0
    assert (SIMULATED_OUTAGE in journal.notes) == (scenario == "region_outage")
    assert any(n.startswith("cross-check: SQL rpo_lag 0.000 s at t0, CloudWatch AuroraGlobalDBRPOLag")
               for n in journal.notes), journal.notes

    assert _shape(journal.model_dump(mode="json")) == _shape(local_journal.model_dump(mode="json"))
    assert journal.parameters.keys() == local_journal.parameters.keys()
    assert journal.measurements.model_dump().keys() == local_journal.measurements.model_dump().keys()
    assert DrillJournal.read(result.path) == journal
    verdict, _ = rejudge(journal)  # what `htdr drill judge` recomputes from the saved facts
    assert verdict.status is journal.status
    view = drill_view(journal, str(result.path))
    assert view.scenario == scenario and view.status == "passed"
    assert history_row(journal, str(result.path)).run_id == "aws0001"


@pytest.fixture(scope="module")
def local_cache_journal(tmp_path_factory: pytest.TempPathFactory) -> DrillJournal:
    """A local-style cache_failover journal, on the in-memory fake target."""
    work = tmp_path_factory.mktemp("local-cache")
    target = FakeTarget(ManualClock(), work)
    return run_drill(target, "cache_failover", parse_config(dict(SHORT)), work / "reports",
                     clock=target.clock).journal


def test_cache_failover_passes_with_the_aws_defaults(
    rig: Rig, valkey: ValkeyPair, outputs: AwsOutputs, local_cache_journal: DrillJournal
) -> None:
    """``htdr drill run cache_failover --target aws``: TestFailover of the primary cache group, the
    session writer's failures detect it, the automatic failover completes, every session acknowledged
    is read back through the primary endpoint; the rollback fails the primary back."""
    plan = plan_for("cache_failover", outputs)
    assert [a.name for a in plan.actions] == SEQUENCES["cache_failover"]
    expect_drill(rig.aws, "cache_failover")

    result = rig.run("cache_failover", parse_config(dict(AWS_DEFAULTS)))

    journal = result.journal
    rig.aws.assert_done()
    assert rig.performed() == [a.description for a in plan.actions]
    assert rig.undone() == [a.undo for a in reversed(plan.actions)]
    assert journal.status is Status.PASSED, journal.notes
    assert all(r.ok for r in journal.rollbacks) and journal.steady_state and journal.steady_state.restored
    assert not state_path(rig.reports, S).exists()
    assert (journal.target.kind, journal.target.environment) == ("aws", S)
    phases = [e.phase for e in journal.timeline]
    assert {Phase.FAULT_INJECTED, Phase.DETECTED, Phase.PROMOTED,
            Phase.FIRST_ACK_WRITE_READABLE} <= set(phases) and phases[-1] is Phase.ROLLED_BACK
    detected = next(e for e in journal.timeline if e.phase is Phase.DETECTED)
    assert detected.detail == "3 failed session writes"
    # every acknowledged session is on the primary the rollback restored, counted there directly
    loss = journal.measurements.loss
    assert loss.lost == 0 and loss.acknowledged is not None and loss.acknowledged > 0
    with connect(valkey.primary, 2.0) as conn:
        assert conn.info("replication")["role"] == "master"  # failed back to the node it had
        assert sum(1 for _ in conn.scan_iter(f"{PREFIX}sess-*", count=1000)) == loss.acknowledged
    cache_lag = [s for s in journal.lag_samples if s.source == CACHE_LAG]
    assert cache_lag and all(s.lag_s is None or s.lag_s >= 0 for s in cache_lag)
    rpo = journal.measurements.rpo_metric.value
    assert rpo is not None and 0 <= rpo <= 1.0  # the replica acknowledges every 0.05 s of drill time

    assert _shape(journal.model_dump(mode="json")) == _shape(local_cache_journal.model_dump(mode="json"))
    assert journal.parameters.keys() == local_cache_journal.parameters.keys()
    assert DrillJournal.read(result.path) == journal
    verdict, _ = rejudge(journal)
    assert verdict.status is journal.status
    assert drill_view(journal, str(result.path)).status == "passed"


def test_region_outage_fails_over_only_because_the_drill_impaired_the_primary(rig: Rig) -> None:
    """The writer probe sees the primary go (the FIS disruption), the failover is AllowDataLoss; the
    planned switchover of the other test used switchover_global_cluster."""
    expect_drill(rig.aws, "region_outage")
    journal = rig.run("region_outage", parse_config(SHORT)).journal
    operations = [(service, op) for service, _, op, _ in rig.world.calls if service == "rds"]
    assert ("rds", "failover_global_cluster") in operations
    assert operations.index(("rds", "failover_global_cluster")) < operations.index(
        ("rds", "switchover_global_cluster"))  # the switch back, in the rollback
    detected = next(e for e in journal.timeline if e.phase is Phase.DETECTED)
    assert detected.detail == f"{P} writer: 3 consecutive failed probes"
    assert [r.action for r in journal.rollbacks][:4] == [
        "configure", "start_load", f"kill_region {P} (simulated)",
        f"promote_writer {D} (failover with AllowDataLoss)"]


FAILURES = [(scenario, index) for scenario, sequence in SEQUENCES.items() for index in range(len(sequence))]


@pytest.mark.parametrize(("scenario", "failing"), FAILURES,
                         ids=[f"{s}-fail-at-{SEQUENCES[s][i]}" for s, i in FAILURES])
def test_a_failing_action_aborts_and_what_was_done_is_rolled_back(
    scenario: str, failing: int, rig: Rig, outputs: AwsOutputs
) -> None:
    sequence = SEQUENCES[scenario]
    if sequence[failing] == "producer_repointed_dr":
        rig = Rig(rig.cluster, rig.reports, fail_data=(f"repoint {D}",))
    expect_drill(rig.aws, scenario, failing)

    with pytest.raises(ActionFailed, match=sequence[failing]):
        rig.run(scenario, parse_config(SHORT))

    rig.aws.assert_done()
    plan = plan_for(scenario, outputs)
    assert rig.performed() == [a.description for a in plan.actions][: failing + 1]
    assert rig.undone() == [a.undo for a in reversed(plan.actions[: failing + 1])]
    journal = DrillJournal.read(next((rig.reports / "drills").glob("drill-*.json")))
    assert journal.status is Status.ABORTED and journal.abort_reason.startswith("a step failed: ActionFailed")
    assert (SIMULATED_OUTAGE in journal.notes) == (scenario == "region_outage")
    assert journal.rollbacks and all(r.ok for r in journal.rollbacks), journal.rollbacks
    assert not state_path(rig.reports, S).exists()
    rig.data.close()


def test_link_partition_is_refused_with_one_sentence(rig: Rig) -> None:
    with pytest.raises(RefusedOnAws, match=r"^link_partition is refused on the aws target: Aurora global "
                                           r"replication [^\n]*\.$"):
        rig.run("link_partition", parse_config(SHORT))
    rig.aws.assert_done()  # nothing was read or called


def test_synchronous_replication_is_refused_before_any_call(rig: Rig) -> None:
    with pytest.raises(UnsupportedOnAws, match=f"^{re.escape(SYNC_REFUSED)}$"):
        rig.run("processor_crash", parse_config({**SHORT, "replication_mode": "sync"}))
    rig.aws.assert_done()


def test_an_operator_stop_during_an_aws_wait_ends_the_drill_and_every_rollback_runs(rig: Rig) -> None:
    """SIGINT while the global database fails over (the CLI's handler sets the drill's stop): no later
    action runs, the failover and everything before it are undone, the journal says why."""
    stop = threading.Event()
    sequence = SEQUENCES["region_outage"]
    expect_stacks(rig.aws, ALLOWED)
    expect_steady(rig.aws)
    for name in sequence[:3]:
        ACTIONS[name].do(rig.aws)
    _db_arns(rig.aws)
    failed_over = {"GlobalCluster": {"GlobalClusterIdentifier": GLOBAL}}
    rig.aws.expect("rds", D, "failover_global_cluster", failed_over)
    rig.aws.expect("rds", D, "describe_global_clusters", _global(P, "failing-over"))  # the one poll
    ACTIONS["db_failover_to_dr"].undo(rig.aws, True)
    for name in reversed(sequence[:3]):
        ACTIONS[name].undo(rig.aws, True)
    expect_steady(rig.aws)
    operator = rig.world.watch(  # Ctrl-C as the failover is under way
        rig.aws, after=lambda operation: stop.set() if operation == "failover_global_cluster" else None)

    request = AwsRequest(FIXTURE, SafetyPolicy(frozenset({S}), confirm=S), rig.reports, poll_s=0.0)
    with pytest.raises(ActionFailed, match="stopped by the operator"):
        run_aws_drill("region_outage", request, parse_config(SHORT), operator, lambda *_: rig.data,
                      probe_clients=rig.world.probes(), sql=rig.sql(), progress=rig.progress.append,
                      stop=stop, run_id="stop0001", clock=rig.clock)

    rig.aws.assert_done()
    journal = DrillJournal.read(rig.reports / "drills" / "drill-region_outage-stop0001.json")
    assert journal.status is Status.ABORTED and "stopped by the operator" in journal.abort_reason
    assert [r.action for r in journal.rollbacks][2:] == [f"kill_region {P} (simulated)",
                                                         f"promote_writer {D} (failover with AllowDataLoss)"]
    assert all(r.ok for r in journal.rollbacks)
    assert not state_path(rig.reports, S).exists()


def test_a_switchover_whose_dr_side_never_catches_up_is_aborted_before_the_writer_moves(
    rig: Rig, aurora: PgCluster
) -> None:
    """``durability_lag_in_msec`` never reads 0: no switchover is asked of Aurora, the producer and the
    primary processors are restored, the journal says why."""
    with psycopg.connect(aurora.dsn("dr_reader"), autocommit=True) as conn:
        conn.execute("UPDATE lag_state SET durability_lag_in_msec = 250 WHERE aws_region = 'ca-west-1'")
    try:
        expect_stacks(rig.aws, ALLOWED)
        expect_steady(rig.aws)
        done = SEQUENCES["planned_switchover"][:2]  # producer repointed, primary processors stopped
        for name in done:
            ACTIONS[name].do(rig.aws)
        for name in reversed(done):
            ACTIONS[name].undo(rig.aws, True)
        expect_steady(rig.aws)
        expect_rpo_lag_metric(rig.aws, datetime(2026, 1, 1, tzinfo=UTC), 0.0)

        journal = rig.run("planned_switchover", parse_config(SHORT)).journal
    finally:
        with psycopg.connect(aurora.dsn("dr_reader"), autocommit=True) as conn:
            conn.execute("UPDATE lag_state SET durability_lag_in_msec = 0 WHERE aws_region = 'ca-west-1'")

    rig.aws.assert_done()
    assert journal.status is Status.ABORTED
    assert journal.abort_reason == "DR side did not catch up with the fenced primary"
    assert not any(op == "switchover_global_cluster" for _, _, op, _ in rig.world.calls)
    assert all(r.ok for r in journal.rollbacks) and journal.steady_state and journal.steady_state.restored
