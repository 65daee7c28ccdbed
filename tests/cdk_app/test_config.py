"""Configuration: every bad input is one clear ConfigError naming the key, before synthesis."""

from __future__ import annotations

import pytest
from aws_cdk import RemovalPolicy

from cdk_app.config import ConfigError, load_config

GOOD = {"environmentSuffix": "dev1", "dbSecret": "htdr/dev1/aurora", "cacheSecret": "htdr/dev1/cache"}


def test_defaults_are_canadian_regions_and_destroyable() -> None:
    config = load_config(GOOD)
    assert (config.primary_region, config.dr_region) == ("ca-central-1", "ca-west-1")
    assert config.production is False
    assert config.removal_policy is RemovalPolicy.DESTROY
    assert config.azs("ca-central-1") == ("ca-central-1a", "ca-central-1b", "ca-central-1d")


def test_production_flag_switches_to_retain() -> None:
    config = load_config({**GOOD, "production": "true"})
    assert config.production is True
    assert config.removal_policy is RemovalPolicy.RETAIN


@pytest.mark.parametrize(
    ("override", "key", "hint"),
    [
        ({"environmentSuffix": None}, "environmentSuffix", "missing"),
        ({"environmentSuffix": ""}, "environmentSuffix", "missing"),
        ({"environmentSuffix": "Dev_1"}, "environmentSuffix", "invalid"),
        ({"environmentSuffix": "-dev"}, "environmentSuffix", "invalid"),
        ({"environmentSuffix": "a" * 13}, "environmentSuffix", "invalid"),
        ({"drRegion": "ca-central-1"}, "drRegion", "equals primaryRegion"),
        ({"primaryRegion": "mars-north-1"}, "primaryRegion", "unknown region"),
        ({"drRegion": "ca-east-9"}, "drRegion", "unknown region"),
        ({"dbSecret": None}, "dbSecret", "missing"),
        ({"cacheSecret": ""}, "cacheSecret", "missing"),
        ({"dbSecret": "arn:aws:s3:::not-a-secret"}, "dbSecret", "neither"),
        ({"production": "maybe"}, "production", "not a boolean"),
        ({"alarmEmail": "not-an-address"}, "alarmEmail", "not an e-mail"),
        ({"domainName": "ingest.example.org"}, "hostedZoneId", "missing"),
        ({"hostedZoneId": "Z0123456789ABC"}, "domainName", "missing"),
        (
            {"hostedZoneId": "/hostedzone/Z0123456789ABC", "domainName": "ingest.example.org"},
            "hostedZoneId",
            "not a Route 53 hosted zone id",
        ),
        (
            {"hostedZoneId": "Z0123456789ABC", "domainName": "Ingest.Example.org"},
            "domainName",
            "not a lower-case DNS name",
        ),
        ({"hostedZoneId": "Z0123456789ABC", "domainName": "localhost"}, "domainName", "not a lower-case"),
    ],
)
def test_bad_input_is_one_clear_line(override: dict[str, object], key: str, hint: str) -> None:
    context = {k: v for k, v in {**GOOD, **override}.items() if v is not None}
    with pytest.raises(ConfigError) as error:
        load_config(context)
    message = str(error.value)
    assert message.startswith(f"{key}:")
    assert hint in message
    assert "\n" not in message


def test_secret_arn_is_accepted_and_recognised() -> None:
    arn = "arn:aws:secretsmanager:ca-central-1:123456789012:secret:htdr/db-AbCdEf"
    config = load_config({**GOOD, "dbSecret": arn})
    assert config.db_secret.is_arn
    assert not config.cache_secret.is_arn


def test_client_domain_is_optional_and_taken_as_a_pair() -> None:
    assert load_config(GOOD).client_domain is None
    config = load_config({**GOOD, "hostedZoneId": "Z0123456789ABC", "domainName": "ingest.example.org"})
    assert config.client_domain is not None
    assert (config.client_domain.hosted_zone_id, config.client_domain.domain_name) == (
        "Z0123456789ABC",
        "ingest.example.org",
    )
