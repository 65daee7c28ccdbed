"""The deployment's credentials, read from the Secrets Manager secrets the outputs name: the Aurora
master credentials and the ElastiCache AUTH token.

The secrets are the pre-existing ones the CDK app imports (``contracts.secrets`` keys). The values go
straight to the client that uses them (psycopg, the session client); they are never logged or put in
an exception.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import quote

from contracts.outputs import OutputKey, RegionalKey, Side
from contracts.secrets import CACHE_AUTH_TOKEN, DB_PASSWORD, DB_USERNAME
from drills.targets.aws.executor import ClientFactory
from drills.targets.aws.outputs import AwsOutputs


class CredentialsError(ValueError):
    """The secret could not be read or lacks a key; the message names the secret's ARN, never a value."""


T = TypeVar("T")


def home_or_replica(read: Callable[[Side], T]) -> T:
    """``read`` from the secret's home (primary) region, else from its DR replica (the primary region
    may be the one impaired); the home region's error when both fail."""
    try:
        return read(Side.PRIMARY)
    except CredentialsError as home_error:
        try:
            return read(Side.DR)
        except CredentialsError:
            raise home_error from None


@dataclass(frozen=True, repr=False)
class DbCredentials:
    username: str
    password: str


def db_credentials(outputs: AwsOutputs, clients: ClientFactory, side: Side) -> DbCredentials:
    """From the secret's replica in ``side``'s region (the DR side reads it there during an outage)."""
    data = secret_values(outputs, clients, OutputKey.DB_SECRET_ARN, side, (DB_USERNAME, DB_PASSWORD))
    return DbCredentials(username=data[DB_USERNAME], password=data[DB_PASSWORD])


def cache_auth_token(outputs: AwsOutputs, clients: ClientFactory, side: Side) -> str:
    """The ElastiCache AUTH token, from the cache secret's replica in ``side``'s region."""
    values = secret_values(outputs, clients, OutputKey.CACHE_SECRET_ARN, side, (CACHE_AUTH_TOKEN,))
    return values[CACHE_AUTH_TOKEN]


def secret_values(outputs: AwsOutputs, clients: ClientFactory, secret: OutputKey, side: Side,
                  keys: tuple[str, ...]) -> dict[str, str]:
    """``keys`` of the JSON secret the output ``secret`` names, read in ``side``'s region."""
    arn = replica_arn(outputs.get(secret), outputs.region(side))
    try:
        raw = clients("secretsmanager", outputs.region(side)).get_secret_value(SecretId=arn)["SecretString"]
        data = json.loads(raw)
        return {key: str(data[key]) for key in keys}
    except (KeyError, ValueError, TypeError):
        raise CredentialsError(
            f"secret {arn}: expected JSON with {' and '.join(repr(k) for k in keys)}"
        ) from None
    except Exception as err:
        raise CredentialsError(
            f"secret {arn} not readable in {outputs.region(side)} ({type(err).__name__})"
        ) from None


def replica_arn(arn: str, region: str) -> str:
    """The ARN of the secret's replica in ``region``: a replica keeps the primary's name and suffix, only
    the Region part differs (https://docs.aws.amazon.com/secretsmanager/latest/userguide/create-manage-multi-region-secrets.html)."""
    parts = arn.split(":")
    if len(parts) < 7 or parts[2] != "secretsmanager":
        return arn
    return ":".join([*parts[:3], region, *parts[4:]])


def writer_dsn(outputs: AwsOutputs, side: Side, creds: DbCredentials, host: str | None = None) -> str:
    """libpq URL of ``side``'s cluster endpoint, TLS required (``rds.force_ssl``); carries the password."""
    endpoint = host or outputs.of(side, RegionalKey.WRITER_ENDPOINT)
    return (
        f"postgresql://{quote(creds.username, safe='')}:{quote(creds.password, safe='')}@{endpoint}:"
        f"{outputs.get(OutputKey.DB_PORT)}/{outputs.get(OutputKey.DB_NAME)}?sslmode=require&connect_timeout=5"
    )
