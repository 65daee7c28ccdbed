"""Every custom checkov check passes and fails exactly the resources its fixtures say, via the real Runner."""

from __future__ import annotations

import re

import pytest

from compliance.checkov.tool import CHECKS_DIR, ScanResult

from .conftest import FIXTURES_DIR, custom_check_ids

#: check class → (id, resources of <Class>.pass.yaml that pass, resources of <Class>.fail.yaml that fail)
EXPECTED: dict[str, tuple[str, set[str], set[str]]] = {
    "KmsKeyRotationEnabled": (
        "CKV_HT_1",
        {"AWS::KMS::Key.RotatingKey", "AWS::KMS::Key.RotatingKeyYearly"},
        {
            "AWS::KMS::Key.RotationOff",
            "AWS::KMS::Key.RotationMissing",
            "AWS::KMS::Key.AsymmetricKey",
            "AWS::KMS::Key.RotationTooSlow",
        },
    ),
    "KinesisStreamCustomerKey": (
        "CKV_HT_2",
        {"AWS::Kinesis::Stream.CustomerKeyStream"},
        {"AWS::Kinesis::Stream.UnencryptedStream", "AWS::Kinesis::Stream.AwsManagedKeyStream"},
    ),
    "AuroraParameterGroupSslAndRpo": (
        "CKV_HT_3",
        {"AWS::RDS::DBClusterParameterGroup.ClusterParams", "AWS::RDS::DBCluster.Cluster"},
        {
            "AWS::RDS::DBClusterParameterGroup.NoForceSsl",
            "AWS::RDS::DBClusterParameterGroup.NoGlobalDbRpo",
            "AWS::RDS::DBClusterParameterGroup.RpoAboveObjective",
            "AWS::RDS::DBCluster.DefaultGroupCluster",
        },
    ),
    "EfsReplicatedTlsOnly": (
        "CKV_HT_4",
        {"AWS::EFS::FileSystem.ReplicatedFs", "AWS::EFS::FileSystem.ReplicaDestinationFs"},
        {
            "AWS::EFS::FileSystem.UnencryptedFs",
            "AWS::EFS::FileSystem.UnreplicatedFs",
            "AWS::EFS::FileSystem.NoTlsPolicyFs",
        },
    ),
    "ElastiCacheEncryptedWithAuth": (
        "CKV_HT_5",
        {
            "AWS::ElastiCache::ReplicationGroup.PrimaryCache",
            "AWS::ElastiCache::ReplicationGroup.SecondaryCache",
        },
        {
            "AWS::ElastiCache::ReplicationGroup.NoTransitEncryption",
            "AWS::ElastiCache::ReplicationGroup.PreferredTransitOnly",
            "AWS::ElastiCache::ReplicationGroup.NoAtRestKey",
            "AWS::ElastiCache::ReplicationGroup.NoAuthToken",
            "AWS::ElastiCache::ReplicationGroup.LiteralAuthToken",
        },
    ),
    "ElastiCacheInGlobalDatastore": (
        "CKV_HT_6",
        {
            "AWS::ElastiCache::ReplicationGroup.PrimaryCache",
            "AWS::ElastiCache::ReplicationGroup.SecondaryCache",
            "AWS::ElastiCache::GlobalReplicationGroup.SessionsDatastore",
        },
        {"AWS::ElastiCache::ReplicationGroup.StandaloneCache"},
    ),
    "S3PhiBucketReplicatesWithRtc": (
        "CKV_HT_7",
        {"AWS::S3::Bucket.ArchiveBucket"},
        {
            "AWS::S3::Bucket.NotReplicated",
            "AWS::S3::Bucket.NotVersioned",
            "AWS::S3::Bucket.NoReplicationTimeControl",
            "AWS::S3::Bucket.NoReplicaKey",
        },
    ),
    "S3BucketPolicyDeniesInsecureTransport": (
        "CKV_HT_8",
        {"AWS::S3::BucketPolicy.TlsOnlyPolicy"},
        {
            "AWS::S3::BucketPolicy.NoTlsStatement",
            "AWS::S3::BucketPolicy.DenyOnlyOneAction",
            "AWS::S3::BucketPolicy.AllowInsteadOfDeny",
        },
    ),
    "CloudTrailMultiRegionValidated": (
        "CKV_HT_9",
        {"AWS::CloudTrail::Trail.AuditTrail"},
        {
            "AWS::CloudTrail::Trail.SingleRegionTrail",
            "AWS::CloudTrail::Trail.UnvalidatedTrail",
            "AWS::CloudTrail::Trail.UnencryptedTrail",
        },
    ),
    "LogGroupEncryptedLongRetention": (
        "CKV_HT_10",
        {"AWS::Logs::LogGroup.SixYears", "AWS::Logs::LogGroup.NeverExpires"},
        {"AWS::Logs::LogGroup.Unencrypted", "AWS::Logs::LogGroup.ShortRetention"},
    ),
    "NoRetainPolicy": (
        "CKV_HT_11",
        {
            "AWS::S3::Bucket.DeletedBucket",
            "AWS::SNS::Topic.DefaultPolicyTopic",
            "AWS::RDS::DBCluster.SnapshotCluster",
        },
        {
            "AWS::S3::Bucket.RetainedBucket",
            "AWS::KMS::Key.RetainedOnReplaceKey",
            "AWS::IAM::Role.RetainExceptOnCreateRole",
        },
    ),
    "NamedResourceHasEnvironmentSuffix": (
        "CKV_HT_12",
        {"AWS::S3::Bucket.NamedBucket", "AWS::Kinesis::Stream.JoinedStream"},
        {
            "AWS::S3::Bucket.BucketWithoutSuffix",
            "AWS::RDS::DBCluster.ClusterWithoutSuffix",
            "AWS::Logs::LogGroup.NamedButUntagged",
        },
    ),
    "RequiredTagsPresent": (
        "CKV_HT_13",
        {"AWS::S3::Bucket.TaggedBucket", "AWS::EFS::FileSystem.TaggedFileSystem"},
        {
            "AWS::KMS::Key.UntaggedKey",
            "AWS::Kinesis::Stream.MissingOwnerStream",
            "AWS::EFS::FileSystem.EmptyComplianceFileSystem",
        },
    ),
}


