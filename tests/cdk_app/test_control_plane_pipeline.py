"""The pipeline's drill stage and source, from the synthesized template, and its commands RUN.

The drill project's buildspec is read from the template CloudFormation would receive. Its
``post_build`` commands (signed report, signature check, upload) are executed verbatim in a scratch
checkout against a moto server over HTTP (KMS signing key as the sandbox creates it, the evidence
bucket with Object Lock), with the aws CLI the project installs (.tools/bin/aws, beside checkov);
its drill command runs in dry-run mode against a fixture outputs file when the ``--target aws`` CLI
is present.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_cdk.assertions import Match, Template

from cdk_app.app import new_app
from cdk_app.config import ConfigError, load_config
from cdk_app.constructs.dagster_service import PROJECT_ROOT
from cdk_app.constructs.dr_drill_pipeline import drill_command
from cdk_app.naming import Naming
from cdk_app.stacks.foundation_stack import FoundationStack
from cdk_app.stacks.pipeline_stack import PipelineStack
from contracts.outputs import OutputKey, Side
from drills.targets.local.aws_seed import create_signing_key
from htdr.control_plane_drill import OUTPUTS_FILE as RUN_OUTPUTS
from htdr.control_plane_drill import REPORTS_DIR as RUN_REPORTS
from htdr.control_plane_drill import DrillRequest
from htdr.control_plane_drill import drill_command as run_command
from htdr.evidence_upload import upload
from tests.cdk_app.conftest import CONTEXT, Synthesized
from tests.compliance.report.conftest import make_journal, write_gate_outputs
from tests.moto_server import moto_server

ACCOUNT = "123456789012"  # moto's default account: what <AWS::AccountId> resolves to there
DR = "ca-west-1"
EVIDENCE = f"htdr-evidence-test-{ACCOUNT}-{DR}"
CONNECTION = (
    "arn:aws:codeconnections:ca-central-1:123456789012:connection/0f0e0d0c-0b0a-4909-8807-060504030201"
)


def _drill_spec(synthesized: Synthesized) -> dict[str, Any]:
    (project,) = [
        r["Properties"]
        for r in synthesized.resources("AWS::CodeBuild::Project", "DrDrillPipeline").values()
        if r["Properties"]["Name"] == "htdr-dr-drill-test"
    ]
    spec = project["Source"]["BuildSpec"]
    if isinstance(spec, dict):  # Fn::Join of literals and the account id
        spec = "".join(part if isinstance(part, str) else ACCOUNT for part in spec["Fn::Join"][1])
    return json.loads(spec)


def test_drill_stage_runs_the_drill_on_the_control_plane_then_signs_verifies_and_uploads(
    synthesized: Synthesized,
) -> None:
    spec = _drill_spec(synthesized)
    assert list(spec["phases"]) == ["install", "pre_build", "build", "post_build"]
    assert spec["phases"]["pre_build"]["commands"][0].startswith(".venv/bin/python -m cdk_app.flat_outputs")
    (drill,) = spec["phases"]["build"]["commands"]
    assert drill == (
        ".venv/bin/python -m htdr.control_plane_drill --suffix test --dr-region ca-west-1 "
        "--scenario planned_switchover --evidence-prefix pipeline/$CODEBUILD_BUILD_NUMBER"
    )
    download, report, verify, upload = spec["phases"]["post_build"]["commands"]
    assert download.startswith(
        f"aws s3 cp --recursive s3://{EVIDENCE}/pipeline/$CODEBUILD_BUILD_NUMBER/ reports/"
    )
    assert report.startswith("./dev htdr report build --reports-dir reports --out reports/report-")
    assert verify.startswith("./dev htdr report verify --signature reports/report-")
    assert f"s3://{EVIDENCE}/pipeline/" in upload and f"--region {DR}" in upload
    project = next(
        r["Properties"]
        for r in synthesized.resources("AWS::CodeBuild::Project", "DrDrillPipeline").values()
        if r["Properties"]["Name"] == "htdr-dr-drill-test"
    )
    assert "VpcConfig" not in project  # it calls AWS APIs only; the drill itself runs in the DR VPC
    statements = [
        s
        for k, p in synthesized.resources("AWS::IAM::Policy", "DrDrillPipeline").items()
        if k.startswith("DrDrillRole")
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    actions = {
        a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert not actions & {"rds:FailoverGlobalCluster", "rds:SwitchoverGlobalCluster", "ecs:UpdateService"}
    run = next(s for s in statements if s["Action"] == "ecs:RunTask")
    assert "task-definition/htdr-drill-run-test:*" in json.dumps(run["Resource"])
    assert "cluster/htdr-drill-control-test" in json.dumps(run["Condition"])
    passes = next(s for s in statements if s["Action"] == "iam:PassRole")
    assert sorted(r["Fn::Join"][1][-1] for r in passes["Resource"]) == [
        ":role/htdr-drill-run-execution-test", ":role/htdr-drill-run-task-test"]  # fmt: skip
    control_roles = synthesized.resources("AWS::IAM::Role", "DrillControlPlane").values()
    roles = {r["Properties"].get("RoleName") for r in control_roles}
    assert {"htdr-drill-run-task-test", "htdr-drill-run-execution-test"} <= roles  # what it passes exists
    sign = next(s for s in statements if "kms:Sign" in s["Action"])
    assert sign["Condition"] == {
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/htdr-report-signing-test"}
    }
    get_put = next(s for s in statements if s["Action"] == ["s3:GetObject", "s3:PutObject"])
    assert "/pipeline/*" in json.dumps(get_put["Resource"]) and DR in json.dumps(get_put["Resource"])


def test_drill_command_starts_the_control_plane_run() -> None:
    assert drill_command("dev1", DR, dry_run=True).split()[1:] == [
        "-m", "htdr.control_plane_drill", "--suffix", "dev1", "--dr-region", DR,
        "--scenario", "planned_switchover", "--evidence-prefix", "pipeline/$CODEBUILD_BUILD_NUMBER",
        "--dry-run",
    ]  # fmt: skip
    assert not drill_command("dev1", DR, dry_run=False).endswith("--dry-run")


def _pipeline_template(extra: dict[str, str]) -> Template:
    app, config = new_app({**CONTEXT, **extra})  # the app's feature flags, without the other stacks
    naming = Naming(config.environment_suffix)
    foundation = FoundationStack(app, "PrimaryFoundation", config=config, naming=naming, side=Side.PRIMARY)
    return Template.from_stack(
        PipelineStack(app, "DrDrillPipeline", config=config, naming=naming, foundation=foundation)
    )


def test_pipeline_source_default_is_the_s3_bundle_and_codestar_when_given() -> None:
    s3_source = _pipeline_template({})
    s3_source.has_resource_properties(
        "AWS::CodePipeline::Pipeline",
        {"Stages": Match.array_with([Match.object_like({"Name": "Source", "Actions": [Match.object_like(
            {"ActionTypeId": Match.object_like({"Provider": "S3"}),
             "Configuration": Match.object_like({"S3ObjectKey": "source/htdr.zip"})})]})])},
    )  # fmt: skip
    codestar = _pipeline_template(
        {"sourceConnectionArn": CONNECTION, "sourceRepository": "healthtech/htdr", "sourceBranch": "release"}
    )
    codestar.has_resource_properties(
        "AWS::CodePipeline::Pipeline",
        {"Stages": Match.array_with([Match.object_like({"Name": "Source", "Actions": [Match.object_like(
            {"ActionTypeId": Match.object_like({"Provider": "CodeStarSourceConnection"}),
             "Configuration": Match.object_like({"ConnectionArn": CONNECTION,
                                                 "FullRepositoryId": "healthtech/htdr",
                                                 "BranchName": "release"})})]})])},
    )  # fmt: skip
    assert OutputKey.EVIDENCE_BUCKET_NAME.value not in codestar.to_json().get("Outputs", {})


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"sourceConnectionArn": "arn:aws:s3:::nope", "sourceRepository": "a/b"}, "sourceConnectionArn"),
        ({"sourceConnectionArn": CONNECTION}, "sourceRepository"),
        ({"sourceRepository": "a/b"}, "sourceConnectionArn"),
        ({"dagsterDbSecret": "arn:aws:nope"}, "dagsterDbSecret"),
    ],
)
def test_bad_pipeline_or_control_plane_context_is_one_line(extra: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_config({**CONTEXT, **extra})
    assert str(error.value).startswith(named) and "\n" not in str(error.value)


# --- the commands, executed ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def moto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with moto_server(tmp_path_factory.mktemp("moto"), sandbox=True) as url:
        yield url


def _checkout(root: Path, moto_url: str) -> dict[str, str]:
    """A scratch working directory shaped like the build's: evidence, outputs file, ``./dev``."""
    reports = root / "reports"
    make_journal(1).write(reports / "drills")
    write_gate_outputs(reports)
    key_arn = create_signing_key(DR, moto_url, "test")
    (root / "cfn-outputs").mkdir()
    (root / "cfn-outputs/flat-outputs.json").write_text(
        json.dumps({"ReportSigningKeyArn": key_arn, "PrimaryRegion": "ca-central-1", "DrRegion": DR,
                    "DrAwsEndpointUrl": moto_url, "EnvironmentSuffix": "test"})
    )  # fmt: skip
    dev = root / "dev"
    dev.write_text('#!/bin/sh\nexec "$@"\n')  # the repository's ./dev, minus its bootstrap
    dev.chmod(0o755)
    return {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "CODEBUILD_BUILD_NUMBER": "7",
        "AWS_ACCESS_KEY_ID": "sandbox",
        "AWS_SECRET_ACCESS_KEY": "sandbox",
        "AWS_ENDPOINT_URL_S3": moto_url,
        "PYTHONPATH": str(PROJECT_ROOT),
    }


