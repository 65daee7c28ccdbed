"""The producer against real ingest APIs and moto: pacing, ledger semantics, retries, dual-write."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pydantic import ValidationError

from contracts.events import split_event_key
from drills.pipeline.config import ProducerConfig
from drills.pipeline.ledger import LedgerReader
from drills.pipeline.producer import Producer
from tests.pipeline.conftest import write_json
from tests.pipeline.engines import MotoServer, free_port, wait_for
from tests.pipeline.test_ingest_api import stream_records, throttle_put_records

pytestmark = pytest.mark.sandbox


def config(tmp_path: Path, urls: list[str], regions: list[str] | None = None,
           **overrides: Any) -> ProducerConfig:
    """A producer config; ``regions`` label the URLs (and are their SigV4 signing regions)."""
    labels = {"regions": regions} if regions else {}
    routing = write_json(tmp_path / "routing.json", {"api_urls": urls} | labels)
    fields: dict[str, Any] = {"rate_per_min": 6000, "devices": 20, "batch_size": 50,
                              "routing_file": routing, "ledger_path": tmp_path / "ledger.db"}
    return ProducerConfig(**(fields | overrides))


def run_in_thread(producer: Producer) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=producer.run, args=(stop,), daemon=True)
    thread.start()
    return thread, stop


def assert_no_seq_gap(ledger: Path) -> None:
    with LedgerReader(ledger) as reader:
        keys = [e.event_key for e in reader.iter_acked()] + [e.event_key for e in reader.in_doubt()]
    per_device: dict[int, list[int]] = defaultdict(list)
    for key in keys:
        device, seq = split_event_key(key)
        per_device[device].append(seq)
    for seqs in per_device.values():
        assert sorted(seqs) == list(range(len(seqs)))


def test_rate_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="rate_per_min"):
        config(tmp_path, ["http://127.0.0.1:1/"], rate_per_min=0)
    cfg = write_json(tmp_path / "producer.json", {
        "rate_per_min": -5, "routing_file": str(tmp_path / "r.json"), "ledger_path": str(tmp_path / "l.db"),
    })
    done = subprocess.run([sys.executable, "-m", "drills.pipeline.producer", "--config", str(cfg)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        f"config file {cfg}: rate_per_min: Input should be greater than 0"
    ]
    assert not (tmp_path / "l.db").exists()


def test_paced_events_are_acked_in_the_ledger_and_on_the_stream(
    tmp_path: Path, make_stream: Callable[..., str], ingest_api: Any, moto: MotoServer
) -> None:
    stream = make_stream(shards=2)
    url, _ = ingest_api(stream)
    cfg = config(tmp_path, [url], rate_per_min=6000, duration_s=3.0)
    status = Producer(cfg).run(threading.Event())
    # 100 events/s for 3 s: never faster than the rate (plus one batch), and not starved.
    assert 150 <= status.acked <= 310
    assert status.sent == status.acked and status.in_doubt == 0 and status.errors == 0
    with LedgerReader(cfg.ledger_path) as ledger:
        acked = list(ledger.iter_acked())
        assert ledger.count_acked() == len(acked) == status.acked
        assert ledger.in_doubt() == []
    assert [e.event_key for e in acked] == sorted(e.event_key for e in acked)
    on_stream = {(r["device_id"], r["seq"]) for r in stream_records(moto, stream)}
    assert on_stream == {(f"dev-{split_event_key(e.event_key)[0]:06d}", split_event_key(e.event_key)[1])
                         for e in acked}
    assert_no_seq_gap(cfg.ledger_path)
    written = json.loads((tmp_path / "ledger.db.status.json").read_text())
    assert written["acked"] == status.acked and written["running"] is False


def test_api_down_leaves_events_in_doubt_until_rerouted(
    tmp_path: Path, make_stream: Callable[..., str], ingest_api: Any
) -> None:
    dead = f"http://127.0.0.1:{free_port()}/"
    cfg = config(tmp_path, [dead], rate_per_min=3000, request_timeout_s=1.0)
    producer = Producer(cfg)
    thread, stop = run_in_thread(producer)
    wait_for(lambda: producer.status.errors >= 3, 10, "failed posts")
    with LedgerReader(cfg.ledger_path) as ledger:
        in_doubt = ledger.in_doubt()
        assert in_doubt and ledger.count_acked() == 0  # written before the POST, never acknowledged
    t_reroute = time.time()
    url, _ = ingest_api(make_stream())
    write_json(cfg.routing_file, {"api_urls": [url]})
    producer.request_reroute()  # what SIGHUP does
    wait_for(lambda: producer.status.acked >= 100, 10, "acks after reroute")
    stop.set()
    thread.join(10)
    with LedgerReader(cfg.ledger_path) as ledger:
        after = {e.event_key: e for e in ledger.acked_after(t_reroute)}
        # the batch that was in doubt was retried with the same keys and digests, then acknowledged
        assert all(after[e.event_key].digest == e.digest for e in in_doubt)
        assert ledger.count_acked() + len(ledger.in_doubt()) == ledger.count_sent()
    assert_no_seq_gap(cfg.ledger_path)


def test_rejected_records_are_retried_with_the_same_seq(
    tmp_path: Path, make_stream: Callable[..., str], ingest_api: Any, moto: MotoServer
) -> None:
    stream = make_stream()
    url, server = ingest_api(stream)
    throttle_put_records(server.forwarder._client, {0, 2}, times=3)
    cfg = config(tmp_path, [url], rate_per_min=3000, duration_s=1.5)
    status = Producer(cfg).run(threading.Event())
    assert status.rejected == 6 and status.in_doubt == 0
    with LedgerReader(cfg.ledger_path) as ledger:
        acked = {e.event_key for e in ledger.iter_acked()}
    on_stream = [(r["device_id"], r["seq"]) for r in stream_records(moto, stream)]
    assert len(on_stream) == len(set(on_stream)) == len(acked) == status.sent
    assert_no_seq_gap(cfg.ledger_path)


def test_a_throttled_batch_is_retried_until_stored_not_dropped(
    tmp_path: Path, make_stream: Callable[..., str], ingest_api: Any, moto: MotoServer
) -> None:
    """429 (Kinesis throttling the whole call) means "later", not "refused": the producer retries it."""
    stream = make_stream()
    url, server = ingest_api(stream)
    client = server.forwarder._client
    real, failures = client.put_records, [2]

    def put_records(**kwargs: Any) -> Any:
        if failures[0] > 0:
            failures[0] -= 1
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "x"},
                               "ResponseMetadata": {"HTTPStatusCode": 400}}, "PutRecords")
        return real(**kwargs)

    client.put_records = put_records
    cfg = config(tmp_path, [url], rate_per_min=3000, duration_s=1.0, in_flight=1)
    status = Producer(cfg).run(threading.Event())
    assert status.errors == 2 and "429" in (status.last_error or "")
    assert status.in_doubt == 0 and status.acked == status.sent
    assert len(stream_records(moto, stream)) == status.sent


def test_a_200_that_does_not_account_for_the_batch_acknowledges_nothing(
    tmp_path: Path, make_stream: Callable[..., str], ingest_api: Any
) -> None:
    """An integration answering 200 without the per-record results (API Gateway's default
    pass-through) must not turn events into acknowledged ones."""
    url, server = ingest_api(make_stream())
    server.forwarder.forward = lambda events: {"accepted": len(events)}
    cfg = config(tmp_path, [url], rate_per_min=3000, duration_s=0.6)
    status = Producer(cfg).run(threading.Event())
    assert status.sent > 0 and status.acked == 0 and status.in_doubt == status.sent
    with LedgerReader(cfg.ledger_path) as ledger:
        assert ledger.count_acked() == 0


def test_dual_write_acks_only_when_both_regions_ack(
    tmp_path: Path, make_stream: Callable[..., str], ingest_api: Any, moto: MotoServer
) -> None:
    primary, dr = make_stream(), make_stream(region="ca-west-1")
    url_a, _ = ingest_api(primary)
    url_b, _ = ingest_api(dr, region="ca-west-1")
    cfg = config(tmp_path, [url_a, url_b], ["ca-central-1", "ca-west-1"], rate_per_min=3000, duration_s=1.5)
    status = Producer(cfg).run(threading.Event())
    assert status.acked > 0 and status.in_doubt == 0
    a = {(r["device_id"], r["seq"]) for r in stream_records(moto, primary)}
    b = {(r["device_id"], r["seq"]) for r in stream_records_region(moto, dr, "ca-west-1")}
    assert a == b and len(a) == status.acked

    down = tmp_path / "down"
    down.mkdir()
    cfg = config(down, [url_a, f"http://127.0.0.1:{free_port()}/"], rate_per_min=3000, duration_s=1.0,
                 request_timeout_s=0.5)
    status = Producer(cfg).run(threading.Event())
    assert status.acked == 0 and status.in_doubt > 0 and status.errors > 0


def stream_records_region(moto: MotoServer, stream: str, region: str) -> list[dict[str, Any]]:
    from tests.pipeline.conftest import aws

    client = aws(moto, "kinesis", region)
    shard = client.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
    it = client.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    return [json.loads(r["Data"]) for r in client.get_records(ShardIterator=it["ShardIterator"])["Records"]]


def test_process_reroutes_on_sighup_and_exits_0_on_sigterm_then_resumes(
    tmp_path: Path, make_stream: Callable[..., str], ingest_api: Any
) -> None:
    url_a, _ = ingest_api(make_stream())
    cfg = config(tmp_path, [url_a], rate_per_min=6000)
    cfg_file = write_json(tmp_path / "producer.json", cfg.model_dump(mode="json"))
    status_file = tmp_path / "ledger.db.status.json"

    def status() -> dict[str, Any]:
        return json.loads(status_file.read_text()) if status_file.exists() else {"acked": 0}

    proc = subprocess.Popen([sys.executable, "-m", "drills.pipeline.producer", "--config", str(cfg_file)],
                            stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: status()["acked"] > 50, 30, "producer acks")
        url_b, _ = ingest_api(make_stream())
        write_json(cfg.routing_file, {"api_urls": [url_b]})
        proc.send_signal(signal.SIGHUP)
        wait_for(lambda: status()["api_urls"] == [url_b], 10, "reroute")
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert f"rerouted to {url_b}" in stderr
    final = status()
    assert final["running"] is False
    with LedgerReader(cfg.ledger_path) as ledger:
        assert ledger.count_acked() == final["acked"]
        first_run = ledger.count_sent()
    Producer(cfg.model_copy(update={"duration_s": 0.5})).run(threading.Event())  # resumes, no reuse
    with LedgerReader(cfg.ledger_path) as ledger:
        assert ledger.count_sent() > first_run
    assert_no_seq_gap(cfg.ledger_path)
