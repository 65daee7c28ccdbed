"""The name clients use for the ingest API, answered by Route 53 from the healthy region.

With ``-c hostedZoneId=… -c domainName=…`` each region's API gets the same regional custom domain
(ACM certificate validated in that zone, TLS 1.2) and a Route 53 failover alias record: the primary
region's record is ``PRIMARY`` with a health check on that region's own API endpoint, the DR
region's is ``SECONDARY``. Route 53 answers with the primary while its health check passes and with
the DR API otherwise; the failover runbook inverts the primary health check to move clients on a
planned switchover. Clients keep one URL (``https://<domainName>/events``) and follow DNS.
Sources: https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-types.html
(active-passive failover records), https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-regional-api-custom-domain-create.html
(regional custom domain + alias), https://docs.aws.amazon.com/Route53/latest/APIReference/API_UpdateHealthCheck.html
(``Inverted``).
"""

from __future__ import annotations

from aws_cdk import Fn, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_route53 as route53
from constructs import Construct

from cdk_app.config import ClientDomain
from contracts.outputs import Side

#: Health-check cadence: 30 s x 3 failures ≈ 90 s before Route 53 moves clients (plus the record TTL).
HEALTH_CHECK_INTERVAL_S = 30
HEALTH_CHECK_FAILURES = 3


class ClientFailoverRecord(Construct):
    """Custom domain + health check + failover alias record of one region's ingest API."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        domain: ClientDomain,
        side: Side,
        api: apigw.RestApi,
        health_path: str,
    ) -> None:
        super().__init__(scope, construct_id)
        zone = route53.HostedZone.from_hosted_zone_id(self, "Zone", domain.hosted_zone_id)
        certificate = acm.Certificate(
            self,
            "Certificate",
            domain_name=domain.domain_name,
            validation=acm.CertificateValidation.from_dns(zone),
        )
        self.custom_domain = apigw.DomainName(
            self,
            "Domain",
            domain_name=domain.domain_name,
            certificate=certificate,
            endpoint_type=apigw.EndpointType.REGIONAL,
            security_policy=apigw.SecurityPolicy.TLS_1_2,
        )
        self.custom_domain.add_base_path_mapping(api, stage=api.deployment_stage)
        region = Stack.of(self).region
        api_host = Fn.join("", [api.rest_api_id, f".execute-api.{region}.amazonaws.com"])
        self.health_check = route53.CfnHealthCheck(
            self,
            "HealthCheck",
            health_check_config=route53.CfnHealthCheck.HealthCheckConfigProperty(
                type="HTTPS",
                fully_qualified_domain_name=api_host,
                port=443,
                resource_path=f"/{api.deployment_stage.stage_name}/{health_path}",
                request_interval=HEALTH_CHECK_INTERVAL_S,
                failure_threshold=HEALTH_CHECK_FAILURES,
            ),
        )
        self.record = route53.CfnRecordSet(
            self,
            "Record",
            hosted_zone_id=domain.hosted_zone_id,
            name=domain.domain_name,
            type="A",
            set_identifier=f"ingest-{side.value.lower()}",
            failover="PRIMARY" if side is Side.PRIMARY else "SECONDARY",
            health_check_id=self.health_check.attr_health_check_id,
            alias_target=route53.CfnRecordSet.AliasTargetProperty(
                dns_name=self.custom_domain.domain_name_alias_domain_name,
                hosted_zone_id=self.custom_domain.domain_name_alias_hosted_zone_id,
                evaluate_target_health=False,
            ),
        )
