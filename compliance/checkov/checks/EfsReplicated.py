"""CKV_HT_4 — EFS file systems replicate to another region (the DR copy, §164.308(a)(7)(ii)(A)/(B)).

cdk-nag covers encryption and backup plans, but nothing checks the replication configuration. The
DR-side destination of a replication is recognised by AWS's own marker, replication-overwrite protection
DISABLED (required for an existing destination file system); it needs no replication of its own.
Encryption (CKV_HT_17) and the TLS-only policy (CKV_HT_19) are separate checks, so each failure cites
only what it endangers.
"""

from __future__ import annotations

from typing import Any

from cfn_values import properties
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult


def _is_replication_destination(props: dict[str, Any]) -> bool:
    """AWS requires overwrite protection DISABLED on an existing replication destination."""
    protection = props.get("FileSystemProtection")
    return isinstance(protection, dict) and protection.get("ReplicationOverwriteProtection") == "DISABLED"


class EfsReplicated(BaseResourceCheck):
    """Fails a file system that neither replicates nor is a replication destination."""

    def __init__(self) -> None:
        super().__init__(
            name="EFS replicates to the DR region",
            id="CKV_HT_4",
            categories=[CheckCategories.BACKUP_AND_RECOVERY],
            supported_resources=["AWS::EFS::FileSystem"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """At least one replication destination, unless this is the destination."""
        props = properties(conf)
        replication = props.get("ReplicationConfiguration")
        destinations = replication.get("Destinations") if isinstance(replication, dict) else None
        if not destinations and not _is_replication_destination(props):
            self.details.append("no ReplicationConfiguration destination: add one in the DR region")
            return CheckResult.FAILED
        return CheckResult.PASSED


check = EfsReplicated()
