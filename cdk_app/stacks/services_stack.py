"""Per-region services: ingest (API → Kinesis → archive), processor, Aurora, cache, alarms.

The primary side creates the global database, the global datastore, the multi-region trail, the
backup plan and the replication configurations (S3 RTC, EFS). The DR side joins the global
resources as secondary, runs the processor at standby size, watches replication lag and hosts the
failover runbook (it must work when the primary region does not).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Environment, Stack
from constructs import Construct

from cdk_app.arns import account_arn
from cdk_app.config import AppConfig
from cdk_app.constructs.archive_delivery import ArchiveDelivery
from cdk_app.constructs.audit_trail import AuditTrail
from cdk_app.constructs.backup_protection import BackupProtection
from cdk_app.constructs.client_failover_record import ClientFailoverRecord
from cdk_app.constructs.drill_peering_return import DrillPeeringReturn
from cdk_app.constructs.event_stream import EventStream
from cdk_app.constructs.failover_runbook import FailoverRunbook, FailoverTargets
from cdk_app.constructs.fis_experiments import FisExperiments
from cdk_app.constructs.ingest_api import HEALTH_PATH, IngestApi
from cdk_app.constructs.lag_alarms import LagAlarms, LagAlarmSpec
from cdk_app.constructs.patient_store import DB_NAME, DB_PORT, PatientStore
from cdk_app.constructs.processor_service import ACTIVE_TASKS, ProcessorService, ProcessorWiring
from cdk_app.constructs.raw_archive import REPLICATION_RULE_ID, RawArchive, ReplicaTarget
from cdk_app.constructs.session_cache import CACHE_PORT, SessionCache
from cdk_app.constructs.shared_file_system import SharedFileSystem
from cdk_app.naming import Naming
from cdk_app.outputs import emit, emit_regional
from cdk_app.secrets import import_secret
from cdk_app.stacks.foundation_stack import FoundationStack
from contracts.outputs import OutputKey, RegionalKey, Side

#: Lag thresholds (ms / s): alarm long before the 900 s RPO objective is at risk.
DB_LAG_ALARM_MS = 60_000
PRIMARY_UNREACHABLE_MS = 300_000


def aurora_global_dimensions(cluster_id: str, primary_region: str) -> tuple[dict[str, str], ...]:
    """Dimension sets under which Aurora publishes the global-database lag metrics of a secondary.

    ``AuroraGlobalDBReplicationLag`` / ``AuroraGlobalDBRPOLag`` are published in the secondary's region
    (REFERENCE.md "Aurora PostgreSQL global database"; metric list:
    https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.AuroraMonitoring.Metrics.html).
    The CloudWatch console lists them under the dimension set ``DBClusterIdentifier, SourceRegion``
    (SourceRegion = the primary's region), and AWS's Aurora labs graph them by ``DBClusterIdentifier``
    alone (https://awslabs.github.io/amazon-aurora-labs-for-mysql/global/monitor/). An alarm matches a
    dimension set exactly, so the alarms watch the MAX of both; verify with
    ``aws cloudwatch list-metrics --namespace AWS/RDS --metric-name AuroraGlobalDBRPOLag`` after deploy.
    """
    return (
        {"DBClusterIdentifier": cluster_id, "SourceRegion": primary_region},
        {"DBClusterIdentifier": cluster_id},
    )


@dataclass(frozen=True)
class PrimaryLinks:
    """What the DR services stack needs from the primary services stack (cross-region references)."""

    global_datastore_id: str
    api_url: str
    #: the primary API's Route 53 health check (None without a hosted zone)
    health_check_id: str | None = None


class ServicesStack(Stack):
    """All regional services of one side."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        naming: Naming,
        foundation: FoundationStack,
        dr_foundation: FoundationStack | None = None,
        primary: PrimaryLinks | None = None,
    ) -> None:
        side = foundation.side
        super().__init__(
            scope,
            construct_id,
            stack_name=naming.stack(f"{side.value}Services"),
            env=Environment(region=config.region_of(side)),
            cross_region_references=True,
            description=f"HealthTech DR {naming.suffix}: {side.value} ingest, processing and data stores",
        )
        self.config, self.naming, self.side = config, naming, side
        self.primary_links = primary
        self.label = side.value.lower()
        is_primary = side is Side.PRIMARY
        keys, network = foundation.keys, foundation.network
        self.stream = EventStream(
            self, "Stream", config=config, name=naming.name("events"), key=keys.data_key
        )
        stream = self.stream.stream
        self.api = IngestApi(
            self,
            "Ingest",
            config=config,
            naming=naming,
            stream_name=stream.stream_name,
            stream_arn=stream.stream_arn,
            data_key=keys.data_key,
            logs_key=keys.logs_key,
        )
        self.client_record = (
            None
            if config.client_domain is None
            else ClientFailoverRecord(
                self,
                "ClientEndpoint",
                domain=config.client_domain,
                side=side,
                api=self.api.api,
                health_path=HEALTH_PATH,
            )
        )
        self.store = PatientStore(
            self,
            "PatientStore",
            config=config,
            naming=naming,
            side=self.label,
            vpc=network.vpc,
            subnets=network.data_subnets,
            key_arn=keys.data_key_arn,
            secondary=not is_primary,
        )
        self.cache = SessionCache(
            self,
            "SessionCache",
            config=config,
            naming=naming,
            side=self.label,
            vpc=network.vpc,
            subnets=network.data_subnets,
            data_key=keys.data_key,
            logs_key=keys.logs_key,
            global_datastore_id=None if primary is None else primary.global_datastore_id,
        )
        if is_primary:
            assert dr_foundation is not None
            self.archive = self._primary_archive(foundation, dr_foundation)
            self.shared_fs = self._primary_file_system(foundation, dr_foundation)
        else:
            self.archive = foundation.archive
            self.shared_fs = foundation.shared_fs
        ArchiveDelivery(
            self,
            "ArchiveDelivery",
            config=config,
            naming=naming,
            bucket=self.archive.bucket,
            stream_arn=stream.stream_arn,
            data_key=keys.data_key,
            logs_key=keys.logs_key,
        )
        db_secret = import_secret(self, "DbSecret", config.db_secret)
        cache_secret = import_secret(self, "CacheSecret", config.cache_secret)
        self.processor = ProcessorService(
            self,
            "Processor",
            config=config,
            naming=naming,
            vpc=network.vpc,
            subnets=network.app_subnets,
            wiring=ProcessorWiring(
                stream_name=stream.stream_name,
                stream_arn=stream.stream_arn,
                db_host=self.store.cluster.attr_endpoint_address,
                db_port=self.store.cluster.attr_endpoint_port,
                db_name=DB_NAME,
                cache_host=self.cache.group.attr_primary_end_point_address,
                cache_port=self.cache.group.attr_primary_end_point_port,
                db_secret=db_secret,
                cache_secret=cache_secret,
                file_system=self.shared_fs.file_system,
            ),
            data_key=keys.data_key,
            logs_key=keys.logs_key,
            standby=not is_primary,
        )
        self.store.connections.allow_default_port_from(self.processor.security_group)
        self.cache.connections.allow_default_port_from(self.processor.security_group)
        if is_primary:
            self.fis = FisExperiments(
                self,
                "Fis",
                config=config,
                naming=naming,
                side=self.label,
                region=config.region_of(side),
                vpc=network.vpc,
                data_subnets=network.data_subnets,
                stream_name=naming.name("events"),
                logs_key=keys.logs_key,
            )
            self._primary_extras(foundation)
            assert dr_foundation is not None
            DrillPeeringReturn(
                self,
                "DrillPeeringReturn",
                primary=network,
                dr=dr_foundation.network,
                connection_id=dr_foundation.drill_peering.connection.ref,
                stores=[self.store.connections, self.cache.connections],
            )
            emit(self, OutputKey.DB_SECRET_ARN, db_secret.secret_arn, "Existing Aurora master secret")
            emit(self, OutputKey.CACHE_SECRET_ARN, cache_secret.secret_arn, "Existing cache AUTH secret")
        else:
            self._dr_extras(foundation)
        self._regional_outputs(foundation)

    def _primary_archive(self, foundation: FoundationStack, dr: FoundationStack) -> RawArchive:
        return RawArchive(
            self,
            "RawArchive",
            config=self.config,
            naming=self.naming,
            region=self.region,
            data_key=foundation.keys.data_key,
            access_logs=foundation.access_logs.bucket,
            replica=ReplicaTarget(
                bucket_name=self.naming.bucket("raw-archive", self.config.dr_region),
                key_arn=foundation.keys.data_key_arn_in(self.config.dr_region),
            ),
        )

    def _primary_file_system(self, foundation: FoundationStack, dr: FoundationStack) -> SharedFileSystem:
        return SharedFileSystem(
            self,
            "SharedFs",
            config=self.config,
            naming=self.naming,
            side=self.label,
            vpc=foundation.network.vpc,
            subnets=foundation.network.data_subnets,
            data_key=foundation.keys.data_key,
            replicate_to=(self.config.dr_region, dr.shared_fs.file_system.file_system_id),
        )

    def _primary_extras(self, foundation: FoundationStack) -> None:
        """Trail, backup plan with DR copy, primary-side lag alarms, global ids."""
        AuditTrail(
            self,
            "AuditTrail",
            config=self.config,
            naming=self.naming,
            region=self.region,
            logs_key=foundation.keys.logs_key,
            access_logs=foundation.access_logs.bucket,
            phi_bucket_names=[
                self.archive.bucket.bucket_name,
                self.naming.bucket("raw-archive", self.config.dr_region),
            ],
        )
        cluster_id = self.naming.db_cluster_id(self.label)
        cluster_arn = account_arn("rds", self.region, f"cluster:{cluster_id}")
        BackupProtection(
            self,
            "Backup",
            config=self.config,
            naming=self.naming,
            vault=foundation.vault.vault,
            resource_arns=[cluster_arn, self.shared_fs.file_system.file_system_arn],
        )
        dr_bucket = self.naming.bucket("raw-archive", self.config.dr_region)
        LagAlarms(
            self,
            "LagAlarms",
            config=self.config,
            naming=self.naming,
            side=self.label,
            logs_key=foundation.keys.logs_key,
            specs=[
                LagAlarmSpec(
                    "archive-replication-latency",
                    "AWS/S3",
                    "ReplicationLatency",
                    {
                        "SourceBucket": self.archive.bucket.bucket_name,
                        "DestinationBucket": dr_bucket,
                        "RuleId": REPLICATION_RULE_ID,
                    },
                    threshold=600,
                    description="S3 RTC: archive replication latency above 10 min (RTC is 15)",
                ),
                LagAlarmSpec(
                    "efs-time-since-sync",
                    "AWS/EFS",
                    "TimeSinceLastSync",
                    {"FileSystemId": self.shared_fs.file_system.file_system_id},
                    threshold=900,
                    description="EFS replica older than 15 min",
                ),
                LagAlarmSpec(
                    "stream-iterator-age",
                    "AWS/Kinesis",
                    "GetRecords.IteratorAgeMilliseconds",
                    {"StreamName": self.stream.stream.stream_name},
                    threshold=60_000,
                    description="Processor more than 1 min behind the stream",
                ),
            ],
        )
        glob_db = self.naming.global_cluster_id()
        assert self.cache.global_datastore is not None
        emit(self, OutputKey.GLOBAL_CLUSTER_ID, glob_db, "Aurora global cluster")
        emit(
            self,
            OutputKey.GLOBAL_DATASTORE_ID,
            self.cache.global_datastore.attr_global_replication_group_id,
            "ElastiCache global datastore",
        )
        emit(self, OutputKey.DB_NAME, DB_NAME, "Database name")
        emit(self, OutputKey.DB_PORT, str(DB_PORT), "Database port")
        emit(self, OutputKey.CACHE_PORT, str(CACHE_PORT), "Cache port")

    def _dr_extras(self, foundation: FoundationStack) -> None:
        """Lag alarms on the secondary side and the failover runbook they trigger."""
        assert self.primary_links is not None
        cluster_id = self.naming.db_cluster_id(self.label)
        aurora = aurora_global_dimensions(cluster_id, self.config.primary_region)
        alarms = LagAlarms(
            self,
            "LagAlarms",
            config=self.config,
            naming=self.naming,
            side=self.label,
            logs_key=foundation.keys.logs_key,
            specs=[
                LagAlarmSpec(
                    "db-replication-lag",
                    "AWS/RDS",
                    "AuroraGlobalDBReplicationLag",
                    aurora[0],
                    threshold=DB_LAG_ALARM_MS,
                    description="Aurora global replication lag above 60 s",
                    also_published_as=aurora[1:],
                ),
                LagAlarmSpec(
                    "db-rpo-lag",
                    "AWS/RDS",
                    "AuroraGlobalDBRPOLag",
                    aurora[0],
                    threshold=DB_LAG_ALARM_MS,
                    description="Aurora RPO lag above 60 s",
                    also_published_as=aurora[1:],
                ),
                LagAlarmSpec(
                    "cache-replication-lag",
                    "AWS/ElastiCache",
                    "GlobalDatastoreReplicationLag",
                    {"CacheClusterId": f"{self.naming.cache_group_id(self.label)}-001"},
                    threshold=5,
                    description="Cache global datastore lag above 5 s",
                ),
                LagAlarmSpec(
                    "primary-unreachable",
                    "AWS/RDS",
                    "AuroraGlobalDBReplicationLag",
                    aurora[0],
                    threshold=PRIMARY_UNREACHABLE_MS,
                    periods=5,
                    description=(
                        "Replication from the primary more than 5 min behind for 5 min: starts the failover "
                        "runbook, whose data-losing failover waits for a person's approval"
                    ),
                    also_published_as=aurora[1:],
                ),
            ],
        )
        FailoverRunbook(
            self,
            "Failover",
            config=self.config,
            naming=self.naming,
            targets=FailoverTargets(
                global_cluster_id=self.naming.global_cluster_id(),
                primary_cluster_id=self.naming.db_cluster_id(Side.PRIMARY.value.lower()),
                dr_cluster_id=cluster_id,
                global_datastore_id=self.cache.group.global_replication_group_id or "",
                primary_cache_group_id=self.naming.cache_group_id(Side.PRIMARY.value.lower()),
                dr_cache_group_id=self.naming.cache_group_id(self.label),
                dr_file_system_id=self.shared_fs.file_system.file_system_id,
                ecs_cluster_name=self.processor.cluster.cluster_name,
                ecs_service_name=self.processor.service.service_name,
                active_tasks=ACTIVE_TASKS,
                dr_api_url=self.api.url,
                primary_health_check_id=self.primary_links.health_check_id,
            ),
            trigger=alarms.alarms["primary-unreachable"],
            primary_api_url=self.primary_links.api_url,
        )

    def _regional_outputs(self, foundation: FoundationStack) -> None:
        side = self.side
        stream = self.stream.stream
        emit_regional(self, side, RegionalKey.STREAM_NAME, stream.stream_name, "Kinesis stream")
        emit_regional(self, side, RegionalKey.STREAM_ARN, stream.stream_arn, "Kinesis stream ARN")
        emit_regional(self, side, RegionalKey.API_URL, self.api.url, "Ingest API base URL")
        emit_regional(
            self, side, RegionalKey.WRITER_ENDPOINT, self.store.cluster.attr_endpoint_address, "Aurora writer"
        )
        emit_regional(
            self,
            side,
            RegionalKey.READER_ENDPOINT,
            self.store.cluster.attr_read_endpoint_address,
            "Aurora reader",
        )
        emit_regional(
            self, side, RegionalKey.DB_CLUSTER_ID, self.naming.db_cluster_id(self.label), "Aurora cluster"
        )
        emit_regional(
            self,
            side,
            RegionalKey.CACHE_ENDPOINT,
            self.cache.group.attr_primary_end_point_address,
            "Cache primary endpoint",
        )
        emit_regional(
            self,
            side,
            RegionalKey.CACHE_REPLICATION_GROUP_ID,
            self.naming.cache_group_id(self.label),
            "Cache group",
        )
        emit_regional(
            self, side, RegionalKey.ECS_CLUSTER_NAME, self.processor.cluster.cluster_name, "ECS cluster"
        )
        emit_regional(
            self,
            side,
            RegionalKey.PROCESSOR_SERVICE_NAME,
            self.processor.service.service_name,
            "Processor service",
        )
        if side is Side.PRIMARY:
            emit_regional(
                self,
                side,
                RegionalKey.ARCHIVE_BUCKET_NAME,
                self.archive.bucket.bucket_name,
                "Raw-event archive",
            )
            emit_regional(
                self,
                side,
                RegionalKey.EFS_ID,
                self.shared_fs.file_system.file_system_id,
                "Shared file system",
            )
