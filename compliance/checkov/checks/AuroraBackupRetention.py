"""CKV_HT_16 — Aurora keeps automated backups at least as long as the app claims (§164.308(a)(7)(ii)(A)).

The cdk-nag acknowledgement of RDSInBackupPlan rests on Aurora's own automated backups; the number of
days is ``contracts.retention.AURORA_BACKUP_RETENTION_DAYS``, the same constant the app provisions and
the acknowledgement quotes, so the claim and this check cannot drift apart. A secondary cluster of a
global database keeps its own retention setting, so it is checked too.
"""

from __future__ import annotations

from typing import Any

from cfn_values import as_int, properties
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

from contracts.retention import AURORA_BACKUP_RETENTION_DAYS


class AuroraBackupRetention(BaseResourceCheck):
    """Fails an Aurora cluster whose BackupRetentionPeriod is under the claimed retention."""

    def __init__(self) -> None:
        super().__init__(
            name=f"Aurora keeps automated backups at least {AURORA_BACKUP_RETENTION_DAYS} days",
            id="CKV_HT_16",
            categories=[CheckCategories.BACKUP_AND_RECOVERY],
            supported_resources=["AWS::RDS::DBCluster"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """BackupRetentionPeriod (default 1 day when absent) must reach the claimed retention."""
        props = properties(conf)
        engine = props.get("Engine")
        if not (isinstance(engine, str) and engine.startswith("aurora")):
            return CheckResult.UNKNOWN
        days = as_int(props.get("BackupRetentionPeriod", 1))
        if days is None or days < AURORA_BACKUP_RETENTION_DAYS:
            self.details.append(
                f"BackupRetentionPeriod is {props.get('BackupRetentionPeriod', '1 (default)')}; "
                f"set it to at least {AURORA_BACKUP_RETENTION_DAYS}"
            )
            return CheckResult.FAILED
        return CheckResult.PASSED


check = AuroraBackupRetention()
