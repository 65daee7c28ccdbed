"""One evidence asset per scenario: materializing it runs the drill; its checks are the objectives
and the Great Expectations suites run on the stores the drill left behind.

A thin shell over ``drills.drill_runner.run_drill`` (the same engine ``htdr demo`` uses), so the journal
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

from compliance.expectations.drill_validator import suites_validator
from compliance.expectations.suite_names import LEDGER_SUITE, SCHEMA_SUITE, SUITE_NAMES, VALIDITY_SUITE
from contracts.journal import OBJECTIVES
from drills.defs.check_results import DRILL_STATUS, check_results, materialization_metadata, suite_check_name
from drills.defs.resources import DrillTargetResource
from drills.defs.run_config import DrillRunConfig
from drills.drill_runner import run_drill
from drills.scenarios.config import DrillConfigError
from drills.scenarios.context import PreconditionFailed
from drills.scenarios.registry import SCENARIOS

CHECK_DESCRIPTIONS = {
    "rpo_within_objective": "RPO (data) below the objective (default 900 s)",
    "rto_within_objective": "RTO below the objective (default 3600 s)",
    "zero_acknowledged_loss": "No acknowledged event lost or altered on the surviving store",
    "rpo_metric_agrees_with_data": "RPO from lag metrics agrees with RPO from lost data within tolerance",
    DRILL_STATUS: "The drill's journal says passed (every objective, loss proof and validation held)",
}


SUITE_DESCRIPTIONS = {
    SCHEMA_SUITE: "Great Expectations: every store has the agreed columns and no null required field",
    VALIDITY_SUITE: "Great Expectations: unique (device, seq) and keys, vitals in physiological ranges, "
                    "no future timestamp",
    LEDGER_SUITE: "Great Expectations: row count between acknowledged and sent, no sequence gap up to "
                  "each device's last acknowledged event",
}


def asset_key_for(scenario: str) -> str:
    return f"{scenario}_drill"


def drill_asset(scenario: str) -> AssetsDefinition:
    """The evidence asset of ``scenario`` with its objective checks, all blocking: a failed objective
    (ERROR severity) fails the run after the evidence was recorded, so the run, the journal and the
    report tell the same story."""
    key = asset_key_for(scenario)

    @asset(
        name=key, group_name="dr_drills", description=SCENARIOS[scenario].description,
        check_specs=[
            *(AssetCheckSpec(name, asset=key, description=CHECK_DESCRIPTIONS[name], blocking=True)
              for name in (*OBJECTIVES, DRILL_STATUS)),
            *(AssetCheckSpec(suite_check_name(suite), asset=key, description=SUITE_DESCRIPTIONS[suite],
                             blocking=True) for suite in SUITE_NAMES),
        ],
        kinds={"python"}, tags={"scenario": scenario},
    )
    def _drill(context: AssetExecutionContext, config: DrillRunConfig,
               drill_target: DrillTargetResource) -> MaterializeResult:
        try:
            drill_config = config.to_drill_config(drill_target.target_defaults())
        except DrillConfigError as err:
            raise Failure(str(err), allow_retries=False) from None
        log = context.log.info
        try:
            context.instance.add_run_tags(context.run.run_id, drill_target.run_tags())
            reports = drill_target.reports_path
            if drill_target.kind == "aws":
                result = drill_target.run_aws(scenario, drill_config, context.run.run_id[:12], log,
                                              validator=suites_validator(reports))
            else:
                with drill_target.open(log) as target:
                    result = run_drill(target, scenario, drill_config, reports, progress=log,
                                       run_id=context.run.run_id[:12], validator=suites_validator(reports))
        except (PreconditionFailed, ValueError) as err:  # ValueError: an aws refusal or bad outputs file
            raise Failure(str(err), allow_retries=False) from None
        return MaterializeResult(metadata=materialization_metadata(result.journal, str(result.path)),
                                 check_results=check_results(result.journal))

    return _drill


DRILL_ASSETS = [drill_asset(name) for name in SCENARIOS]
