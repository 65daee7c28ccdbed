"""Recurring drills, off by default (an operator turns them on for an environment that allows it)."""

from __future__ import annotations

from dagster import DefaultScheduleStatus, ScheduleDefinition

from drills.defs.jobs import DRILL_JOBS

WEEKLY_REGION_OUTAGE = ScheduleDefinition(
    name="weekly_region_outage_drill", job=DRILL_JOBS["region_outage"], cron_schedule="0 3 * * 1",
    execution_timezone="UTC", default_status=DefaultScheduleStatus.STOPPED,
    description="Full region-outage drill every Monday 03:00 UTC",
)
DAILY_PROCESSOR_CRASH = ScheduleDefinition(
    name="daily_processor_crash_drill", job=DRILL_JOBS["processor_crash"], cron_schedule="0 4 * * *",
    execution_timezone="UTC", default_status=DefaultScheduleStatus.STOPPED,
    description="Processor-crash (ECS stop-task) drill every day 04:00 UTC",
)
SCHEDULES = [WEEKLY_REGION_OUTAGE, DAILY_PROCESSOR_CRASH]
