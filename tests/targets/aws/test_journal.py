"""An AWS-target drill run end to end (moto CloudFormation for safety, Stubber for the actions): its
journal has the local journal's model and renders in the report's drill views."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from compliance.report.drill_views import drill_view, history_row
from contracts.journal import DrillJournal, Phase, Status
from drills.measure.verdict import rejudge
from drills.scenarios.config import DrillConfig
from drills.targets.aws.aurora_lag import AuroraLagProbe
from drills.targets.aws.drill import NOT_MEASURED, AwsRequest, run_aws_drill
from drills.targets.aws.lag_sampling import CONSUMER_NOT_SAMPLED
from drills.targets.aws.plans import SIMULATED_OUTAGE
from drills.targets.aws.rollback_state import state_path
from drills.targets.aws.safety import SafetyPolicy
from tests.targets.aws.aws_world import SEQUENCES, expect_drill
from tests.targets.aws.conftest import FIXTURE
from tests.targets.aws.deployment import deploy
from tests.targets.aws.stubs import StubbedAws

pytestmark = pytest.mark.sandbox  # a moto server process


@pytest.mark.parametrize("scenario", ["region_outage", "processor_crash"])
def test_aws_run_writes_a_journal_the_report_renders(scenario: str, moto_url: str, tmp_path: Path) -> None:
    deploy(moto_url, "drill1", {"DrillAllowed": "true", "Environment": "drill1"})
    aws = StubbedAws(moto_url, frozenset({"cloudformation"}))
    expect_drill(aws, scenario)
    request = AwsRequest(FIXTURE, SafetyPolicy(frozenset({"drill1"}), confirm="drill1"), tmp_path, poll_s=0.0)
    switched: list[str] = []
    hooks = {h: (lambda h=h: switched.append(h)) for h in ("repoint_producer_dr", "repoint_producer_primary")}

    journal, path = run_aws_drill(scenario, request, DrillConfig(), aws, hooks=hooks, run_id="aws0001")

    aws.assert_done()
    assert DrillJournal.read(path) == journal
    assert (journal.target.kind, journal.target.environment) == ("aws", "drill1")
    assert (journal.parameters["target"], journal.parameters["suffix"]) == ("aws", "drill1")
    assert [r.action for r in journal.rollbacks] == SEQUENCES[scenario]
    assert all(r.ok for r in journal.rollbacks)
    phases = [e.phase for e in journal.timeline]
    assert phases[0] is not Phase.ROLLED_BACK and phases[-1] is Phase.ROLLED_BACK
    assert Phase.FAULT_INJECTED in phases
    # nothing was measured on this run, and the journal says so instead of a figure
    assert journal.measurements.rpo_data.value is None and NOT_MEASURED in journal.measurements.rpo_data.note
    assert journal.status is Status.FAILED and not any(o.passed for o in journal.objectives[:1])
    assert (SIMULATED_OUTAGE in journal.notes) == (scenario == "region_outage")
    assert switched == (
        ["repoint_producer_dr", "repoint_producer_primary"] if scenario == "region_outage" else []
    )
    assert not state_path(tmp_path, "drill1").exists()
    assert journal.steady_state is not None and journal.steady_state.restored

    verdict, _ = rejudge(journal)  # what `htdr drill judge` recomputes from the saved facts
    assert verdict.status is journal.status
    view = drill_view(journal, str(path))
    assert view.scenario == scenario and view.status == "failed"
    assert history_row(journal, str(path)).run_id == "aws0001"


def test_rpo_metric_is_sampled_from_aurora_global_db_status_during_the_run(
    aurora_like: str, moto_url: str, tmp_path: Path
) -> None:
    """The DR side's rpo_lag (1200 ms in the stand-in) is the RPO (metric) at t0, at the sampling rate."""
    deploy(moto_url, "drill1", {"DrillAllowed": "true", "Environment": "drill1"})
    aws = StubbedAws(moto_url, frozenset({"cloudformation", "cloudwatch"}))
    expect_drill(aws, "processor_crash")
    boto3.client("cloudwatch", region_name="ca-west-1", endpoint_url=moto_url).put_metric_data(
        Namespace="AWS/RDS",
        MetricData=[
            {
                "MetricName": "AuroraGlobalDBRPOLag",
                "Value": 1500.0,
                "Unit": "Milliseconds",
                "Dimensions": [{"Name": "DBClusterIdentifier", "Value": "htdr-patients-dr-drill1"}],
            }
        ],
    )
    request = AwsRequest(FIXTURE, SafetyPolicy(frozenset({"drill1"})), tmp_path, poll_s=0.2)
    probe = AuroraLagProbe(aurora_like, "ca-west-1")
    try:
        journal, _ = run_aws_drill("processor_crash", request, DrillConfig(), aws, lag_probe=probe)
    finally:
        probe.close()

    samples = [s for s in journal.lag_samples if s.source == "db_replication_lag"]
    assert len(samples) >= 3 and all(s.lag_s == 1.2 for s in samples)
    rpo_metric = journal.measurements.rpo_metric
    assert rpo_metric.value == 1.2, rpo_metric.note
    assert CONSUMER_NOT_SAMPLED in rpo_metric.note
    assert journal.measurements.rpo_data.value is None  # no ledger on this run: never a made-up figure
    assert any(
        n.startswith("cross-check: SQL rpo_lag 1.200 s at t0, CloudWatch AuroraGlobalDBRPOLag max")
        and n.endswith("consistent")
        for n in journal.notes
    ), journal.notes


