"""The SQL the ledger suite needs: the drill's rows, and the sequence gaps up to each device's last
acknowledged event.

The ledger says, per device, the first sequence sent and the last one acknowledged; every sequence
in between must be in the store, except those sent and never acknowledged (in doubt: a store may
or may not hold them). The values travel inside the query as ARRAY[...] literals (no braces: GE
str.formats the query), so it runs wherever the store is, even on a read-only standby. Rows
returned name a device and the missing sequence range, nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from compliance.expectations.ledger_facts import LedgerFacts
from contracts.events import SEQ_BITS


def sequence_gaps_query(facts: LedgerFacts) -> str:
    """``{batch}``-templated query returning ``(device_id, gap_from, gap_to)`` for each gap."""
    devices = sorted(facts.bounds)  # built from integer keys by ledger_facts: safe to inline
    excused = [(d, seq) for d in sorted(facts.unacked) for seq in facts.unacked[d]]
    return f"""
WITH acked AS (
  SELECT * FROM unnest({_texts(devices)}, {_ints(facts.bounds[d][0] for d in devices)},
                       {_ints(facts.bounds[d][1] for d in devices)}) AS a(device_id, first_seq, last_seq)
), present AS (
  SELECT b.device_id, b.seq FROM {{batch}} AS b JOIN acked a USING (device_id)
  WHERE b.seq BETWEEN a.first_seq AND a.last_seq
  UNION
  SELECT * FROM unnest({_texts(d for d, _ in excused)}, {_ints(s for _, s in excused)}) AS u(device_id, seq)
), edges AS (
  SELECT a.device_id, a.first_seq - 1 AS seq FROM acked a
  UNION ALL SELECT a.device_id, a.last_seq + 1 FROM acked a
  UNION ALL SELECT device_id, seq FROM present
), ordered AS (
  SELECT device_id, seq, lead(seq) OVER (PARTITION BY device_id ORDER BY seq) AS next_seq FROM edges
)
SELECT device_id, seq + 1 AS gap_from, next_seq - 1 AS gap_to FROM ordered WHERE next_seq > seq + 1
ORDER BY device_id, gap_from
""".strip()


def drill_rows_query(table: str, facts: LedgerFacts) -> str:
    """Every row in the key span of a device the ledger names: one primary-key range per run of
    consecutive devices (a drill fleet is one run).

    WHY: the suites then read what the drill wrote, never the whole table, and the planner sizes
    a key range from the key's histogram. Joining a list of per-device ranges was estimated at 200x
    its rows, and ``device_id = ANY(...)`` at the average device's rows (a drill device holds far
    fewer): both sent the suites into whole-table plans. Drill devices belong to one ledger, so a
    row planted under a drill device with a foreign sequence is still validated.
    """
    if not table.replace("_", "").replace(".", "").isalnum():
        raise ValueError(f"table name {table!r} must be a plain identifier")
    spans = " OR ".join(f"(event_key >= {first << SEQ_BITS} AND event_key < {(last + 1) << SEQ_BITS})"
                        for first, last in _runs(facts.devices))
    return f"SELECT * FROM {table} WHERE {spans}"


def _runs(indexes: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted device indexes as (first, last) runs of consecutive values."""
    runs: list[tuple[int, int]] = []
    for index in indexes:
        if runs and index == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], index)
        else:
            runs.append((index, index))
    return runs


def _texts(values: Iterable[str]) -> str:
    return "ARRAY[" + ",".join(f"'{v}'" for v in values) + "]::text[]"


def _ints(values: Iterable[int]) -> str:
    return "ARRAY[" + ",".join(str(int(v)) for v in values) + "]::bigint[]"
