"""What must hold before an AWS drill touches anything; each refusal is one line naming the fix.

1. the deployment's suffix is on the allowlist the operator passed (empty by default: nothing is allowed);
2. every stack carries ``DrillAllowed=true`` and none ``Production=true`` (the CDK app tags its stacks;
   a production synthesis says ``DrillAllowed=false``), read with CloudFormation ``DescribeStacks``;
3. a destructive scenario runs only with ``--confirm <suffix>`` naming this deployment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from contracts.drill_safety import DRILL_ALLOWED_TAG, PRODUCTION_TAG, TRUE
from contracts.outputs import Side
from contracts.stacks import STACK_ROLES, stack_name
from drills.targets.aws.executor import ClientFactory
from drills.targets.aws.outputs import AwsOutputs
from drills.targets.aws.steps import Call


class UnsafeTarget(ValueError):
    """The drill is refused before any change; the message says why and what would allow it."""


@dataclass(frozen=True)
class SafetyPolicy:
    """The operator's allowance: suffixes drills may act on, and the suffix confirmed for this run."""

    allowlist: frozenset[str] = frozenset()
    confirm: str | None = None


def check_suffix(outputs: AwsOutputs, policy: SafetyPolicy) -> None:
    suffix = outputs.suffix
    if suffix not in policy.allowlist:
        allowed = ", ".join(sorted(policy.allowlist)) or "none"
        raise UnsafeTarget(
            f"suffix {suffix!r} is not on the drill allowlist (allowed: {allowed}); pass "
            f"--allow-suffix {suffix} if this deployment may be drilled"
        )


def check_confirm(outputs: AwsOutputs, policy: SafetyPolicy, scenario: str, destructive: bool) -> None:
    if destructive and policy.confirm != outputs.suffix:
        raise UnsafeTarget(
            f"{scenario} is destructive on AWS (it moves the writer or may lose data): "
            f"pass --confirm {outputs.suffix} to run it against this deployment"
        )


def stack_reads(outputs: AwsOutputs) -> list[Call]:
    """The ``DescribeStacks`` calls that read every stack's tags, each in the stack's region."""
    return [
        Call(
            "cloudformation",
            outputs.region(Side.PRIMARY if primary else Side.DR),
            "describe_stacks",
            {"StackName": stack_name(outputs.suffix, role)},
        )
        for role, primary in STACK_ROLES
    ]


def check_stacks(outputs: AwsOutputs, clients: ClientFactory) -> None:
    """Every stack exists, says ``DrillAllowed=true`` and is not a production stack."""
    for call in stack_reads(outputs):
        name = call.params["StackName"]
        try:
            stacks = clients(call.service, call.region).describe_stacks(**call.params)["Stacks"]
        except Exception as err:
            raise UnsafeTarget(
                f"stack {name} in {call.region} is not readable ({type(err).__name__}); "
                "check the credentials and that --outputs names a deployed stack"
            ) from None
        tags = _tags(stacks[0].get("Tags", []))
        if tags.get(PRODUCTION_TAG, "").lower() == TRUE:
            raise UnsafeTarget(
                f"stack {name} is tagged {PRODUCTION_TAG}=true: drills never act on a production deployment"
            )
        if tags.get(DRILL_ALLOWED_TAG, "").lower() != TRUE:
            raise UnsafeTarget(
                f"stack {name} is not tagged {DRILL_ALLOWED_TAG}=true "
                f"(found {tags.get(DRILL_ALLOWED_TAG)!r}); deploy it from a non-production "
                "synthesis (the app tags those stacks)"
            )


def _tags(tags: Iterable[dict[str, Any]]) -> dict[str, str]:
    return {str(t["Key"]): str(t["Value"]) for t in tags}
