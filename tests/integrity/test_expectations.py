"""GE suites on real PostgreSQL: a clean region passes; planted faults fail exactly their checks."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from compliance.expectations.runner import run_suites
from compliance.expectations.suites import SUITES_DIR, all_suites, suite_json
from drills.journal import IntegrityResult
from drills.pipeline.events import event_key
from tests.integrity.conftest import Twins
from tests.integrity.data import write_ledger

pytestmark = pytest.mark.sandbox

ODD_HEART_RATE = 2917  # out of range, and a number that appears nowhere else


def test_stored_suites_match_the_code() -> None:
    for suite in all_suites():
        stored = SUITES_DIR / f"{suite.name}.json"
        hint = f"run python -m compliance.expectations.suites ({stored})"
        assert stored.read_text() == suite_json(suite), hint


def _failed(result: IntegrityResult) -> list[tuple[str, str | None]]:
    return sorted((c["expectation"], c["column"]) for c in result.details["expectations"] if not c["success"])


def test_clean_and_corrupted_regions(twins: Twins, tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    write_ledger(ledger, twins.events, unacked=frozenset({event_key(9, 249)}))
    with psycopg.connect(twins.dsn_b, autocommit=True) as conn:
        conn.execute("UPDATE vitals_events SET heart_rate = %s WHERE event_key = %s",
                     (ODD_HEART_RATE, event_key(3, 30)))
        conn.execute("DELETE FROM vitals_events WHERE device_id = 'dev-000005' AND seq IN (70, 71)")
        conn.execute("DELETE FROM vitals_events WHERE event_key = %s", (event_key(9, 249),))  # unacked: fine
        conn.execute("ALTER TABLE vitals_events DROP CONSTRAINT vitals_events_device_id_seq_key")
        conn.execute("INSERT INTO vitals_events SELECT event_key + (1 << 31), device_id, seq, patient_ref, "
                     "ts, heart_rate, spo2, systolic, diastolic, resp_rate, temp_c, payload_digest "
                     "FROM vitals_events WHERE event_key = %s", (event_key(4, 9),))

    results = {r.name: r for r in run_suites({"region-a": twins.dsn_a, "region-b": twins.dsn_b}, ledger,
                                             tmp_path / "out")}

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
    assert count["observed_value"] == 5000 - 2 - 1 + 1, "below the 4,999 acknowledged events"
    (gaps,) = [c for c in vs_ledger.details["expectations"] if c["expectation"].startswith("unexpected")]
    assert gaps["observed_value"] == 1, "one gap (dev-000005 seq 70..71); the diff names its rows"

    docs = Path(validity.details["data_docs"])
    assert docs.is_file()
    evidence = " ".join(p.read_text() for p in docs.parent.rglob("*.html"))
    evidence += json.dumps([r.model_dump() for r in results.values()])
    assert str(ODD_HEART_RATE) not in evidence, "no vital value may leak into results or Data Docs"
