"""Acknowledgements that exist only because cdk-nag evaluates templates instead of the app's construct tree.

Evaluated in the app, cdk-nag never sees CDK's own custom-resource providers (CDK writes them as raw
``CfnResource``s, which the rules' ``instanceof CfnFunction``/``CfnRole`` tests skip), and it proves a
VPC's default security group closed by finding the L2 ``Vpc``'s child construct. A template carries
neither distinction, so each entry here says why the finding is not a gap and, where the template can
show it, a condition the template must meet for the acknowledgement to apply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Resources = dict[str, Any]


@dataclass(frozen=True)
class TemplateAck:
    """An acknowledgement like the app's (path pattern, finding id, reason), optionally conditioned."""

    path: str
    rule: str
    reason: str
    condition: Callable[[Resources, str], bool] | None = None


def default_security_group_restricted(resources: Resources, vpc_id: str) -> bool:
    """The template holds CDK's ``Custom::VpcRestrictDefaultSG`` aimed at this VPC's default group."""
    for resource in resources.values():
        if not isinstance(resource, dict) or resource.get("Type") != "Custom::VpcRestrictDefaultSG":
            continue
        target = (resource.get("Properties") or {}).get("DefaultSecurityGroupId")
        if target == {"Fn::GetAtt": [vpc_id, "DefaultSecurityGroup"]}:
            return True
    return False


_PROVIDER = "*/Custom::*CustomResourceProvider"  # CDK's singleton provider constructs (Role, Handler)
_PROVIDER_REASON = (
    "CDK's own custom-resource provider ({what}): framework code that runs only while CloudFormation "
    "deploys the stack and touches no PHI; cdk-nag skips it inside the app (raw CfnResource)"
)

TEMPLATE_ACKNOWLEDGEMENTS: tuple[TemplateAck, ...] = (
    *(
        TemplateAck(_PROVIDER, f"HIPAA.Security::HIPAA.Security-{rule}", _PROVIDER_REASON.format(what=what))
        for rule, what in (
            ("LambdaConcurrency", "invoked once per deployment, no concurrency to bound"),
            ("LambdaDLQ", "CloudFormation waits for its answer; a failure fails the deployment"),
            ("LambdaInsideVPC", "it calls AWS APIs only"),
            ("IAMNoInlinePolicy", "CDK writes the provider role's few statements inline"),
        )
    ),
    TemplateAck(
        _PROVIDER,
        "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
        "AWSLambdaBasicExecutionRole]",
        _PROVIDER_REASON.format(what="AWS's basic execution policy: its own log group only"),
    ),
    TemplateAck(
        _PROVIDER,
        "AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:{primary}:<AWS::AccountId>:"
        "parameter/cdk/exports/*]",
        _PROVIDER_REASON.format(what="cross-region exports: CDK's /cdk/exports/ SSM parameters only"),
    ),
    TemplateAck(
        _PROVIDER,
        "AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:{primary}:<AWS::AccountId>:"
        "parameter/cdk/exports/Htdr-{suffix}-{stack}/*]",
        _PROVIDER_REASON.format(what="cross-region exports: this stack's /cdk/exports/ SSM parameters only"),
    ),
    TemplateAck(
        "*/Network/Vpc/Resource",
        "HIPAA.Security::HIPAA.Security-VPCDefaultSecurityGroupClosed",
        "The template closes the VPC's default security group with CDK's Custom::VpcRestrictDefaultSG "
        "(the rule looks for the L2 Vpc's child construct, which a template does not carry)",
        condition=default_security_group_restricted,
    ),
)
