"""CKV_HT_19 — EFS file-system policies deny every request made without TLS (§164.312(e)(1), (e)(2)).

Mount-helper TLS is the client's choice; only a file-system policy denying ``aws:SecureTransport=false``
makes the server refuse plaintext NFS.
"""

from __future__ import annotations

from typing import Any

from cfn_values import denies_insecure_transport, properties
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult


class EfsFileSystemPolicyRequiresTls(BaseResourceCheck):
    """Fails a file system whose policy does not deny non-TLS access."""

    def __init__(self) -> None:
        super().__init__(
            name="EFS file-system policy denies requests without TLS",
            id="CKV_HT_19",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=["AWS::EFS::FileSystem"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """The policy holds a Deny on everyone, every action, when aws:SecureTransport is false."""
        if not denies_insecure_transport(properties(conf).get("FileSystemPolicy")):
            self.details.append("FileSystemPolicy does not deny requests without aws:SecureTransport")
            return CheckResult.FAILED
        return CheckResult.PASSED


check = EfsFileSystemPolicyRequiresTls()
