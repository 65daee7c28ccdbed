"""The Dagster resource setting ``kind: aws``: the same asset and checks, the run tagged with target and
suffix; with the defaults (empty allowlist) the run fails before any AWS action."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import DagsterInstance, materialize

from drills.defs import resources
from drills.defs.assets import DRILL_ASSETS, asset_key_for
from drills.defs.resources import DrillTargetResource
from tests.targets.aws.aws_world import expect_drill
from tests.targets.aws.conftest import FIXTURE
from tests.targets.aws.deployment import deploy
from tests.targets.aws.stubs import StubbedAws

pytestmark = pytest.mark.sandbox  # a moto server process
SCENARIO = "processor_crash"
ASSET = next(a for a in DRILL_ASSETS if a.key.to_user_string() == asset_key_for(SCENARIO))


def _materialize(resource: DrillTargetResource) -> tuple[bool, dict[str, str], DagsterInstance]:
    instance = DagsterInstance.ephemeral()
    result = materialize(
        [ASSET], resources={"drill_target": resource}, instance=instance, raise_on_error=False
    )
    run = instance.get_run_by_id(result.run_id)
    assert run is not None
    return result.success, dict(run.tags), instance


def test_aws_kind_runs_the_drill_and_tags_the_run(
    moto_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deploy(moto_url, "drill1", {"DrillAllowed": "true", "Environment": "drill1"})
    aws = StubbedAws(moto_url, frozenset({"cloudformation"}))
    expect_drill(aws, SCENARIO)
    monkeypatch.setattr(resources, "boto3_clients", lambda: aws)
    resource = DrillTargetResource(
        kind="aws",
        outputs=str(FIXTURE),
        allow_suffixes=["drill1"],
        poll_s=0.0,
        reports_dir=str(tmp_path / "reports"),
    )

    _, tags, _ = _materialize(resource)

    assert (tags["htdr/target"], tags["htdr/suffix"]) == ("aws", "drill1")
    aws.assert_done()
    journals = list((tmp_path / "reports" / "drills").glob(f"drill-{SCENARIO}-*.json"))
    assert len(journals) == 1


def test_aws_kind_with_default_allowlist_fails_before_any_action(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws = StubbedAws()  # nothing queued: any AWS call would fail the test's assert_done below
    monkeypatch.setattr(resources, "boto3_clients", lambda: aws)
    resource = DrillTargetResource(kind="aws", outputs=str(FIXTURE), reports_dir=str(tmp_path / "reports"))

    success, tags, _ = _materialize(resource)

    assert not success and tags["htdr/target"] == "aws"
    assert not (tmp_path / "reports").exists()
    aws.assert_done()


def test_local_kind_is_the_default_and_tags_the_sandbox() -> None:
    assert DrillTargetResource().run_tags() == {"htdr/target": "local", "htdr/suffix": "sandbox"}
