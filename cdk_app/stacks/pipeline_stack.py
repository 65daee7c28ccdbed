"""The DR-testing pipeline stack (primary region), with the replica of the evidence bucket."""

from __future__ import annotations

from aws_cdk import Environment, Stack
from constructs import Construct

from cdk_app.config import AppConfig
from cdk_app.constructs.dr_drill_pipeline import DrDrillPipeline
from cdk_app.naming import Naming
from cdk_app.outputs import emit
from cdk_app.stacks.foundation_stack import FoundationStack
from contracts.outputs import OutputKey


class PipelineStack(Stack):
    """CodePipeline + CodeBuild (the drill runs on the control plane) + evidence replica bucket."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        naming: Naming,
        foundation: FoundationStack,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            stack_name=naming.stack("DrDrillPipeline"),
            env=Environment(region=config.primary_region),
            description=f"HealthTech DR {naming.suffix}: weekly DR drill pipeline and evidence replica",
        )
        self.drill = DrDrillPipeline(
            self,
            "DrDrill",
            config=config,
            naming=naming,
            region=config.primary_region,
            logs_key=foundation.keys.logs_key,
            access_logs=foundation.access_logs.bucket,
        )
        emit(self, OutputKey.PIPELINE_NAME, self.drill.pipeline.pipeline_name, "DR drill pipeline")
