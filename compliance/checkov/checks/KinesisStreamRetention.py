"""CKV_HT_23 — Kinesis streams keep events long enough to replay after a failover.

After a regional failover the processors in the surviving region replay what was not yet stored; the
stream must keep ``contracts.retention.STREAM_RETENTION_HOURS`` (the figure the app provisions) or
events can expire before they are replayed (§164.308(a)(7)(ii)(B)). The Kinesis default is 24 hours.
"""

from __future__ import annotations

from typing import Any

from cfn_values import as_int, properties
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

from contracts.retention import STREAM_RETENTION_HOURS

KINESIS_DEFAULT_HOURS = 24


class KinesisStreamRetention(BaseResourceCheck):
    """Fails a stream retaining records for less than the replay window."""

    def __init__(self) -> None:
        super().__init__(
            name=f"Kinesis streams retain records at least {STREAM_RETENTION_HOURS} hours",
            id="CKV_HT_23",
            categories=[CheckCategories.BACKUP_AND_RECOVERY],
            supported_resources=["AWS::Kinesis::Stream"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """RetentionPeriodHours (24 when absent) must reach the replay window."""
        hours = as_int(properties(conf).get("RetentionPeriodHours", KINESIS_DEFAULT_HOURS))
        if hours is None or hours < STREAM_RETENTION_HOURS:
            self.details.append(f"RetentionPeriodHours is under {STREAM_RETENTION_HOURS}")
            return CheckResult.FAILED
        return CheckResult.PASSED


check = KinesisStreamRetention()
