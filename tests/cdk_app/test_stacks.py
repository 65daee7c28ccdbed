"""HIPAA and DR properties of each stack, read from the session synthesis."""

from __future__ import annotations

import json

from aws_cdk.assertions import Match

from cdk_app.constructs.session_cache import INHERITED_BY_SECONDARY
from cdk_app.data_classification import CLASSIFICATION_TAG, PHI
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
    # the promoted writer must be multi-AZ: a writer and a reader in different AZs
    assert len(synthesized.resources("AWS::RDS::DBInstance", "DrServices")) >= 2


def test_cache_global_datastore(synthesized: Synthesized) -> None:
    glob = _one(synthesized.resources("AWS::ElastiCache::GlobalReplicationGroup", "PrimaryServices"))
    assert glob["Members"][0]["Role"] == "PRIMARY"
    primary = _one(synthesized.resources("AWS::ElastiCache::ReplicationGroup", "PrimaryServices"))
    assert primary["TransitEncryptionEnabled"] is True and primary["AtRestEncryptionEnabled"] is True
    assert primary["TransitEncryptionMode"] == "required" and "KmsKeyId" in primary
    assert primary["AuthToken"].startswith("{{resolve:secretsmanager:htdr/test/cache-auth:")
    assert "GlobalReplicationGroupId" not in primary
    dr = _one(synthesized.resources("AWS::ElastiCache::ReplicationGroup", "DrServices"))
    assert "ExportsReader" in json.dumps(dr["GlobalReplicationGroupId"])
    for group in (primary, dr):
        assert group["AutomaticFailoverEnabled"] is True and group["MultiAZEnabled"] is True
        assert group["SnapshotRetentionLimit"] >= 15


def test_cache_secondary_sets_only_what_a_secondary_may_set(synthesized: Synthesized) -> None:
    """A global-datastore secondary inherits engine, version, node type, shards, encryption and AUTH
    from the primary; setting any of them fails with InvalidParameterCombination (REFERENCE.md "AWS
    constraints"; CloudFormation ReplicationGroup.GlobalReplicationGroupId; session_cache cites both).
    TLS, at-rest encryption and AUTH hold on the secondary by inheritance from the primary above."""
    dr = _one(synthesized.resources("AWS::ElastiCache::ReplicationGroup", "DrServices"))
    assert set(INHERITED_BY_SECONDARY) >= {
        "Engine",
        "EngineVersion",
        "CacheNodeType",
        "AtRestEncryptionEnabled",
        "TransitEncryptionEnabled",
        "AuthToken",
    }
    assert sorted(set(INHERITED_BY_SECONDARY) & set(dr)) == []
    primary = _one(synthesized.resources("AWS::ElastiCache::ReplicationGroup", "PrimaryServices"))
    assert set(INHERITED_BY_SECONDARY) <= set(primary)  # the primary decides all of it
    # checkov's built-in checks cannot see inheritance: skipped on the secondary only, each with why
    (dr_resource,) = synthesized.resources("AWS::ElastiCache::ReplicationGroup", "DrServices").values()
    skips = dr_resource["Metadata"]["checkov"]["skip"]
    assert {s["id"] for s in skips} == {"CKV_AWS_29", "CKV_AWS_30", "CKV_AWS_31"}
    assert all("inherits" in s["comment"] for s in skips)
    (primary_resource,) = synthesized.resources(
        "AWS::ElastiCache::ReplicationGroup", "PrimaryServices"
    ).values()
    assert "checkov" not in primary_resource.get("Metadata", {})


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


