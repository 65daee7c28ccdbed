"""Where drill journals, integrity results, gate results and signed reports are kept for six years.

HIPAA §164.316(b)(2)(i) asks for documentation to be retained six years. Object Lock in COMPLIANCE mode
makes every object version immutable for that long, for every principal including the account root
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html). Object Lock needs versioning
and can only be enabled when the bucket is created (REFERENCE.md "Signing evidence").

Because nobody can delete a locked version, the bucket deliberately outlives its stack (Retain in every
environment): a ``cdk destroy`` leaves it behind, and a new deployment with the same suffix reuses the
name only after it is emptied by expiry. This is the one exception to "destroyable", taken because the
law requires it.

The source bucket (DR region, beside the control plane, so a primary outage cannot stop evidence being
written) replicates every new version to a replica bucket in the other region. A source with Object
Lock may only replicate into a destination that also has Object Lock enabled
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-failure-codes.html,
``DstBucketObjectLockConfigMissing``), so the replica is built by this same construct. Deletes are not
replicated: evidence is never deleted on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk_app.config import AppConfig
from cdk_app.constructs.encrypted_bucket import encrypted_bucket
from cdk_app.constructs.s3_replication import replication_configuration, replication_role
from cdk_app.data_classification import mark_internal, mark_replica
from cdk_app.naming import Naming

RETENTION_YEARS = 6
REPLICATION_RULE_ID = "evidence-to-other-region"
#: checkov inline skip (Metadata) for the one resource that must outlive its stack.
RETAIN_REASON = (
    "Evidence under S3 Object Lock COMPLIANCE for 6 years (HIPAA 164.316(b)(2)(i)) cannot be deleted "
    "by anyone, so the bucket is retained by design"
)


@dataclass(frozen=True)
class EvidenceReplica:
    """The other region's evidence bucket and the key alias its objects are encrypted with there."""

    region: str
    bucket_name: str
    key_alias: str  # alias/…; S3 accepts an alias ARN as ReplicaKmsKeyID


def evidence_bucket_name(naming: Naming, region: str) -> str:
    """Physical name of the evidence bucket of ``region`` (rebuilt by whoever writes to it)."""
    return naming.bucket("evidence", region)


class EvidenceBucket(Construct):
    """Object Lock (COMPLIANCE, 6 years), versioned, KMS, SSL-only, private, access-logged."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        naming: Naming,
        region: str,
        key: kms.IKey,
        access_logs: s3.IBucket,
        replicate_to: EvidenceReplica | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = encrypted_bucket(
            self,
            "Bucket",
            config=config,
            name=evidence_bucket_name(naming, region),
            key=key,
            access_logs=access_logs,
            log_prefix="evidence/",
            object_lock=True,
        )
        cfn = self.bucket.node.default_child
        assert isinstance(cfn, s3.CfnBucket)
        cfn.object_lock_configuration = s3.CfnBucket.ObjectLockConfigurationProperty(
            object_lock_enabled="Enabled",
            rule=s3.CfnBucket.ObjectLockRuleProperty(
                default_retention=s3.CfnBucket.DefaultRetentionProperty(
                    mode="COMPLIANCE", years=RETENTION_YEARS
                )
            ),
        )
        cfn.add_metadata("checkov", {"skip": [{"id": "CKV_HT_11", "comment": RETAIN_REASON}]})
        mark_internal(self.bucket)  # journals and reports carry measurements, never PHI-like values
        if replicate_to is None:
            mark_replica(self.bucket)
        else:
            self._replicate(naming, region, key, replicate_to, cfn)

    def _replicate(
        self, naming: Naming, region: str, key: kms.IKey, replica: EvidenceReplica, cfn: s3.CfnBucket
    ) -> None:
        destination_arn = f"arn:{Aws.PARTITION}:s3:::{replica.bucket_name}"
        role = replication_role(
            self,
            role_name=naming.name(f"evidence-replication-{region}"),
            source=self.bucket,
            source_key=key,
            destination_arn=destination_arn,
            bucket_actions=["s3:GetBucketObjectLockConfiguration"],
            object_actions=["s3:GetObjectRetention", "s3:GetObjectLegalHold"],
            replicate_actions=["s3:ReplicateObject", "s3:ReplicateTags"],
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["kms:Encrypt", "kms:GenerateDataKey"],
                resources=[f"arn:{Aws.PARTITION}:kms:{replica.region}:{Aws.ACCOUNT_ID}:key/*"],
                # the replica key is named by alias (its id is generated in the other region)
                conditions={"ForAnyValue:StringEquals": {"kms:ResourceAliases": replica.key_alias}},
            )
        )
        cfn.replication_configuration = replication_configuration(
            role=role,
            rule_id=REPLICATION_RULE_ID,
            destination_arn=destination_arn,
            replica_key_id=f"arn:{Aws.PARTITION}:kms:{replica.region}:{Aws.ACCOUNT_ID}:{replica.key_alias}",
            replicate_delete_markers=False,
        )
