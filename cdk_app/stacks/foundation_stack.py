"""Per-region foundation: keys, VPC, access-log bucket, backup vault; on the DR side also the
replication destinations (raw-archive replica bucket, EFS replica) that the primary points at, and the
VPC peering connection through which drill runs observe the primary's data stores.

Deployed first in each region (primary, then DR) so the primary services can reference them.
"""

from __future__ import annotations

from aws_cdk import Environment, Stack
from constructs import Construct

from cdk_app.config import AppConfig
from cdk_app.constructs.access_log_bucket import AccessLogBucket
from cdk_app.constructs.backup_vault import BackupVault
from cdk_app.constructs.drill_peering import DrillPeering
from cdk_app.constructs.raw_archive import RawArchive
from cdk_app.constructs.region_keys import RegionKeys
from cdk_app.constructs.region_network import RegionNetwork
from cdk_app.constructs.shared_file_system import SharedFileSystem
from cdk_app.data_classification import mark_replica
from cdk_app.naming import Naming
from cdk_app.outputs import emit, emit_regional
from contracts.outputs import OutputKey, RegionalKey, Side


class FoundationStack(Stack):
    """Keys + network (+ DR replication destinations when ``side`` is DR)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        naming: Naming,
        side: Side,
        primary_data_key_arn: str | None = None,
        primary_network: RegionNetwork | None = None,
    ) -> None:
        region = config.region_of(side)
        super().__init__(
            scope,
            construct_id,
            stack_name=naming.stack(f"{side.value}Foundation"),
            env=Environment(region=region),
            cross_region_references=True,
            description=f"HealthTech DR {naming.suffix}: {side.value} keys, network, log and backup stores",
        )
        self.side = side
        self.keys = RegionKeys(
            self, "Keys", config=config, naming=naming, primary_data_key_arn=primary_data_key_arn
        )
        self.network = RegionNetwork(
            self, "Network", config=config, naming=naming, side=side, logs_key=self.keys.logs_key
        )
        self.access_logs = AccessLogBucket(self, "AccessLogs", config=config, naming=naming, region=region)
        label = side.value.lower()
        self.vault = BackupVault(
            self, "Backup", config=config, naming=naming, side=label, key=self.keys.data_key
        )
        emit_regional(
            self, side, RegionalKey.KMS_KEY_ARN, self.keys.data_key_arn, "PHI data key (multi-Region)"
        )
        if side is Side.PRIMARY:
            emit(self, OutputKey.ENVIRONMENT_SUFFIX, config.environment_suffix, "Environment suffix")
            emit(self, OutputKey.PRIMARY_REGION, config.primary_region, "Primary region")
            emit(self, OutputKey.DR_REGION, config.dr_region, "DR region")
            emit(self, OutputKey.TARGET_KIND, "aws", "Drill target kind of this deployment")
            return
        if primary_network is None:
            raise ValueError("the DR foundation needs the primary network (primary_network) to peer with")
        self.drill_peering = DrillPeering(
            self,
            "DrillPeering",
            dr=self.network,
            primary=primary_network,
            primary_region=config.primary_region,
        )
        self.archive = RawArchive(
            self,
            "RawArchive",
            config=config,
            naming=naming,
            region=region,
            data_key=self.keys.data_key,
            access_logs=self.access_logs.bucket,
        )
        mark_replica(self.archive.bucket)  # the destination of the primary archive's replication
        self.shared_fs = SharedFileSystem(
            self,
            "SharedFs",
            config=config,
            naming=naming,
            side=label,
            vpc=self.network.vpc,
            subnets=self.network.data_subnets,
            data_key=self.keys.data_key,
        )
        emit_regional(
            self,
            side,
            RegionalKey.ARCHIVE_BUCKET_NAME,
            self.archive.bucket.bucket_name,
            "Raw-event archive replica",
        )
        emit_regional(
            self, side, RegionalKey.EFS_ID, self.shared_fs.file_system.file_system_id, "EFS replica"
        )
