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
    "AuroraForcesSsl": (
        "CKV_HT_3",
        {"AWS::RDS::DBClusterParameterGroup.ClusterParams", "AWS::RDS::DBCluster.Cluster"},
        {
            "AWS::RDS::DBClusterParameterGroup.NoForceSsl",
            "AWS::RDS::DBClusterParameterGroup.ForceSslMissing",
            "AWS::RDS::DBCluster.DefaultGroupCluster",
        },
    ),
    "EfsReplicated": (
        "CKV_HT_4",
        {"AWS::EFS::FileSystem.ReplicatedFs", "AWS::EFS::FileSystem.ReplicaDestinationFs"},
        {"AWS::EFS::FileSystem.UnreplicatedFs", "AWS::EFS::FileSystem.EmptyDestinationsFs"},
    ),
    "ElastiCacheRequiresTls": (
        "CKV_HT_5",
        {
            "AWS::ElastiCache::ReplicationGroup.PrimaryCache",
            "AWS::ElastiCache::ReplicationGroup.SecondaryCache",
        },
        {
            "AWS::ElastiCache::ReplicationGroup.NoTransitEncryption",
            "AWS::ElastiCache::ReplicationGroup.PreferredTransitOnly",
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
    "CloudTrailMultiRegion": (
        "CKV_HT_9",
        {"AWS::CloudTrail::Trail.AuditTrail"},
        {
            "AWS::CloudTrail::Trail.SingleRegionTrail",
            "AWS::CloudTrail::Trail.StoppedTrail",
            "AWS::CloudTrail::Trail.NoCloudWatchTrail",
        },
    ),
    "LogGroupLongRetention": (
        "CKV_HT_10",
        {"AWS::Logs::LogGroup.SixYears", "AWS::Logs::LogGroup.NeverExpires"},
        {"AWS::Logs::LogGroup.ShortRetention", "AWS::Logs::LogGroup.FiveYears"},
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
    "SecurityGroupNoPublicDataPortIngress": (
        "CKV_HT_14",
        {
            "AWS::EC2::SecurityGroup.VpcOnlySg",
            "AWS::EC2::SecurityGroup.PublicHttpsSg",
            "AWS::EC2::SecurityGroupIngress.FromPeerGroup",
        },
        {
            "AWS::EC2::SecurityGroup.InlinePostgresFromAnywhere",
            "AWS::EC2::SecurityGroup.InlineAllTrafficIpv6",
            "AWS::EC2::SecurityGroupIngress.RedisFromAnywhere",
            "AWS::EC2::SecurityGroupIngress.WideRangeCoversNfs",
        },
    ),
    "VpcFlowLogsEnabled": (
        "CKV_HT_15",
        {"AWS::EC2::VPC.LoggedVpc"},
        {"AWS::EC2::VPC.UnloggedVpc"},
    ),
    "AuroraBackupRetention": (
        "CKV_HT_16",
        {"AWS::RDS::DBCluster.ThirtyFiveDays", "AWS::RDS::DBCluster.ThirtyFiveAsText"},
        {
            "AWS::RDS::DBCluster.OneDay",
            "AWS::RDS::DBCluster.DefaultRetention",
            "AWS::RDS::DBCluster.SevenDays",
        },
    ),
    "PhiStoreCustomerManagedKey": (
        "CKV_HT_17",
        {
            "AWS::RDS::DBCluster.EncryptedCluster",
            "AWS::ElastiCache::ReplicationGroup.EncryptedCache",
            "AWS::ElastiCache::ReplicationGroup.SecondaryCache",
            "AWS::EFS::FileSystem.EncryptedFs",
            "AWS::S3::Bucket.PhiBucket",
            "AWS::Logs::LogGroup.EncryptedLogGroup",
        },
        {
            "AWS::RDS::DBCluster.UnencryptedCluster",
            "AWS::RDS::DBCluster.AwsManagedKeyCluster",
            "AWS::RDS::DBCluster.AwsAliasCluster",
            "AWS::ElastiCache::ReplicationGroup.CacheWithoutKey",
            "AWS::EFS::FileSystem.FsWithoutKey",
            "AWS::S3::Bucket.SseS3PhiBucket",
            "AWS::S3::Bucket.UnlabelledBucketNoKey",
            "AWS::Logs::LogGroup.PlainLogGroup",
        },
    ),
    "AuroraGlobalDbRpoBounded": (
        "CKV_HT_18",
        {"AWS::RDS::DBClusterParameterGroup.ClusterParams"},
        {
            "AWS::RDS::DBClusterParameterGroup.NoGlobalDbRpo",
            "AWS::RDS::DBClusterParameterGroup.RpoAboveObjective",
            "AWS::RDS::DBClusterParameterGroup.RpoBelowAwsMinimum",
        },
    ),
    "EfsFileSystemPolicyRequiresTls": (
        "CKV_HT_19",
        {"AWS::EFS::FileSystem.TlsOnlyFs"},
        {
            "AWS::EFS::FileSystem.NoPolicyFs",
            "AWS::EFS::FileSystem.AllowOnlyPolicyFs",
            "AWS::EFS::FileSystem.DenyWithoutTlsConditionFs",
        },
    ),
    "ElastiCacheAuthFromSecretsManager": (
        "CKV_HT_20",
        {
            "AWS::ElastiCache::ReplicationGroup.PrimaryCache",
            "AWS::ElastiCache::ReplicationGroup.SecondaryCache",
        },
        {
            "AWS::ElastiCache::ReplicationGroup.NoAuthToken",
            "AWS::ElastiCache::ReplicationGroup.LiteralAuthToken",
        },
    ),
    "AuroraAuditLogging": (
        "CKV_HT_21",
        {"AWS::RDS::DBClusterParameterGroup.AuditedParams", "AWS::RDS::DBCluster.ExportingCluster"},
        {
            "AWS::RDS::DBClusterParameterGroup.NoPgaudit",
            "AWS::RDS::DBClusterParameterGroup.PgauditLogsNothing",
            "AWS::RDS::DBCluster.NoLogExports",
            "AWS::RDS::DBCluster.WrongLogExported",
        },
    ),
    "NoSecretCreated": (
        "CKV_HT_22",
        set(),
        {"AWS::SecretsManager::Secret.GeneratedDbSecret"},
    ),
    "KinesisStreamRetention": (
        "CKV_HT_23",
        {"AWS::Kinesis::Stream.WeekStream", "AWS::Kinesis::Stream.TwoWeekStream"},
        {"AWS::Kinesis::Stream.DefaultStream", "AWS::Kinesis::Stream.DayStream"},
    ),
    "BackupPlanRetainsAndCopies": (
        "CKV_HT_24",
        {"AWS::Backup::BackupPlan.DailyWithCopy", "AWS::Backup::BackupPlan.KeptForever"},
        {
            "AWS::Backup::BackupPlan.ShortRetention",
            "AWS::Backup::BackupPlan.ShortCopy",
            "AWS::Backup::BackupPlan.NoCopy",
        },
    ),
    "KmsKeyPolicyNoExternalPrincipal": (
        "CKV_HT_25",
        {"AWS::KMS::Key.AccountOnlyKey", "AWS::KMS::Key.SubAccountKey"},
        {"AWS::KMS::Key.EveryoneKey", "AWS::KMS::Key.ForeignAccountKey", "AWS::KMS::Key.AwsStarKey"},
    ),
    "CloudTrailPhiDataEvents": (
        "CKV_HT_26",
        {"AWS::CloudTrail::Trail.CoveringTrail", "AWS::CloudTrail::Trail.AdvancedTrail"},
        {"AWS::CloudTrail::Trail.ManagementOnlyTrail", "AWS::CloudTrail::Trail.PartialTrail"},
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
