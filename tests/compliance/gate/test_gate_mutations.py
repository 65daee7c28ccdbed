"""The gate on the real app's templates and on mutated copies: every mutation an auditor would care about
must fail the gate, naming the resource, the template (and stack) and the HIPAA citation.

The app is synthesized once (conftest). One gate run judges a folder holding the unmutated assembly
(``baseline/``) and, in ``mutated/``, one copy of each stack's template carrying every mutation aimed at
that stack (each mutation edits its own resource or property, checked below, so none can hide
another). Each copy keeps the stack's ``metadata.json`` and the assembly's ``manifest.json`` beside
it, like a real cloud assembly. The synth's own cdk-nag report (written for the UNmutated templates)
is planted in both folders: the gate must ignore it and evaluate cdk-nag on what it is given.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator
from rich.console import Console
from typer.testing import CliRunner

from compliance.gate import GateConfig, run_gate
from compliance.gate_cli import _failure_table
from compliance.gate_cli import app as gate_app
from compliance.gate_summary import GateFailure, GateSummary

pytestmark = pytest.mark.slow  # one synth and one gate run over ten templates

Template = dict[str, Any]
Resources = dict[str, Any]
SARIF_SCHEMA = Path(__file__).resolve().parents[2] / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"


def _first(
    resources: Resources, resource_type: str, where: Callable[[Template], bool] = lambda r: True
) -> str:
    return next(k for k, r in resources.items() if r["Type"] == resource_type and where(r))


def _props(resources: Resources, logical_id: str) -> dict[str, Any]:
    props: dict[str, Any] = resources[logical_id].setdefault("Properties", {})
    return props


def _edit(
    resource_type: str,
    change: Callable[[dict[str, Any]], object],
    where: Callable[[Template], bool] = lambda r: True,
) -> Callable[[Resources], str]:
    """A mutation changing the Properties of the first resource of a type (matching ``where``)."""

    def mutate(resources: Resources) -> str:
        logical_id = _first(resources, resource_type, where)
        change(_props(resources, logical_id))
        return logical_id

    return mutate


def _add(logical_id: str, resource: Template) -> Callable[[Resources], str]:
    def mutate(resources: Resources) -> str:
        resources[logical_id] = resource
        return logical_id

    return mutate


def _is_phi(resource: Template) -> bool:
    tags = {t["Key"]: t["Value"] for t in resource.get("Properties", {}).get("Tags", [])}
    return tags.get("DataClassification") == "PHI"


def _remove_flow_log(resources: Resources) -> str:
    flow_log = _first(resources, "AWS::EC2::FlowLog")
    vpc_ref = resources.pop(flow_log)["Properties"]["ResourceId"]["Ref"]
    return str(vpc_ref)


def _public_postgres_inline(resources: Resources) -> str:
    group = _first(resources, "AWS::EC2::SecurityGroup")
    rule = {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "CidrIp": "0.0.0.0/0"}
    _props(resources, group).setdefault("SecurityGroupIngress", []).append(rule)
    return group


def _iam_wildcard(resources: Resources) -> str:
    policy = _first(resources, "AWS::IAM::Policy")
    statements = _props(resources, policy)["PolicyDocument"]["Statement"]
    statements.append({"Effect": "Allow", "Action": "*", "Resource": "*"})
    return policy


def _set(key: str, value: object) -> Callable[[dict[str, Any]], object]:
    return lambda props: props.__setitem__(key, value)


def _drop(key: str) -> Callable[[dict[str, Any]], object]:
    return lambda props: props.pop(key, None)


def _retain(resources: Resources) -> str:
    key = _first(resources, "AWS::KMS::Key")
    resources[key]["DeletionPolicy"] = "Retain"
    return key


def _external_key_principal(props: dict[str, Any]) -> None:
    props["KeyPolicy"]["Statement"].append(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
            "Action": "kms:Decrypt",
            "Resource": "*",
        }
    )


def _keep_management_events_only(props: dict[str, Any]) -> None:
    props["EventSelectors"] = [s for s in props["EventSelectors"] if not s.get("DataResources")]


def _backup_without_copy(props: dict[str, Any]) -> None:
    for rule in props["BackupPlan"]["BackupPlanRule"]:
        rule.pop("CopyActions", None)


def _parameter(name: str, value: str | None) -> Callable[[dict[str, Any]], object]:
    def change(props: dict[str, Any]) -> None:
        if value is None:
            props["Parameters"].pop(name)
        else:
            props["Parameters"][name] = value

    return change


@dataclass(frozen=True)
class Mutation:
    """One edit of one stack's template and the failure the gate must then report."""

    stack: str
    mutate: Callable[[Resources], str]
    tool: str
    check_id: str
    citation: str | None  # None: an engineering control (no HIPAA citation)


