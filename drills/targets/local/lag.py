"""Replication-lag probe of the PostgreSQL pair, the sandbox's ``AuroraGlobalDBReplicationLag``.

Two measures, each None with a reason when it cannot be taken (never a made-up number):
- time lag, read on the standby: ``now() - pg_last_xact_replay_timestamp()``. That timestamp only
  moves when a commit is replayed, so on an idle but caught-up pair it grows forever; when the byte
  lag is known to be 0 the time lag is reported as 0.
- byte lag, from the primary: ``pg_current_wal_lsn()`` minus the standby's replay LSN.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import psycopg

from drills.targets.local.credentials import Credentials
from drills.targets.local.postgres import connect


@dataclass(frozen=True)
class ReplicationLag:
    """One sample; ``not_measured`` lists why a figure is None."""

    measured_at: float
    time_lag_s: float | None
    byte_lag: int | None
    standby_streaming: bool
    not_measured: tuple[str, ...] = ()


def _standby_side(port: int, creds: Credentials) -> tuple[float | None, str | None, bool]:
    with connect(port, creds, connect_timeout_s=2) as conn:
        row = conn.execute(
            "SELECT pg_is_in_recovery(), extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8,"
            " pg_last_wal_replay_lsn()::text,"
            " coalesce((SELECT status = 'streaming' FROM pg_stat_wal_receiver), false)"
        ).fetchone()
    assert row is not None
    if not row[0]:
        raise LookupError("the standby has been promoted: there is no replication to measure")
    return row[1], row[2], bool(row[3])


def _byte_lag(primary_port: int, creds: Credentials, replay_lsn: str) -> int:
    with connect(primary_port, creds, connect_timeout_s=2) as conn:
        row = conn.execute(
            "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s::pg_lsn)::bigint", (replay_lsn,)
        ).fetchone()
    assert row is not None
    return max(0, int(row[0]))


def probe(primary_port: int, standby_port: int, creds: Credentials) -> ReplicationLag:
    """Measure both figures now; unreachable sides become reasons, not exceptions."""
    now = time.time()
    try:
        replay_age, replay_lsn, streaming = _standby_side(standby_port, creds)
    except LookupError as err:
        return ReplicationLag(now, None, None, False, (str(err),))
    except psycopg.Error:
        return ReplicationLag(now, None, None, False, ("standby unreachable",))
    reasons: list[str] = []
    byte_lag: int | None = None
    if replay_lsn is None:
        reasons.append("standby has replayed nothing yet")
    else:
        try:
            byte_lag = _byte_lag(primary_port, creds, replay_lsn)
        except psycopg.Error:
            reasons.append("primary unreachable: byte lag not measured")
    time_lag = 0.0 if byte_lag == 0 else replay_age
    if time_lag is None:
        reasons.append("no transaction replayed yet: time lag not measured")
    return ReplicationLag(now, time_lag, byte_lag, streaming, tuple(reasons))
