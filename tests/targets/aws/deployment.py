"""The fixture deployment's five stacks created in a moto server (CloudFormation over HTTP), tagged
as a test wants, so the safety checks read real ``DescribeStacks`` answers."""

from __future__ import annotations

import json

import boto3

from contracts.stacks import STACK_ROLES, stack_name

REGIONS = {True: "ca-central-1", False: "ca-west-1"}
TEMPLATE = json.dumps({"Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}})


def deploy(
    moto_url: str,
    suffix: str,
    tags: dict[str, str],
    override: dict[str, dict[str, str]] | None = None,
    skip: str | None = None,
) -> None:
    """Create (or recreate) every stack of ``suffix`` with ``tags``; ``override`` sets one stack's."""
    for role, primary in STACK_ROLES:
        cfn = boto3.client("cloudformation", region_name=REGIONS[primary], endpoint_url=moto_url)
        name = stack_name(suffix, role)
        existing = [
            s
            for s in cfn.list_stacks()["StackSummaries"]
            if s["StackName"] == name and s["StackStatus"] != "DELETE_COMPLETE"
        ]
        if existing:
            cfn.delete_stack(StackName=name)
        if role == skip:
            continue
        stack_tags = (override or {}).get(role, tags)
        cfn.create_stack(
            StackName=name,
            TemplateBody=TEMPLATE,
            Tags=[{"Key": k, "Value": v} for k, v in stack_tags.items()],
        )
