"""The one way this app makes a customer-key bucket: KMS, SSL-only, versioned, private, access-logged.

The trail, the raw archive and the drill pipeline's buckets all need the same HIPAA baseline
(§164.312(a)(2)(iv), (e)(1), (b)); building it in one place keeps them from drifting apart. The
evidence buckets add Object Lock; a locked bucket is always retained and never auto-emptied (its
objects cannot be deleted before their retention ends).
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk_app.config import AppConfig


def encrypted_bucket(
    scope: Construct,
    construct_id: str,
    *,
    config: AppConfig,
    name: str,
    key: kms.IKey,
    access_logs: s3.IBucket,
    log_prefix: str,
    object_lock: bool = False,
) -> s3.Bucket:
    """A bucket encrypted with ``key``; server access logs go to ``access_logs`` under ``log_prefix``.

    ``object_lock`` enables Object Lock (the caller sets the default retention) and retains the bucket
    whatever the profile.
    """
    return s3.Bucket(
        scope,
        construct_id,
        bucket_name=name,
        encryption=s3.BucketEncryption.KMS,
        encryption_key=key,
        bucket_key_enabled=True,
        enforce_ssl=True,
        versioned=True,
        object_lock_enabled=object_lock or None,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        server_access_logs_bucket=access_logs,
        server_access_logs_prefix=log_prefix,
        removal_policy=RemovalPolicy.RETAIN if object_lock else config.removal_policy,
        auto_delete_objects=not (object_lock or config.production),
    )
