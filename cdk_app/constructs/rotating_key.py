"""A regional customer-managed KMS key that rotates yearly, with an alias, kept or deleted per profile.

Rotation every 365 days (KMS accepts 90-2560, default 365) and the 7-day minimum pending window
(7-30): https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from constructs import Construct

from cdk_app.config import AppConfig

ROTATION_PERIOD_DAYS = 365
PENDING_WINDOW_DAYS = 7


def rotating_key(
    scope: Construct, construct_id: str, *, config: AppConfig, alias: str, description: str
) -> kms.Key:
    """A symmetric key under ``alias`` with automatic rotation, removed as the profile says."""
    return kms.Key(
        scope,
        construct_id,
        alias=alias,
        description=description,
        enable_key_rotation=True,
        rotation_period=Duration.days(ROTATION_PERIOD_DAYS),
        pending_window=Duration.days(PENDING_WINDOW_DAYS),
        removal_policy=config.removal_policy,
    )
