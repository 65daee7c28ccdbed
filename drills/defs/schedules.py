"""Recurring drills, off by default (an operator turns them on for an environment that allows it).

Weekly: a planned switchover (RPO 0 by construction, switched back). Monthly: a (simulated) region
outage, the drill that can lose data. Daily: a processor crash. Every schedule is built for one
target (``TargetSettings``): its runs carry the target and suffix as tags (shown in the UI on the
schedule and on every run), and a tick against an ``aws`` deployment whose suffix is not on the
allowlist is skipped with the reason, never run.
"""

from __future__ import annotations

from dataclasses import dataclass

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from drills.defs.jobs import DRILL_JOBS
from drills.defs.target_settings import SCENARIO_TAG, TargetSettings


@dataclass(frozen=True)
class DrillCadence:
    """One recurring drill."""

    name: str
    scenario: str
    cron: str
    description: str


CADENCES = (
    DrillCadence(
        "weekly_planned_switchover_drill", "planned_switchover", "0 3 * * 1",
        "Planned switchover (switched back) every Monday 03:00 UTC",
    ),
    DrillCadence(
        "monthly_region_outage_drill", "region_outage", "0 4 1 * *",
        "Simulated region outage on the 1st of every month, 04:00 UTC",
    ),
    DrillCadence(
        "daily_processor_crash_drill", "processor_crash", "0 5 * * *",
        "Processor-crash (ECS stop-task) drill every day 05:00 UTC",
    ),
)


def drill_schedule(cadence: DrillCadence, target: TargetSettings) -> ScheduleDefinition:
    """The schedule of ``cadence`` against ``target``: STOPPED until an operator starts it."""
    tags = {**target.run_tags(), SCENARIO_TAG: cadence.scenario}

    @schedule(
        name=cadence.name,
        job=DRILL_JOBS[cadence.scenario],
        cron_schedule=cadence.cron,
        execution_timezone="UTC",
        default_status=DefaultScheduleStatus.STOPPED,
        tags=tags,
        metadata={"target": target.kind, "environment_suffix": target.environment_suffix},
        description=f"{cadence.description}; target {target.kind} {target.environment_suffix}",
    )
    def _tick(context: ScheduleEvaluationContext) -> RunRequest | SkipReason:
        refusal = target.refusal()
        if refusal is not None:
            return SkipReason(refusal)
        return RunRequest(tags=tags)

    return _tick


def build_schedules(target: TargetSettings) -> list[ScheduleDefinition]:
    """Every recurring drill for ``target``."""
    return [drill_schedule(cadence, target) for cadence in CADENCES]