def _flat(value: object) -> str:
    """A name or ARN as text, whether literal or an Fn::Join of literals and tokens."""
    if isinstance(value, dict) and "Fn::Join" in value:
        return "".join(_flat(part) for part in value["Fn::Join"][1])
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def test_trail_records_data_events_on_every_phi_bucket(synthesized: Synthesized) -> None:
    trail = _one(synthesized.resources("AWS::CloudTrail::Trail"))
    logged = {
        _flat(value)
        for selector in trail["EventSelectors"]
        for resource in selector.get("DataResources", [])
        if resource["Type"] == "AWS::S3::Object" and selector["ReadWriteType"] == "All"
        for value in resource["Values"]
    }
    phi = []
    for stack, template in synthesized.templates.items():
        for logical_id, bucket in template["Resources"].items():
            if bucket["Type"] != "AWS::S3::Bucket":
                continue
            tags = {t["Key"]: t["Value"] for t in bucket["Properties"].get("Tags", [])}
            if tags.get(CLASSIFICATION_TAG) == PHI:
                same_stack = stack == "PrimaryServices"
                name = (
                    json.dumps({"Ref": logical_id})
                    if same_stack
                    else _flat(bucket["Properties"]["BucketName"])
                )
                phi.append(name)
    assert len(phi) == 2  # the raw archive and its DR replica
    for name in phi:
        assert any(name in arn and arn.endswith("/") for arn in logged), name
    assert sum(bool(s.get("IncludeManagementEvents")) for s in trail["EventSelectors"]) == 1


def test_cloudtrail_may_describe_the_logs_key_without_an_encryption_context(synthesized: Synthesized) -> None:
    """DescribeKey carries no encryption context: conditioning it on one locks CloudTrail out
    (REFERENCE.md "AWS constraints"; region_keys cites CloudTrail's key-policy page)."""
    for stack in ("PrimaryFoundation", "DrFoundation"):
        statements = [
            statement
            for key in synthesized.resources("AWS::KMS::Key", stack).values()
            for statement in key["Properties"]["KeyPolicy"]["Statement"]
            if statement.get("Principal", {}).get("Service") == "cloudtrail.amazonaws.com"
        ]
        describe = [s for s in statements if "kms:DescribeKey" in json.dumps(s["Action"])]
        assert len(describe) == 1
        assert "kms:EncryptionContext" not in json.dumps(describe[0].get("Condition", {}))
        generate = [s for s in statements if "kms:GenerateDataKey*" in json.dumps(s["Action"])]
        assert len(generate) == 1 and "kms:EncryptionContext:aws:cloudtrail:arn" in json.dumps(generate[0])


def test_raw_archives_tier_down_and_expire_old_versions(synthesized: Synthesized) -> None:
    """~5 TB: IA after 30 days (S3's minimum for that transition), Glacier IR after 90, noncurrent
    versions expire, current objects never do (raw_archive cites the S3 constraints)."""
    archives = [
        b["Properties"]
        for stack in ("PrimaryServices", "DrFoundation")
        for b in synthesized.resources("AWS::S3::Bucket", stack).values()
        if "raw-archive" in _flat(b["Properties"].get("BucketName"))
    ]
    assert len(archives) == 2
    for archive in archives:
        (rule,) = archive["LifecycleConfiguration"]["Rules"]
        days = {t["StorageClass"]: t["TransitionInDays"] for t in rule["Transitions"]}
        assert days["STANDARD_IA"] >= 30 and days["GLACIER_IR"] > days["STANDARD_IA"]
        assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] > 0
        assert rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] > 0
        assert "ExpirationInDays" not in rule and rule["Status"] == "Enabled"


def _metric_names(alarm: dict) -> set[str]:
    props = alarm["Properties"]
    if "MetricName" in props:
        return {props["MetricName"]}
    return {m["MetricStat"]["Metric"]["MetricName"] for m in props["Metrics"] if "MetricStat" in m}


def test_lag_alarms_have_actions_and_trigger_the_runbook(synthesized: Synthesized) -> None:
    alarms = synthesized.resources("AWS::CloudWatch::Alarm")
    metrics = set().union(*(_metric_names(a) for a in alarms.values()))
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
    assert json.loads(rule["Targets"][0]["Input"]) == {"Mode": ["failover"]}  # which waits for approval
    document = _one(synthesized.resources("AWS::SSM::Document", "DrServices"))
    steps = {s["name"]: s for s in document["Content"]["mainSteps"]}
    assert steps["ApproveDataLoss"]["action"] == "aws:approve"
    assert steps["ApproveDataLoss"]["nextStep"] == "FailoverDatabase"
    assert all("onFailure" in s for s in steps.values())


