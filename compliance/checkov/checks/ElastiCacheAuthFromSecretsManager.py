"""CKV_HT_20 — ElastiCache requires an AUTH token taken from an existing Secrets Manager secret (§164.312(d)).

The token must be a Secrets Manager dynamic reference (the secret already exists, DESIGN §3), never a
literal that would sit in the template. A secondary member of a global datastore inherits AUTH from the
datastore's primary and may not set it (REFERENCE.md "AWS constraints").
"""

from __future__ import annotations

from typing import Any

from cfn_values import is_set, literal_strings, properties
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

SECRETS_MANAGER_REFERENCE = "{{resolve:secretsmanager:"


class ElastiCacheAuthFromSecretsManager(BaseResourceCheck):
    """Fails a primary replication group without a Secrets Manager AUTH token."""

    def __init__(self) -> None:
        super().__init__(
            name="ElastiCache requires AUTH with a token from Secrets Manager",
            id="CKV_HT_20",
            categories=[CheckCategories.IAM],
            supported_resources=["AWS::ElastiCache::ReplicationGroup"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """Secondaries pass (inherited); a primary's AuthToken is a Secrets Manager dynamic reference."""
        props = properties(conf)
        if is_set(props.get("GlobalReplicationGroupId")):
            return CheckResult.PASSED
        if not any(SECRETS_MANAGER_REFERENCE in part for part in literal_strings(props.get("AuthToken"))):
            self.details.append("AuthToken is missing or not a Secrets Manager dynamic reference")
            return CheckResult.FAILED
        return CheckResult.PASSED


check = ElastiCacheAuthFromSecretsManager()
