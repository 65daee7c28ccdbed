"""CKV_HT_5 — ElastiCache replication groups require TLS (§164.312(e)(1), (e)(2)(i), (e)(2)(ii)).

``TransitEncryptionMode: preferred`` still admits plaintext clients, so it fails. A secondary member of
a global datastore inherits transit encryption from the datastore's primary (REFERENCE.md "AWS
constraints"), which is the group this check then holds to account. At-rest encryption (CKV_HT_17)
and the AUTH token (CKV_HT_20) are separate checks, so each failure cites only what it endangers.
"""

from __future__ import annotations

from typing import Any

from cfn_values import is_set, is_true, properties
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult


class ElastiCacheRequiresTls(BaseResourceCheck):
    """Fails a primary replication group that does not require in-transit encryption."""

    def __init__(self) -> None:
        super().__init__(
            name="ElastiCache requires TLS for every client",
            id="CKV_HT_5",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=["AWS::ElastiCache::ReplicationGroup"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """Secondaries of a global datastore pass (inherited); primaries must require TLS."""
        props = properties(conf)
        if is_set(props.get("GlobalReplicationGroupId")):
            return CheckResult.PASSED
        if (
            not is_true(props.get("TransitEncryptionEnabled"))
            or props.get("TransitEncryptionMode") == "preferred"
        ):
            self.details.append("in-transit encryption is not required (TransitEncryptionEnabled / Mode)")
            return CheckResult.FAILED
        return CheckResult.PASSED


check = ElastiCacheRequiresTls()
