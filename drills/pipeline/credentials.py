"""Credentials of the processor, fetched from Secrets Manager like the ECS task does.

The secrets are imported, never created by the stack (DESIGN §3). Values are kept in memory only and
never logged; ``__repr__`` hides them so a traceback or a log line cannot leak them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config as BotoConfig


class SecretFormatError(ValueError):
    """A secret exists but lacks a required key; the message names the secret and key, not values."""


@dataclass(frozen=True)
class DbCredentials:
    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class CacheCredentials:
    auth_token: str = field(repr=False)


class SecretSource:
    """Reads JSON secrets from one region's Secrets Manager (``endpoint_url`` for the sandbox)."""

    def __init__(self, region: str, endpoint_url: str | None) -> None:
        self._client = boto3.client(
            "secretsmanager", region_name=region, endpoint_url=endpoint_url,
            config=BotoConfig(connect_timeout=2, read_timeout=5, retries={"max_attempts": 2}),
        )

    def db(self, secret_id: str) -> DbCredentials:
        doc = self._json(secret_id)
        return DbCredentials(username=_require(doc, secret_id, "username"),
                             password=_require(doc, secret_id, "password"))

    def cache(self, secret_id: str) -> CacheCredentials:
        return CacheCredentials(auth_token=_require(self._json(secret_id), secret_id, "auth_token"))

    def _json(self, secret_id: str) -> dict[str, Any]:
        value = self._client.get_secret_value(SecretId=secret_id)["SecretString"]
        try:
            doc = json.loads(value)
        except json.JSONDecodeError:
            raise SecretFormatError(f"secret {secret_id} is not a JSON object") from None
        if not isinstance(doc, dict):
            raise SecretFormatError(f"secret {secret_id} is not a JSON object")
        return doc


def _require(doc: dict[str, Any], secret_id: str, key: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value:
        raise SecretFormatError(f"secret {secret_id} has no string '{key}'")
    return value
