"""CKV_HT_7 — PHI buckets replicate cross-region with Replication Time Control and a customer key.

Replication Time Control is what turns "replicated eventually" into the 15-minute guarantee the RPO
objective relies on (REFERENCE.md); its metrics make the lag observable. The check applies to buckets
tagged ``DataClassification=PHI``; the DR-side replica bucket is marked ``DrRole=replica`` and is the
destination, not a source. Replicas must be re-encrypted with a customer key and KMS-encrypted source
objects must be selected, or they silently do not replicate.
"""

from __future__ import annotations

from typing import Any

from cfn_values import as_int, is_set, properties, tags
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

RTC_MINUTES = 15
REPLICA_ROLE = ("DrRole", "replica")


def _enabled(block: Any) -> bool:
    return isinstance(block, dict) and block.get("Status") == "Enabled"


class S3PhiBucketReplicatesWithRtc(BaseResourceCheck):
    """Fails a PHI source bucket without versioned, RTC-backed, KMS-re-encrypted replication."""

    def __init__(self) -> None:
        super().__init__(
            name="PHI buckets replicate cross-region with Replication Time Control and a customer key",
            id="CKV_HT_7",
            categories=[CheckCategories.BACKUP_AND_RECOVERY],
            supported_resources=["AWS::S3::Bucket"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """Only PHI source buckets are in scope; every replication rule must carry RTC and KMS settings."""
        bucket_tags = tags(conf, "AWS::S3::Bucket") or {}
        if (
            bucket_tags.get("DataClassification") != "PHI"
            or bucket_tags.get(REPLICA_ROLE[0]) == REPLICA_ROLE[1]
        ):
            return CheckResult.UNKNOWN
        props = properties(conf)
        if not _enabled(props.get("VersioningConfiguration")):
            self.details.append("versioning is not enabled (replication requires it)")
            return CheckResult.FAILED
        replication = props.get("ReplicationConfiguration")
        rules = replication.get("Rules") if isinstance(replication, dict) else None
        if not rules:
            self.details.append("no ReplicationConfiguration rules")
            return CheckResult.FAILED
        for rule in rules:
            problem = self._rule_problem(rule)
            if problem:
                self.details.append(problem)
                return CheckResult.FAILED
        return CheckResult.PASSED

    @staticmethod
    def _rule_problem(rule: Any) -> str | None:
        """Why one replication rule falls short, or None when it is complete."""
        if not isinstance(rule, dict) or rule.get("Status") != "Enabled":
            return "a replication rule is disabled"
        destination = rule.get("Destination")
        if not isinstance(destination, dict):
            return "a replication rule has no destination"
        rtc = destination.get("ReplicationTime")
        minutes = rtc.get("Time", {}).get("Minutes") if isinstance(rtc, dict) else None
        if not _enabled(rtc) or as_int(minutes) != RTC_MINUTES:
            return "Replication Time Control (15 minutes) is not enabled"
        if not _enabled(destination.get("Metrics")):
            return "replication metrics are not enabled"
        encryption = destination.get("EncryptionConfiguration")
        if not (isinstance(encryption, dict) and is_set(encryption.get("ReplicaKmsKeyID"))):
            return "replicas are not encrypted with a customer KMS key (ReplicaKmsKeyID)"
        criteria = rule.get("SourceSelectionCriteria")
        sse_kms = criteria.get("SseKmsEncryptedObjects") if isinstance(criteria, dict) else None
        if not _enabled(sse_kms):
            return "KMS-encrypted objects are not selected for replication (SseKmsEncryptedObjects)"
        return None


check = S3PhiBucketReplicatesWithRtc()