PF, PS, DS = "PrimaryFoundation", "PrimaryServices", "DrServices"
SECRET = {"Type": "AWS::SecretsManager::Secret", "Properties": {"GenerateSecretString": {}}}
INGRESS = {
    "Type": "AWS::EC2::SecurityGroupIngress",
    "Properties": {
        "GroupId": "sg-0123456789abcdef0",
        "IpProtocol": "tcp",
        "FromPort": 6379,
        "ToPort": 6379,
        "CidrIp": "0.0.0.0/0",
    },
}

#: mutation → the stack it edits, the edit, and the failure (tool, check, citation) it must cause.
MUTATIONS: dict[str, Mutation] = {
    "rotation_off": Mutation(
        PF,
        _edit("AWS::KMS::Key", _set("EnableKeyRotation", False)),
        "checkov",
        "CKV_HT_1",
        "164.312(a)(2)(iv)",
    ),
    "key_policy_external": Mutation(
        PF, _edit("AWS::KMS::Key", _external_key_principal), "checkov", "CKV_HT_25", "164.312(a)(1)"
    ),
    "flow_log_removed_nag": Mutation(
        PF, _remove_flow_log, "cdk-nag", "HIPAA.Security-VPCFlowLogsEnabled", "164.312(b)"
    ),
    "vpc_cidr_invalid": Mutation(
        PF, _edit("AWS::EC2::VPC", _set("CidrBlock", "10.40.0.0/33")), "cfn-lint", "E3002", None
    ),
    "flow_log_log_group_short": Mutation(
        PF,
        _edit("AWS::Logs::LogGroup", _set("RetentionInDays", 30)),
        "checkov",
        "CKV_HT_10",
        "164.316(b)(2)(i)",
    ),
    "retain_added": Mutation("DrFoundation", _retain, "checkov", "CKV_HT_11", None),
    "stream_unencrypted": Mutation(
        PS,
        _edit("AWS::Kinesis::Stream", _drop("StreamEncryption")),
        "checkov",
        "CKV_HT_2",
        "164.312(a)(2)(iv)",
    ),
    "stream_retention_one_day": Mutation(
        DS,
        _edit("AWS::Kinesis::Stream", _set("RetentionPeriodHours", 24)),
        "checkov",
        "CKV_HT_23",
        "164.308(a)(7)(ii)(B)",
    ),
    "tag_dropped": Mutation(
        DS,
        _edit(
            "AWS::Logs::LogGroup",
            lambda p: p.__setitem__("Tags", [t for t in p["Tags"] if t["Key"] != "Owner"]),
        ),
        "checkov",
        "CKV_HT_13",
        "164.308(a)(7)(ii)(E)",
    ),
    "replication_removed": Mutation(
        PS,
        _edit(
            "AWS::S3::Bucket",
            _drop("ReplicationConfiguration"),
            lambda r: "ReplicationConfiguration" in r.get("Properties", {}),
        ),
        "checkov",
        "CKV_HT_7",
        "164.308(a)(7)(ii)(B)",
    ),
    "phi_bucket_sse_s3": Mutation(
        PS,
        _edit(
            "AWS::S3::Bucket",
            _set(
                "BucketEncryption",
                {
                    "ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                    ]
                },
            ),
            _is_phi,
        ),
        "checkov",
        "CKV_HT_17",
        "164.312(a)(2)(iv)",
    ),
    "public_postgres_inline": Mutation(PS, _public_postgres_inline, "checkov", "CKV_HT_14", "164.312(a)(1)"),
    "public_redis_ingress_resource": Mutation(
        PS, _add("OpenRedisIngress", INGRESS), "checkov", "CKV_HT_14", "164.312(e)(1)"
    ),
    "aurora_public_instance": Mutation(
        PS,
        _edit("AWS::RDS::DBInstance", _set("PubliclyAccessible", True)),
        "checkov",
        "CKV_AWS_17",
        "164.312(a)(1)",
    ),
    "aurora_public_instance_nag": Mutation(
        DS,
        _edit("AWS::RDS::DBInstance", _set("PubliclyAccessible", True)),
        "cdk-nag",
        "HIPAA.Security-RDSInstancePublicAccess",
        "164.312(a)(1)",
    ),
    "iam_wildcard": Mutation(PS, _iam_wildcard, "checkov", "CKV_AWS_62", "164.312(a)(1)"),
    "aurora_backup_one_day": Mutation(
        PS,
        _edit("AWS::RDS::DBCluster", _set("BackupRetentionPeriod", 1)),
        "checkov",
        "CKV_HT_16",
        "164.308(a)(7)(ii)(A)",
    ),
    "aurora_aws_managed_key": Mutation(
        DS, _edit("AWS::RDS::DBCluster", _drop("KmsKeyId")), "checkov", "CKV_HT_17", "164.312(a)(2)(iv)"
    ),
    "aurora_log_exports_removed": Mutation(
        DS,
        _edit("AWS::RDS::DBCluster", _drop("EnableCloudwatchLogsExports")),
        "checkov",
        "CKV_HT_21",
        "164.312(b)",
    ),
    "force_ssl_off": Mutation(
        PS,
        _edit("AWS::RDS::DBClusterParameterGroup", _parameter("rds.force_ssl", "0")),
        "checkov",
        "CKV_HT_3",
        "164.312(e)(1)",
    ),
    "global_db_rpo_removed": Mutation(
        DS,
        _edit("AWS::RDS::DBClusterParameterGroup", _parameter("rds.global_db_rpo", None)),
        "checkov",
        "CKV_HT_18",
        "164.308(a)(7)(ii)(B)",
    ),
    "pgaudit_unloaded": Mutation(
        DS,
        _edit(
            "AWS::RDS::DBClusterParameterGroup", _parameter("shared_preload_libraries", "pg_stat_statements")
        ),
        "checkov",
        "CKV_HT_21",
        "164.312(b)",
    ),
    "secret_created": Mutation(PS, _add("GeneratedSecret", SECRET), "checkov", "CKV_HT_22", "164.312(d)"),
    "cache_auth_removed": Mutation(
        PS,
        _edit("AWS::ElastiCache::ReplicationGroup", _drop("AuthToken")),
        "checkov",
        "CKV_HT_20",
        "164.312(d)",
    ),
    "cache_tls_off": Mutation(
        PS,
        _edit("AWS::ElastiCache::ReplicationGroup", _set("TransitEncryptionEnabled", False)),
        "checkov",
        "CKV_HT_5",
        "164.312(e)(2)(i)",
    ),
    "efs_tls_policy_removed": Mutation(
        PS, _edit("AWS::EFS::FileSystem", _drop("FileSystemPolicy")), "checkov", "CKV_HT_19", "164.312(e)(1)"
    ),
    "efs_unreplicated": Mutation(
        PS,
        _edit("AWS::EFS::FileSystem", _drop("ReplicationConfiguration")),
        "checkov",
        "CKV_HT_4",
        "164.308(a)(7)(ii)(B)",
    ),
    "backup_plan_without_dr_copy": Mutation(
        PS,
        _edit("AWS::Backup::BackupPlan", _backup_without_copy),
        "checkov",
        "CKV_HT_24",
        "164.308(a)(7)(ii)(A)",
    ),
    "trail_single_region": Mutation(
        PS,
        _edit("AWS::CloudTrail::Trail", _set("IsMultiRegionTrail", False)),
        "checkov",
        "CKV_HT_9",
        "164.312(b)",
    ),
    "trail_data_events_removed": Mutation(
        PS,
        _edit("AWS::CloudTrail::Trail", _keep_management_events_only),
        "checkov",
        "CKV_HT_26",
        "164.312(b)",
    ),
    "trail_validation_off": Mutation(
        PS,
        _edit("AWS::CloudTrail::Trail", _set("EnableLogFileValidation", False)),
        "checkov",
        "CKV_AWS_36",
        "164.312(c)(2)",
    ),
    "log_group_unencrypted": Mutation(
        PS, _edit("AWS::Logs::LogGroup", _drop("KmsKeyId")), "checkov", "CKV_HT_17", "164.312(a)(2)(iv)"
    ),
    "log_group_unencrypted_nag": Mutation(
        PS,
        _edit("AWS::Logs::LogGroup", _drop("KmsKeyId")),
        "cdk-nag",
        "HIPAA.Security-CloudWatchLogGroupEncrypted",
        "164.312(a)(2)(iv)",
    ),
    # Aurora PostgreSQL 16.6 can no longer create clusters: a template asking for it will not deploy.
    "aurora_version_deprecated": Mutation(
        DS, _edit("AWS::RDS::DBCluster", _set("EngineVersion", "16.6")), "cfn-lint", "W3690", None
    ),
}


