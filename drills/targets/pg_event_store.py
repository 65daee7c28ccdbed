"""Each region's PostgreSQL event store (``contracts.store``), read for the ``EventStore`` role.

Shared by every target: the target only says how to reach a region's store, as libpq keyword
arguments (``conninfo(region)``), so the sandbox's PostgreSQL and Aurora are read by the same code.
Those arguments carry a password: they stay a dict handed to psycopg and are never logged or put in
an exception; only ``store_dsn`` renders them, for a caller that hands it to a database client.
Every call opens its own short-lived connection (probes run from the lag sampler threads too).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo

from contracts.store import TABLE
from drills.integrity.postgres_source import PostgresSource

ConnInfo = Callable[[str], Mapping[str, object]]


class PgEventStore:
    def __init__(self, conninfo: ConnInfo) -> None:
        self._conninfo = conninfo

    def connect(self, region: str, timeout_s: int = 2) -> psycopg.Connection[Any]:
        """An autocommit connection to ``region``'s store (each probe is one statement)."""
        info = dict(self._conninfo(region)) | {"connect_timeout": timeout_s}
        return psycopg.connect(**info, autocommit=True)  # type: ignore[arg-type]

    def store_count(self, region: str) -> int | None:
        try:
            with self.connect(region) as conn:
                row = conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()
            return int(row[0]) if row else None
        except psycopg.Error:
            return None

    def newest_stored_keys(self, region: str, since: float, limit: int = 500) -> list[int]:
        with self.connect(region, timeout_s=1) as conn:
            rows = conn.execute(
                f"SELECT event_key FROM {TABLE} WHERE ingested_at > to_timestamp(%s) "
                "ORDER BY ingested_at DESC LIMIT %s", (since, limit)).fetchall()
        return [int(r[0]) for r in rows]

    @contextmanager
    def snapshot(self, region: str) -> Iterator[PostgresSource]:
        """The store inside ONE repeatable-read, read-only transaction: every read sees the same rows."""
        with self.connect(region, timeout_s=5) as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield PostgresSource(conn, name=f"store {region}")

    def store_dsn(self, region: str) -> str:
        """libpq connection string; it carries the password: hand it to a client, never print it."""
        return make_conninfo(**{k: str(v) for k, v in self._conninfo(region).items()})
