"""Fix moto 5.2.5's Kinesis slowdown before its server starts.

``Shard.get_max_sequence_number`` does ``list(self.records.keys())[-1]``: every PutRecord copies the
whole shard, so puts fall from ~5,900 to ~1,500 records/s as a stream grows, and GetRecords scans
the shard from its first record on every call. Sequence numbers of a shard are consecutive integers
(``put_record`` assigns max + 1) unless a split or merge reshuffled them, so the patched methods
index directly and fall back to moto's scan only when the keys are not contiguous. Puts are also
serialised per shard: moto notes ``put_record`` is "not safe for concurrency" and its threaded server
could hand two concurrent puts the same sequence number (one record silently lost).
"""

from __future__ import annotations

import threading
from typing import Any

from moto.kinesis.models import Shard

_ORIGINAL_GET_RECORDS = Shard.get_records
_ORIGINAL_PUT_RECORD = Shard.put_record
_PUT_LOCK = threading.Lock()


def _max_sequence_number(self: Shard) -> int:
    """O(1): the newest key of the ordered dict, not a copy of every key."""
    return next(reversed(self.records)) if self.records else 0


def _min_sequence_number(self: Shard) -> int:
    """O(1): the oldest key."""
    return next(iter(self.records)) if self.records else 0


def _get_records(self: Shard, last_sequence_id: str, limit: int | None) -> tuple[list[Any], int, int]:
    """Read from ``last_sequence_id + 1`` by direct lookup when the shard's keys are contiguous."""
    if not self.records:
        return [], int(last_sequence_id), 0
    first, last = _min_sequence_number(self), _max_sequence_number(self)
    if last - first + 1 != len(self.records):
        return _ORIGINAL_GET_RECORDS(self, last_sequence_id, limit)
    start = max(int(last_sequence_id) + 1, first)
    stop = last + 1 if limit is None else min(last + 1, start + limit)
    results = [self.records[n] for n in range(start, stop)]
    if not results:
        return [], int(last_sequence_id), 0
    behind = self.records[last].created_at - results[-1].created_at
    return results, results[-1].sequence_number, int(behind * 1000)


def _put_record(self: Shard, partition_key: str, data: str, explicit_hash_key: str) -> str:
    """moto's put, serialised so concurrent requests cannot reuse a sequence number."""
    with _PUT_LOCK:
        return _ORIGINAL_PUT_RECORD(self, partition_key, data, explicit_hash_key)


def apply() -> None:
    """Install the fixes on moto's ``Shard`` class (idempotent)."""
    Shard.get_max_sequence_number = _max_sequence_number  # type: ignore[method-assign]
    Shard.get_min_sequence_number = _min_sequence_number  # type: ignore[method-assign]
    Shard.get_records = _get_records  # type: ignore[method-assign]
    Shard.put_record = _put_record  # type: ignore[method-assign]
