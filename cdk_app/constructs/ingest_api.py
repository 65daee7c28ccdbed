"""Device ingest: a regional REST API that puts event batches straight into Kinesis.

IAM (SigV4) authorisation, a request model the API validates before anything reaches the stream,
WAF in front, access + execution logs in encrypted groups (execution logs without request/response
bodies, which would carry PHI), X-Ray tracing, and a client certificate toward the backend.
"""

from __future__ import annotations

from aws_cdk import Fn
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from cdk_app.config import AppConfig
from cdk_app.constructs.encrypted_log_group import EncryptedLogGroup
from cdk_app.constructs.ingest_web_acl import IngestWebAcl
from cdk_app.ingest_mapping import (
    CLIENT_ERROR_STATUS,
    KINESIS_CONTENT_TYPE,
    METHOD_STATUSES,
    SERVER_ERROR_STATUS,
    batch_accepted_response,
    client_error_response,
    gateway_error_response,
    put_records_request,
    server_error_response,
)
from cdk_app.naming import Naming
from contracts.ingest import EVENTS, MAX_BATCH, PATH

STAGE = "v1"
#: Unauthenticated liveness path for Route 53 health checks: a MOCK integration, no data, no PHI.
HEALTH_PATH = "health"
_JSON = "application/json"


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
        self._error_shapes()
        self._events_resource(stream_name, stream_arn, data_key)
        self._health_resource()
        self.web_acl = IngestWebAcl(
            self,
            "Waf",
            config=config,
            naming=naming,
            stage_arn=self.api.deployment_stage.stage_arn,
            logs_key=logs_key,
        ).acl
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
                request_parameters={"integration.request.header.Content-Type": f"'{KINESIS_CONTENT_TYPE}'"},
                request_templates={_JSON: put_records_request(stream_name)},
                integration_responses=[
                    apigw.IntegrationResponse(
                        status_code="200", response_templates={_JSON: batch_accepted_response()}
                    ),
                    apigw.IntegrationResponse(
                        status_code=CLIENT_ERROR_STATUS,
                        selection_pattern=r"4\d{2}",
                        response_templates={_JSON: client_error_response()},
                    ),
                    apigw.IntegrationResponse(
                        status_code=SERVER_ERROR_STATUS,
                        selection_pattern=r"5\d{2}",
                        response_templates={_JSON: server_error_response()},
                    ),
                ],
            ),
        )
        model = self.api.add_model(
            "EventBatch",
            content_type="application/json",
            schema=apigw.JsonSchema(
                schema=apigw.JsonSchemaVersion.DRAFT4,
                type=apigw.JsonSchemaType.OBJECT,
                required=[EVENTS],
                properties={
                    EVENTS: apigw.JsonSchema(
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
        self.api.root.add_resource(PATH.strip("/")).add_method(
            "POST",
            integration,
            authorization_type=apigw.AuthorizationType.IAM,
            request_models={_JSON: model},
            request_validator=validator,
            method_responses=[
                apigw.MethodResponse(status_code=status, response_models={_JSON: apigw.Model.EMPTY_MODEL})
                for status in METHOD_STATUSES
            ],
        )

    def _error_shapes(self) -> None:
        """API Gateway's own refusals (bad body, no signature, throttled, too large) as ``{"error"}``."""
        for response_type in (apigw.ResponseType.DEFAULT_4_XX, apigw.ResponseType.DEFAULT_5_XX):
            self.api.add_gateway_response(
                f"Gateway{response_type.response_type}",
                type=response_type,
                templates={_JSON: gateway_error_response()},
            )

    def _health_resource(self) -> None:
        """``GET /health`` → 200 from a MOCK integration: what a Route 53 health check can reach."""
        method = self.api.root.add_resource(HEALTH_PATH).add_method(
            "GET",
            apigw.MockIntegration(
                request_templates={_JSON: '{"statusCode": 200}'},
                integration_responses=[
                    apigw.IntegrationResponse(status_code="200", response_templates={_JSON: '{"ok": true}'})
                ],
                passthrough_behavior=apigw.PassthroughBehavior.NEVER,
            ),
            authorization_type=apigw.AuthorizationType.NONE,
            method_responses=[apigw.MethodResponse(status_code="200")],
        )
        cfn = method.node.default_child
        assert isinstance(cfn, apigw.CfnMethod)
        cfn.add_metadata(
            "checkov",
            {
                "skip": [
                    {"id": "CKV_AWS_59", "comment": "MOCK health answer for Route 53: no backend behind it"}
                ]
            },
        )
