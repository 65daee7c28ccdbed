"""Import the pre-existing secrets. Nothing here creates a secret: the app only references them."""

from __future__ import annotations

import re

from aws_cdk import aws_secretsmanager as sm
from constructs import Construct

from cdk_app.config import ExistingSecret

_COMPLETE_ARN = re.compile(r"-[A-Za-z0-9]{6}$")


def import_secret(scope: Construct, construct_id: str, secret: ExistingSecret) -> sm.ISecret:
    """Reference by name (resolved in the stack's region, where a replica must exist) or by ARN."""
    if not secret.is_arn:
        return sm.Secret.from_secret_name_v2(scope, construct_id, secret.name_or_arn)
    if _COMPLETE_ARN.search(secret.name_or_arn):
        return sm.Secret.from_secret_complete_arn(scope, construct_id, secret.name_or_arn)
    return sm.Secret.from_secret_partial_arn(scope, construct_id, secret.name_or_arn)
