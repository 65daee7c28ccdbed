"""Write ``cfn-outputs/flat-outputs.json`` for the sandbox with exactly the outputs-contract keys.

Endpoints are ``host:port`` because every sandbox engine has its own port; ``DbPort``/``CachePort``
carry the primary's port (what a client of a real deployment would use with a bare host name).
"""

from __future__ import annotations

import json
from pathlib import Path

from contracts.outputs import OutputKey, RegionalKey, Side, all_keys, regional
from drills.targets.local.settings import SandboxSettings
from drills.targets.local.state import RegionRecord

TARGET_KIND = "local"


def build_outputs(
    settings: SandboxSettings,
    primary: RegionRecord,
    dr: RegionRecord,
    evidence_bucket: str,
    signing_key_arn: str,
) -> dict[str, str]:
    """Every contract key with the sandbox's value; raises if the contract and this code disagree."""
    ports, suffix = settings.ports, settings.environment_suffix
    out: dict[str, str] = {
        OutputKey.ENVIRONMENT_SUFFIX: suffix,
        OutputKey.PRIMARY_REGION: settings.primary_region,
        OutputKey.DR_REGION: settings.dr_region,
        OutputKey.GLOBAL_CLUSTER_ID: f"htdr-{suffix}-global",
        OutputKey.GLOBAL_DATASTORE_ID: f"htdr-{suffix}-sessions",
        OutputKey.DB_NAME: settings.db_name,
        OutputKey.DB_PORT: str(ports.pg_primary),
        OutputKey.CACHE_PORT: str(ports.cache_primary),
        OutputKey.DB_SECRET_ARN: primary.db_secret_arn,
        OutputKey.CACHE_SECRET_ARN: primary.cache_secret_arn,
        OutputKey.EVIDENCE_BUCKET_NAME: evidence_bucket,
        OutputKey.REPORT_SIGNING_KEY_ARN: signing_key_arn,
        OutputKey.PIPELINE_NAME: f"htdr-{suffix}-none",
        OutputKey.TARGET_KIND: TARGET_KIND,
    }
    sides = (
        (Side.PRIMARY, primary, ports.pg_primary, ports.cache_primary, ports.api_primary),
        (Side.DR, dr, ports.pg_standby, ports.cache_replica, ports.api_dr),
    )
    for side, rec, db_port, cache_port, api_port in sides:
        values = {
            RegionalKey.STREAM_NAME: rec.stream_name,
            RegionalKey.STREAM_ARN: rec.stream_arn,
            RegionalKey.API_URL: f"http://127.0.0.1:{api_port}/",
            RegionalKey.WRITER_ENDPOINT: f"127.0.0.1:{db_port}",
            RegionalKey.READER_ENDPOINT: f"127.0.0.1:{db_port}",
            RegionalKey.DB_CLUSTER_ID: f"htdr-{suffix}-db-{rec.region}",
            RegionalKey.CACHE_ENDPOINT: f"127.0.0.1:{cache_port}",
            RegionalKey.CACHE_REPLICATION_GROUP_ID: f"htdr-{suffix}-cache-{rec.region}",
            RegionalKey.EFS_ID: f"fs-{suffix}-{rec.region}",
            RegionalKey.KMS_KEY_ARN: rec.kms_key_arn,
            RegionalKey.ARCHIVE_BUCKET_NAME: rec.archive_bucket,
            RegionalKey.ECS_CLUSTER_NAME: f"htdr-{suffix}-{rec.region}",
            RegionalKey.PROCESSOR_SERVICE_NAME: f"processor-{rec.region}",
            RegionalKey.AWS_ENDPOINT_URL: rec.endpoint_url,
        }
        out.update({regional(side, key): value for key, value in values.items()})
    missing, extra = (
        all_keys(include_sandbox_only=True) - out.keys(),
        out.keys() - all_keys(include_sandbox_only=True),
    )
    if missing or extra:
        raise RuntimeError(f"outputs contract drift: missing {sorted(missing)}, unexpected {sorted(extra)}")
    return {str(k): v for k, v in out.items()}


def write_outputs(path: Path, outputs: dict[str, str]) -> None:
    """Atomic write so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(outputs, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)


def remove_if_ours(path: Path) -> None:
    """Delete the outputs file on ``down`` only when the sandbox wrote it (never a real deployment's)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    if isinstance(data, dict) and data.get(OutputKey.TARGET_KIND) == TARGET_KIND:
        path.unlink(missing_ok=True)
