"""The KMS-encrypted AWS Backup vault of one region (the DR one receives the primary's copies)."""

from __future__ import annotations

from aws_cdk import aws_backup as backup
from aws_cdk import aws_kms as kms
from constructs import Construct

from cdk_app.config import AppConfig
from cdk_app.naming import Naming


def vault_name(naming: Naming, side: str) -> str:
    """Backup vault name of ``side``; deterministic so the primary plan can address the DR vault."""
    return naming.name(f"vault-{side}")


class BackupVault(Construct):
    """An encrypted backup vault."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        naming: Naming,
        side: str,
        key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        self.vault = backup.BackupVault(
            self,
            "Vault",
            backup_vault_name=vault_name(naming, side),
            encryption_key=key,
            removal_policy=config.removal_policy,
        )
