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
from htdr.cli import app
from tests.targets.aws.conftest import FIXTURE

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


def test_dry_run_of_cache_failover_names_the_missing_capability(deployment_dir: Path) -> None:
    result = CliRunner().invoke(
        app, ["drill", "run", "cache_failover", "--target", "aws", "--dry-run", "--allow-suffix", "drill1"]
    )
    assert result.exit_code == 1
    assert "scenario cache_failover cannot run on the aws target: it lacks the session cache capability" in (
        result.output)


def test_dry_run_without_allow_suffix_is_refused(deployment_dir: Path) -> None:
    result = CliRunner().invoke(app, ["drill", "run", "processor_crash", "--target", "aws", "--dry-run"])
    assert result.exit_code == 1
    assert "pass --allow-suffix drill1" in result.output


def test_dry_run_needs_the_aws_target(deployment_dir: Path) -> None:
    result = CliRunner().invoke(app, ["drill", "run", "processor_crash", "--dry-run"])
    assert result.exit_code == 1
    assert "--dry-run prints the AWS calls of a drill: add --target aws" in result.output
