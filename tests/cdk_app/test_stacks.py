"""HIPAA and DR properties of each stack, read from the session synthesis."""

from __future__ import annotations

import json

from aws_cdk.assertions import Match

from tests.cdk_app.conftest import Synthesized

SIX_YEARS_DAYS = 2192  # HIPAA §164.316(b)(2)(i)


def _one(resources: dict) -> dict:
    assert len(resources) == 1, list(resources)
    return next(iter(resources.values()))["Properties"]


def test_keys_rotate_and_the_data_key_is_multi_region(synthesized: Synthesized) -> None:
    for key in synthesized.resources("AWS::KMS::Key").values():
        if key["Properties"].get("KeyUsage") == "SIGN_VERIFY":
            continue  # KMS cannot rotate asymmetric keys (the report-signing key; test_control_plane)
        assert key["Properties"]["EnableKeyRotation"] is True
    primary = synthesized.resources("AWS::KMS::Key", "PrimaryFoundation")
    assert sum(bool(k["Properties"].get("MultiRegion")) for k in primary.values()) == 1
    replica = _one(synthesized.resources("AWS::KMS::ReplicaKey", "DrFoundation"))
    # the primary key ARN crosses regions through CDK's cross-region reader
    assert "ExportsReader" in json.dumps(replica["PrimaryKeyArn"])


def test_vpc_spans_three_azs_with_flow_logs_and_endpoints(synthesized: Synthesized) -> None:
    for stack, region in (("PrimaryFoundation", "ca-central-1"), ("DrFoundation", "ca-west-1")):
        subnets = synthesized.resources("AWS::EC2::Subnet", stack).values()
        azs = {s["Properties"]["AvailabilityZone"] for s in subnets}
        assert len(azs) == 3 and all(az.startswith(region) for az in azs)
        assert not any(s["Properties"].get("MapPublicIpOnLaunch") for s in subnets)
        template = synthesized.template(stack)
        template.has_resource_properties("AWS::EC2::FlowLog", {"TrafficType": "ALL"})
        endpoints = synthesized.resources("AWS::EC2::VPCEndpoint", stack).values()
        services = {json.dumps(e["Properties"]["ServiceName"]) for e in endpoints}
        assert any("kinesis-streams" in s for s in services) and any(".s3" in s for s in services)


def test_log_groups_are_encrypted_and_kept_six_years(synthesized: Synthesized) -> None:
    groups = synthesized.resources("AWS::Logs::LogGroup")
    assert len(groups) >= 15
    for group in groups.values():
        assert "KmsKeyId" in group["Properties"]
        assert group["Properties"]["RetentionInDays"] >= SIX_YEARS_DAYS


def test_stream_uses_customer_key_and_is_sized_for_the_load(synthesized: Synthesized) -> None:
    for stack in ("PrimaryServices", "DrServices"):
        stream = _one(synthesized.resources("AWS::Kinesis::Stream", stack))
        assert stream["StreamEncryption"]["EncryptionType"] == "KMS"
        assert "alias/aws/kinesis" not in json.dumps(stream["StreamEncryption"])
        assert stream["ShardCount"] == 4
        assert stream["RetentionPeriodHours"] == 168


def test_ingest_api_logs_traces_and_sits_behind_waf(synthesized: Synthesized) -> None:
    template = synthesized.template("PrimaryServices")
    template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "TracingEnabled": True,
            "AccessLogSetting": Match.object_like({"DestinationArn": Match.any_value()}),
            "ClientCertificateId": Match.any_value(),
            "MethodSettings": Match.array_with(
                [Match.object_like({"LoggingLevel": "INFO", "DataTraceEnabled": False})]
            ),
        },
    )
    template.has_resource_properties(
        "AWS::ApiGateway::Method", {"HttpMethod": "POST", "AuthorizationType": "AWS_IAM"}
    )
    template.resource_count_is("AWS::WAFv2::WebACLAssociation", 1)
    template.resource_count_is("AWS::WAFv2::LoggingConfiguration", 1)
    account = synthesized.resources("AWS::ApiGateway::Account", "PrimaryServices")
    assert all(r.get("DeletionPolicy") == "Delete" for r in account.values())


