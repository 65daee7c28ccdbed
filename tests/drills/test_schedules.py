"""Recurring drills: off by default, tagged with target and suffix, refused off the allowlist; the code
location loads for both target settings."""

from __future__ import annotations

import pytest
from dagster import DefaultScheduleStatus, RunRequest, SkipReason, build_schedule_context

from drills.defs import build_defs, defs
from drills.defs.schedules import CADENCES, build_schedules
from drills.defs.target_settings import TargetSettings, TargetSettingsError

AWS_ENV = {
    "HTDR_DRILL_TARGET": "aws",
    "HTDR_ENVIRONMENT_SUFFIX": "dev1",
    "HTDR_DRILL_ALLOWLIST": "dev1, dev2",
    "HTDR_OUTPUTS_FILE": "/tmp/cfn-outputs/flat-outputs.json",
    "HTDR_REPORTS_DIR": "/tmp/reports",
}


def _tick(target: TargetSettings, name: str) -> RunRequest | SkipReason:
    schedule = next(s for s in build_schedules(target) if s.name == name)
    result = schedule.evaluate_tick(build_schedule_context())
    if result.skip_message:
        return SkipReason(result.skip_message)
    (request,) = result.run_requests or []
    return request


def test_default_code_location_drills_the_sandbox_with_every_schedule_off() -> None:
    assert TargetSettings.from_env({}) == TargetSettings()
    repo = defs.get_repository_def()
    schedules = {s.name: s for s in repo.schedule_defs}
    assert set(schedules) == {
        "weekly_planned_switchover_drill",
        "monthly_region_outage_drill",
        "daily_processor_crash_drill",
    }
    assert all(s.default_status is DefaultScheduleStatus.STOPPED for s in schedules.values())
    weekly = schedules["weekly_planned_switchover_drill"]
    assert weekly.cron_schedule == "0 3 * * 1" and weekly.job_name == "planned_switchover_drill_job"
    monthly = schedules["monthly_region_outage_drill"]
    assert monthly.cron_schedule == "0 4 1 * *" and monthly.job_name == "region_outage_drill_job"
    assert weekly.tags == {
        "htdr/target": "local",
        "htdr/suffix": "sandbox",
        "htdr/scenario": "planned_switchover",
    }


def test_local_ticks_run_with_target_and_suffix_tags() -> None:
    request = _tick(TargetSettings(), "monthly_region_outage_drill")
    assert isinstance(request, RunRequest)
    assert {k: v for k, v in request.tags.items() if k.startswith("htdr/")} == {
        "htdr/target": "local",
        "htdr/suffix": "sandbox",
        "htdr/scenario": "region_outage",
    }


def test_aws_tick_on_the_allowlist_runs_tagged_with_the_deployment() -> None:
    target = TargetSettings.from_env(AWS_ENV)
    assert target.allowlist == frozenset({"dev1", "dev2"})
    request = _tick(target, "weekly_planned_switchover_drill")
    assert isinstance(request, RunRequest)
    assert request.tags["htdr/target"] == "aws" and request.tags["htdr/suffix"] == "dev1"


@pytest.mark.parametrize("allowlist", ["", "dev2,dev3"])
def test_aws_tick_off_the_allowlist_is_skipped_with_the_reason(allowlist: str) -> None:
    target = TargetSettings.from_env({**AWS_ENV, "HTDR_DRILL_ALLOWLIST": allowlist})
    for cadence in CADENCES:
        skipped = _tick(target, cadence.name)
        assert isinstance(skipped, SkipReason)
        assert "'dev1' is not on the drill allowlist" in (skipped.skip_message or "")
        assert "HTDR_DRILL_ALLOWLIST" in (skipped.skip_message or "")


def test_code_location_loads_with_the_aws_target_setting() -> None:
    aws = build_defs(TargetSettings.from_env(AWS_ENV))
    repo = aws.get_repository_def()
    resource = aws.resources["drill_target"]  # type: ignore[index]
    assert resource.kind == "aws" and resource.reports_dir == "/tmp/reports"
    assert resource.outputs == "/tmp/cfn-outputs/flat-outputs.json"
    assert resource.allow_suffixes == ["dev1", "dev2"] and resource.confirm_suffix == "dev1"
    refused = build_defs(TargetSettings.from_env({**AWS_ENV, "HTDR_DRILL_ALLOWLIST": ""}))
    assert refused.resources["drill_target"].confirm_suffix is None  # type: ignore[index]
    assert "drill_target" in repo.get_top_level_resources()
    assert list(repo.sensor_defs) == []  # runs upload their own evidence; no daemon-side report build
    for schedule in repo.schedule_defs:
        assert schedule.tags["htdr/target"] == "aws" and schedule.tags["htdr/suffix"] == "dev1"
        assert schedule.metadata["environment_suffix"].value == "dev1"  # shown on the schedule page
        assert "target aws dev1" in (schedule.description or "")
        assert schedule.default_status is DefaultScheduleStatus.STOPPED


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"HTDR_DRILL_TARGET": "gcp"}, "HTDR_DRILL_TARGET"),
        ({"HTDR_DRILL_TARGET": "aws"}, "HTDR_ENVIRONMENT_SUFFIX"),
    ],
)
def test_bad_target_settings_are_one_line_naming_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(TargetSettingsError) as error:
        TargetSettings.from_env(env)
    assert str(error.value).startswith(named) and "\n" not in str(error.value)
