"""SigV4 signing of ingest requests: API Gateway's IAM authorization, service ``execute-api``.

Credentials come from the standard AWS chain (environment, shared config, container or instance
role), resolved once at start-up; botocore refreshes temporary ones by itself. The signing region
is the API's: read from an ``execute-api`` host name, else given by the routing file's ``regions``,
else the chain's default region.
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from contracts.ingest import SIGNING_SERVICE

_EXECUTE_API_HOST = re.compile(r"\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$")


class SigningError(ValueError):
    """No credentials or no region to sign with; one line naming what to set."""


def default_credentials() -> tuple[Credentials, str | None]:
    """The standard chain's credentials and default region (raises ``SigningError`` without any)."""
    session = boto3.Session()
    credentials = session.get_credentials()
    if credentials is None:
        raise SigningError("no AWS credentials found: the producer signs ingest requests with SigV4; "
                           "set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY")
    return credentials, session.region_name


def signing_region(url: str, given: str | None, default: str | None) -> str:
    """The region to sign requests to ``url`` for."""
    match = _EXECUTE_API_HOST.search(urlsplit(url).hostname or "")
    region = match.group(1) if match else given or default
    if not region:
        raise SigningError(f"cannot tell the region of {url}: add \"regions\" to the routing file "
                           "or set AWS_DEFAULT_REGION")
    return region


class RequestSigner:
    """Signs one API's requests; safe to share between threads."""

    def __init__(self, credentials: Credentials, region: str) -> None:
        self._credentials = credentials
        self.region = region

    def headers(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> dict[str, str]:
        """``headers`` plus ``Authorization``, ``X-Amz-Date`` (and the session token, if any)."""
        request = AWSRequest(method=method, url=url, data=body, headers=headers)
        SigV4Auth(self._credentials.get_frozen_credentials(), SIGNING_SERVICE, self.region).add_auth(request)
        return dict(request.headers.items())
