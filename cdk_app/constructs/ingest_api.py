"""Device ingest: a regional REST API that puts event batches straight into Kinesis.

IAM (SigV4) authorisation, a request model the API validates before anything reaches the stream,
WAF in front, access + execution logs in encrypted groups (execution logs without request/response
bodies, which would carry PHI), X-Ray tracing, and a client certificate toward the backend.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Fn, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from cdk_app.config import AppConfig
from cdk_app.constructs.encrypted_log_group import EncryptedLogGroup
from cdk_app.naming import Naming

STAGE = "v1"
MAX_BATCH = 500  # the PutRecords limit

_PUT_RECORDS_TEMPLATE = "\n".join(
    [
        "#set($count = $input.path('$.events').size())",
        '{"StreamName": "%s", "Records": [',
        "#foreach($i in [1..$count])#set($idx = $i - 1)",
        '{"Data": "$util.base64Encode($input.json("$.events[$idx]"))", '
        '"PartitionKey": "$util.escapeJavaScript($input.path("$.events[$idx].device_id"))"}'
        "#if($foreach.hasNext),#end",
        "#end",
        "]}",
    ]
)


def _managed_rule(name: str, priority: int) -> wafv2.CfnWebACL.RuleProperty:
    return wafv2.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                vendor_name="AWS", name=name
            )
        ),
        visibility_config=_visibility(name),
    )


def _visibility(metric: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=False
    )


class IngestApi(Construct):
    """REST API ``POST /events`` → Kinesis ``PutRecords``, with WAF and full logging."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        naming: Naming,
        stream_name: str,
        stream_arn: str,
        data_key: kms.IKey,
        logs_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        access_logs = EncryptedLogGroup(
            self, "AccessLogs", config=config, name=f"/htdr/{naming.suffix}/api-access", key=logs_key
        )
        cert = apigw.CfnClientCertificate(self, "BackendCert", description=naming.name("ingest-backend"))
        self.api = apigw.RestApi(
            self,
            "Api",
            rest_api_name=naming.name("ingest"),
            description="Device event ingest (PHI)",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=config.removal_policy,
            deploy_options=apigw.StageOptions(
                stage_name=STAGE,
                access_log_destination=apigw.LogGroupLogDestination(access_logs.log_group),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                logging_level=apigw.MethodLoggingLevel.INFO,
                data_trace_enabled=False,
                metrics_enabled=True,
                tracing_enabled=True,
                client_certificate_id=cert.attr_client_certificate_id,
                throttling_rate_limit=5_000,
                throttling_burst_limit=10_000,
            ),
        )
        # the RestApi's own "Endpoint" output would sit outside the outputs contract: the stack
        # publishes the URL under its contract key instead
        self.api.node.try_remove_child("Endpoint")
        self._execution_log_group(config, logs_key)
        self._events_resource(stream_name, stream_arn, data_key)
        self.web_acl = self._web_acl(config, naming, logs_key)
        self.url = self.api.url

    def _execution_log_group(self, config: AppConfig, logs_key: kms.IKey) -> None:
        """API Gateway names its execution-log group itself; creating it first lets us encrypt it."""
        name = Fn.join("", ["API-Gateway-Execution-Logs_", self.api.rest_api_id, f"/{STAGE}"])
        group = EncryptedLogGroup(self, "ExecutionLogs", config=config, name=name, key=logs_key)
        self.api.deployment_stage.node.add_dependency(group)

    def _events_resource(self, stream_name: str, stream_arn: str, data_key: kms.IKey) -> None:
        role = iam.Role(self, "PutRecordsRole", assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"))
        role.add_to_policy(iam.PolicyStatement(actions=["kinesis:PutRecords"], resources=[stream_arn]))
        data_key.grant(role, "kms:GenerateDataKey")
        integration = apigw.AwsIntegration(
            service="kinesis",
            action="PutRecords",
            options=apigw.IntegrationOptions(
                credentials_role=role,
                passthrough_behavior=apigw.PassthroughBehavior.NEVER,
                request_templates={"application/json": _PUT_RECORDS_TEMPLATE % stream_name},
                integration_responses=[
                    apigw.IntegrationResponse(
                        status_code="200",
                        response_templates={
                            "application/json": "{\"failed\": $input.json('$.FailedRecordCount'), "
                            "\"records\": $input.json('$.Records')}"
                        },
                    ),
                    apigw.IntegrationResponse(status_code="500", selection_pattern="5\\d{2}"),
                ],
            ),
        )
        model = self.api.add_model(
            "EventBatch",
            content_type="application/json",
            schema=apigw.JsonSchema(
                schema=apigw.JsonSchemaVersion.DRAFT4,
                type=apigw.JsonSchemaType.OBJECT,
                required=["events"],
                properties={
                    "events": apigw.JsonSchema(
                        type=apigw.JsonSchemaType.ARRAY,
                        min_items=1,
                        max_items=MAX_BATCH,
                        items=apigw.JsonSchema(
                            type=apigw.JsonSchemaType.OBJECT,
                            required=["device_id", "seq"],
                            properties={
                                "device_id": apigw.JsonSchema(type=apigw.JsonSchemaType.STRING, min_length=1),
                                "seq": apigw.JsonSchema(type=apigw.JsonSchemaType.INTEGER, minimum=0),
                            },
                        ),
                    )
                },
            ),
        )
        validator = self.api.add_request_validator(
            "Validator", validate_request_body=True, validate_request_parameters=True
        )
        self.api.root.add_resource("events").add_method(
            "POST",
            integration,
            authorization_type=apigw.AuthorizationType.IAM,
            request_models={"application/json": model},
            request_validator=validator,
            method_responses=[
                apigw.MethodResponse(status_code="200"),
                apigw.MethodResponse(status_code="500"),
            ],
        )

    def _web_acl(self, config: AppConfig, naming: Naming, logs_key: kms.IKey) -> wafv2.CfnWebACL:
        acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=naming.name("ingest-acl"),
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility(naming.name("ingest-acl")),
            rules=[
                _managed_rule("AWSManagedRulesCommonRuleSet", 1),
                _managed_rule("AWSManagedRulesKnownBadInputsRuleSet", 2),
                wafv2.CfnWebACL.RuleProperty(
                    name="RatePerSource",
                    priority=3,
                    action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            limit=200_000, aggregate_key_type="IP"
                        )
                    ),
                    visibility_config=_visibility("RatePerSource"),
                ),
            ],
        )
        wafv2.CfnWebACLAssociation(
            self,
            "WebAclAssociation",
            resource_arn=self.api.deployment_stage.stage_arn,
            web_acl_arn=acl.attr_arn,
        )
        waf_log_name = f"aws-waf-logs-{naming.name('ingest')}"  # WAF requires this prefix
        waf_logs = EncryptedLogGroup(self, "WafLogs", config=config, name=waf_log_name, key=logs_key)
        waf_log_arn = Stack.of(self).format_arn(
            service="logs",
            resource="log-group",
            resource_name=waf_log_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        wafv2.CfnLoggingConfiguration(
            self,
            "WafLogging",
            resource_arn=acl.attr_arn,
            log_destination_configs=[waf_log_arn],
        ).node.add_dependency(waf_logs)
        return acl
