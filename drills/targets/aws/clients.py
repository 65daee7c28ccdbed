"""boto3 clients from the standard AWS credential chain (environment, profile, SSO, instance role),
one per (service, region), with adaptive retries."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from drills.targets.aws.executor import ClientFactory

RETRIES = Config(retries={"mode": "adaptive", "max_attempts": 10})


def boto3_clients(session: boto3.Session | None = None) -> ClientFactory:
    """A cached client factory; ``session`` defaults to the standard chain."""
    chosen = session or boto3.Session()
    cache: dict[tuple[str, str], Any] = {}

    def client(service: str, region: str) -> Any:
        if (service, region) not in cache:
            cache[(service, region)] = chosen.client(service, region_name=region, config=RETRIES)  # type: ignore[call-overload]
        return cache[(service, region)]

    return client