def _run(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


@pytest.mark.sandbox
def test_post_build_commands_sign_verify_and_upload_under_object_lock(
    synthesized: Synthesized, moto_url: str, tmp_path: Path
) -> None:
    s3 = boto3.client(
        "s3", region_name=DR, endpoint_url=moto_url, aws_access_key_id="s", aws_secret_access_key="s"
    )
    s3.create_bucket(
        Bucket=EVIDENCE, CreateBucketConfiguration={"LocationConstraint": DR}, ObjectLockEnabledForBucket=True
    )
    s3.put_object_lock_configuration(
        Bucket=EVIDENCE,
        ObjectLockConfiguration={"ObjectLockEnabled": "Enabled",
                                 "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 6}}},
    )  # fmt: skip
    env = _checkout(tmp_path, moto_url)
    # what the control plane's run task uploads (its entrypoint runs this module), then a clean checkout
    run_outputs = tmp_path / "run-outputs.json"
    run_outputs.write_text(json.dumps({"EvidenceBucketName": EVIDENCE, "DrRegion": DR}))
    uploaded = upload(tmp_path / "reports", run_outputs, "pipeline/7", client=s3)
    assert uploaded and all(k.startswith("pipeline/7/") for k in uploaded)
    shutil.rmtree(tmp_path / "reports")
    for command in _drill_spec(synthesized)["phases"]["post_build"]["commands"]:
        if command.startswith("aws "):
            assert _has_aws_cli(), "no aws CLI on PATH: ./dev setup installs it in .tools/bin"
        result = _run(command, tmp_path, env)
        assert result.returncode == 0, (command, result.stdout, result.stderr)
    assert (tmp_path / "reports/report-7/manifest.sig.json").is_file()
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=EVIDENCE, Prefix="pipeline/7/")["Contents"]]
    assert "pipeline/7/report-7/manifest.sig.json" in keys
    assert any(k.startswith("pipeline/7/drills/") for k in keys)
    report_evidence = (tmp_path / "reports/report-7/evidence").rglob("*.json")
    assert any(p.parent.name == "drills" for p in report_evidence)  # the report was built from the run's
    head = s3.head_object(Bucket=EVIDENCE, Key="pipeline/7/report-7/manifest.json")
    assert head["ObjectLockMode"] == "COMPLIANCE"


def _has_aws_cli() -> bool:
    return subprocess.run(["bash", "-c", "command -v aws"], capture_output=True, check=False).returncode == 0


def _has_aws_target() -> bool:
    helptext = subprocess.run(
        [str(Path(sys.executable).with_name("htdr")), "drill", "run", "--help"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return "--target" in helptext and "--dry-run" in helptext


@pytest.mark.sandbox
def test_run_task_command_dry_run_against_a_fixture_outputs_file(tmp_path: Path) -> None:
    """The command the drill stage gives the run container, in dry-run mode, executed here with the
    container's paths pointed at the fixture outputs file of a deployed 'drill1' environment."""
    assert _has_aws_target(), "htdr drill run lacks --target aws / --dry-run"
    request = DrillRequest("drill1", DR, "planned_switchover", "pipeline/7", dry_run=True)
    outputs = PROJECT_ROOT / "tests/fixtures/aws/flat-outputs.json"  # the aws target's deployed 'drill1'
    command = [
        str(outputs) if arg == RUN_OUTPUTS else str(tmp_path / "reports") if arg == RUN_REPORTS else arg
        for arg in run_command(request)
    ]
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "switchover_global_cluster" in result.stdout.lower().replace("-", "_")
