"""API Gateway mapping templates (VTL) of the ingest API: the request to Kinesis and its answers.

Written from the names of ``contracts.ingest`` so API Gateway and the sandbox ingest API return the
same shapes:

- request: ``{"events": [...]}`` → Kinesis ``PutRecords`` (one record per event, partition key = the
  device id, data = the event's JSON); the integration request carries
  ``Content-Type: application/x-amz-json-1.1``, which Kinesis' JSON protocol expects.
- 200: PutRecords answers 200 even when records failed; each result either has a ``SequenceNumber``
  or an ``ErrorCode``. The template passes that through as ``{"accepted", "failed", "errorCodes"}``
  (indexes and codes of the failed records), so the producer retries exactly those.
- Kinesis 4xx (AWS-service integrations select on the HTTP status only: without a 4xx selection
  pattern API Gateway answers a Kinesis 4xx with the default 200 response, REFERENCE.md "AWS
  constraints"): throttling → 429, access denied → 403, any other → 400, with ``{"error"}`` naming the
  Kinesis error type (never the submitted values).
- Kinesis 5xx → 502 ``{"error"}``: the stream could not take the batch; retry later.
Sources: https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html (response and
errors), https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-override-request-response-parameters.html
(``$context.responseOverride.status``).
"""

from __future__ import annotations

# THROTTLING_TYPES / ACCESS_DENIED_TYPES: the Kinesis error types (``__type``) answered as 429 / 403;
# other 4xx types become 400. Shared with the sandbox ingest API through contracts.ingest.
from contracts.ingest import (
    ACCEPTED,
    ACCESS_DENIED_TYPES,
    ERROR,
    ERROR_CODES,
    EVENTS,
    FAILED,
    STATUS_INVALID,
    STATUS_STREAM_FAILED,
    THROTTLING_TYPES,
)

KINESIS_CONTENT_TYPE = "application/x-amz-json-1.1"
#: Integration-response status for a Kinesis 4xx before the template refines it, and for a 5xx.
CLIENT_ERROR_STATUS = str(STATUS_INVALID)
SERVER_ERROR_STATUS = str(STATUS_STREAM_FAILED)
#: Every status the POST method can answer (each needs a method response).
METHOD_STATUSES = ("200", "400", "403", "429", SERVER_ERROR_STATUS)


def put_records_request(stream_name: str) -> str:
    """Request template: the batch → PutRecords on ``stream_name``."""
    return "\n".join(
        [
            f"#set($count = $input.path('$.{EVENTS}').size())",
            f'{{"StreamName": "{stream_name}", "Records": [',
            "#foreach($i in [1..$count])#set($idx = $i - 1)",
            f'{{"Data": "$util.base64Encode($input.json("$.{EVENTS}[$idx]"))", '
            f'"PartitionKey": "$util.escapeJavaScript($input.path("$.{EVENTS}[$idx].device_id"))"}}'
            "#if($foreach.hasNext),#end",
            "#end",
            "]}",
        ]
    )


def batch_accepted_response() -> str:
    """200 template: PutRecords' per-record results as the contract's accepted/failed/errorCodes."""
    return "\n".join(
        [
            "#set($records = $input.path('$.Records'))",
            "#set($failed = [])",
            "#set($codes = [])",
            "#foreach($record in $records)",
            '#if($record.ErrorCode && "$record.ErrorCode" != "")',
            "#set($unused = $failed.add($foreach.index))",
            '#set($unused = $codes.add("$record.ErrorCode"))',
            "#end",
            "#end",
            "#set($accepted = $records.size() - $failed.size())",
            f'{{"{ACCEPTED}": $accepted, '
            f'"{FAILED}": [#foreach($index in $failed)$index#if($foreach.hasNext), #end#end], '
            f'"{ERROR_CODES}": [#foreach($code in $codes)"$util.escapeJavaScript($code)"'
            "#if($foreach.hasNext), #end#end]}",
        ]
    )


def _any_contains(variable: str, names: tuple[str, ...]) -> str:
    return " || ".join(f'${variable}.contains("{name}")' for name in names)


def client_error_response() -> str:
    """Kinesis 4xx template: status by error type, body names the type."""
    return "\n".join(
        [
            "#set($type = \"$input.path('$.__type')\")",
            f"#if({_any_contains('type', THROTTLING_TYPES)})",
            "#set($context.responseOverride.status = 429)",
            f"#elseif({_any_contains('type', ACCESS_DENIED_TYPES)})",
            "#set($context.responseOverride.status = 403)",
            "#end",
            f'{{"{ERROR}": "the stream refused the batch ($util.escapeJavaScript($type)); '
            'nothing was stored"}',
        ]
    )


def server_error_response() -> str:
    """Kinesis 5xx template."""
    return "\n".join(
        [
            "#set($type = \"$input.path('$.__type')\")",
            f'{{"{ERROR}": "the stream is unavailable ($util.escapeJavaScript($type)); nothing was '
            'stored, retry later"}',
        ]
    )


def gateway_error_response() -> str:
    """API Gateway's own 4xx/5xx (validation, auth, throttling, size) in the contract's error shape."""
    return f'{{"{ERROR}": $context.error.messageString}}'
