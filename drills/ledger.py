"""The one reader of a drill's ledger (the producer's SQLite file): rows for the loss measurement
and the store validation, acknowledgement times for the RTO probe, and the diff source for the
checksum proof all come from here.

The file is opened read-only on every call, so a producer still writing it is not disturbed and a
reader may be used from any thread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path

from contracts.events import LedgerRow
from drills.integrity.ledger_source import LedgerSource

#: Name of the acknowledged-ledger side in checksum-diff results.
ACKNOWLEDGED_LEDGER = "ledger (acknowledged)"


class Ledger:
    """Read-only view of the ledger at ``path``; a missing file (no load ran yet) reads as empty."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    @property
    def exists(self) -> bool:
        return self.path is not None and self.path.exists()

    def _connect(self) -> sqlite3.Connection:
        assert self.path is not None
        return sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)

    def rows(self) -> list[LedgerRow]:
        """Every entry so far: the ground truth of what was sent and acknowledged."""
        if not self.exists:
            return []
        with closing(self._connect()) as db:
            rows = db.execute("SELECT event_key, digest, t_sent, t_ack FROM ledger").fetchall()
        return [LedgerRow(int(k), int(d), float(ts), None if ta is None else float(ta))
                for k, d, ts, ta in rows]

    def ack_times(self, keys: Iterable[int]) -> dict[int, float | None]:
        """``t_ack`` of each key found (None: sent, never acknowledged)."""
        wanted = list(keys)
        if not self.exists or not wanted:
            return {}
        with closing(self._connect()) as db:
            marks = ",".join("?" * len(wanted))
            rows = db.execute(f"SELECT event_key, t_ack FROM ledger WHERE event_key IN ({marks})",
                              wanted).fetchall()
        return {int(k): None if t is None else float(t) for k, t in rows}

    def acknowledged_source(self) -> LedgerSource:
        """The acknowledged events as the reference side of the checksum diff."""
        assert self.path is not None, "no ledger: the drill sent no events"
        return LedgerSource(self.path, acked_only=True, name=ACKNOWLEDGED_LEDGER)

    def newest_acknowledged_sent(self) -> float | None:
        """``t_sent`` of the newest acknowledged event (the consumer-lag probe's reference)."""
        if not self.exists:
            return None
        with closing(self._connect()) as db:
            row = db.execute("SELECT max(t_sent) FROM ledger WHERE t_ack IS NOT NULL").fetchone()
        return None if row is None or row[0] is None else float(row[0])
