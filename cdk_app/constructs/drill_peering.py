"""The DR side of the drill runs' private path to the primary: the peering connection and its routes.

Drill runs (Fargate tasks in the DR VPC's app subnets, ``dagster_service``) observe the primary's data
stores: its Aurora writer and cache, over SQL and the cache protocol. An inter-region VPC peering
connection gives them that path; the DR VPC requests it, the primary VPC accepts it.

- Same account, other region: ``PeerRegion`` names the accepter's region (default: the requester's
  region, which would look for the primary VPC in the wrong region and fail to stabilise) and no
  ``PeerRoleArn``/``PeerOwnerId`` is set: "If the requester and acceptor VPCs are in the same account,
  the peering request is accepted without a peering role"
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-vpcpeeringconnection.html;
  https://aws.amazon.com/premiumsupport/knowledge-center/cloudformation-vpc-peering-error/).
- Routes only where the traffic goes: each DR app subnet's route table sends the primary's DATA subnets
  (not its whole range) through the connection; the primary routes back (``drill_peering_return``).
- No peering DNS option is needed for Aurora: "When the DB instance isn't publicly accessible, it is an
  internal DB instance with a DNS name that resolves to a private IP address"
  (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html,
  ``PubliclyAccessible``; every instance here sets it false). That the cache's endpoint resolves the
  same way from the peer VPC is assumed, not verified from a source.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from cdk_app.constructs.region_network import APP_SUBNETS, DATA_SUBNETS, RegionNetwork


def peering_routes(
    scope: Construct,
    prefix: str,
    *,
    sources: Sequence[ec2.ISubnet],
    destinations: Sequence[str],
    connection_id: str,
) -> list[ec2.CfnRoute]:
    """One route per (source subnet's route table, destination range) through the peering connection."""
    return [
        ec2.CfnRoute(
            scope,
            f"{prefix}{s_index}To{d_index}",
            route_table_id=subnet.route_table.route_table_id,
            destination_cidr_block=destination,
            vpc_peering_connection_id=connection_id,
        )
        for s_index, subnet in enumerate(sources, start=1)
        for d_index, destination in enumerate(destinations, start=1)
    ]


class DrillPeering(Construct):
    """Peering from the DR VPC (requester) to the primary VPC, and the DR app subnets' routes over it."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dr: RegionNetwork,
        primary: RegionNetwork,
        primary_region: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.connection = ec2.CfnVPCPeeringConnection(
            self,
            "Connection",
            vpc_id=dr.vpc.vpc_id,
            peer_vpc_id=primary.vpc.vpc_id,
            peer_region=primary_region,
        )
        self.routes = peering_routes(
            self,
            "AppToPrimaryData",
            sources=dr.subnets_of(APP_SUBNETS),
            destinations=[subnet.ipv4_cidr_block for subnet in primary.subnets_of(DATA_SUBNETS)],
            connection_id=self.connection.ref,
        )
