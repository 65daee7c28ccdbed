"""boto3 clients from the standard AWS credential chain (environment, profile, SSO, instance role),
one per (service, region): adaptive retries for actions; one attempt and short timeouts for the probes
the drill polls (a probe retried for seconds would delay detection; the next poll is the retry)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from drills.targets.aws.executor import ClientFactory

RETRIES = Config(retries={"mode": "adaptive", "max_attempts": 10})
PROBE = Config(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=2, read_timeout=2)


def probe_clients(session: boto3.Session | None = None) -> ClientFactory:
    """Clients for the probes: one attempt, 2 s timeouts."""
    return boto3_clients(session, PROBE)


def boto3_clients(session: boto3.Session | None = None, config: Config = RETRIES) -> ClientFactory:
    """A cached client factory; ``session`` defaults to the standard chain."""
    chosen = session or boto3.Session()
    cache: dict[tuple[str, str], Any] = {}

    def client(service: str, region: str) -> Any:
        if (service, region) not in cache:
            cache[(service, region)] = chosen.client(service, region_name=region, config=config)  # type: ignore[call-overload]
        return cache[(service, region)]

    return client
