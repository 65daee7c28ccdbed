"""Whole-app properties on the session synthesis: nag, contract, secrets, destroyability, tags, names."""

from __future__ import annotations

import json
from typing import Any

from cdk_app.app import required_tags
from cdk_app.nag_acknowledgements import applicable, rule_id
from contracts.outputs import all_keys
from tests.cdk_app.conftest import Synthesized

NAME_PROPERTIES = {
    "BucketName",
    "StreamName",
    "LogGroupName",
    "RoleName",
    "ClusterName",
    "ServiceName",
    "Family",
    "DBClusterIdentifier",
    "DBInstanceIdentifier",
    "GlobalClusterIdentifier",
    "ReplicationGroupId",
    "GlobalReplicationGroupIdSuffix",
    "TopicName",
    "AlarmName",
    "TrailName",
    "BackupVaultName",
    "DeliveryStreamName",
    "ProjectName",
    "GroupName",
    "DBSubnetGroupName",
    "CacheSubnetGroupName",
    "DBClusterParameterGroupName",
    "AliasName",
    "FileSystemName",
    "BackupPlanName",
    "SelectionName",
}
#: Same property names that are not physical names of ours (an AWS service, an engine family).
NOT_NAMES = {("AWS::EC2::VPCEndpoint", "ServiceName"), ("AWS::RDS::DBClusterParameterGroup", "Family")}
#: Names AWS dictates (no suffix possible): API Gateway's execution-log group is named after the API id.
AWS_FIXED_NAME_PREFIXES = ("API-Gateway-Execution-Logs_",)


