"""ECS ``secrets`` injection, done the way the ECS agent does it, against the sandbox's Secrets Manager.

A container secret is ``{name, valueFrom}`` with ``valueFrom = <secret-arn>:<json-key>:<version-stage>:
<version-id>`` (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-
manager.html): ECS reads the secret and puts the value of ``json-key`` into the variable ``name``. The
sandbox starts its processors this way, so the secret's JSON keys are exercised as on AWS.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from contracts.processor_environment import SECRET_SOURCES

#: ``arn:aws:secretsmanager:<region>:<account>:secret:<name>``: seven colon-separated parts.
_ARN_PARTS = 7


class SecretReferenceError(ValueError):
    """A ``valueFrom`` cannot be resolved; names the reference, never a value."""


def value_from(secret_arn: str, json_key: str) -> str:
    """The ``valueFrom`` of one JSON key of a secret, latest version (what the CDK app writes)."""
    return f"{secret_arn}:{json_key}::"


def split_value_from(reference: str) -> tuple[str, str | None, str | None, str | None]:
    """``(secret ARN, json key, version stage, version id)``; the last three may be empty (None)."""
    parts = reference.split(":")
    if len(parts) < _ARN_PARTS or parts[2] != "secretsmanager":
        raise SecretReferenceError(f"valueFrom {reference!r} is not a Secrets Manager secret ARN")
    arn = ":".join(parts[:_ARN_PARTS])
    rest = [p or None for p in parts[_ARN_PARTS:]] + [None, None, None]
    return arn, rest[0], rest[1], rest[2]


def resolve(secretsmanager: Any, reference: str) -> str:
    """The value ECS would inject for ``reference``."""
    arn, key, stage, version = split_value_from(reference)
    kwargs: dict[str, str] = {"SecretId": arn}
    if stage:
        kwargs["VersionStage"] = stage
    if version:
        kwargs["VersionId"] = version
    secret = str(secretsmanager.get_secret_value(**kwargs)["SecretString"])
    if key is None:
        return secret
    try:
        document = json.loads(secret)
    except json.JSONDecodeError:
        raise SecretReferenceError(
            f"secret {arn} is not a JSON object; valueFrom asks for key {key!r}"
        ) from None
    value = document.get(key) if isinstance(document, dict) else None
    if not isinstance(value, str) or not value:
        raise SecretReferenceError(f"secret {arn} has no string {key!r}: fix the secret's JSON keys")
    return value


def processor_secrets(secretsmanager: Any, secret_arns: Mapping[str, str]) -> dict[str, str]:
    """The processor's credential variables, resolved from the secrets in ``secret_arns``
    (``contracts.processor_environment.DB_SECRET``/``CACHE_SECRET`` -> ARN)."""
    return {
        variable: resolve(secretsmanager, value_from(secret_arns[secret], key))
        for variable, (secret, key) in SECRET_SOURCES.items()
    }