def test_archive_replicates_with_rtc_and_buckets_deny_plain_http(synthesized: Synthesized) -> None:
    archive = [
        b["Properties"]
        for b in synthesized.resources("AWS::S3::Bucket", "PrimaryServices").values()
        if "ReplicationConfiguration" in b["Properties"]
    ]
    assert len(archive) == 1
    rule = archive[0]["ReplicationConfiguration"]["Rules"][0]
    assert rule["Destination"]["ReplicationTime"] == {"Status": "Enabled", "Time": {"Minutes": 15}}
    assert rule["Destination"]["Metrics"]["Status"] == "Enabled"
    assert "ca-west-1" in json.dumps(rule["Destination"]["Bucket"])
    assert "ca-west-1" in json.dumps(rule["Destination"]["EncryptionConfiguration"]["ReplicaKmsKeyID"])
    assert (
        archive[0]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
            "ServerSideEncryptionByDefault"
        ]["SSEAlgorithm"]
        == "aws:kms"
    )
    buckets = synthesized.resources("AWS::S3::Bucket")
    policies = synthesized.resources("AWS::S3::BucketPolicy").values()
    denying = [p for p in policies if '"aws:SecureTransport": "false"' in json.dumps(p)]
    assert len(denying) == len(buckets)


def test_aurora_global_database(synthesized: Synthesized) -> None:
    glob = _one(synthesized.resources("AWS::RDS::GlobalCluster", "PrimaryServices"))
    assert glob["GlobalClusterIdentifier"] == "htdr-patients-global-test"
    for stack in ("PrimaryServices", "DrServices"):
        params = _one(synthesized.resources("AWS::RDS::DBClusterParameterGroup", stack))["Parameters"]
        assert params["rds.force_ssl"] == "1"
        assert 20 <= int(params["rds.global_db_rpo"]) < 900
        assert "pgaudit" in params["shared_preload_libraries"]
        cluster = _one(synthesized.resources("AWS::RDS::DBCluster", stack))
        assert cluster["GlobalClusterIdentifier"] == "htdr-patients-global-test"
        assert cluster["StorageEncrypted"] is True and "KmsKeyId" in cluster
        assert cluster["EnableIAMDatabaseAuthentication"] is True
        assert cluster["EnableCloudwatchLogsExports"] == ["postgresql"]
        assert cluster["BackupRetentionPeriod"] == 35
    dr = _one(synthesized.resources("AWS::RDS::DBCluster", "DrServices"))
    assert "MasterUserPassword" not in dr and "DatabaseName" not in dr
    assert len(synthesized.resources("AWS::RDS::DBInstance", "PrimaryServices")) == 2
    assert len(synthesized.resources("AWS::RDS::DBInstance", "DrServices")) == 1


def test_cache_global_datastore(synthesized: Synthesized) -> None:
    glob = _one(synthesized.resources("AWS::ElastiCache::GlobalReplicationGroup", "PrimaryServices"))
    assert glob["Members"][0]["Role"] == "PRIMARY"
    for stack in ("PrimaryServices", "DrServices"):
        group = _one(synthesized.resources("AWS::ElastiCache::ReplicationGroup", stack))
        assert group["TransitEncryptionEnabled"] is True and group["AtRestEncryptionEnabled"] is True
        assert "KmsKeyId" in group
        assert group["AuthToken"].startswith("{{resolve:secretsmanager:htdr/test/cache-auth:")
        assert group["AutomaticFailoverEnabled"] is True and group["MultiAZEnabled"] is True
        assert group["SnapshotRetentionLimit"] >= 15
    dr = _one(synthesized.resources("AWS::ElastiCache::ReplicationGroup", "DrServices"))
    assert "ExportsReader" in json.dumps(dr["GlobalReplicationGroupId"])


