"""The moto Kinesis fix: puts stop copying the shard, reads stop scanning it, results unchanged.

Allocation per put is measured with tracemalloc (deterministic, unlike timings on a loaded 2-core
machine): moto 5.2.5's ``list(self.records.keys())[-1]`` allocates a list of every key on each put,
so the test fails without the patch.
"""

from __future__ import annotations

import threading
import tracemalloc
from collections.abc import Iterator

import pytest
from moto.kinesis.models import Shard

from drills.targets.local import kinesis_patch

RECORDS = 50_000


@pytest.fixture(scope="module")
def patched() -> Iterator[None]:
    originals = {
        n: getattr(Shard, n)
        for n in ("get_max_sequence_number", "get_min_sequence_number", "get_records", "put_record")
    }
    kinesis_patch.apply()
    yield
    for name, method in originals.items():
        setattr(Shard, name, method)


def _filled_shard(n: int) -> Shard:
    shard = Shard(0, 0, 2**128 - 1)
    for i in range(n):
        shard.put_record(f"pk{i % 7}", "ZGF0YQ==", "")
    return shard


def _put_allocation_bytes(shard: Shard) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        shard.put_record("pk", "ZGF0YQ==", "")
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def test_put_does_not_copy_the_shard(patched: None) -> None:
    shard = _filled_shard(RECORDS)
    # An 8-byte pointer per key would be ~400 kB; one Record plus bookkeeping is a few kB.
    assert _put_allocation_bytes(shard) < 20_000
    assert shard.get_max_sequence_number() == RECORDS + 1
    assert shard.get_min_sequence_number() == 1


def test_get_records_matches_moto_for_every_position(patched: None) -> None:
    shard = _filled_shard(300)
    original = kinesis_patch._ORIGINAL_GET_RECORDS
    for last in (0, 1, 57, 299, 300, 400):
        for limit in (None, 1, 10, 1000):
            ours, theirs = shard.get_records(str(last), limit), original(shard, str(last), limit)
            assert [r.sequence_number for r in ours[0]] == [r.sequence_number for r in theirs[0]]
            assert ours[1] == theirs[1]


def test_get_records_falls_back_when_keys_are_not_contiguous(patched: None) -> None:
    shard = _filled_shard(20)
    for gap in (5, 6, 7):
        del shard.records[gap]
    records, last, _ = shard.get_records("3", 5)
    assert [r.sequence_number for r in records] == [4, 8, 9, 10, 11]
    assert last == 11


def test_concurrent_puts_get_distinct_sequence_numbers(patched: None) -> None:
    shard = Shard(0, 0, 2**128 - 1)
    numbers: list[str] = []
    lock = threading.Lock()

    def put_many() -> None:
        mine = [shard.put_record("pk", "ZA==", "") for _ in range(2000)]
        with lock:
            numbers.extend(mine)

    threads = [threading.Thread(target=put_many) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(numbers)) == len(numbers) == len(shard.records) == 12_000
