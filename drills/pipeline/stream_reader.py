"""Reads every shard of one Kinesis stream, one ``GetRecords`` per shard per round.

Records are returned with the last sequence number read per shard, which the processor commits as
its checkpoint in the same transaction as the rows (so positions never run ahead of the store).
Malformed records (not a ``VitalsEvent``) are counted and skipped rather than blocking the shard.
"""

from __future__ import annotations

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
    events: list[VitalsEvent] = field(default_factory=list)
    checkpoints: dict[str, str] = field(default_factory=dict)  # shard id -> last sequence number read
    millis_behind_latest: int = 0
    malformed: int = 0


class StreamReader:
    """Iterator positions of all shards of ``stream``; ``read`` advances them."""

    def __init__(self, region: str, endpoint_url: str | None, stream: str) -> None:
        self.stream = stream
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

    def read(self, limit_per_shard: int) -> StreamBatch:
        """One ``GetRecords`` per open shard, issued concurrently (the calls are network-bound)."""
        batch = StreamBatch()
        shards = list(self._iterators.items())

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
            self._decode(records, batch)
        return batch

    @staticmethod
    def _decode(records: list[Any], batch: StreamBatch) -> None:
        """Validate the whole shard batch at once (fast path), record by record if any is malformed."""
        try:
            events = _EVENTS.validate_json(b"[" + b",".join(r["Data"] for r in records) + b"]")
            batch.events.extend(events)
            return
        except ValidationError:
            pass
        for record in records:
            try:
                batch.events.append(_EVENT.validate_json(record["Data"]))
            except ValidationError:
                batch.malformed += 1
