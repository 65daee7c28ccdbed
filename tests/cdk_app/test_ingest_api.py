"""The ingest contract on the API Gateway side: WAF admits a full batch, Kinesis errors never become 200,
and PutRecords' per-record results reach the producer in the shape of ``contracts.ingest``.

The VTL mapping templates are rendered (airspeed, a Velocity engine) with small stand-ins for API
Gateway's ``$input``/``$util``; the request template's output is sent to a real Kinesis API (moto
server over HTTP) exactly as the integration would send it, and that answer is rendered back.
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import socket
from collections.abc import Iterator
from typing import Any

import airspeed
import boto3
import pytest

from cdk_app.constructs.ingest_web_acl import (
    COMMON_RULE_SET,
    MANAGED_BODY_LIMIT_BYTES,
    MAX_BATCH_BODY_BYTES,
    OVERSIZE_RULE,
    decimal_at_most,
)
from cdk_app.ingest_mapping import (
    ACCESS_DENIED_TYPES,
    KINESIS_CONTENT_TYPE,
    METHOD_STATUSES,
    THROTTLING_TYPES,
    batch_accepted_response,
    client_error_response,
    gateway_error_response,
    put_records_request,
    server_error_response,
)
from contracts.events import MAX_SEQ
from contracts.ingest import ERROR, MAX_BATCH, BatchAccepted, batch_accepted
from drills.pipeline.device_fleet import DeviceFleet
from tests.cdk_app.conftest import Synthesized

MARGIN = 1.25  # the stated margin of ingest_web_acl.MAX_BATCH_BODY_BYTES over the largest batch


# --- the size of the largest batch -------------------------------------------------------------------


def _body(payloads: list[dict[str, object]]) -> bytes:
    """Serialized as drills.pipeline.producer does: ``json.dumps({"events": [...]}).encode()``."""
    return json.dumps({"events": payloads}).encode()


def _largest_event() -> dict[str, object]:
    """Every field at the longest text the event schema allows (drills.pipeline.events.VitalsEvent)."""
    return {
        "device_id": "dev-999999",
        "seq": MAX_SEQ,
        "patient_ref": "pt-" + "f" * 12,
        "ts": 9999999999.999998,  # ten integer digits (until 2286) and six decimals: 17 characters
        "heart_rate": 300,
        "spo2": 100,
        "systolic": 300,
        "diastolic": 200,
        "resp_rate": 80,
        "temp_c": 44.9,
    }


def test_the_body_limit_admits_the_largest_batch_with_the_stated_margin() -> None:
    largest = len(_body([_largest_event()] * MAX_BATCH))
    fleet = DeviceFleet(devices=1_000, seed=7)
    start = 3_000_000_000 * 1_000  # sequence numbers with ten digits, as after years of operation
    measured = max(
        len(
            _body(
                [fleet.event(start + b * MAX_BATCH + i, 1.8e9 + i * 1e-3).payload for i in range(MAX_BATCH)]
            )
        )
        for b in range(5)
    )
    print(
        f"largest possible 500-event body {largest} B, DeviceFleet batch {measured} B, "
        f"WAF limit {MAX_BATCH_BODY_BYTES} B ({MAX_BATCH_BODY_BYTES / largest - 1:.0%} margin)"
    )
    assert measured <= largest  # the analytic bound really bounds what the fleet sends
    assert largest * MARGIN <= MAX_BATCH_BODY_BYTES <= largest * 1.5  # admits it, and is still scoped
    assert MAX_BATCH_BODY_BYTES > MANAGED_BODY_LIMIT_BYTES * 12  # the managed 8 KB rule would block it


@pytest.mark.parametrize("limit", [0, 7, 10, 99, 100, 101, 8_192, 65_536, MAX_BATCH_BODY_BYTES])
def test_decimal_at_most_matches_exactly_zero_to_limit(limit: int) -> None:
    pattern = re.compile(decimal_at_most(limit))
    assert len(pattern.pattern) <= 200  # well inside WAF's regex length limit
    for value in range(0, 2 * limit + 20):
        assert bool(pattern.fullmatch(str(value))) is (value <= limit), value
    for text in ("", "-1", "+5", "1e5", " 5", "5 ", "0x10", str(limit) + "0"):
        assert not pattern.fullmatch(text), text


# --- WAF in the synthesized template -----------------------------------------------------------------


def _rules(synthesized: Synthesized, stack: str) -> dict[str, dict[str, Any]]:
    (acl,) = synthesized.resources("AWS::WAFv2::WebACL", stack).values()
    return {r["Name"]: r for r in acl["Properties"]["Rules"]}


@pytest.mark.parametrize("stack", ["PrimaryServices", "DrServices"])
def test_waf_counts_the_8kb_rule_and_scopes_the_body_limit(synthesized: Synthesized, stack: str) -> None:
    rules = _rules(synthesized, stack)
    managed = rules[COMMON_RULE_SET]["Statement"]["ManagedRuleGroupStatement"]
    assert managed["RuleActionOverrides"] == [{"Name": OVERSIZE_RULE, "ActionToUse": {"Count": {}}}]
    events = rules["EventsBodyLimit"]
    assert "Block" in events["Action"]
    path, not_length_ok = events["Statement"]["AndStatement"]["Statements"]
    assert path["ByteMatchStatement"]["SearchString"] == "/events"
    assert path["ByteMatchStatement"]["FieldToMatch"] == {"UriPath": {}}
    regex = not_length_ok["NotStatement"]["Statement"]["RegexMatchStatement"]
    assert regex["FieldToMatch"] == {"SingleHeader": {"Name": "content-length"}}
    assert regex["RegexString"] == decimal_at_most(MAX_BATCH_BODY_BYTES)
    other = rules["OtherBodyLimit"]["Statement"]["AndStatement"]["Statements"]
    assert "NotStatement" in other[0]
    size = other[1]["SizeConstraintStatement"]
    assert (size["ComparisonOperator"], size["Size"]) == ("GT", MANAGED_BODY_LIMIT_BYTES)
    assert size["FieldToMatch"]["Body"]["OversizeHandling"] == "MATCH"
    # the scoped limits are evaluated before the managed group
    assert events["Priority"] < rules[COMMON_RULE_SET]["Priority"]
    assert rules["OtherBodyLimit"]["Priority"] < rules[COMMON_RULE_SET]["Priority"]


# --- integration in the synthesized template ---------------------------------------------------------


def _events_method(synthesized: Synthesized, stack: str) -> dict[str, Any]:
    methods = synthesized.resources("AWS::ApiGateway::Method", stack).values()
    (post,) = [m["Properties"] for m in methods if m["Properties"]["HttpMethod"] == "POST"]
    return post


@pytest.mark.parametrize("stack", ["PrimaryServices", "DrServices"])
def test_integration_maps_kinesis_errors_and_declares_every_status(
    synthesized: Synthesized, stack: str
) -> None:
    post = _events_method(synthesized, stack)
    integration = post["Integration"]
    assert integration["RequestParameters"] == {
        "integration.request.header.Content-Type": f"'{KINESIS_CONTENT_TYPE}'"
    }
    responses = {r.get("SelectionPattern", ""): r for r in integration["IntegrationResponses"]}
    assert set(responses) == {"", r"4\d{2}", r"5\d{2}"}
    assert re.fullmatch(responses[r"4\d{2}"]["SelectionPattern"], "400")
    assert responses[r"4\d{2}"]["StatusCode"].startswith("4")
    assert responses[r"5\d{2}"]["StatusCode"].startswith("5")
    assert responses[""]["ResponseTemplates"]["application/json"] == batch_accepted_response()
    declared = {m["StatusCode"] for m in post["MethodResponses"]}
    mapped = {r["StatusCode"] for r in integration["IntegrationResponses"]} | {"403", "429"}
    assert mapped <= declared == set(METHOD_STATUSES)
    gateway = synthesized.resources("AWS::ApiGateway::GatewayResponse", stack).values()
    assert {g["Properties"]["ResponseType"] for g in gateway} >= {"DEFAULT_4XX", "DEFAULT_5XX"}
    for response in gateway:
        assert response["Properties"]["ResponseTemplates"]["application/json"] == gateway_error_response()


# --- rendering the mapping templates -----------------------------------------------------------------


class _Input:
    """API Gateway's ``$input`` for a JSON body: ``path`` (object) and ``json`` (JSON text)."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def path(self, expression: str) -> Any:
        value = self._body
        for name, index in re.findall(r"\.([A-Za-z_]\w*)|\[(\d+)\]", expression.removeprefix("$")):
            value = (value.get(name) if isinstance(value, dict) else None) if name else value[int(index)]
        return value

    def json(self, expression: str) -> str:
        return json.dumps(self.path(expression))


