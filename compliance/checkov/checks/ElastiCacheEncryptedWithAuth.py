"""CKV_HT_5 — ElastiCache replication groups: TLS required, at-rest KMS, AUTH token from Secrets Manager.

The HIPAA pack has no ElastiCache encryption rule. The AUTH token must be a Secrets Manager dynamic
reference (the secret already exists, DESIGN §3), never a literal that would sit in the template. A
secondary member of a global datastore inherits all of this from the datastore's primary, which is the
group this check then holds to account.
"""

from __future__ import annotations

from typing import Any

from cfn_values import is_set, is_true, literal_strings, properties
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

SECRETS_MANAGER_REFERENCE = "{{resolve:secretsmanager:"


class ElastiCacheEncryptedWithAuth(BaseResourceCheck):
    """Fails a primary replication group missing TLS, at-rest KMS or a Secrets Manager AUTH token."""

    def __init__(self) -> None:
        super().__init__(
            name="ElastiCache requires TLS, encrypts at rest with KMS, takes AUTH from Secrets Manager",
            id="CKV_HT_5",
            categories=[CheckCategories.ENCRYPTION, CheckCategories.IAM],
            supported_resources=["AWS::ElastiCache::ReplicationGroup"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """Secondaries of a global datastore pass (inherited); primaries must state every setting."""
        props = properties(conf)
        if is_set(props.get("GlobalReplicationGroupId")):
            return CheckResult.PASSED
        if (
            not is_true(props.get("TransitEncryptionEnabled"))
            or props.get("TransitEncryptionMode") == "preferred"
        ):
            self.details.append("in-transit encryption is not required (TransitEncryptionEnabled / Mode)")
            return CheckResult.FAILED
        if not is_true(props.get("AtRestEncryptionEnabled")) or not is_set(props.get("KmsKeyId")):
            self.details.append("at-rest encryption with a customer KMS key is missing")
            return CheckResult.FAILED
        token = props.get("AuthToken")
        if not any(SECRETS_MANAGER_REFERENCE in part for part in literal_strings(token)):
            self.details.append("AuthToken is missing or not a Secrets Manager dynamic reference")
            return CheckResult.FAILED
        return CheckResult.PASSED


check = ElastiCacheEncryptedWithAuth()
