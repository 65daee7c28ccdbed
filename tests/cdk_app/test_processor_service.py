"""The processor's task definition and roles, read from the session synthesis: image from the
repository's Dockerfile, configuration by environment, credentials only as ECS secrets, least
privilege, and a desired count inside the stream's per-shard read limits."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from cdk_app.config import load_config
from cdk_app.constructs.processor_service import MIN_READ_INTERVAL_S, STREAM_READ_ACTIONS
from contracts import processor_environment as penv
from contracts import secrets as secret_keys
from drills.pipeline.config import ProcessorConfig
from tests.cdk_app.conftest import CONTEXT, Synthesized

SERVICES = ("PrimaryServices", "DrServices")
#: Kinesis: 5 GetRecords a second a shard, shared by classic consumers
#: (https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html); Firehose polls
#: each shard about once a second.
SHARD_READS_PER_SECOND, FIREHOSE_READS_PER_SECOND = 5, 1
#: Values that must never appear in an environment block: secret material or references to it.
SECRET_LOOKING = re.compile(r"secretsmanager|resolve:|password|token|AKIA[0-9A-Z]{16}", re.IGNORECASE)


def _one(resources: dict[str, Any]) -> dict[str, Any]:
    assert len(resources) == 1, list(resources)
    return next(iter(resources.values()))


def _container(synthesized: Synthesized, stack: str) -> dict[str, Any]:
    task = _one(synthesized.resources("AWS::ECS::TaskDefinition", stack))
    (container,) = task["Properties"]["ContainerDefinitions"]
    return dict(container)


def _statements(synthesized: Synthesized, stack: str, role_fragment: str) -> list[dict[str, Any]]:
    policies = synthesized.resources("AWS::IAM::Policy", stack)
    prefix = f"ProcessorTask{role_fragment}"
    (policy,) = [p for logical_id, p in policies.items() if logical_id.startswith(prefix)]
    return list(policy["Properties"]["PolicyDocument"]["Statement"])


@pytest.mark.parametrize("stack", SERVICES)
def test_image_is_built_from_the_repository_dockerfile(synthesized: Synthesized, stack: str) -> None:
    image = json.dumps(_container(synthesized, stack)["Image"])
    assert "cdk-hnb659fds-container-assets" in image and "python:3.11-slim" not in image
    (source,) = [a["source"] for a in _assets_of(synthesized, stack)["dockerImages"].values()]
    assert source["dockerFile"] == "Dockerfile"


def _assets_of(synthesized: Synthesized, stack: str) -> dict[str, Any]:
    """The stack's asset manifest (named after the stack's artifact id)."""
    manifests = [p for p in synthesized.outdir.glob("*.assets.json") if stack in p.name]
    (manifest,) = manifests
    return dict(json.loads(manifest.read_text()))


def test_the_staged_build_context_holds_the_processor_and_nothing_else(synthesized: Synthesized) -> None:
    assets = _assets_of(synthesized, "PrimaryServices")
    (source,) = [a["source"] for a in assets["dockerImages"].values()]
    context = synthesized.outdir / source["directory"]
    files = {p.relative_to(context).as_posix() for p in context.rglob("*") if p.is_file()}
    assert {"Dockerfile", "drills/__init__.py", "drills/pipeline/processor.py",
            "drills/pipeline/requirements.txt", "contracts/processor_environment.py"} <= files
    assert not [f for f in files if f.split("/")[0] in {".venv", ".tools", "tests", "cdk_app", "compliance",
                                                          "node_modules", "cdk.out", "reports", ".git"}]
    assert not [f for f in files if f.startswith("drills/") and not f.startswith(("drills/pipeline/",
                                                                                    "drills/__init__"))]
    size = sum((context / f).stat().st_size for f in files)
    assert size < 1_000_000, f"image build context is {size} bytes"


@pytest.mark.parametrize("stack", SERVICES)
def test_command_and_environment_are_what_the_processor_reads(synthesized: Synthesized, stack: str) -> None:
    container = _container(synthesized, stack)
    assert container["Command"] == list(penv.COMMAND) and "EntryPoint" not in container
    environment = {e["Name"]: e["Value"] for e in container["Environment"]}
    secrets = {s["Name"]: s["ValueFrom"] for s in container["Secrets"]}
    # every variable the processor requires is set, by the environment or by a secret (from_environ
    # names a missing one); tokens stand in as placeholders, literal values are used as they are
    placeholders = {name: "1" if name.endswith("_PORT") else "x" for name in {*environment, *secrets}}
    literals = {name: value for name, value in environment.items() if isinstance(value, str)}
    ProcessorConfig.from_environ(placeholders | literals)
    assert environment[penv.CACHE_TLS] == "true" and environment[penv.DB_SSLMODE] != "disable"
    assert float(environment[penv.MIN_READ_INTERVAL_S]) == MIN_READ_INTERVAL_S
    assert container["ReadonlyRootFilesystem"] is True


@pytest.mark.parametrize("stack", SERVICES)
def test_credentials_are_ecs_secrets_by_json_key_never_environment(
    synthesized: Synthesized, stack: str
) -> None:
    container = _container(synthesized, stack)
    environment = {e["Name"]: e["Value"] for e in container["Environment"]}
    secrets = {s["Name"]: json.dumps(s["ValueFrom"]) for s in container["Secrets"]}
    assert set(secrets) == set(penv.SECRET_SOURCES) and not set(environment) & set(penv.SECRET_SOURCES)
    for name, (secret, key) in penv.SECRET_SOURCES.items():
        secret_name = CONTEXT["dbSecret"] if secret == penv.DB_SECRET else CONTEXT["cacheSecret"]
        assert f"{secret_name}:{key}::" in secrets[name]  # valueFrom <secret-arn>:<json-key>::
    assert f":{secret_keys.CACHE_AUTH_TOKEN}::" in secrets[penv.CACHE_AUTH_TOKEN]  # not auth_token
    for name, value in environment.items():
        assert not SECRET_LOOKING.search(json.dumps(value)), f"{name} looks like a secret"


@pytest.mark.parametrize("stack", SERVICES)
def test_task_role_is_least_privilege(synthesized: Synthesized, stack: str) -> None:
    statements = _statements(synthesized, stack, "TaskRole")
    by_action = {action: s for s in statements
                 for action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert set(by_action) == {*STREAM_READ_ACTIONS, "cloudwatch:PutMetricData", "kms:Decrypt",
                              "elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"}
    assert json.dumps(by_action["kinesis:GetRecords"]["Resource"]) == json.dumps(
        {"Fn::GetAtt": [_stream_id(synthesized, stack), "Arn"]})
    metrics = by_action["cloudwatch:PutMetricData"]
    namespace = {e["Name"]: e["Value"] for e in _container(synthesized, stack)["Environment"]}[
        penv.METRICS_NAMESPACE]
    assert metrics["Condition"] == {"StringEquals": {"cloudwatch:namespace": namespace}}
    assert all("*" not in a for a in by_action)


def _stream_id(synthesized: Synthesized, stack: str) -> str:
    (logical_id,) = synthesized.resources("AWS::Kinesis::Stream", stack)
    return logical_id


@pytest.mark.parametrize("stack", SERVICES)
def test_execution_role_reads_only_the_two_secrets(synthesized: Synthesized, stack: str) -> None:
    statements = _statements(synthesized, stack, "ExecutionRole")
    reads = [s for s in statements if "secretsmanager:GetSecretValue" in s["Action"]]
    resources = sorted(json.dumps(s["Resource"]) for s in reads)
    assert len(resources) == 2
    assert CONTEXT["cacheSecret"] in resources[1] and CONTEXT["dbSecret"] in resources[0]
    (decrypt,) = [s for s in statements if s["Action"] == "kms:Decrypt"]
    assert list(decrypt["Condition"]["StringEquals"]) == ["kms:ViaService"]
    assert "secretsmanager." in json.dumps(decrypt["Condition"])


def test_tasks_and_poll_interval_stay_inside_the_per_shard_read_limits(synthesized: Synthesized) -> None:
    for stack in SERVICES:
        shards = _one(synthesized.resources("AWS::Kinesis::Stream", stack))["Properties"]["ShardCount"]
        tasks = _one(synthesized.resources("AWS::ECS::Service", stack))["Properties"]["DesiredCount"]
        assert 1 <= tasks <= shards  # with leases, a task beyond the shard count would only idle
        # one lease holder per shard (processor) + Firehose, never above the shard's call limit
        assert 1 / MIN_READ_INTERVAL_S + FIREHOSE_READS_PER_SECOND <= SHARD_READS_PER_SECOND
    primary = _one(synthesized.resources("AWS::ECS::Service", "PrimaryServices"))["Properties"]
    assert primary["DesiredCount"] >= 2  # a killed task's shards have a survivor to go to


def test_processor_image_override_is_explicit_only() -> None:
    assert load_config(CONTEXT).processor_image is None
    uri = "123456789012.dkr.ecr.ca-central-1.amazonaws.com/htdr-processor:1"
    assert load_config({**CONTEXT, "processorImage": uri}).processor_image == uri


def test_dockerfile_path_is_the_repository_root() -> None:
    assert (Path(__file__).resolve().parents[2] / "Dockerfile").is_file()
