"""Security groups of things that only answer: data stores and VPC endpoints never open connections.

Aurora, the session cache, EFS and the interface endpoints get no outbound rule at all (CDK's
default would allow all outbound); the callers add the one inbound rule each of them serves.
"""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from constructs import Construct


def inbound_only_security_group(
    scope: Construct, construct_id: str, *, vpc: ec2.IVpc, name: str, description: str
) -> ec2.SecurityGroup:
    """A named security group in ``vpc`` with no outbound rule."""
    return ec2.SecurityGroup(
        scope,
        construct_id,
        vpc=vpc,
        security_group_name=name,
        description=description,
        allow_all_outbound=False,
    )
