"""Cross-region replication of a KMS-encrypted S3 bucket: the role S3 assumes and the one rule.

Both replicating buckets (raw archive, drill evidence) use the same shape: a role with read access to
the source versions and write access to the destination objects, decrypt on the source key, and one
rule replicating every KMS-encrypted object, re-encrypted with the destination region's key. What
differs (extra permissions, delete markers, Replication Time Control, the destination key grant) the
caller passes or adds. Permissions S3 needs for replication:
https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

#: what every replication role may read of the source bucket and its object versions
SOURCE_BUCKET_ACTIONS = ("s3:GetReplicationConfiguration", "s3:ListBucket")
SOURCE_OBJECT_ACTIONS = (
    "s3:GetObjectVersionForReplication",
    "s3:GetObjectVersionAcl",
    "s3:GetObjectVersionTagging",
)


def replication_role(
    scope: Construct,
    *,
    role_name: str,
    source: s3.IBucket,
    source_key: kms.IKey,
    destination_arn: str,
    bucket_actions: Sequence[str] = (),
    object_actions: Sequence[str] = (),
    replicate_actions: Sequence[str],
) -> iam.Role:
    """The role S3 assumes to copy ``source`` (encrypted with ``source_key``) to ``destination_arn``.

    ``bucket_actions`` and ``object_actions`` extend the source read permissions;
    ``replicate_actions`` are granted on the destination objects. The caller grants encryption with
    the destination key (its identity differs per bucket).
    """
    role = iam.Role(
        scope,
        "ReplicationRole",
        role_name=role_name,
        assumed_by=iam.ServicePrincipal("s3.amazonaws.com"),
    )
    role.add_to_policy(
        iam.PolicyStatement(actions=[*SOURCE_BUCKET_ACTIONS, *bucket_actions], resources=[source.bucket_arn])
    )
    role.add_to_policy(
        iam.PolicyStatement(
            actions=[*SOURCE_OBJECT_ACTIONS, *object_actions], resources=[source.arn_for_objects("*")]
        )
    )
    role.add_to_policy(
        iam.PolicyStatement(actions=list(replicate_actions), resources=[f"{destination_arn}/*"])
    )
    source_key.grant_decrypt(role)
    return role


def replication_configuration(
    *,
    role: iam.IRole,
    rule_id: str,
    destination_arn: str,
    replica_key_id: str,
    replicate_delete_markers: bool,
    rtc_minutes: int | None = None,
) -> s3.CfnBucket.ReplicationConfigurationProperty:
    """One rule replicating every KMS-encrypted object to ``destination_arn``.

    ``replica_key_id`` is the destination key as a key ARN or an alias ARN (ReplicaKmsKeyID takes
    either: https://docs.aws.amazon.com/AmazonS3/latest/API/API_EncryptionConfiguration.html).
    ``rtc_minutes`` turns on Replication Time Control with replication metrics at that threshold.
    """
    rtc = None if rtc_minutes is None else s3.CfnBucket.ReplicationTimeValueProperty(minutes=rtc_minutes)
    return s3.CfnBucket.ReplicationConfigurationProperty(
        role=role.role_arn,
        rules=[
            s3.CfnBucket.ReplicationRuleProperty(
                id=rule_id,
                status="Enabled",
                priority=1,
                filter=s3.CfnBucket.ReplicationRuleFilterProperty(prefix=""),
                delete_marker_replication=s3.CfnBucket.DeleteMarkerReplicationProperty(
                    status="Enabled" if replicate_delete_markers else "Disabled"
                ),
                source_selection_criteria=s3.CfnBucket.SourceSelectionCriteriaProperty(
                    sse_kms_encrypted_objects=s3.CfnBucket.SseKmsEncryptedObjectsProperty(status="Enabled")
                ),
                destination=s3.CfnBucket.ReplicationDestinationProperty(
                    bucket=destination_arn,
                    encryption_configuration=s3.CfnBucket.EncryptionConfigurationProperty(
                        replica_kms_key_id=replica_key_id
                    ),
                    replication_time=None
                    if rtc is None
                    else s3.CfnBucket.ReplicationTimeProperty(status="Enabled", time=rtc),
                    metrics=None
                    if rtc is None
                    else s3.CfnBucket.MetricsProperty(status="Enabled", event_threshold=rtc),
                ),
            )
        ],
    )
