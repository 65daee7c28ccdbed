"""Incremental verification: each run checks only rows above the watermarks; full runs check all."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from contracts.events import event_key
from drills.integrity import IntegrityError, PostgresSource, Watermarks, verify_full, verify_incremental
from tests.integrity.conftest import Twins
from tests.integrity.data import insert_events, make_events

pytestmark = pytest.mark.sandbox


def _pair(twins: Twins) -> tuple[PostgresSource, PostgresSource]:
    return PostgresSource(twins.dsn_a, name="region-a"), PostgresSource(twins.dsn_b, name="region-b")


def _grow(twins: Twins, per_device: int, on_b: bool = True) -> None:
    """Append seqs [250, per_device) for the same 20 devices (and optionally replicate them to B)."""
    new = [e for e in make_events(devices=20, per_device=per_device) if e.seq >= 250]
    insert_events(twins.dsn_a, new)
    if on_b:
        insert_events(twins.dsn_b, new)


def test_second_run_verifies_only_new_rows(twins: Twins, tmp_path: Path) -> None:
    marks = Watermarks.for_pair(tmp_path, "region-a", "region-b")
    first = verify_incremental(*_pair(twins), marks)
    assert first.ok and first.reference_rows == 5000
    assert marks.load().verified[7] == event_key(7, 249)

    nothing_new = verify_incremental(*_pair(twins), marks)
    assert nothing_new.ok and nothing_new.reference_rows == 0

    _grow(twins, per_device=300)
    second = verify_incremental(*_pair(twins), marks)
    assert second.ok
    assert second.reference_rows == 20 * 50, "cost follows new rows, not table size"
    assert marks.load().verified[7] == event_key(7, 299)


def test_loss_in_new_rows_is_found_and_reported_once(twins: Twins, tmp_path: Path) -> None:
    marks = Watermarks.for_pair(tmp_path, "a", "b")
    verify_incremental(*_pair(twins), marks)
    _grow(twins, per_device=260, on_b=False)  # B lags: 10 new seqs x 20 devices missing
    lagging = verify_incremental(*_pair(twins), marks)
    assert len(lagging.missing) == 200 and lagging.missing[0] == event_key(1, 250)
    assert (lagging.extra, lagging.changed) == ((), ())
    assert verify_incremental(*_pair(twins), marks).ok, "reported once; watermarks moved past"
    assert len(verify_full(*_pair(twins), marks).missing) == 200, "the full run re-finds it"


def test_a_difference_in_many_device_tails_fetches_only_its_block(twins: Twins, tmp_path: Path) -> None:
    with psycopg.connect(twins.dsn_b, autocommit=True) as conn:
        conn.execute("DELETE FROM vitals_events WHERE event_key = %s", (event_key(6, 66),))
    result = verify_incremental(*_pair(twins), Watermarks.for_pair(tmp_path, "a", "b"))
    assert result.missing == (event_key(6, 66),) and result.reference_rows == 5000
    assert result.rows_fetched < 2 * 512, "one block of the 20 tails, not every tail"


def test_change_below_the_watermark_needs_the_full_run(twins: Twins, tmp_path: Path) -> None:
    marks = Watermarks.for_pair(tmp_path, "a", "b")
    verify_incremental(*_pair(twins), marks)
    with psycopg.connect(twins.dsn_b, autocommit=True) as conn:
        conn.execute("DELETE FROM vitals_events WHERE event_key = %s", (event_key(4, 10),))
    assert verify_incremental(*_pair(twins), marks).ok
    assert marks.full_due(max_age_s=3600), "no full run yet"
    full = verify_full(*_pair(twins), marks)
    assert full.missing == (event_key(4, 10),)
    assert full.reference_rows == 5000
    assert not marks.full_due(max_age_s=3600)


def test_device_only_on_the_other_side_is_extra(twins: Twins, tmp_path: Path) -> None:
    marks = Watermarks.for_pair(tmp_path, "a", "b")
    verify_incremental(*_pair(twins), marks)
    stray = make_events(devices=1, per_device=3, first_device=77)
    insert_events(twins.dsn_b, stray)
    result = verify_incremental(*_pair(twins), marks)
    assert result.extra == tuple(e.event_key for e in sorted(stray, key=lambda e: e.event_key))
    assert result.missing == ()


def test_corrupt_watermark_file_is_one_clear_line(tmp_path: Path) -> None:
    marks = Watermarks(tmp_path / "w.json")
    marks.path.write_text("{not json")
    with pytest.raises(IntegrityError, match=r"^watermarks: .*w\.json is not a watermark file .* delete it"):
        marks.load()


def test_ledger_vs_store_incremental_sums_every_device_tail(twins: Twins, tmp_path: Path) -> None:
    from drills.integrity import LedgerSource
    from tests.integrity.data import write_ledger

    ledger = tmp_path / "ledger.sqlite"
    write_ledger(ledger, twins.events)
    marks = Watermarks.for_pair(tmp_path, "ledger", "region-b")
    store = PostgresSource(twins.dsn_b, name="region-b")
    first = verify_incremental(LedgerSource(ledger), store, marks)
    assert first.ok and (first.reference_rows, first.other_rows) == (5000, 5000)
    with psycopg.connect(twins.dsn_b, autocommit=True) as conn:
        conn.execute("DELETE FROM vitals_events WHERE event_key = %s", (event_key(13, 249),))
    marks.save({part: key - 1 for part, key in marks.load().verified.items()}, full=False)
    again = verify_incremental(LedgerSource(ledger), store, marks)
    assert again.missing == (event_key(13, 249),) and again.reference_rows == 20
