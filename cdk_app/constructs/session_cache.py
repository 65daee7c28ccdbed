"""Session cache: one regional replication group of an ElastiCache global datastore.

TLS required, at-rest encryption with the PHI key, AUTH token read from the imported secret through
a dynamic reference, multi-AZ automatic failover, 15 days of snapshots. The primary side also
creates the global datastore; the DR side joins it as the secondary (read-only until failover) and
inherits engine, node type, encryption and AUTH from the primary instead of setting them.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_kms as kms
from constructs import Construct

from cdk_app.config import AppConfig
from cdk_app.constructs.encrypted_log_group import EncryptedLogGroup
from cdk_app.constructs.inbound_only_security_group import inbound_only_security_group
from cdk_app.constructs.patient_store import secret_reference
from cdk_app.naming import Naming
from contracts.secrets import CACHE_AUTH_TOKEN

ENGINE = "redis"
ENGINE_VERSION = "7.1"
NODE_TYPE = "cache.r7g.large"
CACHE_PORT = 6379
SNAPSHOT_RETENTION_DAYS = 15
#: CloudFormation properties a global-datastore secondary inherits and must not set (see _primary_only).
INHERITED_BY_SECONDARY = (
    "Engine",
    "EngineVersion",
    "CacheNodeType",
    "NumNodeGroups",
    "AtRestEncryptionEnabled",
    "KmsKeyId",
    "TransitEncryptionEnabled",
    "TransitEncryptionMode",
    "AuthToken",
    "Port",
)

_INHERITED = (
    "global-datastore secondary: inherits {what} from the primary, which sets it (a secondary may not: "
    "InvalidParameterCombination); CKV_HT_5 and CKV_HT_6 hold the primary and the datastore to account"
)
#: checkov's built-in ElastiCache checks read only the group's own properties, so on the secondary they
#: report what it inherits as missing; skipped here, on this resource only, with the reason.
_SECONDARY_CHECKOV_SKIPS = (
    {"id": "CKV_AWS_29", "comment": _INHERITED.format(what="at-rest encryption with the PHI key")},
    {"id": "CKV_AWS_30", "comment": _INHERITED.format(what="required in-transit encryption")},
    {"id": "CKV_AWS_31", "comment": _INHERITED.format(what="in-transit encryption and the AUTH token")},
)


class SessionCache(Construct):
    """A replication group; pass ``global_datastore_id`` to join an existing global datastore."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        naming: Naming,
        side: str,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        data_key: kms.IKey,
        logs_key: kms.IKey,
        global_datastore_id: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.security_group = inbound_only_security_group(
            self,
            "Sg",
            vpc=vpc,
            name=naming.name(f"sessions-{side}"),
            description="Session cache: TLS Redis from the processor only",
        )
        subnet_group = elasticache.CfnSubnetGroup(
            self,
            "Subnets",
            cache_subnet_group_name=naming.name(f"sessions-{side}"),
            description="Isolated data subnets",
            subnet_ids=vpc.select_subnets(subnet_group_name=subnets.subnet_group_name).subnet_ids,
        )
        slow_log = EncryptedLogGroup(
            self, "SlowLog", config=config, name=f"/htdr/{naming.suffix}/cache-slow-log", key=logs_key
        )
        is_secondary = global_datastore_id is not None
        self.group = elasticache.CfnReplicationGroup(
            self,
            "Group",
            replication_group_id=naming.cache_group_id(side),
            replication_group_description=f"Session cache {side} ({naming.suffix})",
            replicas_per_node_group=1,
            automatic_failover_enabled=True,
            multi_az_enabled=True,
            snapshot_retention_limit=SNAPSHOT_RETENTION_DAYS,
            snapshot_window="06:00-07:00",
            cache_subnet_group_name=subnet_group.ref,
            security_group_ids=[self.security_group.security_group_id],
            global_replication_group_id=global_datastore_id,
            log_delivery_configurations=[
                elasticache.CfnReplicationGroup.LogDeliveryConfigurationRequestProperty(
                    destination_type="cloudwatch-logs",
                    log_format="json",
                    log_type="slow-log",
                    destination_details=elasticache.CfnReplicationGroup.DestinationDetailsProperty(
                        cloud_watch_logs_details=elasticache.CfnReplicationGroup.CloudWatchLogsDestinationDetailsProperty(
                            log_group=slow_log.log_group.log_group_name
                        )
                    ),
                )
            ],
            **({} if is_secondary else self._primary_only(config, data_key)),
        )
        if is_secondary:
            self.group.add_metadata("checkov", {"skip": list(_SECONDARY_CHECKOV_SKIPS)})
        self.group.cfn_options.deletion_policy = config.cfn_deletion_policy
        self.group.cfn_options.update_replace_policy = config.cfn_deletion_policy
        self.connections = ec2.Connections(
            security_groups=[self.security_group], default_port=ec2.Port.tcp(CACHE_PORT)
        )
        self.global_datastore: elasticache.CfnGlobalReplicationGroup | None = None
        if global_datastore_id is None:
            self.global_datastore = self._global_datastore(config, naming)

    @staticmethod
    def _primary_only(config: AppConfig, data_key: kms.IKey) -> dict[str, Any]:
        """What only the primary of a global datastore sets; a secondary inherits all of it.

        A replication group that joins a global datastore (``GlobalReplicationGroupId``) takes engine,
        engine version, node type, shard layout, encryption in transit and at rest (with the key) and
        AUTH from the primary, and setting them fails with InvalidParameterCombination (REFERENCE.md
        "AWS constraints that decide whether a stack deploys"; CloudFormation
        https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-elasticache-replicationgroup.html#cfn-elasticache-replicationgroup-globalreplicationgroupid
        and ElastiCache https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Redis-Global-Datastores-Console.html#Redis-Global-Datastores-Console-Create-Secondary).
        The secondary is still TLS-only, encrypted with the multi-Region PHI key and AUTH-protected:
        by inheritance.
        """
        return {
            "engine": ENGINE,
            "engine_version": ENGINE_VERSION,
            "cache_node_type": NODE_TYPE,
            "num_node_groups": 1,
            "at_rest_encryption_enabled": True,
            "kms_key_id": data_key.key_arn,
            "transit_encryption_enabled": True,
            "transit_encryption_mode": "required",
            "auth_token": secret_reference(config.cache_secret, CACHE_AUTH_TOKEN),
            "port": CACHE_PORT,
        }

    def _global_datastore(self, config: AppConfig, naming: Naming) -> elasticache.CfnGlobalReplicationGroup:
        glob = elasticache.CfnGlobalReplicationGroup(
            self,
            "Global",
            global_replication_group_id_suffix=naming.name("sessions"),
            global_replication_group_description=f"Session cache global datastore ({naming.suffix})",
            automatic_failover_enabled=True,
            members=[
                elasticache.CfnGlobalReplicationGroup.GlobalReplicationGroupMemberProperty(
                    replication_group_id=self.group.ref,
                    replication_group_region=config.primary_region,
                    role="PRIMARY",
                )
            ],
        )
        glob.cfn_options.deletion_policy = config.cfn_deletion_policy
        # without the same UpdateReplacePolicy a replacement would still delete it (cfn-lint W3011)
        glob.cfn_options.update_replace_policy = config.cfn_deletion_policy
        return glob