def _flatten(value: Any) -> str:
    """A physical name as text, whether literal or an Fn::Join of literals and tokens."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        return "".join(_flatten(part) for part in value["Fn::Join"][1])
    return json.dumps(value)


def test_cdk_nag_reports_no_unacknowledged_finding(synthesized: Synthesized) -> None:
    reports = {r["pluginName"]: r for r in synthesized.report["pluginReports"]}
    assert {"HIPAA.Security", "AwsSolutions"} <= reports.keys()
    for name, report in reports.items():
        errors = [v["ruleName"] for v in report["violations"] if v.get("severity") == "error"]
        assert errors == [], f"{name}: {errors}"
    assert reports["HIPAA.Security"]["conclusion"] == "success"
    assert reports["AwsSolutions"]["conclusion"] == "success"


def test_every_acknowledgement_is_used_and_has_a_reason(synthesized: Synthesized) -> None:
    used = {
        v.get("acknowledgedId")
        for report in synthesized.report["pluginReports"]
        for v in report.get("suppressedViolations", [])
    }
    for ack in applicable(synthesized.config):
        assert len(ack.reason) > 30
        assert rule_id(ack, synthesized.config) in used, f"stale acknowledgement {ack.path} {ack.rule}"


def test_outputs_contract_equals_the_union_of_stack_outputs(synthesized: Synthesized) -> None:
    keys = [
        key
        for t in synthesized.templates.values()
        for key in t.get("Outputs", {})
        if not key.startswith("Exports")
    ]
    assert len(keys) == len(set(keys)), "an output key appears in two stacks"
    assert set(keys) == all_keys()


#: The imported master secrets: the patient store's and the control plane's Dagster database's.
IMPORTED_SECRETS = tuple(
    f"{{{{resolve:secretsmanager:htdr/test/{name}:" for name in ("aurora-master", "dagster-db")
)


def test_no_secret_is_created_anywhere(synthesized: Synthesized) -> None:
    assert synthesized.resources("AWS::SecretsManager::Secret") == {}
    for cluster in synthesized.resources("AWS::RDS::DBCluster").values():
        props = cluster["Properties"]
        assert "ManageMasterUserPassword" not in props
        if "MasterUserPassword" in props:
            assert props["MasterUserPassword"].startswith(IMPORTED_SECRETS)


#: Evidence under Object Lock COMPLIANCE for six years cannot be deleted by anyone: retained by design.
OUTLIVE_THEIR_STACK = {
    ("DrDrillPipeline", "DrDrillEvidenceBucket00EA92B2"),
    ("DrillControlPlane", "EvidenceBucketC67FF768"),
}


def test_everything_is_destroyable(synthesized: Synthesized) -> None:
    for stack, template in synthesized.templates.items():
        for logical_id, resource in template["Resources"].items():
            if (stack, logical_id) in OUTLIVE_THEIR_STACK:
                assert resource["DeletionPolicy"] == "Retain"
                assert resource["Properties"]["ObjectLockConfiguration"]["Rule"]["DefaultRetention"] == {
                    "Mode": "COMPLIANCE",
                    "Years": 6,
                }
                continue
            for policy in ("DeletionPolicy", "UpdateReplacePolicy"):
                assert resource.get(policy, "Delete") == "Delete", f"{stack}/{logical_id} {policy}"
            assert resource.get("Properties", {}).get("DeletionProtection") in (None, False)
    for name, bucket in synthesized.resources("AWS::S3::Bucket").items():
        if tuple(name.split("/")) not in OUTLIVE_THEIR_STACK:
            assert any(t["Key"] == "aws-cdk:auto-delete-objects" for t in bucket["Properties"]["Tags"]), name


def _tags(resource: dict[str, Any]) -> dict[str, Any] | None:
    tags = resource.get("Properties", {}).get("Tags")
    if tags is None:
        return None
    return dict(tags) if isinstance(tags, dict) else {t["Key"]: t["Value"] for t in tags}


def test_required_tags_on_every_taggable_resource(synthesized: Synthesized) -> None:
    wanted = required_tags(synthesized.config)
    tagged = 0
    for template in synthesized.templates.values():
        for logical_id, resource in template["Resources"].items():
            as_map = _tags(resource)
            if as_map is None:
                continue
            expected = dict(wanted)
            if logical_id in INTERNAL_BUCKETS:
                expected["DataClassification"] = "Internal"
            assert {k: as_map.get(k) for k in wanted} == expected, f"{resource['Type']} {logical_id}"
            tagged += 1
    assert tagged > 100
    assert wanted["DataClassification"] == "PHI" and wanted["Compliance"] == "HIPAA"


#: CDK's built-in provider resources, which Tags.of(app) cannot reach (raw CfnResource), per stack
_AUTO_DELETE, _RESTRICT_SG = "CustomS3AutoDeleteObjects", "CustomVpcRestrictDefaultSG"
_READER, _WRITER = "CustomCrossRegionExportReader", "CustomCrossRegionExportWriter"
PROVIDERS = {
    "PrimaryFoundation": {_AUTO_DELETE, _RESTRICT_SG, _WRITER},
    "DrFoundation": {_AUTO_DELETE, _RESTRICT_SG, _READER, _WRITER},
    "PrimaryServices": {_AUTO_DELETE, _READER, _WRITER},
    "DrServices": {_READER},
    "DrDrillPipeline": {_AUTO_DELETE},
    "DrillControlPlane": set(),
}


def test_custom_resource_providers_carry_the_required_tags(synthesized: Synthesized) -> None:
    """Including the cross-region export providers, which CDK adds only after aspects have run."""
    wanted = required_tags(synthesized.config)
    for stack, providers in PROVIDERS.items():
        for provider in providers:
            for part, resource_type in (("Role", "AWS::IAM::Role"), ("Handler", "AWS::Lambda::Function")):
                found = [
                    r
                    for logical_id, r in synthesized.resources(resource_type, stack).items()
                    if logical_id.startswith(f"{provider}CustomResourceProvider{part}")
                ]
                assert len(found) == 1, f"{stack}: {provider} {part}"
                assert _tags(found[0]) == wanted, f"{stack}: {provider} {part}"
    for resource_type in ("AWS::IAM::Role", "AWS::Lambda::Function"):
        for name, resource in synthesized.resources(resource_type).items():
            as_map = _tags(resource) or {}
            assert {k: as_map.get(k) for k in wanted} == wanted, name


#: stores holding no PHI: access logs, audit trail, the drill pipeline's buckets (logical ids)
INTERNAL_BUCKETS = {
    "AccessLogsBucketCD784A59",
    "AuditTrailBucketA91FD435",
    "DrDrillEvidenceBucket00EA92B2",
    "EvidenceBucketC67FF768",
    "DrDrillSource4CC37E34",
    "DrDrillArtifacts3C45FE0D",
}


def test_buckets_are_classified_and_phi_sources_replicate(synthesized: Synthesized) -> None:
    """PHI only where PHI lives; every PHI bucket either replicates (with RTC) or is the DR replica."""
    classes: dict[str, tuple[str, str | None]] = {}
    for name, bucket in synthesized.resources("AWS::S3::Bucket").items():
        tags = _tags(bucket) or {}
        classes[name] = (tags["DataClassification"], tags.get("DrRole"))
        if tags["DataClassification"] == "PHI" and tags.get("DrRole") != "replica":
            rules = bucket["Properties"]["ReplicationConfiguration"]["Rules"]
            assert rules[0]["Destination"]["ReplicationTime"]["Status"] == "Enabled", name
    assert classes == {
        "PrimaryFoundation/AccessLogsBucketCD784A59": ("Internal", None),
        "DrFoundation/AccessLogsBucketCD784A59": ("Internal", None),
        "DrFoundation/RawArchiveBucket3CBB4637": ("PHI", "replica"),
        "PrimaryServices/RawArchiveBucket3CBB4637": ("PHI", None),
        "PrimaryServices/AuditTrailBucketA91FD435": ("Internal", None),
        "DrDrillPipeline/DrDrillEvidenceBucket00EA92B2": ("Internal", "replica"),
        "DrillControlPlane/EvidenceBucketC67FF768": ("Internal", None),
        "DrDrillPipeline/DrDrillSource4CC37E34": ("Internal", None),
        "DrDrillPipeline/DrDrillArtifacts3C45FE0D": ("Internal", None),
    }


def test_every_physical_name_carries_the_suffix(synthesized: Synthesized) -> None:
    checked = 0
    for template in synthesized.templates.values():
        for logical_id, resource in template["Resources"].items():
            for prop, value in resource.get("Properties", {}).items():
                if prop not in NAME_PROPERTIES:
                    continue
                name = _flatten(value)
                if (resource["Type"], prop) in NOT_NAMES:
                    continue
                if name.startswith(AWS_FIXED_NAME_PREFIXES) or not isinstance(value, (str, dict)):
                    continue
                if isinstance(value, dict) and "Fn::Join" not in value:
                    continue  # a reference to another named resource, checked where it is defined
                assert "test" in name, f"{logical_id}.{prop} = {name}"
                checked += 1
    assert checked > 60


def test_stack_names_and_regions(synthesized: Synthesized) -> None:
    manifest = json.loads((synthesized.outdir / "manifest.json").read_text())
    stacks = {
        a["properties"]["stackName"]: a["environment"].rsplit("/", 1)[1]
        for a in manifest["artifacts"].values()
        if a["type"] == "aws:cloudformation:stack"
    }
    assert stacks == {
        "Htdr-test-PrimaryFoundation": "ca-central-1",
        "Htdr-test-DrFoundation": "ca-west-1",
        "Htdr-test-PrimaryServices": "ca-central-1",
        "Htdr-test-DrServices": "ca-west-1",
        "Htdr-test-DrDrillPipeline": "ca-central-1",
        "Htdr-test-DrillControlPlane": "ca-west-1",
    }
