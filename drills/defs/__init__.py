"""Dagster shell over the drill engine: assets + checks, jobs, schedules, sensor, the target resource.

The target comes from the environment once, here (``TargetSettings.from_env``): nothing set means the
local sandbox; the control plane's tasks set the aws target, its suffix and its allowlist.
"""

import os

from dagster import Definitions

from drills.defs.assets import DRILL_ASSETS
from drills.defs.jobs import DRILL_JOBS
from drills.defs.resources import DrillTargetResource
from drills.defs.schedules import build_schedules
from drills.defs.sensors import SENSORS
from drills.defs.target_settings import LOCAL, TargetSettings


def build_defs(target: TargetSettings) -> Definitions:
    """The code location for ``target``."""
    return Definitions(
        assets=DRILL_ASSETS,
        jobs=list(DRILL_JOBS.values()),
        schedules=build_schedules(target),
        # the report sensor builds from local files; on the control plane each run is its own task
        # and uploads its evidence itself (docker/control-plane-entrypoint.sh)
        sensors=SENSORS if target.kind == LOCAL else [],
        resources={"drill_target": target_resource(target)},
    )


def target_resource(target: TargetSettings) -> DrillTargetResource:
    """The drill target resource of ``target``. On the control plane the deployment's own suffix is
    allowed (the stack sets the allowlist; empty for production) and confirmed for destructive
    scenarios: an operator starting a schedule (all are off by default) or launching a run in the UI
    is the human decision the CLI's ``--confirm`` stands for."""
    if target.kind == LOCAL:
        return DrillTargetResource(reports_dir=target.reports_dir)
    allowed = target.refusal() is None
    return DrillTargetResource(
        kind=target.kind,
        outputs=target.outputs_file,
        allow_suffixes=sorted(target.allowlist),
        confirm_suffix=target.environment_suffix if allowed else None,
        reports_dir=target.reports_dir,
    )


defs = build_defs(TargetSettings.from_env(os.environ))
