"""ARNs in this deployment's own account, built from names the app chose.

Stacks and constructs grant on resources of the other region or of another stack; rebuilding the
ARN from its name avoids a cross-stack export. One builder keeps partition and account right.
"""

from __future__ import annotations

from aws_cdk import Aws

#: The region part of a global resource's ARN (Aurora global cluster, ElastiCache global datastore).
GLOBAL = ""


def account_arn(service: str, region: str, resource: str) -> str:
    """``arn:<partition>:<service>:<region>:<this account>:<resource>``."""
    return f"arn:{Aws.PARTITION}:{service}:{region}:{Aws.ACCOUNT_ID}:{resource}"
