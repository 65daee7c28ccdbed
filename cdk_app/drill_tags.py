"""The stack tags that decide whether DR drills may act on a deployment (read by the ``aws`` target).

Set on each stack's own tag manager, so they tag the CloudFormation stacks (``DescribeStacks`` shows
them) without being added to every resource: ``DrillAllowed=true`` on a destroyable deployment,
``DrillAllowed=false`` and ``Production=true`` on one synthesized with ``production=true``.
"""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import Stack

from cdk_app.config import AppConfig
from contracts.drill_safety import DRILL_ALLOWED_TAG, FALSE, PRODUCTION_TAG, TRUE


def drill_tags(config: AppConfig) -> dict[str, str]:
    if config.production:
        return {DRILL_ALLOWED_TAG: FALSE, PRODUCTION_TAG: TRUE}
    return {DRILL_ALLOWED_TAG: TRUE, PRODUCTION_TAG: FALSE}


def tag_stacks(stacks: Iterable[Stack], config: AppConfig) -> None:
    for stack in stacks:
        for key, value in drill_tags(config).items():
            stack.tags.set_tag(key, value)
