"""The processor container's environment: what the ECS task definition sets and the processor reads.

The CDK app writes these variables into the task definition (plain values under ``Environment``, the
credentials under ``Secrets`` as ``valueFrom: <secret-arn>:<json-key>::``); the processor reads them
once at its entry point into one typed config. Nothing else is configured: AWS endpoints, region
defaults and credentials come from the standard AWS chain (task role, ``AWS_ENDPOINT_URL_<SERVICE>``).
"""

from __future__ import annotations

from contracts import secrets

REGION = "HTDR_REGION"
STREAM_NAME = "HTDR_STREAM_NAME"
DB_HOST = "HTDR_DB_HOST"
DB_PORT = "HTDR_DB_PORT"
DB_NAME = "HTDR_DB_NAME"
#: libpq ``sslmode``: ``verify-full`` on AWS (``rds.force_ssl``), ``disable`` on the TLS-less sandbox.
DB_SSLMODE = "HTDR_DB_SSLMODE"
CACHE_HOST = "HTDR_CACHE_HOST"
CACHE_PORT = "HTDR_CACHE_PORT"
#: ``true``: Redis protocol over TLS (ElastiCache in-transit encryption); ``false`` on the sandbox.
CACHE_TLS = "HTDR_CACHE_TLS"
METRICS_NAMESPACE = "HTDR_METRICS_NAMESPACE"
#: The processor's name as lease owner (optional; default: host name, pid and a random part, so a
#: replacement task is a new owner and takes shards over on lease expiry).
WORKER_ID = "HTDR_WORKER_ID"
#: Seconds a shard lease lives without a heartbeat before another processor may take the shard.
LEASE_TTL_S = "HTDR_LEASE_TTL_S"
#: Minimum seconds between two ``GetRecords`` on one shard (Kinesis allows 5 a second a shard,
#: shared by every classic consumer).
MIN_READ_INTERVAL_S = "HTDR_MIN_READ_INTERVAL_S"

DB_USERNAME = "HTDR_DB_USERNAME"
DB_PASSWORD = "HTDR_DB_PASSWORD"
CACHE_AUTH_TOKEN = "HTDR_CACHE_AUTH_TOKEN"

#: Where each credential comes from: (which imported secret, its JSON key). ECS resolves them at
#: task start from Secrets Manager; they never appear as plain environment values.
DB_SECRET, CACHE_SECRET = "db", "cache"
SECRET_SOURCES: dict[str, tuple[str, str]] = {
    DB_USERNAME: (DB_SECRET, secrets.DB_USERNAME),
    DB_PASSWORD: (DB_SECRET, secrets.DB_PASSWORD),
    CACHE_AUTH_TOKEN: (CACHE_SECRET, secrets.CACHE_AUTH_TOKEN),
}

#: CloudWatch namespace of the processor's metrics (and of the task role's PutMetricData condition).
DEFAULT_METRICS_NAMESPACE = "HealthTech/Pipeline"

#: ``python -m drills.pipeline.processor``: the container's command (the image's working directory
#: holds the ``drills`` and ``contracts`` packages).
COMMAND = ("python", "-m", "drills.pipeline.processor")
