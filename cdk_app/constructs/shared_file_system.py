"""Shared file system (device firmware, reference files) on EFS, replicated to the DR region.

Encrypted with the PHI key, reachable only over TLS (the file system policy denies any request
without ``aws:SecureTransport``), backed up by AWS Backup. The DR side is the replication
destination (overwrite protection off so replication may write to it); the primary side carries
the replication configuration pointing at it.
"""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_efs as efs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from cdk_app.config import AppConfig
from cdk_app.constructs.inbound_only_security_group import inbound_only_security_group
from cdk_app.naming import Naming


def tls_only_policy() -> iam.PolicyDocument:
    """Deny every EFS action over a connection without TLS; allow mounts only via mount targets."""
    return iam.PolicyDocument(
        statements=[
            iam.PolicyStatement(
                sid="DenyWithoutTls",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["*"],
                resources=["*"],
                conditions={"Bool": {"aws:SecureTransport": "false"}},
            ),
            iam.PolicyStatement(
                sid="AccountMountsThroughMountTargets",
                principals=[iam.AccountRootPrincipal()],
                actions=["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
                resources=["*"],
                conditions={"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}},
            ),
        ]
    )


class SharedFileSystem(Construct):
    """EFS in the data subnets; ``replicate_to`` = (region, destination file system id) on the primary."""

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
        replicate_to: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        is_destination = replicate_to is None
        self.file_system = efs.FileSystem(
            self,
            "Fs",
            file_system_name=naming.name(f"shared-{side}"),
            vpc=vpc,
            vpc_subnets=subnets,
            encrypted=True,
            kms_key=data_key,
            enable_automatic_backups=True,
            file_system_policy=tls_only_policy(),
            performance_mode=efs.PerformanceMode.GENERAL_PURPOSE,
            throughput_mode=efs.ThroughputMode.ELASTIC,
            removal_policy=config.removal_policy,
            security_group=inbound_only_security_group(
                self,
                "Sg",
                vpc=vpc,
                name=naming.name(f"shared-{side}"),
                description="EFS: NFS over TLS from the processor only",
            ),
            replication_overwrite_protection=(
                efs.ReplicationOverwriteProtection.DISABLED
                if is_destination
                else efs.ReplicationOverwriteProtection.ENABLED
            ),
        )
        if replicate_to is not None:
            region, destination_id = replicate_to
            cfn = self.file_system.node.default_child
            assert isinstance(cfn, efs.CfnFileSystem)
            cfn.replication_configuration = efs.CfnFileSystem.ReplicationConfigurationProperty(
                destinations=[
                    efs.CfnFileSystem.ReplicationDestinationProperty(
                        file_system_id=destination_id, region=region
                    )
                ]
            )
