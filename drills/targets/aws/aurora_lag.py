"""RPO (metric) from Aurora's own view: ``aurora_global_db_status()`` over SQL.

Per region the function reports ``durability_lag_in_msec`` and ``rpo_lag_in_msec`` (the writer's own
row has neither); REFERENCE.md "Observing Aurora global database lag",
https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-monitoring.html.
One open connection is reused by every sample so the probe can run at the sampler's rate (>= 1 Hz);
any error makes the sample unreadable (None) and reconnects on the next call.
"""

from __future__ import annotations

from typing import Any

import psycopg

QUERY = (
    "SELECT aws_region, durability_lag_in_msec, rpo_lag_in_msec FROM aurora_global_db_status() "
    "WHERE aws_region = %s"
)


class AuroraLagProbe:
    """``rpo_lag_in_msec`` of the DR region, in seconds (None when unreadable or not reported)."""

    def __init__(self, dsn: str, dr_region: str, timeout_s: float = 2.0) -> None:
        self._dsn = dsn
        self._dr_region = dr_region
        self._timeout_ms = int(timeout_s * 1000)
        self._conn: psycopg.Connection[Any] | None = None

    def __call__(self) -> float | None:
        try:
            conn = self._connection()
            row = conn.execute(QUERY, (self._dr_region,)).fetchone()
        except psycopg.Error:
            self.close()
            return None
        if row is None or row[2] is None:
            return None
        return float(row[2]) / 1000.0

    def durability_lag_s(self) -> float | None:
        """``durability_lag_in_msec`` of the DR region (how far its storage is behind), in seconds."""
        try:
            row = self._connection().execute(QUERY, (self._dr_region,)).fetchone()
        except psycopg.Error:
            self.close()
            return None
        return None if row is None or row[1] is None else float(row[1]) / 1000.0

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(
                self._dsn, autocommit=True, options=f"-c statement_timeout={self._timeout_ms}"
            )
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
