"""Steps to JSON and back, for the rollback state file (only resolved steps: no ``Ref`` left)."""

from __future__ import annotations

from typing import Any

from drills.targets.aws.steps import Call, Guarded, Local, RunExperiment, Step, StopExperiments, Wait


def to_json(step: Step) -> dict[str, Any]:
    if isinstance(step, Call):
        return {"kind": "call", **_call(step)}
    if isinstance(step, Wait):
        return {
            "kind": "wait",
            "call": _call(step.call),
            "path": step.path,
            "expected": step.expected,
            "what": step.what,
            "timeout_s": step.timeout_s,
            "negate": step.negate,
            "or_path": step.or_path,
            "or_expected": step.or_expected,
        }
    if isinstance(step, Local):
        return {"kind": "local", "hook": step.hook, "what": step.what}
    if isinstance(step, StopExperiments):
        return {
            "kind": "stop_experiments",
            "region": step.region,
            "template": step.template,
            "what": step.what,
        }
    if isinstance(step, RunExperiment):
        return {
            "kind": "run_experiment",
            "region": step.region,
            "template": step.template,
            "until": step.until,
            "what": step.what,
            "timeout_s": step.timeout_s,
        }
    return {
        "kind": "guarded",
        "step": _call(step.step),
        "check": _call(step.check),
        "path": step.path,
        "unless": step.unless,
        "what": step.what,
    }


def from_json(data: dict[str, Any]) -> Step:
    """The step ``to_json`` wrote; ValueError naming the kind when the file holds something else."""
    kind = data.get("kind")
    if kind == "call":
        return _call_of(data)
    if kind == "wait":
        return Wait(
            call=_call_of(data["call"]),
            path=data["path"],
            expected=data["expected"],
            what=data["what"],
            timeout_s=float(data["timeout_s"]),
            negate=bool(data["negate"]),
            or_path=data.get("or_path"),
            or_expected=data.get("or_expected"),
        )
    if kind == "local":
        return Local(hook=data["hook"], what=data["what"])
    if kind == "stop_experiments":
        return StopExperiments(region=data["region"], template=data["template"], what=data["what"])
    if kind == "run_experiment":
        return RunExperiment(
            region=data["region"],
            template=data["template"],
            until=data["until"],
            what=data["what"],
            timeout_s=float(data["timeout_s"]),
        )
    if kind == "guarded":
        return Guarded(
            step=_call_of(data["step"]),
            check=_call_of(data["check"]),
            path=data["path"],
            unless=data["unless"],
            what=data["what"],
        )
    raise ValueError(f"rollback state: unknown step kind {kind!r}; the file was not written by this version")


def _call(call: Call) -> dict[str, Any]:
    return {
        "service": call.service,
        "region": call.region,
        "operation": call.operation,
        "params": call.params,
    }


def _call_of(data: dict[str, Any]) -> Call:
    return Call(
        service=data["service"],
        region=data["region"],
        operation=data["operation"],
        params=dict(data["params"]),
    )
