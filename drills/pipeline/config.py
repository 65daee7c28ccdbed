"""Typed configuration of the pipeline processes (ingest API, processor, producer).

The ingest API and the producer load one JSON file each (``load_config``), written by the sandbox or a
test; the processor, which ships as a container, reads its environment (``ProcessorConfig.from_environ``).
Each process builds its config once at start-up and passes it down. Nothing below reads ``os.environ``.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from contracts import processor_environment as env

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
    """The ECS Fargate task's logic: one or more processes per region sharing the shards by lease.

    Built once at the entry point from the container's environment (``from_environ``); the names of
    the variables are the contract with the CDK task definition (``contracts.processor_environment``).
    """

    region: str
    endpoint_url: str | None = Field(
        default=None, description="AWS API endpoint for an in-process test; None: botocore's own "
        "resolution (AWS_ENDPOINT_URL_<SERVICE>, else the public endpoint)")
    stream_name: str
    db_host: str
    db_port: int = Field(gt=0, lt=65536)
    db_name: str
    db_username: str
    db_password: SecretStr
    db_sslmode: Literal["disable", "require", "verify-ca", "verify-full"] = "require"
    cache_host: str
    cache_port: int = Field(gt=0, lt=65536)
    cache_auth_token: SecretStr | None = None
    cache_tls: bool = True
    metrics_namespace: str = env.DEFAULT_METRICS_NAMESPACE
    worker_id: str = Field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}-"
                           f"{uuid.uuid4().hex[:6]}", description="lease owner name; unique per process")
    lease_ttl_s: float = Field(default=10.0, gt=0, description="a lease not renewed for this long is "
                               "taken over by another processor")
    batch_size: int = Field(default=1000, gt=0, le=10000)
    poll_interval_s: float = Field(default=0.05, gt=0)
    min_read_interval_s: float = Field(
        default=0.3, ge=0, description="at most one GetRecords per shard per interval (see "
        "cdk_app/constructs/processor_service.py for the per-shard read budget)")
    replay_margin_s: float = Field(
        default=60.0, ge=0, description="After promotion, replay the stream from the newest stored "
        "event minus this margin (idempotent upserts make the overlap harmless)"
    )

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ProcessorConfig:
        """The config from the container's environment; a missing or bad variable is one line
        naming the variable (never its value: some are credentials)."""
        values: dict[str, object] = {}
        for field_name, variable in _ENVIRONMENT.items():
            if variable in environ:
                values[field_name] = environ[variable]
        missing = [var for name, var in _ENVIRONMENT.items()
                   if cls.model_fields[name].is_required() and name not in values]
        if missing:
            raise ConfigError(f"environment: {', '.join(missing)} not set; the task definition sets them")
        try:
            return cls.model_validate(values)
        except ValidationError as err:
            first = err.errors(include_input=False, include_url=False)[0]
            variable = _ENVIRONMENT.get(str(first["loc"][0]), str(first["loc"][0]))
            raise ConfigError(f"environment: {variable}: {first['msg']}") from None

    def to_environ(self) -> dict[str, str]:
        """The inverse of ``from_environ`` (credentials included): how the sandbox starts a processor
        as ECS would, with the secrets resolved into the environment."""
        out: dict[str, str] = {}
        for field_name, variable in _ENVIRONMENT.items():
            value = getattr(self, field_name)
            if value is None:
                continue
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            out[variable] = str(value).lower() if isinstance(value, bool) else str(value)
        return out


class ConfigError(ValueError):
    """A process's configuration is missing or invalid; one line naming the input and the fix."""


#: ProcessorConfig field -> environment variable (the task definition's names).
_ENVIRONMENT: dict[str, str] = {
    "region": env.REGION,
    "stream_name": env.STREAM_NAME,
    "db_host": env.DB_HOST,
    "db_port": env.DB_PORT,
    "db_name": env.DB_NAME,
    "db_username": env.DB_USERNAME,
    "db_password": env.DB_PASSWORD,
    "db_sslmode": env.DB_SSLMODE,
    "cache_host": env.CACHE_HOST,
    "cache_port": env.CACHE_PORT,
    "cache_auth_token": env.CACHE_AUTH_TOKEN,
    "cache_tls": env.CACHE_TLS,
    "metrics_namespace": env.METRICS_NAMESPACE,
    "worker_id": env.WORKER_ID,
    "lease_ttl_s": env.LEASE_TTL_S,
    "min_read_interval_s": env.MIN_READ_INTERVAL_S,
}


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