@dataclass(frozen=True)
class GateRun:
    """The verdict, the logical id each mutation edited, and where the gate wrote its evidence."""

    summary: GateSummary
    edited: dict[str, str]
    out_dir: Path


@pytest.fixture(scope="session")
def gate_run(app_assembly: Path, tmp_path_factory: pytest.TempPathFactory) -> GateRun:
    """ONE gate run over ``baseline/`` (the app as synthesized) and ``mutated/`` (every mutation)."""
    root = tmp_path_factory.mktemp("judged")
    shutil.copytree(app_assembly, root / "baseline", ignore=shutil.ignore_patterns("asset.*"))
    mutated = root / "mutated"
    mutated.mkdir()
    stale_report = app_assembly / "validation-report.json"
    for folder in (root, mutated):
        if stale_report.is_file():
            shutil.copy2(stale_report, folder / stale_report.name)  # written for other templates: ignored
    shutil.copy2(app_assembly / "manifest.json", mutated / "manifest.json")
    templates: dict[str, Template] = {}
    edited: dict[str, str] = {}
    for name, mutation in MUTATIONS.items():
        template = templates.setdefault(
            mutation.stack, json.loads((app_assembly / f"{mutation.stack}.template.json").read_text())
        )
        edited[name] = mutation.mutate(template["Resources"])
    for stack, template in templates.items():
        (mutated / f"{stack}.template.json").write_text(json.dumps(template, indent=1))
        shutil.copy2(app_assembly / f"{stack}.metadata.json", mutated / f"{stack}.metadata.json")
    out_dir = tmp_path_factory.mktemp("gate-out")
    return GateRun(run_gate(GateConfig(out_dir=out_dir, templates_dir=root)), edited, out_dir)


