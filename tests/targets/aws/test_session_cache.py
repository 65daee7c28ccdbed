"""How the aws target's session client reaches the deployment's cache: the primary endpoint and port of
the outputs, TLS with certificate and name verification, the AUTH token of the cache secret (read once,
from its home region, else its DR replica), and the token in no repr, str or exception."""

from __future__ import annotations

import json
from typing import Any

import pytest
from redis.connection import SSLConnection

from contracts.outputs import OutputKey, RegionalKey, Side
from drills.targets.aws.credentials import CredentialsError
from drills.targets.aws.outputs import AwsOutputs
from drills.targets.aws.session_cache import AwsSessionCache
from drills.targets.session_store import connect, connection_kwargs
from tests.targets.aws.aws_world import D, P
from tests.targets.aws.stubs import StubbedAws

TOKEN = "fixture-auth-token-0123456789"


def _secret_arn(outputs: AwsOutputs, region: str) -> str:
    return outputs.get(OutputKey.CACHE_SECRET_ARN).replace(f":{P}:", f":{region}:")


def _expect_secret(aws: StubbedAws, outputs: AwsOutputs, region: str, body: dict[str, Any]) -> None:
    aws.expect("secretsmanager", region, "get_secret_value", {"SecretString": json.dumps(body)},
               {"SecretId": _secret_arn(outputs, region)})


def test_the_primary_endpoint_is_reached_over_verified_tls_with_the_secrets_token(
    outputs: AwsOutputs,
) -> None:
    aws = StubbedAws()
    _expect_secret(aws, outputs, P, {"authToken": TOKEN})
    cache = AwsSessionCache(outputs, aws)

    endpoint = cache.primary_endpoint()
    assert cache.primary_endpoint() is endpoint  # the secret is read once
    aws.assert_done()
    assert endpoint.host == outputs.of(Side.PRIMARY, RegionalKey.CACHE_ENDPOINT)
    assert endpoint.port == int(outputs.get(OutputKey.CACHE_PORT)) == 6379
    kwargs = connection_kwargs(endpoint, 0.3)
    assert kwargs["password"] == TOKEN
    assert (kwargs["ssl"], kwargs["ssl_cert_reqs"], kwargs["ssl_check_hostname"]) == (True, "required", True)
    client = connect(endpoint, 0.3)
    assert client.connection_pool.connection_class is SSLConnection
    for shown in (repr(endpoint), str(endpoint), repr(client), repr(client.connection_pool)):
        assert TOKEN not in shown
    assert str(endpoint) == f"{endpoint.host}:6379 (TLS)"


def test_the_dr_replica_of_the_secret_is_read_when_its_home_region_is_not(outputs: AwsOutputs) -> None:
    aws = StubbedAws()
    aws.fail("secretsmanager", P, "get_secret_value", "InternalServiceError",
             {"SecretId": _secret_arn(outputs, P)})
    _expect_secret(aws, outputs, D, {"authToken": TOKEN})
    assert connection_kwargs(AwsSessionCache(outputs, aws).primary_endpoint(), 1.0)["password"] == TOKEN
    aws.assert_done()


def test_a_secret_without_the_token_is_one_line_naming_the_key_and_no_value(outputs: AwsOutputs) -> None:
    aws = StubbedAws()
    for region in (P, D):
        _expect_secret(aws, outputs, region, {"password": TOKEN})
    with pytest.raises(CredentialsError) as err:
        AwsSessionCache(outputs, aws).primary_endpoint()
    assert str(err.value) == f"secret {_secret_arn(outputs, P)}: expected JSON with 'authToken'"
    assert TOKEN not in repr(err.value) and err.value.__cause__ is None


def test_an_unreadable_secret_is_one_line_naming_it(outputs: AwsOutputs) -> None:
    """Raised by the scenario's precondition (the offsets probe), before anything is changed."""
    aws = StubbedAws()
    for region in (P, D):
        aws.fail("secretsmanager", region, "get_secret_value", "AccessDeniedException",
                 {"SecretId": _secret_arn(outputs, region)})
    cache = AwsSessionCache(outputs, aws)
    with pytest.raises(CredentialsError, match=r"^secret arn:aws:secretsmanager:ca-central-1:[^ ]+ "
                                               r"not readable in ca-central-1 \(ClientError\)$"):
        cache.cache_replication_offsets()
