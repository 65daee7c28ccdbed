"""Build the auditor report whenever a drill run finishes, passed or failed (auditors need failed
drills too), from the reports directory that run used."""

from __future__ import annotations

from pathlib import Path

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunStatusSensorContext,
    run_status_sensor,
)

from compliance.report.build import build_report
from drills.defs.jobs import DRILL_JOBS
from drills.defs.resources import DrillTargetResource


def reports_dir_of_run(run_config: dict[str, object], drill_target: DrillTargetResource) -> Path:
    """The run's ``drill_target.reports_dir`` when its launch set one, else the resource's."""
    resources = run_config.get("resources")
    target = resources.get("drill_target") if isinstance(resources, dict) else None
    config = target.get("config") if isinstance(target, dict) else None
    value = config.get("reports_dir") if isinstance(config, dict) else None
    return Path(value) if isinstance(value, str) else drill_target.reports_path


def _build(context: RunStatusSensorContext, drill_target: DrillTargetResource) -> None:
    reports = reports_dir_of_run(dict(context.dagster_run.run_config), drill_target)
    path = build_report(reports)
    context.log.info(f"report built after run {context.dagster_run.run_id} "
                     f"({context.dagster_run.status.value}): {path}")


@run_status_sensor(
    run_status=DagsterRunStatus.SUCCESS, name="build_report_after_drill",
    monitored_jobs=list(DRILL_JOBS.values()), default_status=DefaultSensorStatus.RUNNING,
    description="Renders the auditor report from every journal under the drill target's reports_dir "
                "after a drill run passed",
)
def build_report_after_drill(context: RunStatusSensorContext, drill_target: DrillTargetResource) -> None:
    _build(context, drill_target)


@run_status_sensor(
    run_status=DagsterRunStatus.FAILURE, name="build_report_after_failed_drill",
    monitored_jobs=list(DRILL_JOBS.values()), default_status=DefaultSensorStatus.RUNNING,
    description="Renders the auditor report after a drill run failed (a failed objective fails the run): "
                "the failed drill is in it, as failed",
)
def build_report_after_failed_drill(context: RunStatusSensorContext,
                                    drill_target: DrillTargetResource) -> None:
    _build(context, drill_target)


SENSORS = [build_report_after_drill, build_report_after_failed_drill]
