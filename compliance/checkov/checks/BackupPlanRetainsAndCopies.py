"""CKV_HT_24 — every backup-plan rule keeps its recovery points and copies them to another vault.

Retrievable exact copies (§164.308(a)(7)(ii)(A)) must survive long enough to be useful and must not
share the fate of the primary region: each rule's ``Lifecycle.DeleteAfterDays`` (and each copy's) is at
least ``contracts.retention.BACKUP_PLAN_RETENTION_DAYS`` and the rule copies to at least one other vault.
A rule without a lifecycle keeps recovery points forever, which passes.
"""

from __future__ import annotations

from typing import Any

from cfn_values import as_int, is_set, properties
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

from contracts.retention import BACKUP_PLAN_RETENTION_DAYS


def _short_lifecycle(block: Any) -> bool:
    """A lifecycle deleting recovery points before the retention period."""
    lifecycle = block.get("Lifecycle") if isinstance(block, dict) else None
    if not isinstance(lifecycle, dict) or "DeleteAfterDays" not in lifecycle:
        return False
    days = as_int(lifecycle.get("DeleteAfterDays"))
    return days is None or days < BACKUP_PLAN_RETENTION_DAYS


class BackupPlanRetainsAndCopies(BaseResourceCheck):
    """Fails a backup plan with a rule that expires early or keeps no copy in another vault."""

    def __init__(self) -> None:
        super().__init__(
            name=f"Backup plan rules keep {BACKUP_PLAN_RETENTION_DAYS}+ days and copy to another vault",
            id="CKV_HT_24",
            categories=[CheckCategories.BACKUP_AND_RECOVERY],
            supported_resources=["AWS::Backup::BackupPlan"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """Every rule: retention long enough, at least one copy action with a destination."""
        plan = properties(conf).get("BackupPlan")
        rules = plan.get("BackupPlanRule") if isinstance(plan, dict) else None
        if not rules:
            self.details.append("the plan has no rule")
            return CheckResult.FAILED
        for rule in rules:
            name = rule.get("RuleName", "?") if isinstance(rule, dict) else "?"
            copies = rule.get("CopyActions") if isinstance(rule, dict) else None
            if _short_lifecycle(rule) or any(_short_lifecycle(c) for c in copies or []):
                self.details.append(
                    f"rule {name}: recovery points expire before {BACKUP_PLAN_RETENTION_DAYS} days"
                )
                return CheckResult.FAILED
            if not copies or not all(
                isinstance(c, dict) and is_set(c.get("DestinationBackupVaultArn")) for c in copies
            ):
                self.details.append(f"rule {name}: no copy to another (DR) vault")
                return CheckResult.FAILED
        return CheckResult.PASSED


check = BackupPlanRetainsAndCopies()
