"""The Great Expectations suites over a region's ``vitals_events`` store, defined in code.

Three suites, each a question an auditor asks (HIPAA §164.312(c)(1) integrity):

- ``vitals_store_schema``: the table has exactly the agreed columns and no required field is null.
- ``vitals_store_validity``: one row per (device, sequence) and per key, the key agrees with device
  and sequence, vitals lie in physiological ranges, no timestamp is in the future.
- ``vitals_store_vs_ledger``: the row count lies between the producer's acknowledged and sent
  counts, and every device's sequence is contiguous up to its last acknowledged event.

Ledger-derived values are suite parameters (``$PARAMETER``) filled at run time by ``runner``, so
the stored JSON (``suites/<name>.json``, written by ``python -m compliance.expectations.suites``)
is static and diffable. Queries return keys (device id, sequence) only, never vitals.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import great_expectations.expectations as gxe
from great_expectations.core.expectation_suite import ExpectationSuite

from compliance.expectations.suite_names import LEDGER_SUITE, SCHEMA_SUITE, VALIDITY_SUITE

SUITES_DIR = Path(__file__).parent / "suites"

STORE_COLUMNS = (
    "event_key", "device_id", "seq", "patient_ref", "ts", "heart_rate", "spo2", "systolic",
    "diastolic", "resp_rate", "temp_c", "payload_digest", "ingested_at",
)

#: Plausible adult bedside ranges; wider than the simulator's clamps, narrower than the event model.
PHYSIOLOGICAL_RANGES: dict[str, tuple[float, float]] = {
    "heart_rate": (20, 250), "spo2": (50, 100), "systolic": (50, 250), "diastolic": (20, 150),
    "resp_rate": (4, 60), "temp_c": (30.0, 43.0),
}

#: Device clocks may run a little ahead of the database's; beyond this a timestamp is "future".
CLOCK_SKEW = "5 minutes"

#: Counts only for value checks (a sample of unexpected values would be vitals); the custom queries
#: return device ids and sequences only, so their rows are kept (COMPLETE) to name the exact gaps.
COUNTS_ONLY: dict[str, Any] = {"result_format": "BASIC", "partial_unexpected_count": 0}
ROWS = {"result_format": "COMPLETE"}


def run_result_format(suite: str) -> dict[str, Any]:
    """The format a whole run of ``suite`` uses (a run's format overrides the expectations' own):
    rows only for the ledger suite, whose expectations can return nothing but keys and counts."""
    return ROWS if suite == LEDGER_SUITE else COUNTS_ONLY

KEY_MISMATCH_QUERY = (
    "SELECT device_id, seq FROM {batch} "
    "WHERE event_key <> ((substr(device_id, 5)::bigint << 32) | seq)"
)
FUTURE_TS_QUERY = (
    "SELECT device_id, seq FROM {batch} "
    f"WHERE ts > now() + interval '{CLOCK_SKEW}' OR ingested_at > now() + interval '{CLOCK_SKEW}'"
)


def schema_suite() -> ExpectationSuite:
    expectations: list[gxe.Expectation] = [
        gxe.ExpectTableColumnsToMatchSet(
            column_set=list(STORE_COLUMNS), exact_match=True, result_format=COUNTS_ONLY
        ),
        *(
            gxe.ExpectColumnValuesToNotBeNull(column=column, result_format=COUNTS_ONLY)
            for column in STORE_COLUMNS
        ),
    ]
    return ExpectationSuite(name=SCHEMA_SUITE, expectations=expectations)


def validity_suite() -> ExpectationSuite:
    expectations: list[gxe.Expectation] = [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["device_id", "seq"], result_format=COUNTS_ONLY),
        gxe.ExpectColumnValuesToBeUnique(column="event_key", result_format=COUNTS_ONLY),
        gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=KEY_MISMATCH_QUERY, description="event_key = device index << 32 | seq",
            result_format=ROWS,
        ),
        *(
            gxe.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high,
                                              result_format=COUNTS_ONLY)
            for column, (low, high) in PHYSIOLOGICAL_RANGES.items()
        ),
        gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=FUTURE_TS_QUERY, description=f"no timestamp later than now + {CLOCK_SKEW}",
            result_format=ROWS,
        ),
    ]
    return ExpectationSuite(name=VALIDITY_SUITE, expectations=expectations)


def ledger_suite() -> ExpectationSuite:
    expectations: list[gxe.Expectation] = [
        gxe.ExpectTableRowCountToBeBetween(
            min_value={"$PARAMETER": "acked_events"},
            max_value={"$PARAMETER": "sent_events"},
            result_format=COUNTS_ONLY,
        ),
        gxe.UnexpectedRowsExpectation(
            unexpected_rows_query={"$PARAMETER": "sequence_gaps_query"},
            description="every device's sequence is contiguous up to its last acknowledged event "
            "(query built from the ledger by compliance.expectations.sequence_gaps)",
            result_format=ROWS,
        ),
    ]
    return ExpectationSuite(name=LEDGER_SUITE, expectations=expectations)


def all_suites() -> list[ExpectationSuite]:
    return [schema_suite(), validity_suite(), ledger_suite()]


def suite_json(suite: ExpectationSuite) -> str:
    """Stable JSON of a suite (no generated ids), as stored under ``suites/``."""
    data: dict[str, Any] = dict(suite.to_json_dict())
    data.pop("id", None)
    for expectation in data.get("expectations", []):
        expectation.pop("id", None)
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def write_suites(directory: Path = SUITES_DIR) -> list[Path]:
    """Store every suite as ``<name>.json`` (run after changing a suite; a test checks they match)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for suite in all_suites():
        path = directory / f"{suite.name}.json"
        path.write_text(suite_json(suite))
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write_suites():
        print(written)