def test_efs_replicates_to_dr_and_requires_tls(synthesized: Synthesized) -> None:
    primary = _one(synthesized.resources("AWS::EFS::FileSystem", "PrimaryServices"))
    destination = primary["ReplicationConfiguration"]["Destinations"][0]
    assert destination["Region"] == "ca-west-1"
    assert "ExportsReader" in json.dumps(destination["FileSystemId"])
    dr = _one(synthesized.resources("AWS::EFS::FileSystem", "DrFoundation"))
    assert dr["FileSystemProtection"]["ReplicationOverwriteProtection"] == "DISABLED"
    for fs in (primary, dr):
        assert fs["Encrypted"] is True and fs["BackupPolicy"]["Status"] == "ENABLED"
        deny = fs["FileSystemPolicy"]["Statement"][0]
        assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_trail_is_multi_region_validated_and_encrypted(synthesized: Synthesized) -> None:
    trail = _one(synthesized.resources("AWS::CloudTrail::Trail"))
    assert trail["IsMultiRegionTrail"] is True and trail["EnableLogFileValidation"] is True
    assert "KMSKeyId" in trail and "CloudWatchLogsLogGroupArn" in trail


def test_lag_alarms_have_actions_and_trigger_the_runbook(synthesized: Synthesized) -> None:
    alarms = synthesized.resources("AWS::CloudWatch::Alarm")
    metrics = {a["Properties"]["MetricName"] for a in alarms.values()}
    assert {
        "AuroraGlobalDBReplicationLag",
        "AuroraGlobalDBRPOLag",
        "ReplicationLatency",
        "TimeSinceLastSync",
        "GlobalDatastoreReplicationLag",
    } <= metrics
    assert all(a["Properties"]["AlarmActions"] for a in alarms.values())
    rule = _one(synthesized.resources("AWS::Events::Rule", "DrServices"))
    assert "automation-definition/htdr-failover-test" in json.dumps(rule["Targets"][0]["Arn"])
    document = _one(synthesized.resources("AWS::SSM::Document", "DrServices"))
    apis = [s["inputs"].get("Api") for s in document["Content"]["mainSteps"]]
    assert {
        "SwitchoverGlobalCluster",
        "FailoverGlobalCluster",
        "FailoverGlobalReplicationGroup",
        "UpdateService",
        "PutParameter",
    } <= set(apis)


def test_dr_processor_runs_at_standby_size(synthesized: Synthesized) -> None:
    primary = _one(synthesized.resources("AWS::ECS::Service", "PrimaryServices"))
    dr = _one(synthesized.resources("AWS::ECS::Service", "DrServices"))
    assert dr["DesiredCount"] < primary["DesiredCount"]
    cluster = _one(synthesized.resources("AWS::ECS::Cluster", "DrServices"))
    assert {"Name": "containerInsights", "Value": "enhanced"} in cluster["ClusterSettings"] or {
        "Name": "containerInsights",
        "Value": "enabled",
    } in cluster["ClusterSettings"]


def test_backups_copy_to_the_dr_vault(synthesized: Synthesized) -> None:
    plan = _one(synthesized.resources("AWS::Backup::BackupPlan", "PrimaryServices"))
    copy = plan["BackupPlan"]["BackupPlanRule"][0]["CopyActions"][0]
    assert "ca-west-1" in json.dumps(copy["DestinationBackupVaultArn"])
    assert "htdr-vault-dr-test" in json.dumps(copy["DestinationBackupVaultArn"])
    for stack in ("PrimaryFoundation", "DrFoundation"):
        assert "EncryptionKeyArn" in _one(synthesized.resources("AWS::Backup::BackupVault", stack))


def test_dr_drill_pipeline_stages_vpc_and_weekly_trigger(synthesized: Synthesized) -> None:
    pipeline = _one(synthesized.resources("AWS::CodePipeline::Pipeline", "DrDrillPipeline"))
    assert [s["Name"] for s in pipeline["Stages"]] == ["Source", "SynthAndComplianceGate", "DrDrill"]
    projects = synthesized.resources("AWS::CodeBuild::Project", "DrDrillPipeline").values()
    in_vpc = [p for p in projects if "VpcConfig" in p["Properties"]]
    assert len(in_vpc) == 1 and "drill run" in json.dumps(in_vpc[0]["Properties"]["Source"])
    rule = _one(synthesized.resources("AWS::Events::Rule", "DrDrillPipeline"))
    assert rule["ScheduleExpression"] == "cron(0 4 ? * MON *)"
