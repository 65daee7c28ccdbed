"""The drill control plane stack and the pipeline's drill stage, on the session synthesis.

Every new resource is asserted from the template (what CloudFormation would receive), and the stack
is run through cfn-lint and its Dockerfile through hadolint. checkov's gate checks run on every stack,
this one included, in the gate's baseline test (tests/compliance/gate/test_gate_mutations.py).
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import yaml
from aws_cdk.assertions import Match

from cdk_app.constructs.dagster_service import DOCKERFILE, PROJECT_ROOT, RUN_CONTAINER
from tests.cdk_app.conftest import Synthesized

STACK = "DrillControlPlane"
TOOLS = PROJECT_ROOT / ".tools/bin"
INSTANCE_YAML = PROJECT_ROOT / "dagster_home/dagster.aws.yaml"


def _one(resources: dict[str, dict[str, Any]]) -> dict[str, Any]:
    assert len(resources) == 1, list(resources)
    return next(iter(resources.values()))["Properties"]


def _task_definitions(s: Synthesized) -> dict[str, dict[str, Any]]:
    """Task definitions of the control plane by family."""
    return {
        r["Properties"]["Family"]: r["Properties"]
        for r in s.resources("AWS::ECS::TaskDefinition", STACK).values()
    }


def _statements(s: Synthesized, stack: str, role_prefix: str) -> list[dict[str, Any]]:
    return [
        statement
        for logical_id, policy in s.resources("AWS::IAM::Policy", stack).items()
        if logical_id.startswith(role_prefix)
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else action


def test_control_plane_lives_in_the_dr_region(synthesized: Synthesized) -> None:
    manifest = json.loads((synthesized.outdir / "manifest.json").read_text())
    env = manifest["artifacts"][STACK]["environment"]
    assert env.endswith(f"/{synthesized.config.dr_region}")
    assert synthesized.config.dr_region != synthesized.config.primary_region


def test_dagster_runs_as_webserver_daemon_and_per_run_tasks(synthesized: Synthesized) -> None:
    services = {
        r["Properties"]["ServiceName"]: r["Properties"]
        for r in synthesized.resources("AWS::ECS::Service", STACK).values()
    }
    assert set(services) == {"htdr-dagster-webserver-test", "htdr-dagster-daemon-test"}
    for name, service in services.items():
        assert service["LaunchType"] == "FARGATE" and service["DesiredCount"] == 1
        network = service["NetworkConfiguration"]["AwsvpcConfiguration"]
        assert network["AssignPublicIp"] == "DISABLED"
        assert "LoadBalancers" not in service, name
    assert services["htdr-dagster-webserver-test"]["EnableExecuteCommand"] is True  # SSM port forwarding
    assert services["htdr-dagster-daemon-test"].get("EnableExecuteCommand") in (None, False)
    tasks = _task_definitions(synthesized)
    assert set(tasks) == {"htdr-dagster-webserver-test", "htdr-dagster-daemon-test", "htdr-drill-run-test"}
    web = tasks["htdr-dagster-webserver-test"]["ContainerDefinitions"][0]
    assert web["Command"][:5] == ["dagster-webserver", "--host", "127.0.0.1", "--port", "3000"]
    assert "PortMappings" not in web
    daemon = tasks["htdr-dagster-daemon-test"]["ContainerDefinitions"][0]
    assert daemon["Command"][:2] == ["dagster-daemon", "run"]
    run = tasks["htdr-drill-run-test"]["ContainerDefinitions"]
    assert [c["Name"] for c in run] == [RUN_CONTAINER]
    assert "Command" not in run[0]  # EcsRunLauncher sets it per run


def test_every_container_runs_the_repository_image_read_only_with_imported_db_secrets(
    synthesized: Synthesized,
) -> None:
    for family, task in _task_definitions(synthesized).items():
        (container,) = task["ContainerDefinitions"]
        assert "container-assets" in json.dumps(container["Image"]), family  # DockerImageAsset
        assert container["ReadonlyRootFilesystem"] is True
        env = {e["Name"]: e["Value"] for e in container["Environment"]}
        assert env["DAGSTER_RUN_TASK_DEFINITION"] == "htdr-drill-run-test"
        assert env["HTDR_DRILL_TARGET"] == "aws" and env["HTDR_ENVIRONMENT_SUFFIX"] == "test"
        assert env["HTDR_DRILL_ALLOWLIST"] == "test"  # never empty outside production
        secrets = {s["Name"]: json.dumps(s["ValueFrom"]) for s in container["Secrets"]}
        assert set(secrets) == {"DAGSTER_PG_USERNAME", "DAGSTER_PG_PASSWORD"}
        assert all("secret:htdr/test/dagster-db" in v for v in secrets.values())
        assert not any("PASSWORD" in name or "TOKEN" in name for name in env)


def test_the_instance_yaml_matches_the_task_definitions(synthesized: Synthesized) -> None:
    """Every env var the committed instance yaml reads is provided to every Dagster container, and
    the run launcher's container name is the run task definition's container."""
    instance = yaml.safe_load(INSTANCE_YAML.read_text())
    referenced = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if set(node) == {"env"}:
                referenced.add(node["env"])
            for value in node.values():
                walk(value)

    walk(instance)
    assert referenced >= {"DAGSTER_PG_HOST", "DAGSTER_PG_PASSWORD", "DAGSTER_RUN_TASK_DEFINITION"}
    for family, task in _task_definitions(synthesized).items():
        (container,) = task["ContainerDefinitions"]
        provided = {e["Name"] for e in container["Environment"]} | {s["Name"] for s in container["Secrets"]}
        assert referenced <= provided, (family, referenced - provided)
    assert instance["run_launcher"]["config"]["container_name"] == RUN_CONTAINER


def test_ui_is_reachable_only_through_authenticated_port_forwarding(synthesized: Synthesized) -> None:
    template = synthesized.templates[STACK]
    types = {r["Type"] for r in template["Resources"].values()}
    assert not any(t.startswith("AWS::ElasticLoadBalancing") for t in types)
    assert "AWS::ApiGateway::RestApi" not in types and "AWS::CloudFront::Distribution" not in types
    group = _one(
        {
            k: v
            for k, v in synthesized.resources("AWS::EC2::SecurityGroup", STACK).items()
            if v["Properties"]["GroupName"] == "htdr-drill-control-test"
        }
    )
    assert "SecurityGroupIngress" not in group
    sg_id = next(
        k
        for k, v in synthesized.resources("AWS::EC2::SecurityGroup", STACK).items()
        if v["Properties"]["GroupName"] == "htdr-drill-control-test"
    )
    for rule in synthesized.resources("AWS::EC2::SecurityGroupIngress", STACK).values():
        assert rule["Properties"]["GroupId"] != {"Fn::GetAtt": [sg_id, "GroupId"]}  # nothing reaches in
    cluster = _one(synthesized.resources("AWS::ECS::Cluster", STACK))
    exec_config = cluster["Configuration"]["ExecuteCommandConfiguration"]
    assert exec_config["Logging"] == "OVERRIDE" and "KmsKeyId" in exec_config
    assert exec_config["LogConfiguration"]["CloudWatchEncryptionEnabled"] is True


def test_daemon_launches_only_the_run_task_and_passes_only_its_roles(synthesized: Synthesized) -> None:
    statements = _statements(synthesized, STACK, "DagsterDaemonTaskRole")
    run_task = next(s for s in statements if _actions(s) == ["ecs:RunTask"])
    assert "task-definition/htdr-drill-run-test:*" in json.dumps(run_task["Resource"])
    assert "ArnEquals" in run_task["Condition"]
    pass_role = next(s for s in statements if _actions(s) == ["iam:PassRole"])
    assert len(pass_role["Resource"]) == 2
    assert "DagsterRun" in json.dumps(pass_role["Resource"])
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}


def test_run_tasks_hold_the_drill_permissions_evidence_upload_and_signing(synthesized: Synthesized) -> None:
    statements = _statements(synthesized, STACK, "DagsterRunTaskRole")
    actions = {a for s in statements for a in _actions(s)}
    assert {"rds:SwitchoverGlobalCluster", "rds:FailoverGlobalCluster", "ecs:UpdateService"} <= actions
    assert {"s3:PutObject", "kms:Sign", "kms:GetPublicKey"} <= actions
    # what the aws target calls besides (drills/targets/aws): FIS faults, cache test failover,
    # ingest throttling, each secret in both regions
    assert {"fis:StartExperiment", "fis:GetExperiment", "fis:StopExperiment", "fis:ListExperiments",
            "elasticache:TestFailover",
            "apigateway:PATCH", "secretsmanager:GetSecretValue"} <= actions  # fmt: skip
    start = next(s for s in statements if _actions(s) == ["fis:StartExperiment"])
    assert start["Condition"] == {"StringEquals": {"aws:ResourceTag/Environment": "test"}}
    secrets = json.dumps(next(s for s in statements if _actions(s) == ["secretsmanager:GetSecretValue"]))
    assert ":secretsmanager:ca-central-1:" in secrets and "htdr/test/aurora-master" in secrets
    assert not any(a.startswith("s3:Delete") or a == "s3:PutObjectRetention" for a in actions)
    # the load and the consumer-lag probe: every client's IAM-authorised route, and the stream reads
    invoke = json.dumps(next(s for s in statements if _actions(s) == ["execute-api:Invoke"])["Resource"])
    assert invoke.count(":execute-api:") == 2 and invoke.count(":*/*/POST/events") == 2
    assert {"kinesis:GetShardIterator", "kinesis:GetRecords", "kinesis:ListShards"} <= actions
    assert "kinesis:PutRecords" not in actions  # the drill's load goes through the APIs, never around
    rules = synthesized.resources("AWS::EC2::SecurityGroupIngress", STACK)
    ports = sorted(r["Properties"]["FromPort"] for k, r in rules.items() if k.startswith("RunsTo"))
    assert ports == [5432, 6379]  # the DR Aurora cluster and the DR cache


def test_dagster_storage_is_aurora_serverless_v2_with_a_customer_key_and_imported_secret(
    synthesized: Synthesized,
) -> None:
    cluster = _one(synthesized.resources("AWS::RDS::DBCluster", STACK))
    assert cluster["Engine"] == "aurora-postgresql"
    assert cluster["ServerlessV2ScalingConfiguration"]["MinCapacity"] == 0.5
    assert cluster["StorageEncrypted"] is True and "Fn::GetAtt" in cluster["KmsKeyId"]
    assert cluster["EnableIAMDatabaseAuthentication"] is True
    assert (
        cluster["MasterUserPassword"]
        == "{{resolve:secretsmanager:htdr/test/dagster-db:SecretString:password}}"
    )
    assert "ManageMasterUserPassword" not in cluster
    instances = synthesized.resources("AWS::RDS::DBInstance", STACK).values()
    assert sorted(i["Properties"]["DBInstanceClass"] for i in instances) == ["db.serverless"] * 2
    assert all(i["Properties"]["PubliclyAccessible"] is False for i in instances)
    params = _one(synthesized.resources("AWS::RDS::DBClusterParameterGroup", STACK))
    assert params["Parameters"]["rds.force_ssl"] == "1"
    keys = synthesized.resources("AWS::KMS::Key", STACK)
    storage_key = keys[cluster["KmsKeyId"]["Fn::GetAtt"][0]]["Properties"]
    assert storage_key["EnableKeyRotation"] is True
    assert synthesized.resources("AWS::SecretsManager::Secret", STACK) == {}


def test_evidence_bucket_is_locked_six_years_encrypted_and_replicated(synthesized: Synthesized) -> None:
    source = synthesized.resources("AWS::S3::Bucket", STACK)["EvidenceBucketC67FF768"]
    replica = synthesized.resources("AWS::S3::Bucket", "DrDrillPipeline")["DrDrillEvidenceBucket00EA92B2"]
    for bucket in (source, replica):
        props = bucket["Properties"]
        assert props["ObjectLockEnabled"] is True
        assert props["ObjectLockConfiguration"] == {
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 6}},
        }
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
        sse = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
        assert "KMSMasterKeyID" in sse["ServerSideEncryptionByDefault"]
        assert bucket["DeletionPolicy"] == "Retain"
        assert bucket["Metadata"]["checkov"]["skip"][0]["id"] == "CKV_HT_11"
    rule = source["Properties"]["ReplicationConfiguration"]["Rules"][0]
    assert rule["Status"] == "Enabled" and rule["DeleteMarkerReplication"] == {"Status": "Disabled"}
    destination = json.dumps(rule["Destination"])
    assert "htdr-evidence-test-" in destination and "ca-central-1" in destination
    assert ":alias/htdr-logs-test" in destination  # ReplicaKmsKeyID by alias ARN
    assert "ReplicationConfiguration" not in replica["Properties"]


def test_report_signing_key_is_asymmetric_and_published(synthesized: Synthesized) -> None:
    key = next(
        r["Properties"]
        for r in synthesized.resources("AWS::KMS::Key", STACK).values()
        if r["Properties"].get("KeyUsage") == "SIGN_VERIFY"
    )
    assert key["KeySpec"] == "ECC_NIST_P256"
    aliases = {r["Properties"]["AliasName"] for r in synthesized.resources("AWS::KMS::Alias", STACK).values()}
    assert "alias/htdr-report-signing-test" in aliases
    outputs = synthesized.templates[STACK]["Outputs"]
    assert {"EvidenceBucketName", "ReportSigningKeyArn"} <= set(outputs)
    synthesized.template(STACK).has_output(
        "ReportSigningKeyArn", {"Value": {"Fn::GetAtt": [Match.any_value(), "Arn"]}}
    )


def test_image_context_holds_only_the_project_packages(synthesized: Synthesized) -> None:
    assets = json.loads((synthesized.outdir / f"{STACK}.assets.json").read_text())["dockerImages"]
    (image,) = assets.values()
    assert image["source"]["dockerFile"] == DOCKERFILE
    context = synthesized.outdir / image["source"]["directory"]
    names = {p.name for p in context.iterdir()}
    assert {"pyproject.toml", "uv.lock", "drills", "compliance", "contracts", "cdk_app", "docker"} <= names
    assert not names & {".venv", ".tools", ".git", "tests", "reports", ".sandbox", "cfn-outputs"}
    assert not (context / "cdk_app" / "cli").exists()
    # docker build reads <Dockerfile>.dockerignore before the root one (the processor image's): it
    # must let in every source this Dockerfile copies
    ignore = (context / f"{DOCKERFILE}.dockerignore").read_text().splitlines()
    assert ignore[ignore.index("*") :][0] == "*"
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    copies = [
        line.split()[1:-1]
        for line in (PROJECT_ROOT / DOCKERFILE).read_text().splitlines()
        if line.startswith("COPY ") and "--from=" not in line
    ]
    sources = {source.rstrip("/") for sources_ in copies for source in sources_}
    assert sources and sources <= allowed, sources - allowed
    for source in sources:
        assert (context / source).exists(), source


def test_control_plane_dockerfile_is_hadolint_clean() -> None:
    result = subprocess.run(
        [str(TOOLS / "hadolint"), str(PROJECT_ROOT / DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_control_plane_and_pipeline_templates_pass_cfn_lint(synthesized: Synthesized) -> None:
    templates = [synthesized.outdir / f"{name}.template.json" for name in (STACK, "DrDrillPipeline")]
    result = subprocess.run(
        [str(TOOLS / "cfn-lint"), "--format", "parseable", *map(str, templates)],
        capture_output=True,
        text=True,
        check=False,
    )
    rules = [line.split(":")[5] for line in result.stdout.splitlines() if line.count(":") >= 6]
    assert not [r for r in rules if r.startswith("E")], result.stdout
    # W3005 (a DependsOn that CDK repeats) is harmless; nothing else, deploy-breaking W3690 included
    assert set(rules) <= {"W3005"}, result.stdout
