"""The SQL that finds sequence gaps up to each device's last acknowledged event.

The ledger says, per device, the first sequence sent and the last one acknowledged; every sequence
in between must be in the store. The bounds travel inside the query as ARRAY[...] literals (no
braces: GE str.formats the query), so it runs wherever the store is, even on a read-only
standby. Rows returned name a device and the missing sequence range, nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping


def sequence_gaps_query(bounds: Mapping[str, tuple[int, int]]) -> str:
    """``{batch}``-templated query returning ``(device_id, gap_from, gap_to)`` for each gap."""
    devices = sorted(bounds)
    for device in devices:  # the values are inlined: refuse anything but the synthetic id format
        if not (device.startswith("dev-") and device[4:].isdigit()):
            raise ValueError(f"ledger device id {device!r} is not of the form dev-NNNNNN")
    names = ",".join(f"'{d}'" for d in devices)
    firsts = ",".join(str(bounds[d][0]) for d in devices)
    lasts = ",".join(str(bounds[d][1]) for d in devices)
    return f"""
WITH acked AS (
  SELECT * FROM unnest(ARRAY[{names}]::text[], ARRAY[{firsts}]::bigint[], ARRAY[{lasts}]::bigint[])
         AS a(device_id, first_seq, last_seq)
), present AS (
  SELECT b.device_id, b.seq FROM {{batch}} AS b JOIN acked a USING (device_id)
  WHERE b.seq BETWEEN a.first_seq AND a.last_seq
), edges AS (
  SELECT a.device_id, a.first_seq - 1 AS seq FROM acked a
  UNION ALL SELECT a.device_id, a.last_seq + 1 FROM acked a
  UNION ALL SELECT device_id, seq FROM present
), ordered AS (
  SELECT device_id, seq, lead(seq) OVER (PARTITION BY device_id ORDER BY seq) AS next_seq FROM edges
)
SELECT device_id, seq + 1 AS gap_from, next_seq - 1 AS gap_to FROM ordered WHERE next_seq > seq + 1
""".strip()
