"""The outputs contract: the stable CfnOutput keys every deployment publishes.

Both the CDK app (which emits them as CfnOutputs) and the local sandbox (which writes them into
``cfn-outputs/flat-outputs.json``) import the names from here, so drills and integration tests run
unchanged against either.
"""

from __future__ import annotations

from enum import StrEnum


class Side(StrEnum):
    """The two regions of the DR pair, by role at deploy time (not by current writer)."""

    PRIMARY = "Primary"
    DR = "Dr"


class OutputKey(StrEnum):
    """Keys that exist once per deployment."""

    ENVIRONMENT_SUFFIX = "EnvironmentSuffix"
    PRIMARY_REGION = "PrimaryRegion"
    DR_REGION = "DrRegion"
    GLOBAL_CLUSTER_ID = "GlobalClusterId"
    GLOBAL_DATASTORE_ID = "GlobalDatastoreId"
    DB_NAME = "DbName"
    DB_PORT = "DbPort"
    CACHE_PORT = "CachePort"
    DB_SECRET_ARN = "DbSecretArn"
    CACHE_SECRET_ARN = "CacheSecretArn"
    EVIDENCE_BUCKET_NAME = "EvidenceBucketName"
    PIPELINE_NAME = "DrDrillPipelineName"
    REPORT_SIGNING_KEY_ARN = "ReportSigningKeyArn"
    TARGET_KIND = "TargetKind"


class RegionalKey(StrEnum):
    """Keys that exist once per region; the flat key is ``<Side><suffix>`` (e.g. ``PrimaryStreamName``)."""

    STREAM_NAME = "StreamName"
    STREAM_ARN = "StreamArn"
    API_URL = "ApiUrl"
    WRITER_ENDPOINT = "DbWriterEndpoint"
    READER_ENDPOINT = "DbReaderEndpoint"
    DB_CLUSTER_ID = "DbClusterId"
    CACHE_ENDPOINT = "CacheEndpoint"
    CACHE_REPLICATION_GROUP_ID = "CacheReplicationGroupId"
    EFS_ID = "EfsId"
    KMS_KEY_ARN = "KmsKeyArn"
    ARCHIVE_BUCKET_NAME = "ArchiveBucketName"
    ECS_CLUSTER_NAME = "EcsClusterName"
    PROCESSOR_SERVICE_NAME = "ProcessorServiceName"
    AWS_ENDPOINT_URL = "AwsEndpointUrl"  # sandbox only: absent on AWS, where boto3 uses its defaults


#: Regional keys a real AWS deployment does not publish (they only make sense on the sandbox).
SANDBOX_ONLY: frozenset[RegionalKey] = frozenset({RegionalKey.AWS_ENDPOINT_URL})


def regional(side: Side, key: RegionalKey) -> str:
    """Flat output key for ``key`` in ``side``'s region, e.g. ``regional(Side.DR, STREAM_NAME)``."""
    return f"{side.value}{key.value}"


def all_keys(*, include_sandbox_only: bool = False) -> frozenset[str]:
    """Every key of the contract, as it appears in ``flat-outputs.json``."""
    keys = {k.value for k in OutputKey}
    for side in Side:
        for key in RegionalKey:
            if include_sandbox_only or key not in SANDBOX_ONLY:
                keys.add(regional(side, key))
    return frozenset(keys)
