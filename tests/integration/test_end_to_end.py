"""Events posted to the API URL flow through the stream, the writer, the DR reader, the sessions
cache and CloudWatch; the stream is encrypted with a rotating key. Only the outputs file is known."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from contracts import ingest
from contracts.outputs import RegionalKey, Side
from drills.pipeline.config import ProcessorConfig
from drills.pipeline.events import VitalsEvent
from drills.pipeline.request_signing import RequestSigner, default_credentials, signing_region
from tests.integration.deployment import Deployment

pytestmark = pytest.mark.sandbox
NAMESPACE = ProcessorConfig.model_fields["metrics_namespace"].default
DEVICES, PER_DEVICE = 20, 10


@dataclass(frozen=True)
class Posted:
    events: list[VitalsEvent]
    since: datetime


def _eventually(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    raise AssertionError(f"{what}: not seen within {timeout_s} s")


def _post(deployment: Deployment, side: Side, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """POST to ``side``'s ingest API as the producer does: SigV4-signed with the standard chain's
    credentials for that region, within the contract's batch and body limits."""
    url = deployment.get(side, RegionalKey.API_URL).rstrip("/") + ingest.PATH
    data = json.dumps(body).encode()
    assert len(data) <= ingest.MAX_BODY_BYTES and len(body.get(ingest.EVENTS, [])) <= ingest.MAX_BATCH
    credentials, _ = default_credentials()
    signer = RequestSigner(credentials, signing_region(url, deployment.region(side), None))
    request = urllib.request.Request(
        url, data=data, method="POST",
        headers=signer.headers("POST", url, data, {"Content-Type": "application/json"}),
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _store(deployment: Deployment, side: Side, events: list[VitalsEvent], attempts: int = 5) -> None:
    """Post ``events`` and re-post exactly the records the stream rejected, as the contract says."""
    pending = events
    for _ in range(attempts):
        status, answer = _post(deployment, side, {ingest.EVENTS: [json.loads(e.model_dump_json())
                                                                  for e in pending]})
        assert status == 200, answer
        accepted = ingest.parse_batch_accepted(answer, len(pending))
        pending = [pending[i] for i in accepted["failed"]]
        if not pending:
            return
        time.sleep(1.0)
    raise AssertionError(f"{len(pending)} events still rejected after {attempts} attempts")


def _synthetic_events() -> list[VitalsEvent]:
    """Devices 900001.. with sequence numbers from the clock: unique per run, never real data."""
    base_seq, now = int(time.time()) % 1_000_000 * 1000, round(time.time(), 6)
    return [
        VitalsEvent(
            device_id=f"dev-{900_001 + d:06d}",
            seq=base_seq + s,
            patient_ref=f"pt-{d:012x}",
            ts=round(now + s / 100, 6),
            heart_rate=70 + s,
            spo2=97,
            systolic=120,
            diastolic=80,
            resp_rate=14,
            temp_c=36.8,
        )
        for d in range(DEVICES)
        for s in range(PER_DEVICE)
    ]


@pytest.fixture(scope="module")
def posted(deployment: Deployment) -> Posted:
    since = datetime.now(UTC)
    events = _synthetic_events()
    _store(deployment, Side.PRIMARY, events)
    return Posted(events, since)


def _stored(
    deployment: Deployment, side: Side, key: RegionalKey, events: list[VitalsEvent]
) -> dict[int, int]:
    with deployment.db(side, key) as conn:
        rows = conn.execute(
            "SELECT event_key, payload_digest FROM vitals_events WHERE event_key = ANY(%s)",
            ([e.event_key for e in events],),
        ).fetchall()
    return {int(k): int(d) for k, d in rows}


def test_stream_is_encrypted_with_a_rotating_key(deployment: Deployment) -> None:
    for side in Side:
        summary = deployment.client("kinesis", side).describe_stream_summary(
            StreamName=deployment.get(side, RegionalKey.STREAM_NAME)
        )["StreamDescriptionSummary"]
        key_arn = deployment.get(side, RegionalKey.KMS_KEY_ARN)
        assert summary["EncryptionType"] == "KMS"
        assert summary["KeyId"] in (key_arn, key_arn.split("/")[-1])
        rotation = deployment.client("kms", side).get_key_rotation_status(KeyId=key_arn)
        assert rotation["KeyRotationEnabled"] is True


def test_events_are_in_the_stream(deployment: Deployment, posted: Posted) -> None:
    kinesis = deployment.client("kinesis", Side.PRIMARY)
    stream = deployment.get(Side.PRIMARY, RegionalKey.STREAM_NAME)
    wanted = {e.event_id for e in posted.events}
    seen: set[str] = set()
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream,
            ShardId=shard["ShardId"],
            ShardIteratorType="AT_TIMESTAMP",
            Timestamp=posted.since,
        )["ShardIterator"]
        while iterator:
            page = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
            for record in page["Records"]:
                data = json.loads(record["Data"])
                seen.add(f"{data['device_id']}:{data['seq']}")
            if not page["Records"] or page.get("MillisBehindLatest", 0) == 0:
                break
            iterator = page.get("NextShardIterator")
    assert wanted <= seen


def test_events_are_processed_into_the_writer(deployment: Deployment, posted: Posted) -> None:
    expected = {e.event_key: e.digest() for e in posted.events}
    _eventually(
        lambda: _stored(deployment, Side.PRIMARY, RegionalKey.WRITER_ENDPOINT, posted.events) == expected,
        60,
        "events in the writer",
    )


def test_events_are_replicated_to_the_dr_reader(deployment: Deployment, posted: Posted) -> None:
    expected = {e.event_key: e.digest() for e in posted.events}
    _eventually(
        lambda: _stored(deployment, Side.DR, RegionalKey.READER_ENDPOINT, posted.events) == expected,
        60,
        "events on the DR reader",
    )


def test_sessions_are_in_the_cache(deployment: Deployment, posted: Posted) -> None:
    newest: dict[str, int] = {}
    for event in posted.events:
        newest[event.device_id] = max(newest.get(event.device_id, -1), event.seq)

    def sessions_current() -> bool:
        with deployment.cache(Side.PRIMARY) as cache:
            return all(cache.hget(f"session:{d}", "last_seq") == str(s) for d, s in newest.items())

    _eventually(sessions_current, 60, "device sessions in the cache")


def test_processor_metrics_are_in_cloudwatch(deployment: Deployment, posted: Posted) -> None:
    cloudwatch = deployment.client("cloudwatch", Side.PRIMARY)

    def published() -> bool:
        names = {m["MetricName"] for m in cloudwatch.list_metrics(Namespace=NAMESPACE)["Metrics"]}
        return "EventsProcessed" in names

    _eventually(published, 60, f"metrics in namespace {NAMESPACE}")


def test_a_bad_payload_gets_a_clear_4xx_without_echoing_values(deployment: Deployment) -> None:
    status, answer = _post(
        deployment, Side.PRIMARY, {ingest.EVENTS: [{"device_id": "not-a-device-SECRETVALUE", "seq": 1}]}
    )
    assert 400 <= status < 500
    assert set(answer) == {ingest.ERROR}
    assert answer[ingest.ERROR] and "SECRETVALUE" not in answer[ingest.ERROR]


def test_an_unsigned_request_is_refused(deployment: Deployment) -> None:
    url = deployment.get(Side.PRIMARY, RegionalKey.API_URL).rstrip("/") + ingest.PATH
    request = urllib.request.Request(url, data=b'{"events": []}', method="POST",
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 403
