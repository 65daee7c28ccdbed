"""A deployment seen ONLY through its ``flat-outputs.json`` and the secrets it names.

Works unchanged for the sandbox and a real AWS deployment: boto3 clients get the region from the
outputs and an ``endpoint_url`` only when ``<Side>AwsEndpointUrl`` is present (sandbox); endpoints
are ``host`` or ``host:port`` (the port defaults to ``DbPort`` / ``CachePort``); TLS is required
on AWS (no endpoint override) and not offered by the sandbox.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import psycopg
import redis

from contracts import secrets as secret_keys
from contracts.outputs import OutputKey, RegionalKey, Side, regional


@dataclass(frozen=True)
class Deployment:
    outputs: dict[str, str]

    @classmethod
    def load(cls, path: Path) -> Deployment:
        return cls(json.loads(path.read_text()))

    def get(self, side: Side, key: RegionalKey) -> str:
        return self.outputs[regional(side, key)]

    def region(self, side: Side) -> str:
        return self.outputs[OutputKey.PRIMARY_REGION if side is Side.PRIMARY else OutputKey.DR_REGION]

    def on_aws(self, side: Side) -> bool:
        return regional(side, RegionalKey.AWS_ENDPOINT_URL) not in self.outputs

    def client(self, service: str, side: Side) -> Any:
        """A boto3 client of ``side``'s region (credentials come from the environment, as usual)."""
        endpoint = self.outputs.get(regional(side, RegionalKey.AWS_ENDPOINT_URL))
        factory: Any = boto3.client
        return factory(service, region_name=self.region(side), endpoint_url=endpoint)

    def secret(self, key: OutputKey) -> dict[str, Any]:
        """A secret named by the outputs, read in the primary region (where it was created)."""
        value = self.client("secretsmanager", Side.PRIMARY).get_secret_value(SecretId=self.outputs[key])
        secret: dict[str, Any] = json.loads(value["SecretString"])
        return secret

    def _host_port(self, endpoint: str, default_port: OutputKey) -> tuple[str, int]:
        host, _, port = endpoint.rpartition(":") if ":" in endpoint else (endpoint, "", "")
        return host, int(port or self.outputs[default_port])

    def db(self, side: Side, key: RegionalKey = RegionalKey.WRITER_ENDPOINT) -> psycopg.Connection:
        host, port = self._host_port(self.get(side, key), OutputKey.DB_PORT)
        secret = self.secret(OutputKey.DB_SECRET_ARN)
        return psycopg.connect(
            host=host,
            port=port,
            user=secret[secret_keys.DB_USERNAME],
            password=secret[secret_keys.DB_PASSWORD],
            dbname=self.outputs[OutputKey.DB_NAME],
            connect_timeout=5,
            autocommit=True,
            sslmode="require" if self.on_aws(side) else "disable",
        )

    def cache(self, side: Side) -> redis.Redis:
        host, port = self._host_port(self.get(side, RegionalKey.CACHE_ENDPOINT), OutputKey.CACHE_PORT)
        token = self.secret(OutputKey.CACHE_SECRET_ARN)[secret_keys.CACHE_AUTH_TOKEN]
        return redis.Redis(
            host=host,
            port=port,
            password=token,
            ssl=self.on_aws(side),
            decode_responses=True,
            socket_timeout=5,
            socket_connect_timeout=5,
        )
