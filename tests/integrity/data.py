"""Synthetic vitals events for the integrity tests, written the way the pipeline writes them.

The store gets ``payload_digest = event_digest(...)`` computed in Python at write time (as the
processor does) and the ledger the same digest (as the producer does). Values are synthetic.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from contracts.store import STORE_DDL
from drills.pipeline.events import VitalsEvent
from drills.pipeline.schema import LEDGER_DDL

BASE_TS = 1_767_225_600.0  # 2026-01-01T00:00:00Z, a fixed past instant


def make_events(devices: int, per_device: int, seed: int = 5, first_device: int = 1) -> list[VitalsEvent]:
    """``devices`` x ``per_device`` events in send order (round robin over devices)."""
    rng = random.Random(seed)
    refs = {d: f"pt-{rng.getrandbits(48):012x}" for d in range(first_device, first_device + devices)}
    return [
        VitalsEvent(
            device_id=f"dev-{d:06d}", seq=s, patient_ref=refs[d], ts=BASE_TS + s + d / 1000,
            heart_rate=rng.randint(55, 110), spo2=rng.randint(92, 100), systolic=rng.randint(100, 150),
            diastolic=rng.randint(60, 95), resp_rate=rng.randint(10, 22),
            temp_c=round(rng.uniform(36.0, 38.5), 1),
        )
        for s in range(per_device)
        for d in range(first_device, first_device + devices)
    ]


def store_row(event: VitalsEvent, digest: int | None = None) -> tuple[Any, ...]:
    return (
        event.event_key, event.device_id, event.seq, event.patient_ref,
        datetime.fromtimestamp(event.ts, UTC), event.heart_rate, event.spo2, event.systolic,
        event.diastolic, event.resp_rate, event.temp_c, event.digest() if digest is None else digest,
    )


def reset_store(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS vitals_events, stream_checkpoints")
        conn.execute(STORE_DDL)


def insert_events(dsn: str, events: Iterable[VitalsEvent]) -> None:
    """COPY rows into ``vitals_events`` (the processor's bulk path)."""
    columns = (
        "event_key, device_id, seq, patient_ref, ts, heart_rate, spo2, systolic, diastolic, "
        "resp_rate, temp_c, payload_digest"
    )
    with (
        psycopg.connect(dsn, autocommit=True) as conn,
        conn.cursor() as cur,
        cur.copy(f"COPY vitals_events ({columns}) FROM STDIN") as copy,
    ):
        for event in events:
            copy.write_row(store_row(event))


def write_ledger(path: Path, events: Sequence[VitalsEvent], unacked: frozenset[int] = frozenset()) -> None:
    """Ledger rows for ``events``; keys in ``unacked`` were sent but never acknowledged."""
    conn = sqlite3.connect(path)
    with conn:
        conn.executescript(LEDGER_DDL)
        conn.executemany(
            "INSERT INTO ledger VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (e.event_key, e.device_id, e.seq, e.digest(), "ca-central-1", e.ts,
                 None if e.event_key in unacked else e.ts + 0.05)
                for e in events
            ],
        )
    conn.close()
