"""FIS experiment templates, their tag-scoped role and stop condition; the drill-safety stack tags."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import App, Stack
from aws_cdk import aws_sqs as sqs

from cdk_app.config import load_config
from cdk_app.drill_tags import tag_stacks
from contracts.drill_safety import DRILL_ALLOWED_TAG, FIS_FAULT_TAG, PRODUCTION_TAG, FisFault
from contracts.stacks import STACK_ROLES
from tests.cdk_app.conftest import CONTEXT, Synthesized

FIS = "AWS::FIS::ExperimentTemplate"


def _templates(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    return {
        r["Properties"]["Tags"][FIS_FAULT_TAG]: r["Properties"]
        for r in synthesized.resources(FIS, "PrimaryServices").values()
    }


def _ref(value: dict[str, Any]) -> str:
    """The logical id a ``Ref`` / ``Fn::GetAtt`` points at."""
    return value["Ref"] if "Ref" in value else value["Fn::GetAtt"][0]


def test_one_template_per_fault_the_drills_use_tagged_with_the_environment(synthesized: Synthesized) -> None:
    templates = _templates(synthesized)
    assert set(templates) == {FisFault.ECS_STOP_TASK, FisFault.DATA_SUBNETS_DISRUPT, FisFault.CACHE_AZ_POWER}
    for props in templates.values():
        assert props["Tags"]["Environment"] == "test"
    actions = {fault: next(iter(p["Actions"].values()))["ActionId"] for fault, p in templates.items()}
    assert actions == {
        FisFault.ECS_STOP_TASK: "aws:ecs:stop-task",
        FisFault.DATA_SUBNETS_DISRUPT: "aws:network:disrupt-connectivity",
        FisFault.CACHE_AZ_POWER: "aws:elasticache:replicationgroup-interrupt-az-power",
    }


def test_no_template_in_the_dr_region_where_fis_has_no_resource_type(synthesized: Synthesized) -> None:
    """ca-west-1 has no AWS::FIS::ExperimentTemplate in CloudFormation's specification (F3006)."""
    assert synthesized.config.dr_region == "ca-west-1"
    assert synthesized.resources(FIS, "DrServices") == {}


def test_every_template_stops_on_its_alarm_on_the_consumer_lag(synthesized: Synthesized) -> None:
    alarms = synthesized.resources("AWS::CloudWatch::Alarm", "PrimaryServices")
    for fault, props in _templates(synthesized).items():
        (stop,) = props["StopConditions"]
        assert stop["Source"] == "aws:cloudwatch:alarm", fault
        alarm = alarms[_ref(stop["Value"])]["Properties"]
        assert (alarm["Namespace"], alarm["MetricName"]) == (
            "AWS/Kinesis",
            "GetRecords.IteratorAgeMilliseconds",
        )
        assert alarm["Threshold"] == 900_000 and alarm["TreatMissingData"] == "notBreaching"
        assert alarm["AlarmActions"], "a stop-condition alarm notifies as well"


def test_stop_task_targets_the_processor_service_of_the_same_stack(synthesized: Synthesized) -> None:
    target = next(iter(_templates(synthesized)[FisFault.ECS_STOP_TASK]["Targets"].values()))
    (service,) = synthesized.resources("AWS::ECS::Service", "PrimaryServices").values()
    (cluster,) = synthesized.resources("AWS::ECS::Cluster", "PrimaryServices").values()
    assert target["ResourceType"] == "aws:ecs:task" and target["SelectionMode"] == "COUNT(1)"
    assert target["Parameters"] == {
        "cluster": cluster["Properties"]["ClusterName"],
        "service": service["Properties"]["ServiceName"],
    }


def test_network_disruption_targets_exactly_the_isolated_data_subnets(synthesized: Synthesized) -> None:
    props = _templates(synthesized)[FisFault.DATA_SUBNETS_DISRUPT]
    target = next(iter(props["Targets"].values()))
    subnets = synthesized.resources("AWS::EC2::Subnet", "PrimaryFoundation")
    isolated = {
        lid
        for lid, s in subnets.items()
        if any(
            t["Key"] == "aws-cdk:subnet-type" and t["Value"] == "Isolated" for t in s["Properties"]["Tags"]
        )
    }
    assert len(isolated) == 3
    named = {str(arn) for arn in target["ResourceArns"]}
    assert len(target["ResourceArns"]) == 3
    for logical_id in isolated:  # cross-stack: the subnet id arrives as an import of the foundation's export
        assert any(logical_id in arn for arn in named), logical_id
    action = next(iter(props["Actions"].values()))
    assert action["Parameters"] == {"duration": "PT10M", "scope": "all"}


def test_role_is_assumed_by_fis_and_scoped_to_this_environment(synthesized: Synthesized) -> None:
    roles = synthesized.resources("AWS::IAM::Role", "PrimaryServices")
    (role_id,) = {_ref(p["RoleArn"]) for p in _templates(synthesized).values()}
    trust = roles[role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "fis.amazonaws.com"}]
    policies = [
        p["Properties"]
        for p in synthesized.resources("AWS::IAM::Policy", "PrimaryServices").values()
        if any(r["Ref"] == role_id for r in p["Properties"]["Roles"])
    ]
    statements = [s for p in policies for s in p["PolicyDocument"]["Statement"]]
    by_action = {
        a: s for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert by_action["elasticache:InterruptClusterAzPower"]["Condition"] == {
        "StringEquals": {"aws:ResourceTag/Environment": "test", "aws:ResourceTag/Project": "healthtech-dr"}
    }
    assert "ecs:cluster" in str(by_action["ecs:StopTask"]["Condition"])
    assert "htdr-processing-test" in str(by_action["ecs:StopTask"]["Resource"])
    assert by_action["ec2:CreateNetworkAcl"]["Condition"] == {
        "StringEquals": {"aws:RequestTag/managedByFIS": "true"}
    }
    assert by_action["ec2:DeleteNetworkAcl"]["Condition"] == {
        "StringEquals": {"aws:ResourceTag/managedByFIS": "true"}
    }
    wildcard = [a for a, s in by_action.items() if s["Resource"] == "*" and "Condition" not in s]
    assert all(a.split(":")[1].startswith(("Describe", "Get")) for a in wildcard), wildcard


def test_every_stack_is_tagged_drill_allowed_and_not_production(synthesized: Synthesized) -> None:
    """Stack tags (what DescribeStacks shows), read from the cloud assembly's manifest."""
    manifest = json.loads((synthesized.outdir / "manifest.json").read_text())
    stacks = {
        a["properties"]["stackName"]: a["properties"].get("tags", {})
        for a in manifest["artifacts"].values()
        if a["type"] == "aws:cloudformation:stack"
    }
    assert len(stacks) == len(STACK_ROLES)
    for name, tags in stacks.items():
        assert (tags.get(DRILL_ALLOWED_TAG), tags.get(PRODUCTION_TAG)) == ("true", "false"), name
    for template in synthesized.templates.values():  # on the stacks only, not copied onto resources
        assert DRILL_ALLOWED_TAG not in json.dumps(template["Resources"])


def test_a_production_synthesis_tags_its_stacks_drill_forbidden() -> None:
    """The tags alone (one small stack): a full production synthesis is covered by the app tests."""
    app = App()
    stack = Stack(app, "Probe")
    sqs.Queue(stack, "Q", enforce_ssl=True)
    tag_stacks([stack], load_config({**CONTEXT, "production": "true"}))
    artifact = app.synth().get_stack_by_name("Probe")
    assert (artifact.tags[DRILL_ALLOWED_TAG], artifact.tags[PRODUCTION_TAG]) == ("false", "true")