def test_missing_data_never_breaches_any_alarm(synthesized: Synthesized) -> None:
    """A metric nobody publishes must never start a failover (REFERENCE.md "Observing Aurora global
    database lag")."""
    for stack in ("PrimaryServices", "DrServices"):
        for logical_id, alarm in synthesized.resources("AWS::CloudWatch::Alarm", stack).items():
            assert alarm["Properties"]["TreatMissingData"] in {"notBreaching", "ignore"}, logical_id


def test_aurora_lag_alarms_watch_the_dimension_sets_aurora_publishes(synthesized: Synthesized) -> None:
    """Secondary-side Aurora global metrics: {DBClusterIdentifier, SourceRegion} and {DBClusterIdentifier}
    (services_stack.aurora_global_dimensions cites the sources), combined with MAX."""
    aurora = [
        a["Properties"]
        for a in synthesized.resources("AWS::CloudWatch::Alarm", "DrServices").values()
        if _metric_names(a) & {"AuroraGlobalDBReplicationLag", "AuroraGlobalDBRPOLag"}
    ]
    assert len(aurora) == 3  # replication lag, RPO lag, primary unreachable
    for props in aurora:
        expression = [m for m in props["Metrics"] if "Expression" in m]
        assert len(expression) == 1 and expression[0]["Expression"].startswith("MAX(")
        assert expression[0].get("ReturnData", True) is True
        dimension_sets = [
            {d["Name"]: d["Value"] for d in m["MetricStat"]["Metric"]["Dimensions"]}
            for m in props["Metrics"]
            if "MetricStat" in m
        ]
        assert {"DBClusterIdentifier": "htdr-patients-dr-test", "SourceRegion": "ca-central-1"} in (
            dimension_sets
        )
        assert {"DBClusterIdentifier": "htdr-patients-dr-test"} in dimension_sets
        assert props["TreatMissingData"] == "notBreaching"


def test_runbook_role_may_do_every_call_the_runbook_makes(synthesized: Synthesized) -> None:
    document = _one(synthesized.resources("AWS::SSM::Document", "DrServices"))
    prefixes = {
        "rds": "rds",
        "efs": "elasticfilesystem",
        "elasticache": "elasticache",
        "ecs": "ecs",
        "ssm": "ssm",
        "route53": "route53",
    }
    needed = {
        f"{prefixes[s['inputs']['Service']]}:{s['inputs']['Api']}"
        for s in document["Content"]["mainSteps"]
        if "Service" in s.get("inputs", {})
    } | {"rds:DescribeGlobalClusters", "rds:DescribeDBClusters"}  # the poll script's calls
    policies = [
        p["Properties"]["PolicyDocument"]
        for p in synthesized.resources("AWS::IAM::Policy", "DrServices").values()
        if "FailoverAutomationRole" in json.dumps(p["Properties"]["Roles"])
    ]
    granted = {
        action
        for policy in policies
        for statement in policy["Statement"]
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }
    assert needed <= granted, needed - granted


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


def test_dr_drill_pipeline_stages_and_weekly_trigger(synthesized: Synthesized) -> None:
    """The drill itself runs in the DR VPC as a control-plane task (test_control_plane_pipeline)."""
    pipeline = _one(synthesized.resources("AWS::CodePipeline::Pipeline", "DrDrillPipeline"))
    assert [s["Name"] for s in pipeline["Stages"]] == ["Source", "SynthAndComplianceGate", "DrDrill"]
    projects = synthesized.resources("AWS::CodeBuild::Project", "DrDrillPipeline").values()
    drill = [p for p in projects if "htdr.control_plane_drill" in json.dumps(p["Properties"]["Source"])]
    assert len(drill) == 1
    rule = _one(synthesized.resources("AWS::Events::Rule", "DrDrillPipeline"))
    assert rule["ScheduleExpression"] == "cron(0 4 ? * MON *)"