def test_without_a_readable_secret_the_rpo_metric_says_why(moto_url: str, tmp_path: Path) -> None:
    deploy(moto_url, "drill1", {"DrillAllowed": "true", "Environment": "drill1"})
    aws = StubbedAws(moto_url, frozenset({"cloudformation", "secretsmanager"}))  # no such secret in moto
    expect_drill(aws, "processor_crash")
    request = AwsRequest(FIXTURE, SafetyPolicy(frozenset({"drill1"})), tmp_path, poll_s=0.0)

    journal, _ = run_aws_drill("processor_crash", request, DrillConfig(), aws)

    assert journal.lag_samples == []
    assert any(
        n.startswith("RPO (metric) not sampled: secret arn:aws:secretsmanager:") for n in journal.notes
    )
    assert journal.measurements.rpo_metric.value is None


def test_a_target_not_restored_after_the_rollbacks_fails_the_drill(moto_url: str, tmp_path: Path) -> None:
    deploy(moto_url, "drill1", {"DrillAllowed": "true", "Environment": "drill1"})
    aws = StubbedAws(moto_url, frozenset({"cloudformation"}))
    expect_drill(aws, "processor_crash", processors_running_after=1)  # ECS did not replace the stopped task
    request = AwsRequest(FIXTURE, SafetyPolicy(frozenset({"drill1"})), tmp_path, poll_s=0.0, sample_lag=False)

    journal, _ = run_aws_drill("processor_crash", request, DrillConfig(), aws)

    assert journal.steady_state is not None and all(c.ok for c in journal.steady_state.before)
    assert not journal.steady_state.restored
    assert journal.status is Status.FAILED
    assert (
        "steady state not restored after the rollbacks: processors ca-central-1: 1/2 tasks running"
        in journal.notes
    )


def test_without_a_producer_the_endpoint_switch_is_named_as_not_done(moto_url: str, tmp_path: Path) -> None:
    deploy(moto_url, "drill1", {"DrillAllowed": "true", "Environment": "drill1"})
    aws = StubbedAws(moto_url, frozenset({"cloudformation"}))
    expect_drill(aws, "planned_switchover")
    request = AwsRequest(
        FIXTURE, SafetyPolicy(frozenset({"drill1"}), confirm="drill1"), tmp_path, poll_s=0.0, sample_lag=False
    )

    journal, _ = run_aws_drill("planned_switchover", request, DrillConfig(), aws)  # no hooks: the CLI's case

    aws.assert_done()
    reason = "not done: no producer runs in this AWS drill (the endpoint switch is client-side)"
    assert [n for n in journal.notes if n.endswith(reason)] == [
        f"repoint_producer_dr {reason}",
        f"repoint_producer_primary {reason}",
    ]
