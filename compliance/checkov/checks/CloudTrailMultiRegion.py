"""CKV_HT_9 — the audit trail is logging, multi-region and delivered to CloudWatch Logs.

What activity review and audit controls need (§164.308(a)(1)(ii)(D), §164.312(b)): a trail that is off,
covers one region, or that nobody can alarm on does not support review. Log-file validation (integrity,
§164.312(c)(2)) and the trail's KMS key are checkov's CKV_AWS_36 and CKV_AWS_35, so each failure cites
only what it endangers.
"""

from __future__ import annotations

from typing import Any

from cfn_values import is_set, is_true, properties
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult


class CloudTrailMultiRegion(BaseResourceCheck):
    """Fails a trail that is not logging, not multi-region, or not delivered to CloudWatch Logs."""

    def __init__(self) -> None:
        super().__init__(
            name="CloudTrail is logging, multi-region and sent to CloudWatch Logs",
            id="CKV_HT_9",
            categories=[CheckCategories.LOGGING],
            supported_resources=["AWS::CloudTrail::Trail"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """Every coverage property must be on."""
        props = properties(conf)
        required = {
            "IsLogging": is_true(props.get("IsLogging")),
            "IsMultiRegionTrail": is_true(props.get("IsMultiRegionTrail")),
            "CloudWatchLogsLogGroupArn": is_set(props.get("CloudWatchLogsLogGroupArn")),
        }
        missing = [name for name, ok in required.items() if not ok]
        if missing:
            self.details.append("not set: " + ", ".join(missing))
            return CheckResult.FAILED
        return CheckResult.PASSED


check = CloudTrailMultiRegion()
