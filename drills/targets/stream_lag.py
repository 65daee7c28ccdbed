"""Stream consumer lag and backlog from the stream and the store, never from the producer's ledger.

Shared by every target: a region's Kinesis stream (name, and ARN: the processor keys its committed
checkpoints by the stream's ARN, ``contracts.store``), a way to make a Kinesis client for it and a
way to connect to the region's store are all it needs, on the sandbox (moto) as on AWS.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import psycopg
from botocore.config import Config

from contracts.store import CHECKPOINT_TABLE

#: The shards of a stream are read in parallel by the consumer-lag probe (one pool for the process).
_SHARD_READS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lag-shard")
#: Lag probes run at >= 10 Hz: a dead endpoint must fail fast, not be retried.
PROBE_CLIENT = Config(connect_timeout=1, read_timeout=1, retries={"max_attempts": 1, "mode": "standard"})

Connect = Callable[[], psycopg.Connection[Any]]
KinesisClient = Callable[[], Any]


@dataclass(frozen=True)
class Stream:
    """One region's stream: its name (Kinesis calls) and ARN (the checkpoints' key)."""

    name: str
    arn: str


def committed_checkpoints(conn: psycopg.Connection[Any], stream: Stream) -> dict[str, str]:
    """``shard id -> sequence number`` the processor committed with the rows they cover."""
    rows = conn.execute(f"SELECT shard_id, sequence_number FROM {CHECKPOINT_TABLE} WHERE stream_name = %s",
                        (stream.arn,)).fetchall()
    return {str(shard): str(seq) for shard, seq in rows}


def stream_backlog(stream: Stream, connect: Connect, kinesis: KinesisClient) -> int | None:
    """Records after the committed checkpoint, summed over the shards (at least 1 when any), read per
    shard after its checkpoint (or from the oldest record without one); None when unreadable."""
    try:
        with connect() as conn:
            checkpoints = committed_checkpoints(conn, stream)
        client = kinesis()
        shards = [s["ShardId"] for s in client.list_shards(StreamName=stream.name)["Shards"]]
        return sum(_records_after(client, stream.name, shard, checkpoints.get(shard)) for shard in shards)
    except Exception:  # unreachable store or stream: unreadable, never "drained"
        return None


def _iterator_kwargs(stream: str, shard: str, checkpoint: str | None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"StreamName": stream, "ShardId": shard}
    if checkpoint is None:
        kwargs["ShardIteratorType"] = "TRIM_HORIZON"
    else:
        kwargs |= {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": checkpoint}
    return kwargs


def _records_after(kinesis: Any, stream: str, shard: str, checkpoint: str | None) -> int:
    """Records of ``shard`` after ``checkpoint`` (1000 at most: only "any left?" matters)."""
    iterator = kinesis.get_shard_iterator(**_iterator_kwargs(stream, shard, checkpoint))["ShardIterator"]
    response = kinesis.get_records(ShardIterator=iterator, Limit=1000)
    return len(response["Records"]) or int(response.get("MillisBehindLatest", 0) > 0)


class StreamLagClock:
    """Consumer lag from the stream and the store, never from the producer's ledger.

    Per shard: the processor's committed checkpoint (written in the same transaction as the rows it
    covers), then the first record after it (``GetShardIterator AFTER_SEQUENCE_NUMBER`` +
    ``GetRecords``); its ``ApproximateArrivalTimestamp`` is when the stream acknowledged
    it (REFERENCE.md, "Measured here": moto returns it). The lag is the age of the oldest such
    record over the shards: how long acknowledged data has sat in the stream uncommitted, the
    IteratorAge analogue. 0 when every shard is committed to its end.

    To hold 10 Hz on a busy stream, each shard reads ahead (``_ShardCursor``): most samples need no
    stream call at all, and the shards are read in parallel (``_SHARD_READS``). Used from one
    sampler thread; the connection and the client are kept and reopened after an error.
    """

    def __init__(self, stream: Stream, connect: Connect, kinesis: KinesisClient,
                 now: Callable[[], float] = time.time) -> None:
        self._stream, self._connect, self._new_kinesis, self._now = stream, connect, kinesis, now
        self._pg: psycopg.Connection[Any] | None = None
        self._kinesis: Any = None
        self._shards: dict[str, _ShardCursor] = {}

    def lag_s(self) -> float | None:
        now = self._now()
        try:
            if self._pg is None or self._pg.closed:
                self._pg = self._connect()
            checkpoints = committed_checkpoints(self._pg, self._stream)
        except psycopg.Error:
            if self._pg is not None:
                self._pg.close()
            self._pg = None
            return None
        try:
            if self._kinesis is None:
                self._kinesis = self._new_kinesis()
                self._shards = {s["ShardId"]: _ShardCursor() for s in self._kinesis.list_shards(
                    StreamName=self._stream.name)["Shards"]}
            name, kinesis = self._stream.name, self._kinesis
            arrivals = list(_SHARD_READS.map(
                lambda item: item[1].first_arrival_after(kinesis, name, item[0], checkpoints.get(item[0])),
                self._shards.items()))
        except Exception:  # an unreachable stream is unreadable, never "no lag"
            self._kinesis = None
            return None
        oldest = min((a for a in arrivals if a is not None), default=None)
        return 0.0 if oldest is None else round(max(0.0, now - oldest), 4)

    def close(self) -> None:
        if self._pg is not None:
            self._pg.close()
            self._pg = None


class _ShardCursor:
    """The records of one shard after its checkpoint, read ahead so a 10 Hz probe rarely calls.

    Holds every record after ``_after`` up to where the last read stopped (sequence number and
    arrival time). A checkpoint that moves forward drops what it covers; the first record left is
    the first uncommitted one. Only when none is left is the stream read again, on from the last
    read (one GetRecords). A checkpoint that moves back (a rebuilt store) repositions the read.
    """

    #: Reads in a row, on one probe, while the processor is ahead of this cursor.
    MAX_READS = 5

    def __init__(self) -> None:
        self._after: int | None = None
        self._seqs: list[int] = []
        self._arrivals: list[float] = []
        self._next: str | None = None

    def first_arrival_after(self, kinesis: Any, stream: str, shard: str, checkpoint: str | None
                            ) -> float | None:
        """Arrival time (epoch s) of the first record of ``shard`` after ``checkpoint``; None if none."""
        after = None if checkpoint is None else int(checkpoint)
        moved_back = (after is None) != (self._after is None) or (
            after is not None and self._after is not None and after < self._after)
        if self._next is None or moved_back:
            self._next = kinesis.get_shard_iterator(**_iterator_kwargs(stream, shard, checkpoint))[
                "ShardIterator"]
            self._seqs, self._arrivals = [], []
        if after is not None:
            covered = bisect.bisect_right(self._seqs, after)
            del self._seqs[:covered], self._arrivals[:covered]
        self._after = after
        for _ in range(self.MAX_READS):
            if self._seqs or self._next is None:
                break
            response = kinesis.get_records(ShardIterator=self._next, Limit=1000)
            self._next = response.get("NextShardIterator")
            records = response["Records"]
            for record in records:
                seq = int(record["SequenceNumber"])
                if after is None or seq > after:
                    arrival = record["ApproximateArrivalTimestamp"]
                    self._seqs.append(seq)
                    self._arrivals.append(float(arrival.timestamp()) if hasattr(arrival, "timestamp")
                                          else float(arrival))
            if not records:
                break
        return self._arrivals[0] if self._arrivals else None
