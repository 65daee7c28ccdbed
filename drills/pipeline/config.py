"""Typed configuration of the pipeline processes (ingest API, processor, producer).

The sandbox (or a test) writes one JSON file per process; the process loads it once at start-up with
``load_config`` and passes the model down. Nothing below reads ``os.environ``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

M = TypeVar("M", bound=BaseModel)


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class IngestApiConfig(_Config):
    """Stands in for API Gateway's Kinesis integration in one region."""

    host: str = "127.0.0.1"
    port: int = Field(gt=0, lt=65536)
    region: str
    endpoint_url: str = Field(description="AWS API endpoint (moto server) of this region")
    stream_name: str
    max_batch: int = Field(default=500, gt=0, le=500, description="Kinesis PutRecords limit")


class ProcessorConfig(_Config):
    """The ECS Fargate task's logic, one process per region."""

    region: str
    endpoint_url: str | None = Field(description="AWS API endpoint; None on real AWS")
    stream_name: str
    db_host: str
    db_port: int
    db_name: str
    db_secret_arn: str
    cache_host: str
    cache_port: int
    cache_secret_arn: str
    metrics_namespace: str = "HealthTech/Pipeline"
    batch_size: int = Field(default=1000, gt=0, le=10000)
    poll_interval_s: float = Field(default=0.05, gt=0)
    replay_margin_s: float = Field(
        default=60.0, ge=0, description="After promotion, replay the stream from the newest stored "
        "event minus this margin (idempotent upserts make the overlap harmless)"
    )


class ProducerConfig(_Config):
    """The device simulator."""

    rate_per_min: int = Field(gt=0, description="events per minute across all devices")
    devices: int = Field(default=2000, gt=0, le=999_999)
    batch_size: int = Field(default=500, gt=0, le=500)
    routing_file: Path = Field(description="JSON {'api_urls': [...]} re-read on SIGHUP (the DNS switch)")
    ledger_path: Path
    duration_s: float | None = Field(default=None, gt=0)
    seed: int = 7
    status_path: Path | None = Field(
        default=None, description="status JSON a drill can watch; default: the ledger path + .status.json"
    )
    request_timeout_s: float = Field(default=5.0, gt=0, description="one POST; then it counts as failed")
    in_flight: int = Field(default=4, gt=0, le=32, description="batches posted concurrently")


def load_config(model: type[M], path: Path) -> M:
    """Load ``path`` as ``model``; a bad file is one clear line naming the file, not a traceback."""
    try:
        return model.model_validate_json(path.read_text())
    except FileNotFoundError:
        raise SystemExit(
            f"config file {path} does not exist; the sandbox writes it on 'htdr sandbox up'"
        ) from None
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SystemExit(f"config file {path}: {where}: {first['msg']}") from None
