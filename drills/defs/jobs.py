"""One job per scenario (each materializes that scenario's evidence asset and runs its checks)."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from drills.defs.assets import asset_key_for
from drills.scenarios.registry import SCENARIOS


def job_name(scenario: str) -> str:
    return f"{scenario}_drill_job"


DRILL_JOBS: dict[str, UnresolvedAssetJobDefinition] = {
    name: define_asset_job(
        job_name(name),
        selection=AssetSelection.assets(asset_key_for(name)),
        description=f"DR drill: {SCENARIOS[name].description}",
        tags={"htdr/kind": "drill", "htdr/scenario": name},
    )
    for name in SCENARIOS
}