def _failed(summary: GateSummary, mutation: Mutation, logical_id: str, folder: str) -> list[GateFailure]:
    """Failures of one check on one logical id in one folder's template (logical ids repeat across stacks)."""
    return [
        f
        for f in summary.failures
        if f.tool == mutation.tool
        and f.check_id == mutation.check_id
        and f.logical_id == logical_id
        and f.template == f"{folder}/{mutation.stack}.template.json"
    ]


def test_no_two_mutations_aim_at_the_same_check_and_resource(gate_run: GateRun) -> None:
    """Mutations share a template; each must own its (check, resource) so none can mask another."""
    edited = gate_run.edited
    aims = [(m.stack, m.tool, m.check_id, edited[name]) for name, m in MUTATIONS.items()]
    assert len(aims) == len(set(aims))


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_each_mutation_fails_the_gate_naming_resource_template_and_citation(
    name: str, gate_run: GateRun
) -> None:
    summary, edited = gate_run.summary, gate_run.edited
    mutation, logical_id = MUTATIONS[name], edited[name]
    assert _failed(summary, mutation, logical_id, "baseline") == [], "the unmutated template already fails"
    hits = _failed(summary, mutation, logical_id, "mutated")
    assert len(hits) == 1, [(f.tool, f.check_id, f.logical_id, f.template) for f in summary.failures]
    hit = hits[0]
    assert hit.stack == f"Htdr-gatetest-{mutation.stack}"
    if mutation.citation is None:
        assert hit.citations == [] and hit.engineering and hit.citation_source == "engineering"
    else:
        assert mutation.citation in hit.citations
    assert not summary.passed and summary.exit_code != 0


def test_cdk_nag_is_evaluated_on_the_given_templates_not_copied(
    gate_run: GateRun,
) -> None:
    """The planted report (0 violations, other templates) is ignored; the gate wrote its own."""
    summary = gate_run.summary
    nag = next(s for s in summary.tools if s.tool == "cdk-nag")
    assert nag.status == "evaluated" and nag.counts is not None and nag.counts.failed > 0
    assert "cdk-nag/validation-report.json" in summary.outputs