class _Util:
    @staticmethod
    def base64Encode(text: str) -> str:
        return base64.b64encode(text.encode()).decode()

    @staticmethod
    def escapeJavaScript(text: str) -> str:
        return json.dumps(str(text))[1:-1].replace("'", "\\'")


def _render(template: str, body: Any, context: dict[str, Any] | None = None) -> str:
    return airspeed.Template(template).merge(
        {"input": _Input(body), "util": _Util(), "context": context if context is not None else {}}
    )


@pytest.fixture(scope="module")
def kinesis_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def _put_records_over_http(url: str, body: str) -> tuple[int, Any]:
    """POST the rendered integration request as API Gateway's AWS integration does."""
    host = url.removeprefix("http://")
    connection = http.client.HTTPConnection(host, timeout=10)
    connection.request(
        "POST",
        "/",
        body.encode(),
        {
            "Content-Type": KINESIS_CONTENT_TYPE,
            "X-Amz-Target": "Kinesis_20131202.PutRecords",
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/kinesis/aws4_request, "
            "SignedHeaders=host, Signature=0",
        },
    )
    response = connection.getresponse()
    return response.status, json.loads(response.read() or b"{}")


def test_a_full_batch_goes_through_kinesis_and_comes_back_in_the_contract_shape(kinesis_url: str) -> None:
    kinesis = boto3.client(
        "kinesis",
        endpoint_url=kinesis_url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    kinesis.create_stream(StreamName="htdr-events-unit", ShardCount=4)
    fleet = DeviceFleet(devices=50, seed=3)
    payloads = [fleet.event(i, 1.8e9 + i / 1000).payload for i in range(MAX_BATCH)]
    request = _render(put_records_request("htdr-events-unit"), {"events": payloads})
    records = json.loads(request)["Records"]
    assert [json.loads(base64.b64decode(r["Data"])) for r in records] == payloads
    assert [r["PartitionKey"] for r in records] == [p["device_id"] for p in payloads]
    status, answer = _put_records_over_http(kinesis_url, request)
    assert status == 200 and len(answer["Records"]) == MAX_BATCH
    rendered = json.loads(_render(batch_accepted_response(), answer))
    assert rendered == batch_accepted([None] * MAX_BATCH) == {"accepted": 500, "failed": [], "errorCodes": []}


def test_per_record_failures_reach_the_producer() -> None:
    """PutRecords answers 200 with FailedRecordCount and per-record ErrorCode (Kinesis API reference)."""
    codes: list[str | None] = [None, "ProvisionedThroughputExceededException", None, "InternalFailure", None]
    answer = {
        "FailedRecordCount": 2,
        "Records": [
            {"SequenceNumber": "4960", "ShardId": "shardId-000000000000"}
            if code is None
            else {"ErrorCode": code, "ErrorMessage": "Rate exceeded for shard shardId-000000000001"}
            for code in codes
        ],
    }
    rendered = json.loads(_render(batch_accepted_response(), answer))
    assert rendered == batch_accepted(codes)  # the contract's own builder, computed independently
    assert rendered == {
        "accepted": 3,
        "failed": [1, 3],
        "errorCodes": ["ProvisionedThroughputExceededException", "InternalFailure"],
    }
    assert set(rendered) == set(BatchAccepted.__annotations__)  # names every key of the contract


@pytest.mark.parametrize(
    ("error_type", "status"),
    [
        *((t, 429) for t in THROTTLING_TYPES),
        *((t, 403) for t in ACCESS_DENIED_TYPES),
        ("InvalidArgumentException", None),
        ("ResourceNotFoundException", None),
        ("KMSDisabledException", None),
    ],
)
def test_kinesis_client_errors_become_client_errors(error_type: str, status: int | None) -> None:
    context: dict[str, Any] = {"responseOverride": {}}
    body = _render(client_error_response(), {"__type": error_type, "message": "x"}, context)
    assert context["responseOverride"].get("status") == status  # None: the 400 of the 4xx response
    assert set(json.loads(body)) == {ERROR} and error_type in json.loads(body)[ERROR]


def test_kinesis_server_errors_name_the_type_and_say_retry() -> None:
    body = json.loads(_render(server_error_response(), {"__type": "InternalFailure"}))
    assert set(body) == {ERROR} and "InternalFailure" in body[ERROR] and "retry" in body[ERROR]
