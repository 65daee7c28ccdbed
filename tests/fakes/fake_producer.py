"""The device simulator of the in-memory fakes: events sent in batches, each written to a real SQLite
ledger with the project's schema (``contracts.events`` keys, a digest), acknowledged or not as the
caller's world says."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from contracts.events import event_key
from drills.pipeline.schema import LEDGER_DDL
from drills.targets.values import LoadStats


class FakeProducer:
    def __init__(self) -> None:
        self.sent = self.acked = 0
        self.loading = False
        self.path: Path | None = None
        self._db: sqlite3.Connection | None = None

    def start(self, path: Path) -> None:
        """A new ledger at ``path``; ``send`` writes to it until ``stop``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute("PRAGMA synchronous = OFF")  # test data: no fsync, no journal file per tick
        self._db.execute("PRAGMA journal_mode = MEMORY")
        self._db.executescript(LEDGER_DDL)
        self.loading = True

    def stop(self) -> None:
        self.loading = False

    def send(self, count: int, region: str, now: float, acknowledged: bool) -> list[tuple[int, int]]:
        """The next ``count`` events (``(key, digest)``) sent to ``region`` at ``now``, in the ledger."""
        assert self._db is not None
        events, rows = [], []
        for index in range(self.sent, self.sent + count):
            device, seq = index % 10, index // 10
            key = event_key(device, seq)
            digest = (key * 2654435761) % (1 << 61)
            events.append((key, digest))
            rows.append((key, f"dev-{device:06d}", seq, digest, region, now, now if acknowledged else None))
        with self._db as db:
            db.executemany("INSERT INTO ledger VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        self.sent += count
        self.acked += count if acknowledged else 0
        return events

    def stats(self) -> LoadStats:
        return LoadStats(sent=self.sent, acknowledged=self.acked)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()


class ProducerLoad:
    """The ``LoadAndLedger`` members every fake answers from its ``producer`` alike."""

    producer: FakeProducer

    def stop_load(self) -> None:
        self.producer.stop()

    def load_stats(self) -> LoadStats:
        return self.producer.stats()

    def ledger_path(self) -> Path | None:
        return self.producer.path
