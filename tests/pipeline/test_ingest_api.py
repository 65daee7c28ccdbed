"""The ingest API against a real moto Kinesis: validation, forwarding, per-record failures, outages."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.credentials import Credentials
from botocore.stub import Stubber

from contracts import ingest
from drills.pipeline.device_fleet import DeviceFleet
from drills.pipeline.events import VitalsEvent
from drills.pipeline.request_signing import RequestSigner
from tests.pipeline.conftest import PRIMARY_REGION, aws
from tests.pipeline.engines import MotoServer, free_port

pytestmark = pytest.mark.sandbox


SIGNER = RequestSigner(Credentials("testing", "testing"), PRIMARY_REGION)


def call(url: str, method: str, path: str, body: bytes | None = None, *, signed: bool = True
         ) -> tuple[int, dict[str, Any]]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    headers = {"Content-Type": "application/json"}
    if signed:
        headers = SIGNER.headers(method, f"http://{parts.netloc}{path}", body or b"", headers)
    try:
        conn.request(method, path, body, headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def events(n: int, start: int = 0) -> list[dict[str, Any]]:
    fleet = DeviceFleet(devices=50, seed=3)
    return [fleet.event(start + i, 1_700_000_000.0 + i).payload for i in range(n)]


def post(url: str, payload: object) -> tuple[int, dict[str, Any]]:
    return call(url, "POST", "/events", json.dumps(payload).encode())


def stream_records(moto: MotoServer, stream: str) -> list[dict[str, Any]]:
    client = aws(moto, "kinesis")
    out: list[dict[str, Any]] = []
    for shard in client.list_shards(StreamName=stream)["Shards"]:
        it = client.get_shard_iterator(StreamName=stream, ShardId=shard["ShardId"],
                                       ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        records = client.get_records(ShardIterator=it, Limit=10_000)["Records"]
        out.extend({"key": r["PartitionKey"], **json.loads(r["Data"])} for r in records)
    return out


def test_health_and_unknown_path(make_stream: Callable[..., str], ingest_api: Any) -> None:
    url, _ = ingest_api(make_stream())
    assert call(url, "GET", "/health")[0] == 200
    status, body = call(url, "GET", "/nope")
    assert status == 404 and "/events" in body["error"]


def test_valid_batch_lands_on_the_stream_keyed_by_device(
    make_stream: Callable[..., str], ingest_api: Any, moto: MotoServer
) -> None:
    stream = make_stream(shards=2)
    url, _ = ingest_api(stream)
    batch = events(120)
    status, body = post(url, {"events": batch})
    assert (status, body) == (200, {"accepted": 120, "failed": [], "errorCodes": []})
    records = stream_records(moto, stream)
    by_id = {(e["device_id"], e["seq"]): e for e in batch}
    assert sorted((r["device_id"], r["seq"]) for r in records) == sorted(by_id)
    assert all(r["key"] == r["device_id"] for r in records)
    assert all({k: v for k, v in r.items() if k != "key"} == by_id[r["device_id"], r["seq"]] for r in records)


@pytest.mark.parametrize(("mutate", "expected"), [
    (lambda e: e.pop("spo2"), "events[1].spo2: Field required"),
    (lambda e: e.update(heart_rate=999), "events[1].heart_rate: Input should be less than or equal to 300"),
    (lambda e: e.update(patient_ref="John Smith"), "events[1].patient_ref: String should match pattern"),
    (lambda e: e.update(mrn="12345"), "events[1].mrn: Extra inputs are not permitted"),
])
def test_bad_event_is_400_naming_the_field_without_echoing_the_value(
    make_stream: Callable[..., str], ingest_api: Any, moto: MotoServer,
    mutate: Callable[[dict[str, object]], object], expected: str,
) -> None:
    stream = make_stream()
    url, _ = ingest_api(stream)
    batch = events(3)
    mutate(batch[1])
    status, body = post(url, {"events": batch})
    assert status == 400
    assert body["error"].startswith(expected)
    assert "\n" not in body["error"]
    assert not any(secret in body["error"] for secret in ("999", "John Smith", "12345"))
    assert stream_records(moto, stream) == []  # nothing half-written


@pytest.mark.parametrize(("body", "expected"), [
    (b"{not json", "body is not valid JSON"),
    (b"[]", 'body must be an object {"events": [...]}'),
    (b'{"events": []}', "events: must contain at least one event"),
    (b'{"events": [], "x": 1}', 'body must have exactly one key, "events"'),
])
def test_malformed_body_is_400(
    make_stream: Callable[..., str], ingest_api: Any, body: bytes, expected: str
) -> None:
    url, _ = ingest_api(make_stream())
    status, reply = call(url, "POST", "/events", body)
    assert (status, reply["error"][: len(expected)]) == (400, expected)


def test_batch_over_the_limit_is_413(
    make_stream: Callable[..., str], ingest_api: Any, moto: MotoServer
) -> None:
    stream = make_stream()
    url, _ = ingest_api(stream)
    status, body = post(url, {"events": events(501)})
    assert status == 413 and "limit is 500" in body["error"]
    assert stream_records(moto, stream) == []


def test_per_record_failures_are_reported_by_index(
    make_stream: Callable[..., str], ingest_api: Any, moto: MotoServer
) -> None:
    """Kinesis throttles single records (ProvisionedThroughputExceeded); moto never does, so the
    boto3 boundary drops records 1 and 3 the way AWS would and the API must report exactly those."""
    stream = make_stream()
    url, server = ingest_api(stream)
    client = server.forwarder._client
    throttle_put_records(client, {1, 3})
    batch = events(5)
    status, body = post(url, {"events": batch})
    throttled = "ProvisionedThroughputExceededException"
    assert (status, body) == (200, {"accepted": 3, "failed": [1, 3], "errorCodes": [throttled, throttled]})
    stored = sorted(r["seq"] for r in stream_records(moto, stream))
    assert stored == sorted(batch[i]["seq"] for i in (0, 2, 4))


def throttle_put_records(client: Any, indexes: set[int], times: int = 1) -> None:
    """Make the next ``times`` full PutRecords calls fail ``indexes`` per record, like Kinesis throttling.

    Calls too small to contain the indexes (the retries of throttled records) go through untouched.
    """
    real = client.put_records
    remaining = [times]

    def put_records(**kwargs: Any) -> dict[str, Any]:
        if remaining[0] <= 0:
            return real(**kwargs)
        records = kwargs["Records"]
        if len(records) < len(indexes) + 1:  # a retry of the throttled ones: let it through
            return real(**kwargs)
        remaining[0] -= 1
        kept = [r for i, r in enumerate(records) if i not in indexes]
        result = iter(real(**{**kwargs, "Records": kept})["Records"])
        throttled = {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "Rate exceeded"}
        return {"FailedRecordCount": len(indexes),
                "Records": [throttled if i in indexes else next(result) for i in range(len(records))]}

    client.put_records = put_records


def test_a_missing_stream_is_400_and_an_unreachable_one_503(
    make_stream: Callable[..., str], ingest_api: Any
) -> None:
    url, _ = ingest_api("no-such-stream")
    status, body = post(url, {"events": events(2)})
    assert status == 400 and "no-such-stream" in body["error"]  # ResourceNotFoundException: refused
    dead_url, _ = ingest_api(make_stream(), endpoint_url=f"http://127.0.0.1:{free_port()}")
    assert post(dead_url, {"events": events(2)})[0] == 503


def test_unsigned_request_is_403_and_nothing_is_written(
    make_stream: Callable[..., str], ingest_api: Any, moto: MotoServer
) -> None:
    stream = make_stream()
    url, _ = ingest_api(stream)
    status, body = call(url, "POST", "/events", json.dumps({"events": events(2)}).encode(), signed=False)
    assert status == 403 and set(body) == {ingest.ERROR} and "SigV4" in body["error"]
    wrong_region = RequestSigner(Credentials("testing", "testing"), "eu-west-1")
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    data = json.dumps({"events": events(2)}).encode()
    conn.request("POST", "/events", data, wrong_region.headers("POST", f"http://{parts.netloc}/events", data,
                                                              {"Content-Type": "application/json"}))
    assert conn.getresponse().status == 403
    conn.close()
    assert stream_records(moto, stream) == []


@pytest.mark.parametrize(("code", "kinesis_status", "expected"), [
    ("ProvisionedThroughputExceededException", 400, 429),
    ("KMSThrottlingException", 400, 429),
    ("LimitExceededException", 400, 429),
    ("AccessDeniedException", 400, 403),
    ("KMSAccessDeniedException", 400, 403),
    ("ValidationException", 400, 400),
    ("KMSDisabledException", 400, 400),
    ("ResourceNotFoundException", 400, 400),
    ("InternalFailure", 500, 502),
    ("ServiceUnavailable", 503, 502),
])
def test_a_failed_put_records_call_is_never_a_200(
    make_stream: Callable[..., str], ingest_api: Any, code: str, kinesis_status: int, expected: int
) -> None:
    """Kinesis refuses the whole call (AWS behaviour moto does not produce: stubbed at the boto3
    boundary); the API answers the contract's status, as API Gateway's templates do, with an
    ``error`` body, never 200."""
    url, server = ingest_api(make_stream())
    with Stubber(server.forwarder._client) as stub:
        stub.add_client_error("put_records", service_error_code=code, http_status_code=kinesis_status)
        status, body = post(url, {"events": events(3)})
    assert (status, set(body)) == (expected, {ingest.ERROR}) and code in body["error"]


def test_the_body_limit_admits_any_full_batch_and_refuses_more(
    make_stream: Callable[..., str], ingest_api: Any, moto: MotoServer
) -> None:
    widest = VitalsEvent(device_id="dev-999999", seq=4_294_967_295, patient_ref="pt-ffffffffffff",
                         ts=-1.2345678901234567e300, heart_rate=300, spo2=100, systolic=300, diastolic=200,
                         resp_rate=80, temp_c=36.849999999999994)
    full = {"events": [json.loads(widest.model_dump_json())] * ingest.MAX_BATCH}
    assert len(json.dumps(full).encode()) <= ingest.MAX_BODY_BYTES
    stream = make_stream()
    url, _ = ingest_api(stream)
    assert post(url, full)[0] == 200
    padded = json.dumps({"events": events(1)}).encode() + b" " * ingest.MAX_BODY_BYTES
    status, body = call(url, "POST", "/events", padded)
    assert status == 413 and str(ingest.MAX_BODY_BYTES) in body["error"]
