"""boto3 clients behind botocore ``Stubber`` (every request and response validated against the service
model), optionally mixed with clients of a moto server for the services moto implements."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.stub import ANY, Stubber

__all__ = ["ANY", "StubbedAws"]


class StubbedAws:
    """Client factory ``(service, region)``; ``expect`` queues one response per call, in order."""

    def __init__(self, moto_url: str | None = None, moto_services: frozenset[str] = frozenset()) -> None:
        self._moto_url = moto_url
        self._moto_services = moto_services
        self._clients: dict[tuple[str, str], Any] = {}
        self._stubbers: dict[tuple[str, str], Stubber] = {}

    def __call__(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._clients:
            if service in self._moto_services:
                self._clients[key] = boto3.client(service, region_name=region, endpoint_url=self._moto_url)  # type: ignore[call-overload]
            else:
                client = boto3.client(service, region_name=region)  # type: ignore[call-overload]
                stubber = Stubber(client)
                stubber.activate()
                self._clients[key], self._stubbers[key] = client, stubber
        return self._clients[key]

    def _stubber(self, service: str, region: str) -> Stubber:
        self(service, region)
        return self._stubbers[(service, region)]

    def expect(
        self,
        service: str,
        region: str,
        operation: str,
        response: dict[str, Any],
        params: dict[str, Any] | None = None,
    ) -> None:
        self._stubber(service, region).add_response(operation, response, params)

    def fail(
        self, service: str, region: str, operation: str, code: str, params: dict[str, Any] | None = None
    ) -> None:
        self._stubber(service, region).add_client_error(
            operation, code, f"{code} (stubbed)", expected_params=params
        )

    def assert_done(self) -> None:
        for stubber in self._stubbers.values():
            stubber.assert_no_pending_responses()
