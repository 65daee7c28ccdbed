"""Per-construct behaviour on small stacks (no nag plugins: each synthesizes in about a second)."""

from __future__ import annotations

import json

import pytest
from aws_cdk import App, CfnResource, Stack, Tags
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from cdk_app.config import IngestSizing, load_config
from cdk_app.constructs.event_stream import EventStream, shard_count_for
from cdk_app.constructs.patient_store import PatientStore, secret_reference
from cdk_app.constructs.region_keys import RegionKeys
from cdk_app.constructs.shared_file_system import tls_only_policy
from cdk_app.data_classification import (
    CLASSIFICATION_TAG,
    DR_ROLE_TAG,
    INTERNAL,
    PHI,
    REPLICA,
    mark_internal,
    mark_replica,
)
from cdk_app.naming import Naming
from cdk_app.provider_tags import tag_providers

CONTEXT = {"environmentSuffix": "unit", "dbSecret": "htdr/unit/db", "cacheSecret": "htdr/unit/cache"}


def _stack() -> Stack:
    return Stack(App(), "Unit")


@pytest.mark.parametrize(
    ("sizing", "shards"),
    [
        (IngestSizing(), 4),  # 100k/min x2 headroom = 3,334 rec/s and 3.3 MiB/s
        (IngestSizing(events_per_minute=100_000, headroom=1.0), 2),
        (IngestSizing(events_per_minute=60_000, avg_event_bytes=4_096, headroom=1.0), 4),  # bytes bind
        (IngestSizing(events_per_minute=10, headroom=1.0), 1),
    ],
)
def test_shard_count_covers_records_and_bytes(sizing: IngestSizing, shards: int) -> None:
    assert shard_count_for(sizing) == shards


def test_event_stream_is_kms_encrypted_and_named() -> None:
    stack = _stack()
    key = kms.Key(stack, "K", enable_key_rotation=True)
    EventStream(stack, "S", config=load_config(CONTEXT), name="htdr-events-unit", key=key)
    cfn_key = key.node.default_child
    assert isinstance(cfn_key, kms.CfnKey)
    Template.from_stack(stack).has_resource_properties(
        "AWS::Kinesis::Stream",
        {
            "Name": "htdr-events-unit",
            "ShardCount": 4,
            "StreamEncryption": {
                "EncryptionType": "KMS",
                "KeyId": {"Fn::GetAtt": [stack.get_logical_id(cfn_key), "Arn"]},
            },
        },
    )


def test_region_keys_primary_is_multi_region_and_replica_follows() -> None:
    config, naming = load_config(CONTEXT), Naming("unit")
    stack = _stack()
    RegionKeys(stack, "Primary", config=config, naming=naming)
    RegionKeys(
        stack, "Replica", config=config, naming=naming, primary_data_key_arn="arn:aws:kms:x:1:key/mrk-1"
    )
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::KMS::Key", {"MultiRegion": True, "EnableKeyRotation": True})
    template.has_resource_properties("AWS::KMS::ReplicaKey", {"PrimaryKeyArn": "arn:aws:kms:x:1:key/mrk-1"})
    template.has_resource_properties("AWS::KMS::Alias", {"AliasName": "alias/htdr-data-unit"})
    logs_policy = json.dumps(template.find_resources("AWS::KMS::Key"))
    assert "logs.${AWS::Region}.amazonaws.com" in logs_policy or "logs." in logs_policy


def test_production_store_retains_and_protects() -> None:
    config = load_config({**CONTEXT, "production": "true"})
    stack = _stack()
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        subnet_configuration=[
            ec2.SubnetConfiguration(name="data", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        ],
    )
    PatientStore(
        stack,
        "Store",
        config=config,
        naming=Naming("unit"),
        side="primary",
        vpc=vpc,
        subnets=ec2.SubnetSelection(subnet_group_name="data"),
        key_arn="arn:k",
        secondary=False,
    )
    template = Template.from_stack(stack)
    for resource in template.find_resources("AWS::RDS::DBCluster").values():
        assert resource["DeletionPolicy"] == "Retain"
        assert resource["Properties"]["DeletionProtection"] is True
    template.has_resource_properties("AWS::RDS::GlobalCluster", {"DeletionProtection": True})


def test_secret_reference_is_a_dynamic_reference() -> None:
    config = load_config(CONTEXT)
    assert (
        secret_reference(config.db_secret, "password")
        == "{{resolve:secretsmanager:htdr/unit/db:SecretString:password}}"
    )


def test_efs_policy_denies_plain_nfs() -> None:
    statements = tls_only_policy().to_json()["Statement"]
    deny = [s for s in statements if s["Effect"] == "Deny"]
    assert deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize(
    ("value", "expected_arn_end"),
    [
        ("arn:aws:secretsmanager:ca-central-1:123456789012:secret:htdr/db-AbCdEf", "htdr/db-AbCdEf"),
        ("arn:aws:secretsmanager:ca-central-1:123456789012:secret:htdr/db", "htdr/db"),
    ],
)
def test_secrets_are_imported_by_arn(value: str, expected_arn_end: str) -> None:
    from cdk_app.config import ExistingSecret
    from cdk_app.secrets import import_secret

    secret = import_secret(_stack(), "S", ExistingSecret("dbSecret", value))
    assert secret.secret_arn.endswith(expected_arn_end)


def test_provider_tags_reach_raw_resources_and_leave_tag_managed_ones_alone() -> None:
    app = App()
    stack = Stack(app, "Unit")
    CfnResource(stack, "RawRole", type="AWS::IAM::Role", properties={"AssumeRolePolicyDocument": {}})
    CfnResource(stack, "RawTopic", type="AWS::SNS::Topic")
    managed = iam.Role(stack, "Managed", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    Tags.of(managed).add("Only", "here")
    tag_providers(app, {"Project": "p", "Owner": "o"})
    resources = Template.from_stack(stack).to_json()["Resources"]
    assert resources["RawRole"]["Properties"]["Tags"] == [
        {"Key": "Owner", "Value": "o"},
        {"Key": "Project", "Value": "p"},
    ]
    assert "Properties" not in resources["RawTopic"]  # only the provider types are touched
    managed_id = stack.get_logical_id(managed.node.default_child)  # type: ignore[arg-type]
    assert resources[managed_id]["Properties"]["Tags"] == [{"Key": "Only", "Value": "here"}]


def test_relabelled_bucket_overrides_the_app_wide_classification() -> None:
    app = App()
    stack = Stack(app, "Unit")
    internal, replica = s3.Bucket(stack, "Logs"), s3.Bucket(stack, "Replica")
    mark_internal(internal)
    mark_replica(replica)
    Tags.of(app).add(CLASSIFICATION_TAG, PHI)  # added last, still loses to the higher priority
    resources = Template.from_stack(stack).to_json()["Resources"]
    tags = {
        logical_id: {t["Key"]: t["Value"] for t in r["Properties"]["Tags"]}
        for logical_id, r in resources.items()
        if r["Type"] == "AWS::S3::Bucket"
    }
    assert tags[stack.get_logical_id(internal.node.default_child)] == {  # type: ignore[arg-type]
        CLASSIFICATION_TAG: INTERNAL
    }
    assert tags[stack.get_logical_id(replica.node.default_child)] == {  # type: ignore[arg-type]
        CLASSIFICATION_TAG: PHI,
        DR_ROLE_TAG: REPLICA,
    }
