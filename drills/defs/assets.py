"""One evidence asset per scenario: materializing it runs the drill; its checks are the objectives.

A thin shell over ``drills.runner.run_drill`` (the same engine ``htdr demo`` uses), so the journal
written here is the evidence, and the materialization only mirrors its figures.
"""


from dagster import (
    AssetCheckSpec,
    AssetExecutionContext,
    AssetsDefinition,
    Failure,
    MaterializeResult,
    asset,
)

from drills.defs.evidence import check_results, materialization_metadata
from drills.defs.resources import DrillTargetResource
from drills.defs.run_config import DrillRunConfig
from drills.measure.objectives import ALL
from drills.runner import run_drill
from drills.scenarios.config import DrillConfigError
from drills.scenarios.context import PreconditionFailed
from drills.scenarios.registry import SCENARIOS

CHECK_DESCRIPTIONS = {
    "rpo_within_objective": "RPO (data) below the objective (default 900 s)",
    "rto_within_objective": "RTO below the objective (default 3600 s)",
    "zero_acknowledged_loss": "No acknowledged event lost or altered on the surviving store",
    "rpo_metric_agrees_with_data": "RPO from lag metrics agrees with RPO from lost data within tolerance",
}


def asset_key_for(scenario: str) -> str:
    return f"{scenario}_drill"


def drill_asset(scenario: str) -> AssetsDefinition:
    """The evidence asset of ``scenario`` with its four objective checks."""
    key = asset_key_for(scenario)

    @asset(
        name=key, group_name="dr_drills", description=SCENARIOS[scenario].description,
        check_specs=[AssetCheckSpec(name, asset=key, description=CHECK_DESCRIPTIONS[name]) for name in ALL],
        kinds={"python"}, tags={"scenario": scenario},
    )
    def _drill(context: AssetExecutionContext, config: DrillRunConfig,
               drill_target: DrillTargetResource) -> MaterializeResult:
        try:
            drill_config = config.to_drill_config()
        except DrillConfigError as err:
            raise Failure(str(err), allow_retries=False) from None
        log = context.log.info
        try:
            with drill_target.open(log) as target:
                result = run_drill(target, scenario, drill_config, drill_target.reports_path, progress=log,
                                   run_id=context.run.run_id[:12])
        except PreconditionFailed as err:
            raise Failure(str(err), allow_retries=False) from None
        return MaterializeResult(metadata=materialization_metadata(result.journal, str(result.path)),
                                 check_results=check_results(result.journal))

    return _drill


DRILL_ASSETS = [drill_asset(name) for name in SCENARIOS]
