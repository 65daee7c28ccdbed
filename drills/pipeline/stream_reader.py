"""Reads the shards a processor holds on one Kinesis stream, one ``GetRecords`` per shard per round.

Records are returned per shard with the last sequence number read, which the processor commits as
its checkpoint in the same transaction as the rows (so positions never run ahead of the store).
Rounds start at most once per ``min_read_interval_s``: Kinesis allows 5 ``GetRecords`` a second a
shard, shared by every classic consumer (https://docs.aws.amazon.com/streams/latest/dev/
service-sizes-and-limits.html). Malformed records (not a ``VitalsEvent``) are counted and skipped
rather than blocking the shard.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from pydantic import TypeAdapter, ValidationError

from drills.pipeline.events import VitalsEvent
from drills.pipeline.store_writer import StartPosition

_EVENTS = TypeAdapter(list[VitalsEvent])
_EVENT = TypeAdapter(VitalsEvent)


@dataclass
class StreamBatch:
    by_shard: dict[str, list[VitalsEvent]] = field(default_factory=dict)
    checkpoints: dict[str, str] = field(default_factory=dict)  # shard id -> last sequence number read
    millis_behind_latest: int = 0
    malformed: int = 0

    @property
    def events(self) -> list[VitalsEvent]:
        return [event for events in self.by_shard.values() for event in events]

    def only(self, shards: Collection[str]) -> StreamBatch:
        """The part of the batch read from ``shards`` (a read-ahead may hold a shard given up since)."""
        return StreamBatch(
            by_shard={s: e for s, e in self.by_shard.items() if s in shards},
            checkpoints={s: c for s, c in self.checkpoints.items() if s in shards},
            millis_behind_latest=self.millis_behind_latest, malformed=self.malformed,
        )


class StreamReader:
    """Iterator positions of the shards opened with ``seek``; ``read`` advances them."""

    def __init__(self, region: str, endpoint_url: str | None, stream: str,
                 min_read_interval_s: float = 0.0) -> None:
        self.stream = stream
        self._min_interval = min_read_interval_s
        self._next_read_at = 0.0
        self._client = boto3.client(
            "kinesis", region_name=region, endpoint_url=endpoint_url,
            config=BotoConfig(connect_timeout=2, read_timeout=10, retries={"max_attempts": 2}),
        )
        self._iterators: dict[str, str] = {}
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="get-records")

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def stream_arn(self) -> str:
        """The stream's ARN: the checkpoint key. Both regions' streams share a NAME, and the store
        (checkpoints included) replicates from the primary, so only the ARN (region in it) tells the
        DR processor's positions from the primary's."""
        summary = self._client.describe_stream_summary(StreamName=self.stream)
        return str(summary["StreamDescriptionSummary"]["StreamARN"])

    def shard_ids(self) -> list[str]:
        shards: list[str] = []
        kwargs: dict[str, Any] = {"StreamName": self.stream}
        while True:
            page = self._client.list_shards(**kwargs)
            shards.extend(s["ShardId"] for s in page["Shards"])
            if not page.get("NextToken"):
                return shards
            kwargs = {"NextToken": page["NextToken"]}

    def seek(self, positions: dict[str, StartPosition]) -> None:
        """Open one iterator per shard at its start position."""
        for shard, pos in positions.items():
            kwargs: dict[str, Any] = {"StreamName": self.stream, "ShardId": shard}
            if pos.after_sequence is not None:
                kwargs |= {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                           "StartingSequenceNumber": pos.after_sequence}
            elif pos.at_timestamp is not None:
                kwargs |= {"ShardIteratorType": "AT_TIMESTAMP", "Timestamp": pos.at_timestamp}
            else:
                kwargs |= {"ShardIteratorType": "TRIM_HORIZON"}
            self._iterators[shard] = self._client.get_shard_iterator(**kwargs)["ShardIterator"]

    def drop(self, shards: Collection[str]) -> None:
        """Stop reading ``shards`` (their leases were given up)."""
        for shard in shards:
            self._iterators.pop(shard, None)

    @property
    def open_shards(self) -> frozenset[str]:
        return frozenset(self._iterators)

    def read(self, limit_per_shard: int) -> StreamBatch:
        """One ``GetRecords`` per open shard, issued concurrently (the calls are network-bound)."""
        batch = StreamBatch()
        shards = list(self._iterators.items())
        if not shards:
            return batch
        wait = self._next_read_at - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._next_read_at = time.monotonic() + self._min_interval

        def get(item: tuple[str, str]) -> Any:
            return self._client.get_records(ShardIterator=item[1], Limit=limit_per_shard)

        responses = list(self._pool.map(get, shards)) if len(shards) > 1 else [get(s) for s in shards]
        for (shard, _), response in zip(shards, responses, strict=True):
            if response.get("NextShardIterator"):
                self._iterators[shard] = response["NextShardIterator"]
            else:  # closed shard (after a reshard) fully read
                del self._iterators[shard]
            batch.millis_behind_latest = max(batch.millis_behind_latest,
                                             int(response.get("MillisBehindLatest", 0)))
            records = response["Records"]
            if not records:
                continue
            batch.checkpoints[shard] = records[-1]["SequenceNumber"]
            batch.by_shard[shard] = self._decode(records, batch)
        return batch

    @staticmethod
    def _decode(records: list[Any], batch: StreamBatch) -> list[VitalsEvent]:
        """Validate the whole shard batch at once (fast path), record by record if any is malformed."""
        try:
            return _EVENTS.validate_json(b"[" + b",".join(r["Data"] for r in records) + b"]")
        except ValidationError:
            pass
        events = []
        for record in records:
            try:
                events.append(_EVENT.validate_json(record["Data"]))
            except ValidationError:
                batch.malformed += 1
        return events
