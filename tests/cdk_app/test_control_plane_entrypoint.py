"""The control-plane image's entrypoint, run as a drill-run task runs it, against moto over HTTP.

The script is executed verbatim with the run container's environment from the synthesized task
definition (paths redirected to a scratch directory): it must write the outputs file from the
stacks (CloudFormation on moto), run the command, upload the evidence the command wrote to the
evidence bucket (Object Lock, on moto) even when the command failed, and exit with the command's
status.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from cdk_app.constructs.dagster_service import PROJECT_ROOT
from cdk_app.flat_outputs import FlatOutputsRequest, stack_locations
from contracts.outputs import all_keys
from tests.cdk_app.conftest import Synthesized
from tests.moto_server import moto_server

pytestmark = pytest.mark.sandbox
ENTRYPOINT = PROJECT_ROOT / "docker/control-plane-entrypoint.sh"
SUFFIX, DR = "test", "ca-west-1"
BUCKET = "htdr-evidence-test-123456789012-ca-west-1"
CREDENTIALS = {"aws_access_key_id": "t", "aws_secret_access_key": "t"}


@pytest.fixture(scope="module")
def moto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with moto_server(tmp_path_factory.mktemp("moto"), sandbox=False) as url:
        _deploy_stacks(url)
        yield url


def _deploy_stacks(url: str) -> None:
    """Every stack of the deployment with the contract's outputs (the evidence bucket's real name)."""
    keys = sorted(all_keys())
    locations = stack_locations(FlatOutputsRequest(suffix=SUFFIX))
    for index, (stack_name, region) in enumerate(locations):
        mine = keys[index :: len(locations)]
        values = {
            k: BUCKET if k == "EvidenceBucketName" else (DR if k == "DrRegion" else k.lower()) for k in mine
        }
        template = {
            "Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
            "Outputs": {k: {"Value": v} for k, v in values.items()},
        }
        boto3.client("cloudformation", region_name=region, endpoint_url=url, **CREDENTIALS).create_stack(
            StackName=stack_name, TemplateBody=json.dumps(template)
        )
    s3 = boto3.client("s3", region_name=DR, endpoint_url=url, **CREDENTIALS)
    s3.create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": DR}, ObjectLockEnabledForBucket=True
    )
    s3.put_object_lock_configuration(
        Bucket=BUCKET,
        ObjectLockConfiguration={"ObjectLockEnabled": "Enabled",
                                 "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 6}}},
    )  # fmt: skip


def _run_environment(synthesized: Synthesized, scratch: Path, url: str) -> dict[str, str]:
    (task,) = [
        r["Properties"]
        for r in synthesized.resources("AWS::ECS::TaskDefinition", "DrillControlPlane").values()
        if r["Properties"]["Family"] == "htdr-drill-run-test"
    ]
    (container,) = task["ContainerDefinitions"]
    env = {e["Name"]: e["Value"] for e in container["Environment"] if isinstance(e["Value"], str)}
    assert env["HTDR_WRITE_OUTPUTS"] == "1"
    for name in ("DAGSTER_HOME", "HTDR_OUTPUTS_FILE", "HTDR_REPORTS_DIR"):  # /tmp/... → the scratch dir
        env[name] = str(scratch / env[name].removeprefix("/tmp/"))
    return {
        **os.environ,
        **env,
        "DAGSTER_INSTANCE_YAML": str(PROJECT_ROOT / "dagster_home/dagster.aws.yaml"),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "PYTHONPATH": str(PROJECT_ROOT),
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
    }


WRITE_JOURNAL_AND_FAIL = (
    "import os, pathlib, sys; d = pathlib.Path(os.environ['HTDR_REPORTS_DIR'], 'drills'); "
    "d.mkdir(parents=True); (d / 'drill-region_outage-r1.json').write_text('{}'); sys.exit(3)"
)


def test_run_task_writes_outputs_runs_and_uploads_evidence_even_on_failure(
    synthesized: Synthesized, moto_url: str, tmp_path: Path
) -> None:
    env = _run_environment(synthesized, tmp_path, moto_url)
    result = subprocess.run(
        ["sh", str(ENTRYPOINT), sys.executable, "-c", WRITE_JOURNAL_AND_FAIL],
        env=env, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert result.returncode == 3, result.stdout + result.stderr  # the run's own status
    assert (Path(env["DAGSTER_HOME"]) / "dagster.yaml").read_text().startswith("# Instance configuration")
    outputs = json.loads(Path(env["HTDR_OUTPUTS_FILE"]).read_text())
    assert outputs["EvidenceBucketName"] == BUCKET
    assert "evidence upload: 1 files under control-plane/" in result.stdout
    s3 = boto3.client("s3", region_name=DR, endpoint_url=moto_url, **CREDENTIALS)
    (obj,) = s3.list_objects_v2(Bucket=BUCKET, Prefix="control-plane/")["Contents"]
    assert obj["Key"].endswith("/drills/drill-region_outage-r1.json")
    assert s3.head_object(Bucket=BUCKET, Key=obj["Key"])["ObjectLockMode"] == "COMPLIANCE"


def test_webserver_and_daemon_commands_are_executed_directly(
    synthesized: Synthesized, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path / "home"),
        "DAGSTER_INSTANCE_YAML": str(PROJECT_ROOT / "dagster_home/dagster.aws.yaml"),
        "HTDR_WRITE_OUTPUTS": "0",
    }
    result = subprocess.run(
        ["sh", str(ENTRYPOINT), "sh", "-c", "echo $$ ; exit 5"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 5 and (tmp_path / "home/dagster.yaml").is_file()


def test_upload_without_an_outputs_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from htdr.evidence_upload import main

    code = main(["--outputs", str(tmp_path / "absent.json"), "--reports-dir", str(tmp_path), "--prefix", "p"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err and "absent.json: missing" in err