def test_nag_finding_outside_the_catalog_cites_the_rules_own_controls(
    gate_run: GateRun,
) -> None:
    """A created secret trips HIPAA.Security-SecretsManager* rules the catalog does not map: their citations
    come from the rule's own control ids, never "(not in catalog)"."""
    summary = gate_run.summary
    from_rule = [f for f in summary.failures if f.citation_source == "rule metadata"]
    assert from_rule, "expected a HIPAA rule outside the catalog among the mutations' findings"
    assert all(f.check_id.startswith("HIPAA.Security-") and f.citations for f in from_rule)
    assert not [
        f
        for f in summary.failures
        if f.tool == "cdk-nag" and f.check_id.startswith("HIPAA.Security-") and f.citation_source == "none"
    ]


def test_baseline_templates_pass_checkov_and_cdk_nag(gate_run: GateRun) -> None:
    """The unmutated app meets every HIPAA check: nothing under baseline/ failed checkov or cdk-nag."""
    baseline = [
        (f.tool, f.check_id, f.logical_id)
        for f in gate_run.summary.failures
        if (f.template or "").startswith("baseline/") and f.tool in ("checkov", "cdk-nag")
    ]
    assert baseline == []


def test_baseline_templates_pass_every_tool(gate_run: GateRun) -> None:
    """The unmutated app meets every control: nothing under baseline/ failed."""
    summary = gate_run.summary
    baseline = [
        (f.tool, f.check_id, f.logical_id)
        for f in summary.failures
        if (f.template or "").startswith("baseline/")
    ]
    assert baseline == []


def test_cli_failure_table_names_template_and_stack(gate_run: GateRun) -> None:
    console = Console(width=400, record=True)
    console.print(_failure_table(gate_run.summary))
    text = console.export_text()
    assert "template (stack)" in text
    assert "mutated/PrimaryServices.template.json (Htdr-gatetest-PrimaryServices)" in text
    assert "baseline/" not in text


def test_every_sarif_file_validates_against_the_2_1_0_schema(gate_run: GateRun) -> None:
    validator = Draft4Validator(json.loads(SARIF_SCHEMA.read_text()))
    sarif_files = sorted(gate_run.out_dir.rglob("*.sarif"))
    assert [p.name for p in sarif_files] == ["gate.sarif"]
    for path in sarif_files:
        errors = sorted(validator.iter_errors(json.loads(path.read_text())), key=str)
        assert errors == [], f"{path.name}: {errors[0].message if errors else ''}"


def test_sarif_holds_every_tool_with_invocations_and_relative_uris(gate_run: GateRun) -> None:
    sarif = json.loads((gate_run.out_dir / "gate.sarif").read_text())
    runs = {run["tool"]["driver"]["name"]: run for run in sarif["runs"]}
    assert set(runs) == {"checkov", "checkov-dockerfile", "cdk-nag", "cfn-lint", "hadolint"}
    for name in ("checkov", "cdk-nag", "cfn-lint"):
        assert runs[name]["results"], name
        assert runs[name]["invocations"][0]["executionSuccessful"] is True
    dockerfile_evaluated = any(
        s.tool == "hadolint" and s.status == "evaluated" for s in gate_run.summary.tools
    )
    assert runs["hadolint"]["invocations"][0]["executionSuccessful"] is dockerfile_evaluated
    for run in sarif["runs"]:
        bases = run.get("originalUriBaseIds", {})
        for result in run["results"]:
            for location in result.get("locations", []):
                artifact = location["physicalLocation"]["artifactLocation"]
                assert not artifact["uri"].startswith(("/", "file:")), artifact
                assert artifact["uriBaseId"] in bases and bases[artifact["uriBaseId"]]["uri"].startswith(
                    "file:///"
                )
    nag_result = runs["cdk-nag"]["results"][0]
    assert nag_result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].startswith(
        "Htdr-gatetest-"
    )


def test_cli_names_template_and_stack_and_writes_nothing_on_bad_input(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["run", "--templates", str(tmp_path / "missing"), "--out", str(out)]
    result = CliRunner().invoke(gate_app, args)
    assert result.exit_code == 2
    assert "--templates" in result.output and "Traceback" not in result.output
    assert not out.exists()
