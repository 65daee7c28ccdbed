"""Run one drill as a task of the drill control plane and exit with its verdict (the pipeline's stage).

``python -m htdr.control_plane_drill --suffix S --dr-region R --scenario planned_switchover
--evidence-prefix pipeline/<build>`` starts the control plane's run task definition in the DR
region, on the daemon service's network (the DR VPC's app subnets and the control plane's security
group, which the DR data stores admit), with the command ``htdr drill run <scenario> --target aws``
for this suffix. The task's entrypoint writes the outputs file, runs the drill, and uploads the
evidence under the given prefix whatever the outcome. This waits until the task stops and exits 0 only
when the drill's own exit status is 0: a failed objective or a missing measurement (the drill exits
non-zero when its journal is not "passed") or a task that never ran fails the stage, in one line.

Why here and not in CodeBuild: the drill reads Aurora and the cache over their private endpoints (lag
sampled in SQL, loss checked on the surviving writer, which after a failover is in the DR region);
only the control plane's run tasks sit where those are reachable.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from contracts.control_plane import RUN_CONTAINER, ControlPlaneNames

OUTPUTS_FILE = "/tmp/cfn-outputs/flat-outputs.json"
REPORTS_DIR = "/tmp/reports"


class ControlPlaneDrillError(RuntimeError):
    """The drill could not be started or did not pass; one line naming what and why."""


@dataclass(frozen=True)
class DrillRequest:
    suffix: str
    region: str
    scenario: str
    evidence_prefix: str
    dry_run: bool = False
    timeout_s: float = 3 * 3600
    poll_s: float = 15.0


def drill_command(request: DrillRequest) -> list[str]:
    """The command of the run container (its entrypoint wraps it: outputs file, evidence upload)."""
    guard = ["--dry-run"] if request.dry_run else ["--confirm", request.suffix]
    return [
        "htdr", "drill", "run", request.scenario, "--target", "aws", "--outputs", OUTPUTS_FILE,
        "--allow-suffix", request.suffix, *guard, "--reports-dir", REPORTS_DIR,
    ]  # fmt: skip


def start(ecs: Any, request: DrillRequest) -> str:
    """RunTask on the daemon's network configuration; returns the task ARN."""
    names = ControlPlaneNames(request.suffix)
    services = ecs.describe_services(cluster=names.cluster, services=[names.daemon_service])["services"]
    if not services:
        raise ControlPlaneDrillError(
            f"control plane {names.cluster} in {request.region}: no daemon service; deploy the "
            "DrillControlPlane stack first"
        )
    network = services[0]["networkConfiguration"]
    response = ecs.run_task(
        cluster=names.cluster,
        taskDefinition=names.run_task_family,
        launchType="FARGATE",
        networkConfiguration=network,
        startedBy="htdr-pipeline",
        overrides={
            "containerOverrides": [
                {
                    "name": RUN_CONTAINER,
                    "command": drill_command(request),
                    "environment": [{"name": "HTDR_EVIDENCE_PREFIX", "value": request.evidence_prefix}],
                }
            ]
        },
        tags=[{"key": "htdr/target", "value": "aws"}, {"key": "htdr/suffix", "value": request.suffix},
              {"key": "htdr/scenario", "value": request.scenario}],
    )  # fmt: skip
    if response.get("failures") or not response.get("tasks"):
        reasons = ", ".join(f.get("reason", "?") for f in response.get("failures", [])) or "no task"
        raise ControlPlaneDrillError(f"run task {names.run_task_family} did not start: {reasons}")
    return str(response["tasks"][0]["taskArn"])


def wait(ecs: Any, request: DrillRequest, task_arn: str, sleep: Callable[[float], None] = time.sleep) -> int:
    """Poll until the task stops; the run container's exit code (ControlPlaneDrillError if none)."""
    names = ControlPlaneNames(request.suffix)
    deadline = time.monotonic() + request.timeout_s
    while True:
        (task,) = ecs.describe_tasks(cluster=names.cluster, tasks=[task_arn])["tasks"]
        if task["lastStatus"] == "STOPPED":
            container = next(c for c in task["containers"] if c["name"] == RUN_CONTAINER)
            if container.get("exitCode") is None:
                reason = container.get("reason") or task.get("stoppedReason", "unknown")
                raise ControlPlaneDrillError(f"drill task {task_arn} stopped without running: {reason}")
            return int(container["exitCode"])
        if time.monotonic() > deadline:
            ecs.stop_task(cluster=names.cluster, task=task_arn, reason="htdr pipeline timeout")
            raise ControlPlaneDrillError(
                f"drill task {task_arn}: still running after {request.timeout_s:.0f} s"
            )
        sleep(request.poll_s)


def main(argv: Sequence[str] | None = None, ecs: Any | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run a drill on the drill control plane; exit with its verdict"
    )
    parser.add_argument("--suffix", required=True)
    parser.add_argument("--dr-region", required=True)
    parser.add_argument("--scenario", required=True)
    parser.add_argument("--evidence-prefix", required=True, help="evidence bucket prefix, e.g. pipeline/42")
    parser.add_argument(
        "--dry-run", action="store_true", help="the drill prints its plan and changes nothing"
    )
    parser.add_argument("--poll-s", type=float, default=15.0, help="seconds between task status polls")
    parser.add_argument("--timeout-s", type=float, default=3 * 3600, help="stop the task after this long")
    args = parser.parse_args(argv)
    request = DrillRequest(
        args.suffix, args.dr_region, args.scenario, args.evidence_prefix, args.dry_run,
        timeout_s=args.timeout_s, poll_s=args.poll_s,
    )  # fmt: skip
    if ecs is None:
        import boto3

        ecs = boto3.client("ecs", region_name=request.region)
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        task_arn = start(ecs, request)
        print(f"drill task started: {task_arn}", flush=True)
        code = wait(ecs, request, task_arn)
    except ControlPlaneDrillError as error:
        print(f"control-plane drill: {error}", file=sys.stderr)
        return 2
    except (BotoCoreError, ClientError) as error:
        print(f"control-plane drill: ECS refused or unreachable ({type(error).__name__})", file=sys.stderr)
        return 2
    verdict = "passed" if code == 0 else f"FAILED (exit {code}: an objective failed or was not measured)"
    print(
        f"drill {request.scenario} on {request.suffix}: {verdict}; evidence under {request.evidence_prefix}/"
    )
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
