"""The DR-testing pipeline stack (primary region), with its evidence bucket."""

from __future__ import annotations

from aws_cdk import Environment, Stack
from constructs import Construct

from cdk_app.config import AppConfig
from cdk_app.constructs.dr_drill_pipeline import DrDrillPipeline, DrillPermissions
from cdk_app.naming import Naming
from cdk_app.outputs import emit
from cdk_app.secrets import import_secret
from cdk_app.stacks.foundation_stack import FoundationStack
from contracts.outputs import OutputKey


class PipelineStack(Stack):
    """CodePipeline + CodeBuild (drill inside the primary VPC) + evidence bucket."""

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
            description=f"HealthTech DR {naming.suffix}: weekly DR drill pipeline and evidence bucket",
        )
        secrets = [
            import_secret(self, name, s)
            for name, s in (("Db", config.db_secret), ("Cache", config.cache_secret))
        ]
        self.drill = DrDrillPipeline(
            self,
            "DrDrill",
            config=config,
            naming=naming,
            region=config.primary_region,
            vpc=foundation.network.vpc,
            subnets=foundation.network.app_subnets,
            logs_key=foundation.keys.logs_key,
            access_logs=foundation.access_logs.bucket,
            permissions=DrillPermissions(
                naming=naming,
                primary_region=config.primary_region,
                dr_region=config.dr_region,
                secret_arns=[
                    f"{s.secret_arn}-??????" if not config.db_secret.is_arn else s.secret_arn for s in secrets
                ],
                data_key_arns=[
                    foundation.keys.data_key_arn_in(region)
                    for region in (config.primary_region, config.dr_region)
                ],
            ),
        )
        emit(
            self, OutputKey.EVIDENCE_BUCKET_NAME, self.drill.evidence.bucket_name, "DR drill evidence bucket"
        )
        emit(self, OutputKey.PIPELINE_NAME, self.drill.pipeline.pipeline_name, "DR drill pipeline")
