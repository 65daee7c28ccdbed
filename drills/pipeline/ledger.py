"""The producer's ledger: every event sent, and when (if ever) the ingest API acknowledged it.

It is the ground truth for RPO (DESIGN §5). ``LedgerWriter`` is used by the producer only: rows are
committed with ``t_sent`` BEFORE the POST and ``t_ack`` is set AFTER the acknowledgement, so a crash at
any instant leaves each event either acknowledged or in doubt, never half-recorded. ``LedgerReader``
opens the file read-only (SQLite WAL lets it read while the producer writes) and gives the drills typed
views: counts, acknowledged events in key order, events acknowledged after an instant, in-doubt events.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from contracts.events import SEQ_BITS
from drills.pipeline.schema import LEDGER_DDL


@dataclass(frozen=True)
class LedgerEntry:
    """What the producer records about one event before it is posted."""

    event_key: int
    device_id: str
    seq: int
    digest: int


@dataclass(frozen=True)
class AckedEvent:
    event_key: int
    digest: int
    t_ack: float


@dataclass(frozen=True)
class InDoubtEvent:
    """Sent but never acknowledged: the API may or may not have put it on the stream."""

    event_key: int
    digest: int
    t_sent: float


class LedgerWriter:
    """Append-and-acknowledge access for the producer; one connection, one thread."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a killed process (not a power cut), which is what drills do.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(LEDGER_DDL)

    def next_global_index(self, devices: int) -> int:
        """Where a restarted producer resumes: one past the highest (seq, device) already recorded."""
        row = self._db.execute(
            "SELECT max(seq * ? + (event_key >> ?) - 1) FROM ledger", (devices, SEQ_BITS)
        ).fetchone()
        return 0 if row[0] is None else int(row[0]) + 1

    def record_sent(self, entries: Sequence[LedgerEntry], region: str, t_sent: float) -> None:
        """Commit the batch as sent (t_ack NULL); re-sending an already recorded event keeps its row."""
        with self._transaction():
            self._db.executemany(
                "INSERT INTO ledger (event_key, device_id, seq, digest, region, t_sent) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (event_key) DO NOTHING",
                [(e.event_key, e.device_id, e.seq, e.digest, region, t_sent) for e in entries],
            )

    def record_acked(self, event_keys: Iterable[int], t_ack: float) -> None:
        """Commit the acknowledgement of ``event_keys``; an event keeps its first acknowledgement time."""
        with self._transaction():
            self._db.executemany(
                "UPDATE ledger SET t_ack = ? WHERE event_key = ? AND t_ack IS NULL",
                [(t_ack, key) for key in event_keys],
            )

    def close(self) -> None:
        self._db.close()

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on error) on an autocommit connection."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")


class LedgerReader:
    """Read-only typed queries over a ledger file, safe while the producer is still writing."""

    def __init__(self, path: Path) -> None:
        if not path.exists():
            raise FileNotFoundError(f"ledger {path} does not exist; start the producer first")
        self._db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)

    def __enter__(self) -> LedgerReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def count_sent(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM ledger").fetchone()[0])

    def count_acked(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM ledger WHERE t_ack IS NOT NULL").fetchone()[0])

    def iter_acked(self, *, chunk: int = 10_000) -> Iterator[AckedEvent]:
        """Acknowledged events in ``event_key`` order (the store's primary-key order), streamed."""
        cursor = self._db.execute(
            "SELECT event_key, digest, t_ack FROM ledger WHERE t_ack IS NOT NULL ORDER BY event_key"
        )
        while rows := cursor.fetchmany(chunk):
            yield from (AckedEvent(int(k), int(d), float(t)) for k, d, t in rows)

    def acked_after(self, t: float) -> list[AckedEvent]:
        """Events acknowledged strictly after ``t`` (e.g. after t0), earliest acknowledgement first."""
        rows = self._db.execute(
            "SELECT event_key, digest, t_ack FROM ledger WHERE t_ack > ? ORDER BY t_ack, event_key", (t,)
        ).fetchall()
        return [AckedEvent(int(k), int(d), float(ta)) for k, d, ta in rows]

    def in_doubt(self) -> list[InDoubtEvent]:
        """Events sent but never acknowledged, in key order: present or absent, neither is a loss."""
        rows = self._db.execute(
            "SELECT event_key, digest, t_sent FROM ledger WHERE t_ack IS NULL ORDER BY event_key"
        ).fetchall()
        return [InDoubtEvent(int(k), int(d), float(ts)) for k, d, ts in rows]

    def last_ack_time(self) -> float | None:
        """The newest acknowledgement, or None when nothing has been acknowledged yet."""
        value = self._db.execute("SELECT max(t_ack) FROM ledger").fetchone()[0]
        return None if value is None else float(value)
