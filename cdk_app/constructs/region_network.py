"""The VPC of one region: three AZs, public / app / isolated-data tiers, flow logs, VPC endpoints.

Data services (Aurora, ElastiCache, EFS) live in isolated subnets with no route out. The app tier
(ECS processor, drill CodeBuild) reaches AWS APIs through interface endpoints, so PHI-bearing calls
never traverse the NAT; the NAT only serves image pulls and package installs.

The two regions' VPCs have disjoint ranges (``VPC_CIDRS``): the drill run tasks in the DR app subnets
reach the primary's data subnets over an inter-region VPC peering connection (``drill_peering``), and
a peering connection between overlapping ranges fails ("The requester VPC and accepter VPC cannot have
overlapping CIDR blocks", https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/
aws-resource-ec2-vpcpeeringconnection.html).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from cdk_app.config import AppConfig
from cdk_app.constructs.encrypted_log_group import EncryptedLogGroup
from cdk_app.constructs.inbound_only_security_group import inbound_only_security_group
from cdk_app.naming import Naming
from contracts.outputs import Side

APP_SUBNETS = "app"
DATA_SUBNETS = "data"
#: Each side's VPC range (private, RFC 1918), disjoint so the two VPCs can be peered.
VPC_CIDRS: Mapping[Side, str] = {Side.PRIMARY: "10.40.0.0/16", Side.DR: "10.41.0.0/16"}
_INTERFACE_ENDPOINTS = {
    "Kinesis": ec2.InterfaceVpcEndpointAwsService.KINESIS_STREAMS,
    "SecretsManager": ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
    "Kms": ec2.InterfaceVpcEndpointAwsService.KMS,
    "Logs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    "Monitoring": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
    "Sts": ec2.InterfaceVpcEndpointAwsService.STS,
    "EcrApi": ec2.InterfaceVpcEndpointAwsService.ECR,
    "EcrDocker": ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
    "Efs": ec2.InterfaceVpcEndpointAwsService.ELASTIC_FILESYSTEM,
}


class RegionNetwork(Construct):
    """VPC over the region's three configured AZs (explicit, so synthesis needs no AZ look-up)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        naming: Naming,
        side: Side,
        logs_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        region = config.region_of(side)
        self.cidr = VPC_CIDRS[side]
        flow_logs = EncryptedLogGroup(
            self, "FlowLogs", config=config, name=f"/htdr/{naming.suffix}/vpc-flow-logs", key=logs_key
        )
        flow_role = iam.Role(
            self,
            "FlowLogsRole",
            role_name=naming.name(f"flowlogs-{region}"),
            assumed_by=iam.ServicePrincipal("vpc-flow-logs.amazonaws.com"),
        )
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            vpc_name=naming.name("vpc"),
            ip_addresses=ec2.IpAddresses.cidr(self.cidr),
            availability_zones=list(config.azs(region)),
            nat_gateways=3 if config.production else 1,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="public",
                    subnet_type=ec2.SubnetType.PUBLIC,
                    cidr_mask=24,
                    map_public_ip_on_launch=False,
                ),
                ec2.SubnetConfiguration(
                    name=APP_SUBNETS, subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=20
                ),
                ec2.SubnetConfiguration(
                    name=DATA_SUBNETS, subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24
                ),
            ],
            flow_logs={
                "All": ec2.FlowLogOptions(
                    destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs.log_group, flow_role),
                    traffic_type=ec2.FlowLogTrafficType.ALL,
                )
            },
            restrict_default_security_group=True,
        )
        self.vpc.add_gateway_endpoint("S3", service=ec2.GatewayVpcEndpointAwsService.S3)
        endpoints_sg = inbound_only_security_group(
            self,
            "EndpointsSg",
            vpc=self.vpc,
            name=naming.name("endpoints"),
            description="Interface endpoints: HTTPS from inside the VPC only",
        )
        endpoints_sg.add_ingress_rule(ec2.Peer.ipv4(self.cidr), ec2.Port.tcp(443), "HTTPS from the VPC")
        app = ec2.SubnetSelection(subnet_group_name=APP_SUBNETS)
        for endpoint_id, service in _INTERFACE_ENDPOINTS.items():
            self.vpc.add_interface_endpoint(
                endpoint_id,
                service=service,
                subnets=app,
                private_dns_enabled=True,
                open=False,
                security_groups=[endpoints_sg],
            )

    @property
    def app_subnets(self) -> ec2.SubnetSelection:
        """Private subnets with egress: ECS tasks, CodeBuild."""
        return ec2.SubnetSelection(subnet_group_name=APP_SUBNETS)

    @property
    def data_subnets(self) -> ec2.SubnetSelection:
        """Isolated subnets: Aurora, ElastiCache, EFS mount targets."""
        return ec2.SubnetSelection(subnet_group_name=DATA_SUBNETS)

    def subnets_of(self, group: str) -> list[ec2.ISubnet]:
        """The subnets of tier ``group`` (``APP_SUBNETS`` or ``DATA_SUBNETS``), one per AZ."""
        return self.vpc.select_subnets(subnet_group_name=group).subnets
