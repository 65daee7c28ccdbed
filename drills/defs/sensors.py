"""Build the auditor report whenever a drill run finishes (REPORT's builder, imported lazily).

The builder is imported inside the sensor so the code location loads even before (or without) the
report package; if it is missing the sensor says so in its log and skips.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunStatusSensorContext,
    SkipReason,
    run_status_sensor,
)

from drills.defs.jobs import DRILL_JOBS

#: Where journals and the report live; the same default as ``DrillTargetResource.reports_dir``.
REPORTS_DIR = Path("reports")


@run_status_sensor(
    run_status=DagsterRunStatus.SUCCESS, name="build_report_after_drill",
    monitored_jobs=list(DRILL_JOBS.values()), default_status=DefaultSensorStatus.RUNNING,
    description="Renders the auditor report from every journal under reports/ after a drill run",
)
def build_report_after_drill(context: RunStatusSensorContext) -> SkipReason | None:
    try:
        builder = importlib.import_module("compliance.report.build").build_report
    except (ImportError, AttributeError):
        context.log.warning("report builder unavailable (compliance.report.build.build_report); skipped")
        return SkipReason("report builder unavailable")
    path = builder(REPORTS_DIR)
    context.log.info(f"report built after run {context.dagster_run.run_id}: {path}")
    return None


SENSORS = [build_report_after_drill]
