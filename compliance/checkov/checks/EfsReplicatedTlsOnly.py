"""CKV_HT_4 — EFS file systems are encrypted, replicate to another region and refuse non-TLS clients.

cdk-nag covers encryption and backup plans, but nothing checks the replication configuration (the DR
copy, §164.308(a)(7)(ii)(B)) or that the file-system policy denies requests without TLS (§164.312(e)(1)).
The DR-side destination of a replication is recognised by AWS's own marker, replication-overwrite
protection DISABLED (required for an existing destination file system); it needs no replication of its
own but must still be encrypted and TLS-only.
"""

from __future__ import annotations

from typing import Any

from cfn_values import denies_insecure_transport, is_true, properties
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult


def _is_replication_destination(props: dict[str, Any]) -> bool:
    """AWS requires overwrite protection DISABLED on an existing replication destination."""
    protection = props.get("FileSystemProtection")
    return isinstance(protection, dict) and protection.get("ReplicationOverwriteProtection") == "DISABLED"


class EfsReplicatedTlsOnly(BaseResourceCheck):
    """Fails a file system that is unencrypted, unreplicated or reachable without TLS."""

    def __init__(self) -> None:
        super().__init__(
            name="EFS is encrypted, replicates to the DR region and denies non-TLS access",
            id="CKV_HT_4",
            categories=[CheckCategories.BACKUP_AND_RECOVERY, CheckCategories.ENCRYPTION],
            supported_resources=["AWS::EFS::FileSystem"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """Encrypted, at least one replication destination, TLS-only file-system policy."""
        props = properties(conf)
        if not is_true(props.get("Encrypted")):
            self.details.append("Encrypted is not true")
            return CheckResult.FAILED
        replication = props.get("ReplicationConfiguration")
        destinations = replication.get("Destinations") if isinstance(replication, dict) else None
        if not destinations and not _is_replication_destination(props):
            self.details.append("no ReplicationConfiguration destination")
            return CheckResult.FAILED
        if not denies_insecure_transport(props.get("FileSystemPolicy")):
            self.details.append("FileSystemPolicy does not deny requests without aws:SecureTransport")
            return CheckResult.FAILED
        return CheckResult.PASSED


check = EfsReplicatedTlsOnly()
