"""Dagster shell over the drill engine: assets + checks, jobs, schedules, sensor, the target resource."""

from dagster import Definitions

from drills.defs.assets import DRILL_ASSETS
from drills.defs.jobs import DRILL_JOBS
from drills.defs.resources import DrillTargetResource
from drills.defs.schedules import SCHEDULES
from drills.defs.sensors import SENSORS

defs = Definitions(
    assets=DRILL_ASSETS,
    jobs=list(DRILL_JOBS.values()),
    schedules=SCHEDULES,
    sensors=SENSORS,
    resources={"drill_target": DrillTargetResource()},
)
