"""cdk-nag on given templates: the app's acknowledgements map onto logical ids, and what cannot be
included is named "not evaluated" instead of passing."""

from __future__ import annotations

import json
from pathlib import Path

from compliance.nag_template_acknowledgements import default_security_group_restricted
from compliance.nag_templates import (
    Acknowledgement,
    acknowledgement_for,
    app_acknowledgements,
    evaluate,
    finding_pattern,
    template_acknowledgement,
)


def test_finding_pattern_fills_placeholders_and_nothing_else() -> None:
    pattern = finding_pattern(
        "AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::htdr-raw-{suffix}-{dr}/*]"
    )
    assert pattern.match("AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::htdr-raw-dev1-ca-west-1/*]")
    assert not pattern.match("AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::other-dev1-ca-west-1/*]")
    assert not pattern.match("AwsSolutions-IAM5[Resource::*]")
    assert finding_pattern("HIPAA.Security::HIPAA.Security-IAMNoInlinePolicy").match(
        "HIPAA.Security-IAMNoInlinePolicy"
    )


def test_acknowledgement_covers_the_construct_and_its_children_only() -> None:
    ack = Acknowledgement("*Services/PatientStore/Cluster", finding_pattern("P::P-R"), "P::P-R", "why")
    cluster = "PrimaryServices/PatientStore/Cluster/Resource"
    assert acknowledgement_for([ack], "P-R", cluster, {}, "C") is ack
    assert acknowledgement_for([ack], "P-R", "PrimaryServices/PatientStore/Instance1", {}, "I") is None
    assert acknowledgement_for([ack], "P-OTHER", cluster, {}, "C") is None


def test_production_drops_the_non_production_acknowledgements() -> None:
    everywhere = {a.acknowledged_id for a in app_acknowledgements(production=False)}
    production = {a.acknowledged_id for a in app_acknowledgements(production=True)}
    assert "HIPAA.Security::HIPAA.Security-RDSInstanceDeletionProtectionEnabled" in everywhere - production


def test_default_security_group_acknowledgement_needs_the_restricting_resource() -> None:
    restrict = {
        "Type": "Custom::VpcRestrictDefaultSG",
        "Properties": {"DefaultSecurityGroupId": {"Fn::GetAtt": ["Vpc", "DefaultSecurityGroup"]}},
    }
    assert default_security_group_restricted({"R": restrict}, "Vpc")
    assert not default_security_group_restricted({"R": restrict}, "OtherVpc")
    assert not default_security_group_restricted({}, "Vpc")


def test_evaluate_finds_a_missing_flow_log_and_names_what_it_cannot_include(tmp_path: Path) -> None:
    good = tmp_path / "Net.template.json"
    good.write_text(
        json.dumps(
            {"Resources": {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}}}}
        )
    )
    bad = tmp_path / "Broken.template.json"
    bad.write_text(
        json.dumps(
            {
                "Resources": {
                    "B": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": {"Fn::NotAFunction": []}}}
                }
            }
        )
    )
    report = evaluate([good, bad], production=False)
    violations = {
        v["ruleName"]: v["violatingConstructs"] for p in report["pluginReports"] for v in p["violations"]
    }
    flow = violations["HIPAA.Security-VPCFlowLogsEnabled"]
    assert flow[0]["cloudFormationResource"] == {"templatePath": str(good), "logicalId": "Vpc"}
    assert flow[0]["constructPath"] == "Net/Vpc"
    assert report["evaluatedTemplates"] == [str(good)]
    assert report["withoutConstructPaths"] == [str(good)]  # no metadata.json: acknowledgements cannot apply
    assert [item["templatePath"] for item in report["notEvaluated"]] == [str(bad)]


def test_acknowledgements_written_into_the_template_apply_by_logical_id() -> None:
    """The app writes every acknowledgement into the resource's Metadata; the gate honours exactly those."""
    resources = {
        "Policy": {
            "Type": "AWS::IAM::Policy",
            "Metadata": {
                "cdk_nag": {
                    "rules_to_suppress": [
                        {
                            "id": "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
                            "reason": "no resource-level permissions",
                        }
                    ]
                }
            },
        },
        "Other": {"Type": "AWS::IAM::Policy"},
    }
    ack = template_acknowledgement(resources, "Policy", "AwsSolutions-IAM5[Resource::*]")
    assert ack is not None and ack.reason == "no resource-level permissions"
    assert template_acknowledgement(resources, "Policy", "AwsSolutions-IAM5[Action::*]") is None
    assert template_acknowledgement(resources, "Other", "AwsSolutions-IAM5[Resource::*]") is None


def test_the_app_writes_its_acknowledgements_into_the_templates(app_assembly: Path) -> None:
    template = json.loads((app_assembly / "PrimaryFoundation.template.json").read_text())
    written = [
        rule["id"]
        for resource in template["Resources"].values()
        for rule in (resource.get("Metadata") or {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    ]
    assert "HIPAA.Security::HIPAA.Security-VPCNoUnrestrictedRouteToIGW" in written
