"""Client failover: with a hosted zone, one name answered by Route 53 failover records with health
checks; without one, synth says once that clients switch endpoints themselves."""

from __future__ import annotations

import json

import pytest

from cdk_app.app import NO_CLIENT_DOMAIN_NOTE
from cdk_app.constructs.failover_runbook import endpoint_parameter_name
from cdk_app.naming import Naming
from tests.cdk_app.conftest import PRODUCTION_CONTEXT, Synthesized

ZONE, DOMAIN = PRODUCTION_CONTEXT["hostedZoneId"], PRODUCTION_CONTEXT["domainName"]


def _one(resources: dict) -> dict:
    assert len(resources) == 1, list(resources)
    return next(iter(resources.values()))["Properties"]


@pytest.mark.parametrize(
    ("stack", "region", "role"),
    [("PrimaryServices", "ca-central-1", "PRIMARY"), ("DrServices", "ca-west-1", "SECONDARY")],
)
def test_each_region_has_the_custom_domain_a_health_check_and_a_failover_record(
    synthesized_production: Synthesized, stack: str, region: str, role: str
) -> None:
    domain = _one(synthesized_production.resources("AWS::ApiGateway::DomainName", stack))
    assert domain["DomainName"] == DOMAIN
    assert domain["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    assert domain["SecurityPolicy"] == "TLS_1_2"
    certificate = _one(synthesized_production.resources("AWS::CertificateManager::Certificate", stack))
    assert certificate["DomainValidationOptions"][0]["HostedZoneId"] == ZONE
    _one(synthesized_production.resources("AWS::ApiGateway::BasePathMapping", stack))
    check = _one(synthesized_production.resources("AWS::Route53::HealthCheck", stack))["HealthCheckConfig"]
    assert check["Type"] == "HTTPS" and check["Port"] == 443
    assert f".execute-api.{region}.amazonaws.com" in json.dumps(check["FullyQualifiedDomainName"])
    assert json.dumps(check["ResourcePath"]).endswith('"/health"]]}')
    record = _one(synthesized_production.resources("AWS::Route53::RecordSet", stack))
    assert (record["HostedZoneId"], record["Name"], record["Type"]) == (ZONE, DOMAIN, "A")
    assert record["Failover"] == role
    assert "HealthCheck" in json.dumps(record["HealthCheckId"])
    assert "RegionalDomainName" in json.dumps(record["AliasTarget"]["DNSName"])


def test_health_path_answers_without_signature_and_without_backend(
    synthesized_production: Synthesized,
) -> None:
    methods = synthesized_production.resources("AWS::ApiGateway::Method", "PrimaryServices").values()
    (health,) = [m["Properties"] for m in methods if m["Properties"]["HttpMethod"] == "GET"]
    assert health["AuthorizationType"] == "NONE"
    assert health["Integration"]["Type"] == "MOCK"


def test_runbook_moves_dns_by_inverting_the_primary_health_check(synthesized_production: Synthesized) -> None:
    document = _one(synthesized_production.resources("AWS::SSM::Document", "DrServices"))
    steps = {s["name"]: s for s in document["Content"]["mainSteps"]}
    switch = steps["SwitchDns"]["inputs"]
    assert switch["Api"] == "UpdateHealthCheck" and switch["Inverted"] is True
    # the primary region's health check id, read across regions from PrimaryServices
    assert "ClientEndpointHealthCheck" in json.dumps(switch["HealthCheckId"])


def test_without_a_zone_there_are_no_records_and_synth_says_so_once(synthesized: Synthesized) -> None:
    for stack in synthesized.templates:
        assert not synthesized.resources("AWS::Route53::RecordSet", stack)
        assert not synthesized.resources("AWS::ApiGateway::DomainName", stack)
    notes = [text for _level, text in synthesized.messages if text == NO_CLIENT_DOMAIN_NOTE]
    assert len(notes) == 1
    assert endpoint_parameter_name(Naming("<suffix>")) in NO_CLIENT_DOMAIN_NOTE
    parameter = [
        p["Properties"]
        for p in synthesized.resources("AWS::SSM::Parameter", "DrServices").values()
        if p["Properties"]["Name"] == endpoint_parameter_name(Naming("test"))
    ]
    assert len(parameter) == 1 and "execute-api" in json.dumps(parameter[0]["Value"])


def test_with_a_zone_synth_does_not_print_the_note(synthesized_production: Synthesized) -> None:
    assert all(text != NO_CLIENT_DOMAIN_NOTE for _level, text in synthesized_production.messages)
