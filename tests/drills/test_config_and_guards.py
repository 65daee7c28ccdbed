"""Fast guards: config validation, refusal on an unhealthy target, and the code location's shape."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import DagsterInstance, DefaultScheduleStatus, materialize
from typer.testing import CliRunner

from drills.definitions import defs
from drills.defs.assets import DRILL_ASSETS
from drills.defs.resources import DrillTargetResource
from drills.drill_runner import read_inflight, run_drill
from drills.scenarios.config import DrillConfig, DrillConfigError, parse_config
from drills.scenarios.context import PreconditionFailed
from drills.targets.local_session import sandbox_settings
from drills.targets.local_target import LocalTarget
from drills.targets.values import IngestMode, ReplicationMode
from htdr.cli import app


def test_sync_preset_defaults_to_dual_write_and_async_to_single() -> None:
    assert DrillConfig().ingest_mode is IngestMode.DUAL
    assert DrillConfig(replication_mode=ReplicationMode.ASYNC).ingest_mode is IngestMode.SINGLE
    assert parse_config({"replication_mode": "async", "ingest": "dual"}).ingest_mode is IngestMode.DUAL


@pytest.mark.parametrize(("raw", "field"), [
    ({"rate_per_min": 0}, "rate_per_min"),
    ({"sample_interval_s": 0.5}, "sample_interval_s"),
    ({"replication_mode": "semi"}, "replication_mode"),
    ({"load_s": 10, "fault_after_s": 8}, "load_s"),
    ({"objectives": {"rto_s": -1}}, "objectives.rto_s"),
    ({"bogus": 1}, "bogus"),
])
def test_invalid_config_is_one_line_naming_the_field(raw: dict[str, object], field: str) -> None:
    with pytest.raises(DrillConfigError) as err:
        parse_config(raw)
    message = str(err.value)
    assert "\n" not in message and (field in message or "load_s" in message)


def test_drill_refuses_an_unhealthy_target_and_touches_nothing(tmp_path: Path) -> None:
    target = LocalTarget(sandbox_settings(tmp_path / "no-sandbox", 18990))
    with pytest.raises(PreconditionFailed, match="not ready"):
        run_drill(target, "region_outage", DrillConfig(), tmp_path / "reports")
    assert read_inflight(tmp_path / "reports") is None
    assert not (tmp_path / "reports").exists()


def test_cli_rejects_bad_parameter_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["drill", "run", "region_outage", "--state-dir", str(tmp_path),
                                      "--set", "rate_per_min=fast"])
    assert result.exit_code == 1
    assert "rate_per_min" in result.output and "Traceback" not in result.output


def test_cli_rejects_unknown_scenario(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["drill", "run", "meteor", "--state-dir", str(tmp_path)])
    assert result.exit_code == 1 and "unknown scenario 'meteor'" in result.output


def test_dagster_run_with_invalid_config_fails_before_touching_the_target(tmp_path: Path) -> None:
    resource = DrillTargetResource(state_dir=str(tmp_path / "absent"), port_base=18980,
                                   manage_sandbox=True, reports_dir=str(tmp_path / "reports"))
    result = materialize(
        [DRILL_ASSETS[0]], resources={"drill_target": resource}, instance=DagsterInstance.ephemeral(),
        run_config={"ops": {"region_outage_drill": {"config": {"load_s": 5.0, "fault_after_s": 4.0}}}},
        raise_on_error=False,
    )
    assert not result.success
    assert not (tmp_path / "absent").exists()          # no sandbox was started


def test_code_location_has_jobs_checks_schedules_off_and_the_report_sensor() -> None:
    repo = defs.get_repository_def()
    assert {j.name for j in repo.get_all_jobs() if not j.name.startswith("__")} >= {
        "region_outage_drill_job", "planned_switchover_drill_job", "link_partition_drill_job",
        "processor_crash_drill_job", "cache_failover_drill_job"}
    schedules = {s.name: s for s in repo.schedule_defs}
    assert set(schedules) == {
        "weekly_planned_switchover_drill", "monthly_region_outage_drill", "daily_processor_crash_drill"}
    assert all(s.default_status is DefaultScheduleStatus.STOPPED for s in schedules.values())
    # the report is built after failed drills too: auditors need them
    assert {s.name for s in repo.sensor_defs} == {"build_report_after_drill",
                                                  "build_report_after_failed_drill"}
    specs = {spec.name: spec for a in DRILL_ASSETS[:1] for spec in a.check_specs}
    assert set(specs) == {"rpo_within_objective", "rto_within_objective", "zero_acknowledged_loss",
                          "rpo_metric_agrees_with_data", "drill_passed", "gx_vitals_store_schema",
                          "gx_vitals_store_validity", "gx_vitals_store_vs_ledger"}
    assert all(spec.blocking for spec in specs.values())     # a failed objective fails the run
