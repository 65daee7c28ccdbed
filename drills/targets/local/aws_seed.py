"""Seed one region's AWS API endpoint (moto server) with what the CDK stacks would create or import.

Per region: a regional KMS key with rotation on (moto fails Decrypt on multi-Region keys, so the
sandbox uses regional keys), a KMS-encrypted Kinesis stream, an S3 archive bucket, and the DB and
cache secrets that the stacks IMPORT (they exist before deployment, so the sandbox creates them
first, in RDS secret JSON shape).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from drills.targets.local.state import RegionRecord

#: moto accepts any credentials; real AWS is never reached from here (endpoint_url is loopback).
_FAKE_CREDENTIALS = {"aws_access_key_id": "sandbox", "aws_secret_access_key": "sandbox"}


@dataclass(frozen=True)
class RegionSeed:
    """What to create in one region."""

    region: str
    endpoint_url: str
    stream_name: str
    shard_count: int
    archive_bucket: str
    db_secret_name: str
    cache_secret_name: str
    evidence_bucket: str | None = None


def client(service: str, region: str, endpoint_url: str, config: Config | None = None) -> Any:
    """A boto3 client bound to the sandbox endpoint of ``region``."""
    factory: Any = boto3.client  # the stubs' per-service overloads need a literal service name
    return factory(service, region_name=region, endpoint_url=endpoint_url, config=config, **_FAKE_CREDENTIALS)


def _bucket(s3: Any, name: str, region: str) -> None:
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def create_signing_key(region: str, endpoint_url: str, suffix: str) -> str:
    """The report-signing key the control-plane stack creates in AWS (ECC_NIST_P256, SIGN_VERIFY):
    ``htdr report build`` signs the manifest digest with it through the sandbox's KMS."""
    kms = client("kms", region, endpoint_url)
    arn: str = kms.create_key(
        Description=f"htdr sandbox report signing ({suffix})",
        KeySpec="ECC_NIST_P256",
        KeyUsage="SIGN_VERIFY",
    )["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName=f"alias/htdr-report-signing-{suffix}", TargetKeyId=arn)
    return arn


def seed_region(
    seed: RegionSeed, db_secret: dict[str, object], cache_secret: dict[str, object]
) -> RegionRecord:
    """Create the region's resources; the secret values are passed in and never logged."""
    kms = client("kms", seed.region, seed.endpoint_url)
    key_arn = kms.create_key(Description=f"htdr sandbox {seed.region}", MultiRegion=False)["KeyMetadata"][
        "Arn"
    ]
    kms.enable_key_rotation(KeyId=key_arn)
    kinesis = client("kinesis", seed.region, seed.endpoint_url)
    kinesis.create_stream(StreamName=seed.stream_name, ShardCount=seed.shard_count)
    kinesis.start_stream_encryption(StreamName=seed.stream_name, EncryptionType="KMS", KeyId=key_arn)
    stream_arn = kinesis.describe_stream_summary(StreamName=seed.stream_name)["StreamDescriptionSummary"][
        "StreamARN"
    ]
    s3 = client("s3", seed.region, seed.endpoint_url)
    _bucket(s3, seed.archive_bucket, seed.region)
    if seed.evidence_bucket:
        _bucket(s3, seed.evidence_bucket, seed.region)
    sm = client("secretsmanager", seed.region, seed.endpoint_url)
    db_arn = sm.create_secret(Name=seed.db_secret_name, SecretString=json.dumps(db_secret), KmsKeyId=key_arn)[
        "ARN"
    ]
    cache_arn = sm.create_secret(
        Name=seed.cache_secret_name, SecretString=json.dumps(cache_secret), KmsKeyId=key_arn
    )["ARN"]
    return RegionRecord(
        region=seed.region,
        endpoint_url=seed.endpoint_url,
        kms_key_arn=key_arn,
        stream_name=seed.stream_name,
        stream_arn=stream_arn,
        archive_bucket=seed.archive_bucket,
        db_secret_arn=db_arn,
        cache_secret_arn=cache_arn,
    )