def _resources(rows: frozenset[tuple[str, str, str]], check_id: str, file_name: str) -> set[str]:
    return {resource for cid, name, resource in rows if cid == check_id and name == file_name}


@pytest.mark.parametrize("check_class", sorted(EXPECTED))
def test_check_passes_and_fails_exactly_its_fixture_resources(
    check_class: str, fixture_scan: ScanResult
) -> None:
    check_id, should_pass, should_fail = EXPECTED[check_class]
    pass_file, fail_file = f"{check_class}.pass.yaml", f"{check_class}.fail.yaml"
    assert _resources(fixture_scan.passed, check_id, pass_file) == should_pass
    assert _resources(fixture_scan.failed, check_id, pass_file) == set()
    assert _resources(fixture_scan.failed, check_id, fail_file) == should_fail
    assert _resources(fixture_scan.passed, check_id, fail_file) == set()


def test_fixtures_parse(fixture_scan: ScanResult) -> None:
    assert fixture_scan.parsing_errors == ()


def test_every_check_file_is_named_after_its_class_and_has_both_fixtures() -> None:
    check_files = sorted(
        p for p in CHECKS_DIR.iterdir() if p.suffix in (".py", ".yaml") and p.stem[0].isupper()
    )
    assert {p.stem for p in check_files} == set(EXPECTED)
    for path in check_files:
        if path.suffix == ".py":
            assert re.search(rf"^class {path.stem}\(BaseResourceCheck\):", path.read_text(), re.MULTILINE), (
                path
            )
            assert f"check = {path.stem}()" in path.read_text(), path
        assert (FIXTURES_DIR / f"{path.stem}.pass.yaml").is_file(), path
        assert (FIXTURES_DIR / f"{path.stem}.fail.yaml").is_file(), path


def test_custom_check_ids_are_unique_and_consecutive() -> None:
    ids = custom_check_ids()
    assert sorted(ids, key=lambda i: int(i.rsplit("_", 1)[1])) == [
        f"CKV_HT_{n}" for n in range(1, len(ids) + 1)
    ]
    assert {EXPECTED[name][0] for name in EXPECTED} == set(ids)
