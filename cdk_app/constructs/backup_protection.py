"""AWS Backup: a KMS-encrypted vault per region and, on the primary, a plan that copies to the DR vault.

Daily backups of the Aurora cluster and the EFS file system are kept 35 days and copied to the DR
region's vault (name rebuilt from the suffix, so no cross-region reference is needed): the
"retrievable exact copy" of §164.308(a)(7)(ii)(A) survives the loss of the primary region.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_backup as backup
from aws_cdk import aws_events as events
from constructs import Construct

from cdk_app.arns import account_arn
from cdk_app.config import AppConfig
from cdk_app.constructs.backup_vault import vault_name
from cdk_app.naming import Naming
from contracts.retention import BACKUP_PLAN_RETENTION_DAYS

RETENTION = Duration.days(BACKUP_PLAN_RETENTION_DAYS)


class BackupProtection(Construct):
    """Daily plan over ``resource_arns`` with a cross-region copy into the DR vault."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        naming: Naming,
        vault: backup.IBackupVault,
        resource_arns: list[str],
    ) -> None:
        super().__init__(scope, construct_id)
        dr_vault = backup.BackupVault.from_backup_vault_arn(
            self,
            "DrVault",
            account_arn("backup", config.dr_region, f"backup-vault:{vault_name(naming, 'dr')}"),
        )
        self.plan = backup.BackupPlan(
            self,
            "Plan",
            backup_plan_name=naming.name("daily"),
            backup_vault=vault,
            backup_plan_rules=[
                backup.BackupPlanRule(
                    rule_name="daily-with-dr-copy",
                    schedule_expression=events.Schedule.cron(hour="3", minute="0"),
                    delete_after=RETENTION,
                    copy_actions=[
                        backup.BackupPlanCopyActionProps(
                            destination_backup_vault=dr_vault, delete_after=RETENTION
                        )
                    ],
                )
            ],
        )
        self.plan.add_selection(
            "Selection",
            backup_selection_name=naming.name("phi-stores"),
            resources=[backup.BackupResource.from_arn(arn) for arn in resource_arns],
        )
