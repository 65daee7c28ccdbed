"""The processor's writes to its region's patient store, one transaction per batch.

A batch is COPYed into a temp table and inserted with ``ON CONFLICT (event_key) DO NOTHING`` together
with the stream checkpoint, in ONE transaction: a processor killed at any instant restarts from a
checkpoint that matches exactly what was committed, and re-delivered records are no-ops. The digest is
recomputed from the values as the store keeps them (microsecond ``ts``, 0.1 °C), so integrity checks
compare like with like.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg

from contracts.events import event_digest
from contracts.store import CHECKPOINT_TABLE, STORE_DDL, TABLE
from drills.pipeline.events import VitalsEvent
from drills.pipeline.shard_leases import LEASE_DDL, ShardLeases

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_COLUMNS = ("event_key, device_id, seq, patient_ref, ts, heart_rate, spo2, systolic, diastolic, "
            "resp_rate, temp_c, payload_digest")


@dataclass(frozen=True)
class StartPosition:
    """Where to read one shard from: after a checkpoint, at a timestamp, or from the oldest record."""

    after_sequence: str | None = None
    at_timestamp: datetime | None = None


class StoreWriter:
    """One autocommit-off connection to the writer endpoint of the processor's region."""

    def __init__(self, conninfo: str) -> None:
        self._conn: psycopg.Connection = psycopg.connect(conninfo, autocommit=True, connect_timeout=3)
        self._temp_ready = False

    def close(self) -> None:
        self._conn.close()

    def in_recovery(self) -> bool:
        """True while the database is a standby (it cannot take writes yet)."""
        row = self._conn.execute("SELECT pg_is_in_recovery()").fetchone()
        return bool(row and row[0])

    def ensure_schema(self) -> None:
        with self._conn.transaction():
            self._conn.execute("SELECT pg_advisory_xact_lock(7305)")  # two processors, one DDL run
            self._conn.execute(STORE_DDL)
            self._conn.execute(LEASE_DDL)

    def start_positions(self, stream: str, shard_ids: Sequence[str], replay_margin_s: float
                        ) -> dict[str, StartPosition]:
        """Per shard: its checkpoint; else replay from the newest stored event minus the margin.

        ``stream`` is the checkpoint key, the stream's ARN: a store that was just promoted holds the
        old primary's checkpoints under ITS stream's ARN (same stream name, other region), so the DR
        stream has none and the DR processor replays the dual-written events it may lack; an empty
        store means the stream's beginning.
        """
        rows = self._conn.execute(
            f"SELECT shard_id, sequence_number FROM {CHECKPOINT_TABLE} WHERE stream_name = %s", (stream,)
        ).fetchall()
        checkpoints: dict[str, str] = {str(shard): str(seq) for shard, seq in rows}
        newest = self._conn.execute(f"SELECT max(ingested_at) FROM {TABLE}").fetchone()
        fallback = StartPosition(
            at_timestamp=None if newest is None or newest[0] is None
            else newest[0] - timedelta(seconds=replay_margin_s)
        )
        return {
            shard: StartPosition(after_sequence=checkpoints[shard]) if shard in checkpoints else fallback
            for shard in shard_ids
        }

    @property
    def connection(self) -> psycopg.Connection:
        """The writer's connection, for what must share its transactions (the shard leases)."""
        return self._conn

    def write_batch(self, stream: str, events: Sequence[VitalsEvent], checkpoints: dict[str, str],
                    leases: ShardLeases | None = None) -> int:
        """Upsert ``events`` and advance ``checkpoints`` atomically; returns the rows newly inserted.

        With ``leases``, the transaction first checks (and renews) that this processor still owns every
        checkpointed shard, and commits nothing if it does not (``LeaseLost``).
        """
        with self._conn.transaction():
            if leases is not None:
                leases.fence(checkpoints.keys())
            self._ensure_temp_table()
            inserted = 0
            if events:
                with self._conn.cursor() as cur:
                    with cur.copy(f"COPY incoming ({_COLUMNS}) FROM STDIN") as copy:
                        for event in events:
                            copy.write_row(_row(event))
                    cur.execute(
                        f"INSERT INTO {TABLE} ({_COLUMNS}) SELECT {_COLUMNS} FROM incoming "
                        "ON CONFLICT (event_key) DO NOTHING"
                    )
                    inserted = cur.rowcount
            self._conn.cursor().executemany(
                f"INSERT INTO {CHECKPOINT_TABLE} (stream_name, shard_id, sequence_number) "
                "VALUES (%s, %s, %s) ON CONFLICT (stream_name, shard_id) DO UPDATE "
                "SET sequence_number = excluded.sequence_number, updated_at = clock_timestamp()",
                [(stream, shard, seq) for shard, seq in checkpoints.items()],
            )
        return inserted

    def _ensure_temp_table(self) -> None:
        if not self._temp_ready:
            self._conn.execute(
                "CREATE TEMP TABLE IF NOT EXISTS incoming "
                f"(LIKE {TABLE} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
            )
            self._temp_ready = True


def _row(event: VitalsEvent) -> tuple[object, ...]:
    """Values as stored, and the digest computed from exactly those values."""
    micros = round(event.ts * 1_000_000)
    temp_c = round(event.temp_c, 1)
    digest = event_digest(
        event.device_id, event.seq, event.patient_ref, micros / 1_000_000, event.heart_rate, event.spo2,
        event.systolic, event.diastolic, event.resp_rate, temp_c,
    )
    return (
        event.event_key, event.device_id, event.seq, event.patient_ref,
        _EPOCH + timedelta(microseconds=micros), event.heart_rate, event.spo2, event.systolic,
        event.diastolic, event.resp_rate, f"{temp_c:.1f}", digest,
    )
