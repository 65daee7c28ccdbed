"""CKV_HT_9 — the audit trail is multi-region, validated, KMS-encrypted, logging and sent to CloudWatch.

One check for the whole audit-trail control (§164.308(a)(1)(ii)(D), §164.312(b)): a trail that covers one
region, or whose files cannot be validated, or that nobody can alarm on, does not support activity review.
"""

from __future__ import annotations

from typing import Any

from cfn_values import is_set, is_true, properties
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult


class CloudTrailMultiRegionValidated(BaseResourceCheck):
    """Fails a trail missing any of: logging, multi-region, log validation, KMS key, CloudWatch Logs."""

    def __init__(self) -> None:
        super().__init__(
            name="CloudTrail is logging, multi-region, validated, KMS-encrypted and sent to CloudWatch Logs",
            id="CKV_HT_9",
            categories=[CheckCategories.LOGGING],
            supported_resources=["AWS::CloudTrail::Trail"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """Every audit-trail property must be on."""
        props = properties(conf)
        required = {
            "IsLogging": is_true(props.get("IsLogging")),
            "IsMultiRegionTrail": is_true(props.get("IsMultiRegionTrail")),
            "EnableLogFileValidation": is_true(props.get("EnableLogFileValidation")),
            "KMSKeyId": is_set(props.get("KMSKeyId")),
            "CloudWatchLogsLogGroupArn": is_set(props.get("CloudWatchLogsLogGroupArn")),
        }
        missing = [name for name, ok in required.items() if not ok]
        if missing:
            self.details.append("not set: " + ", ".join(missing))
            return CheckResult.FAILED
        return CheckResult.PASSED


check = CloudTrailMultiRegionValidated()
