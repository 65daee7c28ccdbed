"""Planted corruption on real PostgreSQL: each difference is named exactly, nothing else is reported."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest

from contracts.events import event_digest, event_key
from drills.integrity import (
    Checksum,
    DiffOptions,
    DigestMode,
    IntegrityError,
    KeyRange,
    LedgerSource,
    PostgresSource,
    diff_sources,
)
from drills.targets.local.scratch_postgres import PgCluster
from tests.integrity.conftest import Twins
from tests.integrity.data import insert_events, make_events, reset_store, write_ledger

pytestmark = pytest.mark.sandbox

#: A small threshold so these few thousand rows go through a level of blocks before any fetch.
DEEP = DiffOptions(threshold=64)


def _diff(twins: Twins, options: DiffOptions = DEEP, mode: DigestMode = DigestMode.STORED):
    return diff_sources(
        PostgresSource(twins.dsn_a, name="region-a", mode=mode),
        PostgresSource(twins.dsn_b, name="region-b", mode=mode),
        options=options,
    )


def _exec(dsn: str, query: str, params: tuple[object, ...] = ()) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(query, params)


def test_identical_stores_differ_in_nothing(twins: Twins) -> None:
    result = _diff(twins, DiffOptions())
    assert result.ok
    assert (result.reference_rows, result.other_rows) == (5000, 5000)
    assert result.rows_fetched == 0, "equal data must not pull rows"


def test_deleted_row_is_missing(twins: Twins) -> None:
    _exec(twins.dsn_b, "DELETE FROM vitals_events WHERE event_key = %s", (event_key(7, 120),))
    result = _diff(twins)
    assert (result.missing, result.extra, result.changed) == ((event_key(7, 120),), (), ())
    assert result.ranges_queried > 8, "should have compared blocks below the totals"


def test_changed_payload_with_its_digest_is_changed(twins: Twins) -> None:
    e = twins.by_key(3, 17)
    new_digest = event_digest(e.device_id, e.seq, e.patient_ref, e.ts, e.heart_rate + 1, e.spo2,
                              e.systolic, e.diastolic, e.resp_rate, e.temp_c)
    _exec(twins.dsn_b, "UPDATE vitals_events SET heart_rate = heart_rate + 1, payload_digest = %s "
          "WHERE event_key = %s", (new_digest, e.event_key))
    result = _diff(twins)
    assert (result.missing, result.extra, result.changed) == ((), (), (e.event_key,))


def test_payload_changed_behind_the_digest_needs_content_mode(twins: Twins) -> None:
    key = event_key(12, 200)
    _exec(twins.dsn_b, "UPDATE vitals_events SET spo2 = spo2 - 1 WHERE event_key = %s", (key,))
    assert _diff(twins).ok, "stored mode trusts payload_digest, by design"
    result = _diff(twins, mode=DigestMode.CONTENT)
    assert (result.missing, result.extra, result.changed) == ((), (), (key,))


def test_content_digest_in_sql_equals_python_event_digest(twins: Twins) -> None:
    stored = PostgresSource(twins.dsn_a, name="stored")
    content = PostgresSource(twins.dsn_a, name="content", mode=DigestMode.CONTENT)
    everything = KeyRange(0, 1 << 62)
    for source in (stored, content):
        source.open()
    try:
        assert content.range_digests([everything]) == stored.range_digests([everything])
        assert len(stored.range_digests([everything])) == 5000
    finally:
        stored.close()
        content.close()


def test_duplicate_event_under_another_key_is_extra(twins: Twins) -> None:
    e = twins.by_key(4, 9)
    dup_key = event_key(4, 9) + (1 << 31)  # same device:seq, wrong key
    _exec(twins.dsn_b, "ALTER TABLE vitals_events DROP CONSTRAINT vitals_events_device_id_seq_key")
    _exec(twins.dsn_b, "INSERT INTO vitals_events SELECT %s, device_id, seq, patient_ref, ts, heart_rate, "
          "spo2, systolic, diastolic, resp_rate, temp_c, payload_digest FROM vitals_events "
          "WHERE event_key = %s", (dup_key, e.event_key))
    result = _diff(twins)
    assert (result.missing, result.extra, result.changed) == ((), (dup_key,), ())


def test_out_of_range_vital_is_changed(twins: Twins) -> None:
    key = event_key(19, 3)
    _exec(twins.dsn_b, "UPDATE vitals_events SET heart_rate = 400, payload_digest = payload_digest # 1 "
          "WHERE event_key = %s", (key,))
    result = _diff(twins)
    assert (result.missing, result.extra, result.changed) == ((), (), (key,))


def test_sequence_gap_is_missing_rows(twins: Twins) -> None:
    _exec(twins.dsn_b, "DELETE FROM vitals_events WHERE device_id = 'dev-000002' AND seq BETWEEN 40 AND 44")
    result = _diff(twins)
    assert result.missing == tuple(event_key(2, s) for s in range(40, 45))
    assert (result.extra, result.changed) == ((), ())


def test_row_only_on_the_replica_is_extra(twins: Twins) -> None:
    e = twins.by_key(5, 249)
    key = event_key(5, 250)
    _exec(twins.dsn_b, "INSERT INTO vitals_events SELECT %s, device_id, 250, patient_ref, ts, heart_rate, "
          "spo2, systolic, diastolic, resp_rate, temp_c, payload_digest FROM vitals_events "
          "WHERE event_key = %s", (key, e.event_key))
    result = _diff(twins, DiffOptions())
    assert (result.missing, result.extra, result.changed) == ((), (key,), ())
    assert result.to_integrity_result("a-vs-b").details["extra_ids"] == ["dev-000005:250"]


def test_spans_that_differ_skip_the_totals_and_the_blocks_count_the_rows(twins: Twins) -> None:
    e = twins.by_key(5, 249)
    key = event_key(5, 250)  # past device 5's last key on A: the spans differ
    _exec(twins.dsn_b, "INSERT INTO vitals_events SELECT %s, device_id, 250, patient_ref, ts, heart_rate, "
          "spo2, systolic, diastolic, resp_rate, temp_c, payload_digest FROM vitals_events "
          "WHERE event_key = %s", (key, e.event_key))
    _exec(twins.dsn_b, "DELETE FROM vitals_events WHERE event_key = %s", (event_key(9, 9),))
    for dsn in (twins.dsn_a, twins.dsn_b):
        _exec(dsn, "ANALYZE vitals_events")  # the row estimate that sizes the first blocks
    levels: list[str] = []
    result = diff_sources(PostgresSource(twins.dsn_a, name="a"), PostgresSource(twins.dsn_b, name="b"),
                          options=DEEP, progress=levels.append)
    assert (result.missing, result.extra, result.changed) == ((event_key(9, 9),), (key,), ())
    assert (result.reference_rows, result.other_rows) == (5000, 5000)
    assert "level 0: skipped" in levels[0]


def test_many_scattered_differences_are_all_found(twins: Twins) -> None:
    deleted = sorted(event_key(d, s) for d, s in [(1, 0), (1, 249), (9, 100), (20, 7), (20, 8), (14, 131)])
    _exec(twins.dsn_b, "DELETE FROM vitals_events WHERE event_key = ANY(%s)", (deleted,))
    result = _diff(twins)
    assert result.missing == tuple(deleted)
    assert (result.extra, result.changed) == ((), ())


def test_key_range_limits_the_compare(twins: Twins) -> None:
    _exec(twins.dsn_b, "DELETE FROM vitals_events WHERE event_key IN (%s, %s)",
          (event_key(2, 5), event_key(8, 5)))
    result = diff_sources(
        PostgresSource(twins.dsn_a, name="a"), PostgresSource(twins.dsn_b, name="b"),
        key_range=KeyRange(event_key(2, 0), event_key(3, 0)),
    )
    assert result.missing == (event_key(2, 5),)
    assert result.reference_rows == 250


def test_ledger_vs_store_names_lost_acknowledged_events(twins: Twins, tmp_path: Path) -> None:
    unacked = frozenset({event_key(6, 249), event_key(11, 249)})
    ledger = tmp_path / "ledger.sqlite"
    write_ledger(ledger, twins.events, unacked=unacked)
    _exec(twins.dsn_b, "DELETE FROM vitals_events WHERE event_key IN (%s, %s)",
          (event_key(3, 248), event_key(6, 249)))
    result = diff_sources(LedgerSource(ledger), PostgresSource(twins.dsn_b, name="region-b"), options=DEEP)
    assert result.missing == (event_key(3, 248),), "only the acknowledged one is a loss"
    assert result.extra == (event_key(11, 249),), "committed but never acknowledged: in doubt"
    assert result.changed == ()
    assert result.reference_rows == 5000 - 2
    everything = diff_sources(LedgerSource(ledger, acked_only=False), PostgresSource(twins.dsn_b, name="b"))
    assert everything.missing == (event_key(3, 248), event_key(6, 249))


def test_ledger_sums_are_exact_beyond_64_bits(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "ledger.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE ledger (event_key INTEGER PRIMARY KEY, device_id TEXT, seq INTEGER, "
                 "digest INTEGER, region TEXT, t_sent REAL, t_ack REAL)")
    digests = [(-1) ** i * (2**63 - 1 - i) for i in range(1, 2001)] + [2**63 - 1] * 50
    conn.executemany("INSERT INTO ledger VALUES (?, 'dev-000001', ?, ?, 'r', 0, 1)",
                     [(i, i, d) for i, d in enumerate(digests)])
    conn.commit()
    conn.close()
    source = LedgerSource(path)
    source.open()
    try:
        everything = [KeyRange(0, len(digests))]
        checksum = source.total(everything)
        assert (checksum.count, checksum.total) == (len(digests), sum(digests))
        blocks = source.block_checksums(7, everything)
        assert len(blocks) == -(-len(digests) // 128)
        assert blocks[3] == Checksum(128, sum(digests[3 * 128 : 4 * 128]))
    finally:
        source.close()


def test_streaming_standby_lag_shows_as_missing_then_clears(
    region_a: PgCluster,
    standby_a: PgCluster,
) -> None:
    reset_store(region_a.dsn())
    insert_events(region_a.dsn(), make_events(devices=5, per_device=100))
    _wait_replayed(region_a.dsn(), standby_a.dsn())
    primary = PostgresSource(region_a.dsn(), name="primary")
    replica = PostgresSource(standby_a.dsn(), name="replica")
    assert diff_sources(primary, replica).ok
    _exec(standby_a.dsn(), "SELECT pg_wal_replay_pause()")
    try:
        late = make_events(devices=5, per_device=103)[-15:]
        insert_events(region_a.dsn(), late)
        lagging = diff_sources(primary, replica, options=DEEP)
        assert lagging.missing == tuple(sorted(e.event_key for e in late))
        assert (lagging.extra, lagging.changed) == ((), ())
    finally:
        _exec(standby_a.dsn(), "SELECT pg_wal_replay_resume()")
    _wait_replayed(region_a.dsn(), standby_a.dsn())
    assert diff_sources(primary, replica).ok


def _wait_replayed(primary_dsn: str, standby_dsn: str) -> None:

    with psycopg.connect(primary_dsn, autocommit=True) as conn:
        # insert (not write) position: with asynchronous commit the commit record may not be written yet
        target = conn.execute("SELECT pg_current_wal_insert_lsn()").fetchone()[0]  # type: ignore[index]
    deadline = time.monotonic() + 30
    with psycopg.connect(standby_dsn, autocommit=True) as conn:
        while time.monotonic() < deadline:
            done = conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)).fetchone()
            if done and done[0]:
                return
            time.sleep(0.05)
    raise AssertionError("standby did not replay within 30 s")


# -- bad input: one clear line naming the side --------------------------------------------------
def test_unreachable_server_names_the_side(twins: Twins) -> None:
    expected = r"^region-b: cannot connect to PostgreSQL at 127\.0\.0\.1:1/"
    with pytest.raises(IntegrityError, match=expected) as err:
        diff_sources(PostgresSource(twins.dsn_a, name="region-a"),
                     PostgresSource("host=127.0.0.1 port=1 dbname=postgres user=postgres password=s3cret",
                                    name="region-b"))
    assert "s3cret" not in str(err.value) and "\n" not in str(err.value)


def test_missing_table_names_the_side(twins: Twins) -> None:
    with pytest.raises(IntegrityError, match=r"^replica: table 'nope' does not exist"):
        diff_sources(PostgresSource(twins.dsn_a, name="primary"),
                     PostgresSource(twins.dsn_b, name="replica", table="nope"))


def test_table_without_the_key_names_the_side(twins: Twins) -> None:
    _exec(twins.dsn_a, "CREATE TABLE IF NOT EXISTS keyless (id text, payload_digest bigint)")
    expected = r"^primary: table 'keyless' has no integer key column 'event_key'"
    with pytest.raises(IntegrityError, match=expected):
        diff_sources(PostgresSource(twins.dsn_a, name="primary", table="keyless"),
                     PostgresSource(twins.dsn_b, name="replica"))


def test_mismatched_schemas_name_the_side_and_column(twins: Twins) -> None:
    _exec(twins.dsn_b, "ALTER TABLE vitals_events ADD COLUMN note text")
    expected = r"^region-b: table schema differs from region-a's: has extra note"
    with pytest.raises(IntegrityError, match=expected):
        _diff(twins)


def test_missing_ledger_file_names_the_ledger(twins: Twins, tmp_path: Path) -> None:
    with pytest.raises(IntegrityError, match=r"^ledger: ledger file .*absent\.sqlite does not exist"):
        diff_sources(LedgerSource(tmp_path / "absent.sqlite"), PostgresSource(twins.dsn_b, name="b"))


def test_partition_spans_agree_between_store_and_ledger(twins: Twins, tmp_path: Path) -> None:
    ledger_path = tmp_path / "ledger.sqlite"
    write_ledger(ledger_path, twins.events)
    store, ledger = PostgresSource(twins.dsn_a, name="a"), LedgerSource(ledger_path)
    for source in (store, ledger):
        source.open()
    try:
        spans = store.partition_spans(32)
        assert spans == ledger.partition_spans(32)
        assert spans == [KeyRange(event_key(d, 0), event_key(d, 249) + 1) for d in range(1, 21)]
        assert store.partition_spans(32, limit=19) is None, "too many partitions: not partitioned"
        assert ledger.partition_spans(32, limit=19) is None
    finally:
        store.close()
        ledger.close()


def test_scattered_differences_narrow_in_few_levels_with_one_query_per_level(twins: Twins) -> None:
    planted = sorted(event_key(d, s) for d, s in [(2, 3), (2, 4), (9, 200), (17, 77)])
    _exec(twins.dsn_b, "DELETE FROM vitals_events WHERE event_key = ANY(%s)", (planted,))
    levels: list[str] = []
    result = diff_sources(
        PostgresSource(twins.dsn_a, name="a"), PostgresSource(twins.dsn_b, name="b"),
        options=DiffOptions(threshold=64), progress=levels.append,
    )
    assert result.missing == tuple(planted)
    assert len(levels) == 3, "totals, blocks, fetch"
    assert result.rows_fetched < 4 * 2 * 64, "only the differing buckets' rows travel"


def test_unpartitioned_keys_clustered_in_a_sparse_range_take_one_level_of_blocks(twins: Twins) -> None:
    """20 devices' keys spread over 2**36 look sparse, but each device's rows sit in 250 keys."""
    _exec(twins.dsn_b, "DELETE FROM vitals_events WHERE event_key = %s", (event_key(11, 111),))
    levels: list[str] = []
    result = diff_sources(
        PostgresSource(twins.dsn_a, name="a"), PostgresSource(twins.dsn_b, name="b"),
        options=DiffOptions(threshold=64, partition_bits=0), progress=levels.append,
    )
    assert (result.missing, result.extra, result.changed) == ((event_key(11, 111),), (), ())
    assert len(levels) == 3, "totals, blocks, fetch"
