"""The pipeline's drill launcher against ECS's real request/response model (botocore Stubber).

moto's ECS does not run tasks to completion, so the RunTask / DescribeTasks sequence is stubbed:
every request is validated against the service model, responses are shaped as the API reference
documents them.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from htdr.control_plane_drill import main

TASK = "arn:aws:ecs:ca-west-1:123456789012:task/htdr-drill-control-test/0123456789abcdef0123456789abcdef"
NETWORK = {
    "awsvpcConfiguration": {
        "subnets": ["subnet-0aaa", "subnet-0bbb"],
        "securityGroups": ["sg-0control"],
        "assignPublicIp": "DISABLED",
    }
}
ARGS = ["--suffix", "test", "--dr-region", "ca-west-1", "--scenario", "planned_switchover",
        "--evidence-prefix", "pipeline/7", "--poll-s", "0"]  # fmt: skip


def _ecs() -> tuple[Any, Stubber]:
    client = boto3.client("ecs", region_name="ca-west-1", aws_access_key_id="t", aws_secret_access_key="t")
    return client, Stubber(client)


def _service(stub: Stubber) -> None:
    stub.add_response(
        "describe_services",
        {"services": [{"serviceName": "htdr-dagster-daemon-test", "networkConfiguration": NETWORK}]},
        {"cluster": "htdr-drill-control-test", "services": ["htdr-dagster-daemon-test"]},
    )


def _run_task(stub: Stubber, command: list[str]) -> None:
    stub.add_response(
        "run_task",
        {"tasks": [{"taskArn": TASK, "lastStatus": "PROVISIONING"}], "failures": []},
        {
            "cluster": "htdr-drill-control-test",
            "taskDefinition": "htdr-drill-run-test",
            "launchType": "FARGATE",
            "networkConfiguration": NETWORK,
            "startedBy": "htdr-pipeline",
            "overrides": {
                "containerOverrides": [
                    {
                        "name": "run",
                        "command": command,
                        "environment": [{"name": "HTDR_EVIDENCE_PREFIX", "value": "pipeline/7"}],
                    }
                ]
            },
            "tags": ANY,
        },
    )


def _status(stub: Stubber, last: str, container: dict[str, Any] | None = None, reason: str = "") -> None:
    task: dict[str, Any] = {
        "taskArn": TASK,
        "lastStatus": last,
        "containers": [{"name": "run", **(container or {})}],
    }
    if reason:
        task["stoppedReason"] = reason
    stub.add_response(
        "describe_tasks", {"tasks": [task]}, {"cluster": "htdr-drill-control-test", "tasks": [TASK]}
    )


CONFIRMED = ["htdr", "drill", "run", "planned_switchover", "--target", "aws", "--outputs",
             "/tmp/cfn-outputs/flat-outputs.json", "--allow-suffix", "test", "--confirm", "test",
             "--reports-dir", "/tmp/reports"]  # fmt: skip


def test_a_passed_drill_passes_the_stage(capsys: pytest.CaptureFixture[str]) -> None:
    ecs, stub = _ecs()
    _service(stub)
    _run_task(stub, CONFIRMED)
    _status(stub, "RUNNING")
    _status(stub, "STOPPED", {"exitCode": 0, "lastStatus": "STOPPED"})
    with stub:
        assert main(ARGS, ecs=ecs) == 0
        stub.assert_no_pending_responses()
    assert "drill planned_switchover on test: passed; evidence under pipeline/7/" in capsys.readouterr().out


def test_a_failed_objective_or_missing_measurement_fails_the_stage(
    capsys: pytest.CaptureFixture[str],
) -> None:
    ecs, stub = _ecs()
    _service(stub)
    _run_task(stub, CONFIRMED)
    _status(stub, "STOPPED", {"exitCode": 2, "lastStatus": "STOPPED"})
    with stub:
        assert main(ARGS, ecs=ecs) == 1
    out = capsys.readouterr().out.strip().splitlines()[-1]
    assert "FAILED (exit 2: an objective failed or was not measured)" in out


def test_a_task_that_never_ran_fails_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    ecs, stub = _ecs()
    _service(stub)
    _run_task(stub, CONFIRMED)
    _status(
        stub, "STOPPED", {"reason": "CannotPullContainerError: pull access denied"}, "Task failed to start"
    )
    with stub:
        assert main(ARGS, ecs=ecs) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "stopped without running: CannotPullContainerError" in err


def test_dry_run_asks_the_drill_for_its_plan_only() -> None:
    ecs, stub = _ecs()
    _service(stub)
    dry = [*CONFIRMED[:10], "--dry-run", "--reports-dir", "/tmp/reports"]  # no --confirm
    _run_task(stub, dry)
    _status(stub, "STOPPED", {"exitCode": 0})
    with stub:
        assert main([*ARGS, "--dry-run"], ecs=ecs) == 0


def test_without_a_control_plane_the_stage_fails_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    ecs, stub = _ecs()
    stub.add_response(
        "describe_services",
        {"services": [], "failures": [{"arn": "x", "reason": "MISSING"}]},
        {"cluster": "htdr-drill-control-test", "services": ["htdr-dagster-daemon-test"]},
    )
    with stub:
        assert main(ARGS, ecs=ecs) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "deploy the DrillControlPlane stack first" in err
