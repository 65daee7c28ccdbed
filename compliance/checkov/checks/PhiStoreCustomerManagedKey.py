"""CKV_HT_17 — every PHI store encrypts at rest with a customer-managed KMS key (§164.312(a)(2)(iv)).

Aurora, ElastiCache, EFS, PHI buckets and log groups must name a customer key: without one the store
is unencrypted or uses an AWS-managed key whose policy the organisation cannot restrict, audit or
revoke. (Kinesis is CKV_HT_2.) Buckets labelled ``DataClassification`` other than PHI are out of scope
(the access-log bucket can only use SSE-S3); an unlabelled store is PHI. A secondary of an ElastiCache
global datastore inherits the primary's encryption and may not set it (REFERENCE.md "AWS constraints").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cfn_values import holds_phi, is_aws_managed_key, is_set, is_true, properties
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult


def _customer_key(value: Any) -> bool:
    return is_set(value) and not is_aws_managed_key(value)


def _aurora(props: dict[str, Any]) -> str | None:
    if not is_true(props.get("StorageEncrypted")):
        return "StorageEncrypted is not true"
    if not _customer_key(props.get("KmsKeyId")):
        return "KmsKeyId does not name a customer key (the default is the AWS-managed aws/rds key)"
    return None


def _cache(props: dict[str, Any]) -> str | None:
    if is_set(props.get("GlobalReplicationGroupId")):
        return None  # inherited from the global datastore's primary
    if not is_true(props.get("AtRestEncryptionEnabled")):
        return "AtRestEncryptionEnabled is not true"
    if not _customer_key(props.get("KmsKeyId")):
        return "KmsKeyId does not name a customer key"
    return None


def _efs(props: dict[str, Any]) -> str | None:
    if not is_true(props.get("Encrypted")):
        return "Encrypted is not true"
    if not _customer_key(props.get("KmsKeyId")):
        return "KmsKeyId does not name a customer key (the default is the AWS-managed EFS key)"
    return None


def _bucket(props: dict[str, Any]) -> str | None:
    encryption = props.get("BucketEncryption")
    rules = encryption.get("ServerSideEncryptionConfiguration") if isinstance(encryption, dict) else None
    defaults = [rule.get("ServerSideEncryptionByDefault") for rule in rules or [] if isinstance(rule, dict)]
    if not any(
        isinstance(d, dict)
        and d.get("SSEAlgorithm") in ("aws:kms", "aws:kms:dsse")
        and _customer_key(d.get("KMSMasterKeyID"))
        for d in defaults
    ):
        return "default encryption is not SSE-KMS with a customer key (KMSMasterKeyID)"
    return None


def _log_group(props: dict[str, Any]) -> str | None:
    if not _customer_key(props.get("KmsKeyId")):
        return "KmsKeyId is not set: the log group uses CloudWatch's service-owned key"
    return None


RULES: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "AWS::RDS::DBCluster": _aurora,
    "AWS::ElastiCache::ReplicationGroup": _cache,
    "AWS::EFS::FileSystem": _efs,
    "AWS::S3::Bucket": _bucket,
    "AWS::Logs::LogGroup": _log_group,
}


class PhiStoreCustomerManagedKey(BaseResourceCheck):
    """Fails a PHI store that is unencrypted or encrypted without a customer-managed key."""

    def __init__(self) -> None:
        super().__init__(
            name="PHI stores (Aurora, cache, EFS, buckets, log groups) use a customer-managed KMS key",
            id="CKV_HT_17",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=list(RULES),
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """Dispatch on the resource type; a non-PHI bucket is out of scope."""
        resource_type = str(conf.get("Type"))
        if resource_type == "AWS::S3::Bucket" and not holds_phi(conf, resource_type):
            return CheckResult.UNKNOWN
        problem = RULES[resource_type](properties(conf))
        if problem:
            self.details.append(problem)
            return CheckResult.FAILED
        return CheckResult.PASSED


check = PhiStoreCustomerManagedKey()
