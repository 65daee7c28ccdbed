"""``--dry-run``: every AWS call a drill would make, with its rollback, as text; nothing is called."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from contracts.outputs import OutputKey, RegionalKey, Side
from drills.targets.aws.cloudwatch_lag import RPO_LAG
from drills.targets.aws.credentials import replica_arn
from drills.targets.aws.outputs import AwsOutputs
from drills.targets.aws.plans import AwsPlan
from drills.targets.aws.safety import stack_reads
from drills.targets.aws.steady_state import checks
from drills.targets.aws.steps import (
    Call,
    Capture,
    Guarded,
    Local,
    Ref,
    RunExperiment,
    Step,
    StopExperiments,
    Wait,
)


def render(plan: AwsPlan, outputs: AwsOutputs, state_file: Path) -> str:
    dr = outputs.region(Side.DR)
    reader = outputs.of(Side.DR, RegionalKey.READER_ENDPOINT)
    lines = [
        f"DRY RUN: {plan.scenario} on deployment {outputs.suffix} "
        f"({outputs.region(Side.PRIMARY)} -> {outputs.region(Side.DR)}); no AWS call is made.",
        f"outputs: {outputs.path}",
        f"what: {plan.summary}",
        f"objective: {plan.objective}",
        f"destructive: {'yes (needs --confirm ' + outputs.suffix + ')' if plan.destructive else 'no'}",
        "safety reads (before any change; refused unless every stack is tagged DrillAllowed=true and none "
        "Production=true):",
        *[f"  read  {_call(call)}" for call in stack_reads(outputs)],
        "steady state reads (before the first action: refused unless healthy; again after the rollbacks: "
        "the drill fails unless restored):",
        *[f"  read  {_call(check.read)}  ({check.name})" for check in checks(outputs)],
        "precondition read (the DR cluster must be a connected secondary):",
        f"  read  rds.describe_global_clusters [{outputs.region(Side.PRIMARY)}] GlobalClusterIdentifier="
        f"{outputs.get(OutputKey.GLOBAL_CLUSTER_ID)!r}",
        "measurement reads (the secret's values are never printed):",
        *[f"  read  secretsmanager.get_secret_value [{outputs.region(side)}] SecretId="
          f"{replica_arn(outputs.get(OutputKey.DB_SECRET_ARN), outputs.region(side))!r}" for side in Side],
        f"  sql   SELECT ... FROM aurora_global_db_status() on {reader} every sample_interval_s (RPO metric)",
        f"  read  cloudwatch.get_metric_data [{dr}] AWS/RDS {RPO_LAG} DBClusterIdentifier="
        f"{outputs.of(Side.DR, RegionalKey.DB_CLUSTER_ID)!r} (cross-check at t0, after the rollbacks)",
        f"rollback state file: {state_file} (each rollback saved before its action runs)",
        "role calls, in the order the scenario makes them (numbered: the AWS actions):",
    ]
    number = 0
    for planned in plan.calls:
        marks = f"  [marks {planned.marks.value}]" if planned.marks else ""
        lines.append(f"- {planned.call}{': ' + planned.what if planned.what else ''}{marks}")
        for action in planned.actions:
            number += 1
            lines.append(f"  {number}. {action.name}: {action.description}")
            lines.extend(f"     read  {_capture(c)}" for c in action.reads)
            lines.extend(f"     {_step(s)}" for s in action.steps)
            lines.append(f"     rollback: {action.undo}")
            lines.extend(f"       {_step(s)}" for s in action.rollback)
    lines.append(
        "rollbacks run newest first after the measurement, or with `htdr drill recover --target aws` "
        "after a killed drill."
    )
    return "\n".join(lines)


def _capture(capture: Capture) -> str:
    return f"{_call(capture.call)} -> {capture.path} ({capture.how})"


def _step(step: Step) -> str:
    if isinstance(step, Call):
        return f"call  {_call(step)}"
    if isinstance(step, Wait):
        relation = "!=" if step.negate else "=="
        either = f" or {step.or_path} == {_value(step.or_expected)}" if step.or_path else ""
        return (
            f"wait  {_call(step.call)} until {step.path} {relation} {_value(step.expected)}{either} "
            f"(timeout {step.timeout_s:.0f} s)"
        )
    if isinstance(step, Local):
        return f"local {step.hook}: {step.what}"
    if isinstance(step, RunExperiment):
        return (
            f"call  fis.start_experiment [{step.region}] experimentTemplateId={_value(step.template)}; "
            f"poll fis.get_experiment until {step.until} (timeout {step.timeout_s:.0f} s)"
        )
    if isinstance(step, StopExperiments):
        return (
            f"call  fis.list_experiments [{step.region}] experimentTemplateId={_value(step.template)}; "
            "fis.stop_experiment of each pending/initiating/running one"
        )
    return _guarded(step)


def _guarded(step: Guarded) -> str:
    return f"call  {_call(step.step)} unless {_call(step.check)} shows {step.path} == {_value(step.unless)}"


def _call(call: Call) -> str:
    params = ", ".join(f"{k}={_value(v)}" for k, v in call.params.items())
    return f"{call.service}.{call.operation} [{call.region}] {params}".rstrip()


def _value(value: Any) -> str:
    if isinstance(value, Ref):
        return f"<{value.how}>"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return repr(value)
