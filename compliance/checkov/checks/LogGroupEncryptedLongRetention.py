"""CKV_HT_10 — log groups are KMS-encrypted and keep their records at least six years.

HIPAA asks for documentation to be retained six years (§164.316(b)(2)(i)); audit logs are part of it.
CloudWatch's nearest retention value is 2192 days. A log group without RetentionInDays never expires,
which satisfies the rule.
"""

from __future__ import annotations

from typing import Any

from cfn_values import as_int, is_set, properties
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

SIX_YEARS_DAYS = 2192


class LogGroupEncryptedLongRetention(BaseResourceCheck):
    """Fails a log group without a KMS key or with retention under six years."""

    def __init__(self) -> None:
        super().__init__(
            name="CloudWatch log groups are KMS-encrypted and retained at least six years (2192 days)",
            id="CKV_HT_10",
            categories=[CheckCategories.LOGGING, CheckCategories.ENCRYPTION],
            supported_resources=["AWS::Logs::LogGroup"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """KmsKeyId set; RetentionInDays absent (never expires) or at least 2192."""
        props = properties(conf)
        if not is_set(props.get("KmsKeyId")):
            self.details.append("KmsKeyId is not set")
            return CheckResult.FAILED
        retention = props.get("RetentionInDays")
        if retention is not None and (as_int(retention) or 0) < SIX_YEARS_DAYS:
            self.details.append(f"RetentionInDays is below {SIX_YEARS_DAYS}")
            return CheckResult.FAILED
        return CheckResult.PASSED


check = LogGroupEncryptedLongRetention()
