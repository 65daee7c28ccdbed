"""The primary side of the drill runs' private path: return routes, and the stores admitting the runs.

Built in the primary services stack, which deploys after the DR foundation (it already needs the DR
replication destinations) and so can read the peering connection's id; the primary foundation cannot,
since the peering needs the primary VPC first.

- Routes: each primary DATA subnet's route table sends the DR app subnets' ranges back through the
  peering connection, and nothing else (the primary's app tier never talks to the DR region this way).
- Security groups: the primary Aurora (5432) and cache (6379) groups admit the DR app subnets by
  range. A group in a peer VPC of another region cannot be referenced ("You can't reference the
  security group of a peer VPC that's in a different Region. Instead, use the CIDR block of the peer
  VPC", https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-security-groups.html), so the
  narrowest source is the app subnets' ranges, not the DR VPC's. The DR processor shares those subnets:
  it could connect too, but has no reason or configuration to.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from cdk_app.constructs.drill_peering import peering_routes
from cdk_app.constructs.region_network import APP_SUBNETS, DATA_SUBNETS, RegionNetwork

DESCRIPTION = "Drill runs in the DR app subnets (inter-region peering)"


class DrillPeeringReturn(Construct):
    """Return routes from the primary data subnets, and ingress on the given stores' default ports."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        primary: RegionNetwork,
        dr: RegionNetwork,
        connection_id: str,
        stores: Sequence[ec2.Connections],
    ) -> None:
        super().__init__(scope, construct_id)
        runs = [subnet.ipv4_cidr_block for subnet in dr.subnets_of(APP_SUBNETS)]
        self.routes = peering_routes(
            self,
            "DataToDrApp",
            sources=primary.subnets_of(DATA_SUBNETS),
            destinations=runs,
            connection_id=connection_id,
        )
        for store in stores:
            for cidr in runs:
                store.allow_default_port_from(ec2.Peer.ipv4(cidr), DESCRIPTION)
