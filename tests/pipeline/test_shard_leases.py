"""Shard leases against a real PostgreSQL: fair split, release of the excess, takeover only after
expiry, and a batch fenced off once its writer lost the lease (nothing committed)."""

from __future__ import annotations

import psycopg
import pytest

from drills.pipeline.events import VitalsEvent
from drills.pipeline.shard_leases import LeaseLost, ShardLeases
from drills.pipeline.store_writer import StoreWriter
from tests.pipeline.engines import Postgres

pytestmark = pytest.mark.sandbox
SHARDS = ["shard-0", "shard-1", "shard-2", "shard-3"]
STREAM = "arn:aws:kinesis:ca-central-1:123456789012:stream/leases"


def _writer(postgres: Postgres, dbname: str) -> StoreWriter:
    writer = StoreWriter(psycopg.conninfo.make_conninfo(
        host="127.0.0.1", port=postgres.port, dbname=dbname, user=Postgres.USER, password=Postgres.PASSWORD))
    writer.ensure_schema()
    return writer


def _expire(writer: StoreWriter, worker: str) -> None:
    """What time does to a processor that stopped heartbeating (no sleeping in the test)."""
    writer.connection.execute("UPDATE shard_leases SET expires_at = clock_timestamp() WHERE owner = %s",
                              (worker,))
    writer.connection.execute("UPDATE stream_consumers SET expires_at = clock_timestamp() "
                              "WHERE worker_id = %s", (worker,))


def test_two_processors_split_four_shards_and_one_takes_over_after_expiry(
    postgres: Postgres, store_db: str
) -> None:
    a_store, b_store = _writer(postgres, store_db), _writer(postgres, store_db)
    try:
        a = ShardLeases(a_store.connection, STREAM, "a", ttl_s=60)
        b = ShardLeases(b_store.connection, STREAM, "b", ttl_s=60)
        assert a.balance(SHARDS).held == frozenset(SHARDS)  # alone: everything
        first_b = b.balance(SHARDS)
        assert first_b.held == frozenset()  # nothing free, nothing expired: no stealing
        rebalanced = a.balance(SHARDS)
        assert len(rebalanced.held) == 2 and len(rebalanced.released) == 2
        taken = b.balance(SHARDS)
        assert taken.acquired == rebalanced.released and not taken.held & rebalanced.held
        assert b.balance(SHARDS).held == taken.held  # stable once fair

        _expire(a_store, "a")  # a was killed: its leases and heartbeat run out
        after = b.balance(SHARDS)
        assert after.held == frozenset(SHARDS) and after.acquired == rebalanced.held
    finally:
        a_store.close()
        b_store.close()


def test_a_batch_of_a_shard_taken_over_commits_nothing(postgres: Postgres, store_db: str) -> None:
    old_store, new_store = _writer(postgres, store_db), _writer(postgres, store_db)
    try:
        old = ShardLeases(old_store.connection, STREAM, "old", ttl_s=60)
        new = ShardLeases(new_store.connection, STREAM, "new", ttl_s=60)
        old.balance(SHARDS[:1])
        _expire(old_store, "old")  # old paused past its lease; new takes the shard
        assert new.balance(SHARDS[:1]).acquired == {SHARDS[0]}
        event = VitalsEvent(device_id="dev-000001", seq=1, patient_ref="pt-000000000001", ts=1.7e9,
                            heart_rate=70, spo2=98, systolic=120, diastolic=80, resp_rate=14, temp_c=36.8)
        with pytest.raises(LeaseLost, match=SHARDS[0]):
            old_store.write_batch(STREAM, [event], {SHARDS[0]: "49"}, old)
        rows = new_store.connection.execute("SELECT count(*) FROM vitals_events").fetchone()
        checkpoints = new_store.connection.execute("SELECT count(*) FROM stream_checkpoints").fetchone()
        assert rows == (0,) and checkpoints == (0,)
        assert new_store.write_batch(STREAM, [event], {SHARDS[0]: "49"}, new) == 1
    finally:
        old_store.close()
        new_store.close()
