"""CKV_HT_10 — log groups keep their records at least six years (§164.316(b)(2)(i)).

HIPAA asks for documentation to be retained six years; audit logs are part of it. CloudWatch's nearest
retention value is 2192 days. A log group without RetentionInDays never expires, which satisfies the
rule. Encryption with a customer key is CKV_HT_17.
"""

from __future__ import annotations

from typing import Any

from cfn_values import as_int, properties
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

from contracts.retention import LOG_RETENTION_DAYS as SIX_YEARS_DAYS


class LogGroupLongRetention(BaseResourceCheck):
    """Fails a log group with retention under six years."""

    def __init__(self) -> None:
        super().__init__(
            name="CloudWatch log groups are retained at least six years (2192 days)",
            id="CKV_HT_10",
            categories=[CheckCategories.LOGGING],
            supported_resources=["AWS::Logs::LogGroup"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """RetentionInDays absent (never expires) or at least 2192."""
        retention = properties(conf).get("RetentionInDays")
        if retention is not None and (as_int(retention) or 0) < SIX_YEARS_DAYS:
            self.details.append(f"RetentionInDays is below {SIX_YEARS_DAYS}")
            return CheckResult.FAILED
        return CheckResult.PASSED


check = LogGroupLongRetention()
