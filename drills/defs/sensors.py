"""Build the auditor report whenever a drill run finishes, passed or failed (builder imported lazily).

The builder is imported inside the sensor so the code location loads even before (or without) the
report package; if it is missing the sensor says so in its log and skips.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunStatusSensorContext,
    SkipReason,
    run_status_sensor,
)

from drills.defs.jobs import DRILL_JOBS

#: Where journals and the report live; the same default as ``DrillTargetResource.reports_dir``.
REPORTS_DIR = Path("reports")


def _build_report(context: RunStatusSensorContext) -> SkipReason | None:
    try:
        builder = importlib.import_module("compliance.report.build").build_report
    except (ImportError, AttributeError):
        context.log.warning("report builder unavailable (compliance.report.build.build_report); skipped")
        return SkipReason("report builder unavailable")
    path = builder(reports_dir_of(context.instance, context.dagster_run.run_id))
    context.log.info(f"report built after run {context.dagster_run.run_id} "
                     f"({context.dagster_run.status.value}): {path}")
    return None


def reports_dir_of(instance: DagsterInstance, run_id: str) -> Path:
    """Where the run's drill wrote its journal (``<reports>/drills/<journal>``), else ``REPORTS_DIR``."""
    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION).records
    for record in records:
        materialization = record.event_log_entry.asset_materialization
        journal = materialization.metadata.get("journal") if materialization else None
        if journal is not None:
            return Path(str(journal.value)).parent.parent
    return REPORTS_DIR


@run_status_sensor(
    run_status=DagsterRunStatus.SUCCESS, name="build_report_after_drill",
    monitored_jobs=list(DRILL_JOBS.values()), default_status=DefaultSensorStatus.RUNNING,
    description="Renders the auditor report from every journal under reports/ after a drill run passed",
)
def build_report_after_drill(context: RunStatusSensorContext) -> SkipReason | None:
    return _build_report(context)


@run_status_sensor(
    run_status=DagsterRunStatus.FAILURE, name="build_report_after_failed_drill",
    monitored_jobs=list(DRILL_JOBS.values()), default_status=DefaultSensorStatus.RUNNING,
    description="Renders the auditor report after a drill run failed: auditors need failed drills too",
)
def build_report_after_failed_drill(context: RunStatusSensorContext) -> SkipReason | None:
    return _build_report(context)


SENSORS = [build_report_after_drill, build_report_after_failed_drill]
