"""Entry point: build the whole app from CDK context, tag it, attach cdk-nag, synthesize.

Stacks and deploy order: PrimaryFoundation → DrFoundation → PrimaryServices → DrServices, and
DrDrillPipeline after PrimaryFoundation; DrillControlPlane (DR region) after DrServices and
DrDrillPipeline. Only ids that exist after a deploy cross regions (CDK cross-region references): the
multi-Region key ARN, the primary VPC id (the DR foundation peers with it), the EFS replica id and the
peering id (the primary services stack replicates to one and routes back over the other), the global
datastore id, the primary API's URL and health check; every other name is rebuilt from the suffix.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

from aws_cdk import Annotations, App, Tags, Validations
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks

from cdk_app.config import AppConfig, ConfigError, load_config
from cdk_app.data_classification import CLASSIFICATION_TAG, PHI
from cdk_app.drill_tags import tag_stacks
from cdk_app.nag_acknowledgements import acknowledge_all
from cdk_app.naming import Naming
from cdk_app.provider_tags import tag_providers
from cdk_app.stacks.control_plane_stack import ControlPlaneStack
from cdk_app.stacks.foundation_stack import FoundationStack
from cdk_app.stacks.pipeline_stack import PipelineStack
from cdk_app.stacks.services_stack import PrimaryLinks, ServicesStack
from contracts.outputs import Side

#: CDK feature flags the app relies on, applied in code so cdk.json, tests and ``python -m`` agree.
FEATURE_FLAGS: Mapping[str, object] = {
    # access-log delivery through a bucket policy, not the legacy LogDeliveryWrite ACL
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
    # same-region exports stay "strong": a producer cannot drop what a consumer still uses
    "@aws-cdk/core:defaultCrossStackReferences": "strong",
}


#: Printed by synth when no hosted zone is given: who moves clients to the DR region then.
NO_CLIENT_DOMAIN_NOTE = (
    "No -c hostedZoneId/-c domainName: no Route 53 failover record is created, so clients switch "
    "endpoints themselves. After a failover they must read the ingest URL from the SSM parameter "
    "/htdr/<suffix>/ingest-endpoint in the DR region (README: Deploy, client failover)."
)


def required_tags(config: AppConfig) -> dict[str, str]:
    """Tags every resource carries (HIPAA asset inventory and cost attribution)."""
    return {
        "Project": "healthtech-dr",
        "Environment": config.environment_suffix,
        CLASSIFICATION_TAG: PHI,  # the default; non-PHI stores are relabelled (data_classification)
        "Compliance": "HIPAA",
        "Owner": config.owner,
    }


def build(
    app: App, config: AppConfig
) -> dict[str, FoundationStack | ServicesStack | PipelineStack | ControlPlaneStack]:
    """Add every stack of the deployment to ``app`` and return them by role."""
    naming = Naming(config.environment_suffix)
    primary_fnd = FoundationStack(app, "PrimaryFoundation", config=config, naming=naming, side=Side.PRIMARY)
    dr_fnd = FoundationStack(
        app,
        "DrFoundation",
        config=config,
        naming=naming,
        side=Side.DR,
        primary_data_key_arn=primary_fnd.keys.data_key_arn,
        primary_network=primary_fnd.network,
    )
    primary = ServicesStack(
        app, "PrimaryServices", config=config, naming=naming, foundation=primary_fnd, dr_foundation=dr_fnd
    )
    primary.add_stack_dependency(
        dr_fnd, "S3 and EFS replication need the DR destinations; the return routes need the DR peering"
    )
    assert primary.cache.global_datastore is not None
    dr = ServicesStack(
        app,
        "DrServices",
        config=config,
        naming=naming,
        foundation=dr_fnd,
        primary=PrimaryLinks(
            global_datastore_id=primary.cache.global_datastore.attr_global_replication_group_id,
            api_url=primary.api.url,
            health_check_id=(
                None
                if primary.client_record is None
                else primary.client_record.health_check.attr_health_check_id
            ),
        ),
    )
    dr.add_stack_dependency(
        primary, "The secondary Aurora cluster and cache join the primary's global resources"
    )
    pipeline = PipelineStack(app, "DrDrillPipeline", config=config, naming=naming, foundation=primary_fnd)
    control = ControlPlaneStack(
        app, "DrillControlPlane", config=config, naming=naming, foundation=dr_fnd, services=dr
    )
    control.add_stack_dependency(pipeline, "Evidence replicates into the pipeline stack's replica bucket")
    if config.client_domain is None:
        # said once, on the stack that holds the switch clients must follow
        Annotations.of(dr).add_info(NO_CLIENT_DOMAIN_NOTE)
    for key, value in required_tags(config).items():
        # the global datastore's CloudFormation schema has no Tags property
        Tags.of(app).add(key, value, exclude_resource_types=["AWS::ElastiCache::GlobalReplicationGroup"])
    tag_providers(app, required_tags(config))
    tag_stacks([primary_fnd, dr_fnd, primary, dr, pipeline, control], config)
    acknowledge_all(app, config)
    # Acknowledgements also travel in each resource's template Metadata (cdk_nag.rules_to_suppress), so
    # the compliance gate applies them when it evaluates the packs on the templates alone (one pack's
    # aspect writes every acknowledged rule of the resource and its ancestors).
    Validations.of(app).add_plugins(
        HIPAASecurityChecks(app, write_suppressions_to_cloud_formation=True), AwsSolutionsChecks(app)
    )
    return {
        "PrimaryFoundation": primary_fnd,
        "DrFoundation": dr_fnd,
        "PrimaryServices": primary,
        "DrServices": dr,
        "DrDrillPipeline": pipeline,
        "DrillControlPlane": control,
    }


def create_app(context: Mapping[str, object] | None = None, outdir: str | None = None) -> App:
    """Validate the configuration first (nothing is built on bad input), then build the app."""
    app, config = new_app(context, outdir)
    build(app, config)
    return app


def new_app(context: Mapping[str, object] | None = None, outdir: str | None = None) -> tuple[App, AppConfig]:
    """An empty App with the feature flags and its validated configuration (raises ConfigError)."""
    app = App(context={**FEATURE_FLAGS, **(context or {})}, outdir=outdir)
    return app, load_config(_context_of(app, context))


def _context_of(app: App, given: Mapping[str, object] | None) -> Mapping[str, object]:
    """Context from ``-c``/cdk.json (through the App) merged over what the caller passed."""
    keys = (
        "environmentSuffix",
        "primaryRegion",
        "drRegion",
        "dbSecret",
        "cacheSecret",
        "production",
        "alarmEmail",
        "owner",
        "processorImage",
        "dagsterDbSecret",
        "sourceConnectionArn",
        "sourceRepository",
        "sourceBranch",
        "hostedZoneId",
        "domainName",
    )
    merged: dict[str, object] = dict(given or {})
    for key in keys:
        value = app.node.try_get_context(key)
        if value is not None:
            merged[key] = value
    return merged


def main() -> int:
    """``python -m cdk_app`` and cdk.json's app command: one clear line on bad input, exit 2."""
    try:
        app = create_app()
    except ConfigError as error:
        print(f"cdk_app: {error}", file=sys.stderr)
        return 2
    app.synth()
    return 0
