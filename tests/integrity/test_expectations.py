"""GE suites on real PostgreSQL: a clean region passes; planted faults fail exactly their checks."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from compliance.expectations.suite_runner import run_suites
from compliance.expectations.suites import SUITES_DIR, all_suites, suite_json
from compliance.report.ge_results import parse_ge
from contracts.events import LedgerRow, event_key
from contracts.journal import IntegrityResult
from drills.pipeline.events import VitalsEvent
from tests.integrity.conftest import Twins
from tests.integrity.data import BASE_TS

pytestmark = pytest.mark.sandbox

ODD_HEART_RATE = 2917  # out of range, and a number that appears nowhere else


def test_stored_suites_match_the_code() -> None:
    for suite in all_suites():
        stored = SUITES_DIR / f"{suite.name}.json"
        hint = f"run python -m compliance.expectations.suites ({stored})"
        assert stored.read_text() == suite_json(suite), hint


def _failed(result: IntegrityResult) -> list[tuple[str, str | None]]:
    return sorted((c["expectation"], c["column"]) for c in result.details["expectations"] if not c["success"])


def _ledger(events: list[VitalsEvent], unacked: frozenset[int] = frozenset()) -> list[LedgerRow]:
    return [LedgerRow(e.event_key, e.digest(), BASE_TS, None if e.event_key in unacked else BASE_TS + 0.1)
            for e in events]


def test_clean_and_corrupted_regions(twins: Twins, tmp_path: Path) -> None:
    # device 9: its last event and one in the middle were sent, never acknowledged (in doubt)
    ledger = _ledger(twins.events, unacked=frozenset({event_key(9, 249), event_key(9, 120)}))
    with psycopg.connect(twins.dsn_a, autocommit=True) as conn:  # not a drill device: out of scope
        conn.execute("INSERT INTO vitals_events SELECT %s, 'dev-000777', 1, patient_ref, ts, %s, spo2, "
                     "systolic, diastolic, resp_rate, temp_c, payload_digest FROM vitals_events LIMIT 1",
                     (event_key(777, 1), ODD_HEART_RATE))
    with psycopg.connect(twins.dsn_b, autocommit=True) as conn:
        conn.execute("UPDATE vitals_events SET heart_rate = %s WHERE event_key = %s",
                     (ODD_HEART_RATE, event_key(3, 30)))
        conn.execute("DELETE FROM vitals_events WHERE device_id = 'dev-000005' AND seq IN (70, 71)")
        conn.execute("DELETE FROM vitals_events WHERE event_key IN (%s, %s)",  # unacked: no gap
                     (event_key(9, 249), event_key(9, 120)))
        conn.execute("ALTER TABLE vitals_events DROP CONSTRAINT vitals_events_device_id_seq_key")
        conn.execute("INSERT INTO vitals_events SELECT event_key + (1 << 31), device_id, seq, patient_ref, "
                     "ts, heart_rate, spo2, systolic, diastolic, resp_rate, temp_c, payload_digest "
                     "FROM vitals_events WHERE event_key = %s", (event_key(4, 9),))

    out = tmp_path / "out"
    results = {r.name: r for r in run_suites({"region-a": twins.dsn_a, "region-b": twins.dsn_b}, ledger, out)}

    assert sorted(results) == sorted(
        f"gx:{s}@{r}" for s in ("vitals_store_schema", "vitals_store_validity", "vitals_store_vs_ledger")
        for r in ("region-a", "region-b")
    )
    assert all(r.passed for name, r in results.items() if name.endswith("@region-a")), "clean region"
    assert results["gx:vitals_store_schema@region-b"].passed
    validity = results["gx:vitals_store_validity@region-b"]
    assert _failed(validity) == [
        ("expect_column_values_to_be_between", "heart_rate"),
        ("expect_compound_columns_to_be_unique", "device_id,seq"),
        ("unexpected_rows_expectation", None),  # the duplicate's key disagrees with its device:seq
    ]
    by_type = {(c["expectation"], c["column"]): c for c in validity.details["expectations"]}
    assert by_type[("expect_column_values_to_be_between", "heart_rate")]["unexpected_count"] == 1
    vs_ledger = results["gx:vitals_store_vs_ledger@region-b"]
    assert _failed(vs_ledger) == [("expect_table_row_count_to_be_between", None),
                                  ("unexpected_rows_expectation", None)]
    (count,) = [c for c in vs_ledger.details["expectations"] if c["expectation"].startswith("expect_table")]
    assert count["observed_value"] == 5000 - 2 - 2 + 1, "below the 4,998 acknowledged events"
    (gaps,) = [c for c in vs_ledger.details["expectations"] if c["expectation"].startswith("unexpected")]
    assert gaps["unexpected_rows"] == [{"device_id": "dev-000005", "gap_from": 70, "gap_to": 71}]
    assert "gaps dev-000005:70..71" in vs_ledger.summary

    written = sorted(p.name for p in out.glob("*.json"))
    assert written == sorted(f"{name.removeprefix('gx:')}.json" for name in results)
    parsed = parse_ge(json.loads((out / "vitals_store_validity@region-b.json").read_text()))
    assert parsed is not None and parsed.suite == "vitals_store_validity@region-b" and not parsed.success

    docs = Path(validity.details["data_docs"])
    assert docs.is_file()
    evidence = " ".join(p.read_text() for p in docs.parent.rglob("*.html"))
    evidence += json.dumps([r.model_dump() for r in results.values()])
    assert str(ODD_HEART_RATE) not in evidence, "no vital value may leak into results or Data Docs"


def test_a_detached_store_skips_the_ledger_suite_and_an_empty_ledger_is_refused(
    twins: Twins, tmp_path: Path
) -> None:
    stores = {"region-a": twins.dsn_a, "region-b": twins.dsn_b}
    detached = run_suites(stores, _ledger(twins.events), tmp_path / "one", without_ledger={"region-b"})
    assert sorted(r.name for r in detached if "vs_ledger" in r.name) == ["gx:vitals_store_vs_ledger@region-a"]
    with pytest.raises(ValueError, match="ledger is empty"):
        run_suites(stores, [], tmp_path / "two")
    assert not (tmp_path / "two").exists()
