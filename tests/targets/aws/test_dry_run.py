"""``htdr drill run <scenario> --target aws --dry-run`` with the defaults a user gets: the printed plan
of every scenario against the fixture deployment's outputs, compared with its reviewed snapshot.

Regenerate after an intended change, then review the diff:
``HTDR_UPDATE_SNAPSHOTS=1 ./dev pytest tests/targets/aws/test_dry_run.py``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from drills.targets.aws.plans import PLANS
from drills.targets.aws.rollback_state import state_path
from htdr import aws_commands as aws_cli
from htdr.cli import app
from tests.targets.aws.conftest import FIXTURE
from tests.targets.aws.deployment import deploy
from tests.targets.aws.stubs import StubbedAws

SNAPSHOTS = Path(__file__).with_name("snapshots")


@pytest.fixture
def deployment_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding the deployment's outputs where the CLI looks by default."""
    (tmp_path / "cfn-outputs").mkdir()
    shutil.copy(FIXTURE, tmp_path / "cfn-outputs" / "flat-outputs.json")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("scenario", sorted(PLANS))
def test_dry_run_prints_the_reviewed_plan(scenario: str, deployment_dir: Path) -> None:
    result = CliRunner().invoke(
        app, ["drill", "run", scenario, "--target", "aws", "--dry-run", "--allow-suffix", "drill1"]
    )
    assert result.exit_code == 0, result.output
    snapshot = SNAPSHOTS / f"{scenario}.txt"
    if os.environ.get("HTDR_UPDATE_SNAPSHOTS"):
        snapshot.write_text(result.output)
    assert result.output == snapshot.read_text()
    assert not (deployment_dir / "reports").exists(), "a dry run writes nothing"


def test_dry_run_of_link_partition_is_refused_with_its_reason(deployment_dir: Path) -> None:
    result = CliRunner().invoke(
        app, ["drill", "run", "link_partition", "--target", "aws", "--dry-run", "--allow-suffix", "drill1"]
    )
    assert result.exit_code == 1
    assert "link_partition is refused on the aws target: Aurora global replication" in result.output


def test_dry_run_without_allow_suffix_is_refused(deployment_dir: Path) -> None:
    result = CliRunner().invoke(app, ["drill", "run", "processor_crash", "--target", "aws", "--dry-run"])
    assert result.exit_code == 1
    assert "pass --allow-suffix drill1" in result.output


def test_dry_run_needs_the_aws_target(deployment_dir: Path) -> None:
    result = CliRunner().invoke(app, ["drill", "run", "processor_crash", "--dry-run"])
    assert result.exit_code == 1
    assert "--dry-run prints the AWS calls of a drill: add --target aws" in result.output


@pytest.mark.sandbox  # a moto server process
def test_run_with_no_option_is_accepted_up_to_the_deployments_data(
    deployment_dir: Path, moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``htdr drill run processor_crash --target aws`` with only the allowlist: the aws defaults pass
    every check (replication async, safety tags read from moto's CloudFormation) and the drill goes on
    to its first read of the deployment's data, the DB secret (none here: one line naming it, no value,
    no data plane built, nothing changed)."""
    deploy(moto_url, "drill1", {"DrillAllowed": "true", "Environment": "drill1"})
    aws = StubbedAws(moto_url, frozenset({"cloudformation"}))  # any other AWS call fails
    monkeypatch.setattr(aws_cli, "boto3_clients", lambda: aws)
    result = CliRunner().invoke(
        app, ["drill", "run", "processor_crash", "--target", "aws", "--allow-suffix", "drill1"]
    )
    assert result.exit_code == 1
    assert result.output.startswith("error: secret arn:aws:secretsmanager:ca-central-1:111122223333:secret:")
    assert "not readable in ca-central-1" in result.output
    assert not state_path(deployment_dir / "reports", "drill1").exists()


@pytest.mark.parametrize(("option", "fix"), [
    ("replication_mode=sync", "use replication_mode=async (the aws default)"),
    ("link_latency_ms=50", "the inter-region latency on AWS is physical, a drill cannot set it: omit it"),
])
def test_a_parameter_aws_cannot_honour_is_one_line(deployment_dir: Path, option: str, fix: str) -> None:
    result = CliRunner().invoke(app, ["drill", "run", "processor_crash", "--target", "aws", "--allow-suffix",
                                      "drill1", "--set", option])
    assert result.exit_code == 1
    assert fix in result.output and result.output.count("\n") == 1
