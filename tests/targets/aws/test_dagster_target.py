"""The Dagster resource setting ``kind: aws``: the same asset and checks, the drill run by the same
runner on the ``AwsTarget``, the run tagged with target and suffix; with the defaults (empty
allowlist) the run fails before any AWS call; a run config left at its defaults replicates ``async``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance, materialize

from contracts.journal import DrillJournal
from drills.clock import SYSTEM_CLOCK
from drills.defs import resources
from drills.defs.assets import DRILL_ASSETS, asset_key_for
from drills.defs.resources import DrillTargetResource
from drills.defs.run_config import DrillRunConfig
from drills.scenarios.config import DrillConfig
from drills.targets.aws.aurora_sql import AuroraSql
from drills.targets.local.scratch_postgres import PgCluster
from drills.targets.values import ReplicationMode
from tests.targets.aws.aws_world import S
from tests.targets.aws.conftest import FIXTURE
from tests.targets.aws.rig import Doors, Rig, expect_drill
from tests.targets.aws.stubs import StubbedAws

pytestmark = pytest.mark.sandbox  # a scratch PostgreSQL stands in for Aurora's SQL
SCENARIO = "processor_crash"
ASSET = next(a for a in DRILL_ASSETS if a.key.to_user_string() == asset_key_for(SCENARIO))
#: A short drill on the system clock (Dagster runs the drill as it would on the control plane).
SHORT = {"load_s": 6.0, "fault_after_s": 1.0, "drain_settle_s": 0.3, "recovery_timeout_s": 20.0}


def _materialize(resource: DrillTargetResource, config: dict[str, Any] | None = None
                 ) -> tuple[bool, dict[str, str]]:
    instance = DagsterInstance.ephemeral()
    run_config = {"ops": {asset_key_for(SCENARIO): {"config": config}}} if config else None
    result = materialize([ASSET], resources={"drill_target": resource}, instance=instance,
                         raise_on_error=False, run_config=run_config)
    run = instance.get_run_by_id(result.run_id)
    assert run is not None
    return result.success, dict(run.tags)


@pytest.fixture
def rig(aurora: PgCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    """The resource's AWS clients, data plane and database endpoints replaced by the test's world."""
    made = Rig(aurora, tmp_path / "reports", clock=SYSTEM_CLOCK)
    monkeypatch.setattr(resources, "boto3_clients", lambda: made.world.watch(made.aws))
    monkeypatch.setattr(resources, "probe_clients", lambda: made.world.probes())
    monkeypatch.setattr(resources, "AwsDataPlane", lambda outputs, work_dir, clients: made.data)
    monkeypatch.setattr(AuroraSql, "from_outputs", classmethod(lambda cls, outputs, clients: made.sql()))
    yield made
    made.data.close()
    Doors(aurora).open()


def test_aws_kind_runs_the_drill_through_the_runner_and_tags_the_run(rig: Rig) -> None:
    expect_drill(rig.aws, SCENARIO)
    resource = DrillTargetResource(kind="aws", outputs=str(FIXTURE), allow_suffixes=[S], poll_s=0.0,
                                   reports_dir=str(rig.reports))

    _, tags = _materialize(resource, SHORT)  # on the system clock: whether the checks pass is not asserted

    assert (tags["htdr/target"], tags["htdr/suffix"]) == ("aws", S)
    rig.aws.assert_done()
    journals = list((rig.reports / "drills").glob(f"drill-{SCENARIO}-*.json"))
    assert len(journals) == 1
    journal = DrillJournal.read(journals[0])
    assert journal.target.kind == "aws" and journal.parameters["replication_mode"] == "async"
    assert [r.action for r in journal.rollbacks] == [
        "configure", "start_load", "stop_processor ca-central-1 (task stopped by FIS)",
        "start_processor ca-central-1"] and all(r.ok for r in journal.rollbacks)
    assert rig.data.calls == ["start_load"]  # the drill's load ran on the data plane


def test_a_run_config_left_at_its_defaults_replicates_async_on_aws() -> None:
    aws = DrillTargetResource(kind="aws", outputs=str(FIXTURE))
    assert DrillRunConfig().to_drill_config(aws.target_defaults()).replication_mode is ReplicationMode.ASYNC
    assert DrillRunConfig().to_drill_config(DrillTargetResource().target_defaults()) == DrillConfig()
    chosen = DrillRunConfig(replication_mode="sync").to_drill_config(aws.target_defaults())
    assert chosen.replication_mode is ReplicationMode.SYNC  # what the operator chose is kept (and refused)


def test_aws_kind_with_default_allowlist_fails_before_any_action(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws = StubbedAws()  # nothing queued: any AWS call would fail the test's assert_done below
    monkeypatch.setattr(resources, "boto3_clients", lambda: aws)
    resource = DrillTargetResource(kind="aws", outputs=str(FIXTURE), reports_dir=str(tmp_path / "reports"))

    success, tags = _materialize(resource)

    assert not success and tags["htdr/target"] == "aws"
    assert not (tmp_path / "reports").exists()
    aws.assert_done()


def test_local_kind_is_the_default_and_tags_the_sandbox() -> None:
    assert DrillTargetResource().run_tags() == {"htdr/target": "local", "htdr/suffix": "sandbox"}
