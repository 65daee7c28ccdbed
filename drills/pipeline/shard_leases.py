"""Shard leases: processors of one stream split its shards instead of each reading all of them.

A lease (``shard_leases``: owner, expiry) sits in the store beside the shard's checkpoint. Every
processor heartbeats its row in ``stream_consumers`` and, every third of the lease time, balances:
it renews the leases it holds, releases those above its fair share (``ceil(shards / live
processors)``) and takes free or expired ones up to it. A killed processor stops renewing, so its
leases and consumer row expire after ``ttl_s`` and the survivors take its shards over at their
committed checkpoints. Every batch commits only if its writer still owns the shards it checkpoints,
in the same transaction as the rows and checkpoints (``fence``): a processor that lost a lease while
paused can never move a checkpoint it no longer owns. Times are the database's clock
(``clock_timestamp()``), one clock for every processor.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import psycopg

#: One balancing at a time per database: the fair share is computed from a consistent view.
_BALANCE_LOCK = 7306

#: Created with the store's schema, in the same database as the checkpoints.
LEASE_DDL = """
CREATE TABLE IF NOT EXISTS shard_leases (     -- which processor reads which shard
    stream_name     text NOT NULL,                -- the stream's ARN, as in stream_checkpoints
    shard_id        text NOT NULL,
    owner           text,                         -- NULL: released, free to take
    acquired_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    expires_at      timestamptz NOT NULL,         -- renewed by every heartbeat; after it, anyone may take it
    PRIMARY KEY (stream_name, shard_id)
);
CREATE TABLE IF NOT EXISTS stream_consumers ( -- live processors of a stream: the fair share's divisor
    stream_name     text NOT NULL,
    worker_id       text NOT NULL,
    expires_at      timestamptz NOT NULL,
    PRIMARY KEY (stream_name, worker_id)
);
"""


class LeaseLost(RuntimeError):
    """A batch checkpoints a shard whose lease another processor has taken; nothing was committed."""


@dataclass(frozen=True)
class LeaseChange:
    """The outcome of one balancing: what is held now, what was just taken and just given up."""

    held: frozenset[str]
    acquired: frozenset[str] = field(default_factory=frozenset)
    released: frozenset[str] = field(default_factory=frozenset)


class ShardLeases:
    """One processor's leases on one stream (``stream`` is the stream's ARN, the checkpoint key)."""

    def __init__(self, conn: psycopg.Connection, stream: str, worker_id: str, ttl_s: float) -> None:
        self._conn = conn
        self.stream = stream
        self.worker_id = worker_id
        self.ttl_s = ttl_s

    @property
    def balance_every_s(self) -> float:
        """How often ``balance`` must run: three heartbeats per lease lifetime."""
        return self.ttl_s / 3

    def balance(self, shards: Sequence[str]) -> LeaseChange:
        """Heartbeat, renew, give up the excess, take free or expired shards up to the fair share."""
        ttl = f"{self.ttl_s} seconds"
        with self._conn.transaction():
            self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (_BALANCE_LOCK,))
            self._conn.execute(
                "INSERT INTO stream_consumers (stream_name, worker_id, expires_at) "
                "VALUES (%s, %s, clock_timestamp() + %s::interval) ON CONFLICT (stream_name, worker_id) "
                "DO UPDATE SET expires_at = excluded.expires_at",
                (self.stream, self.worker_id, ttl),
            )
            self._conn.execute(  # processors gone for good: keep the table small
                "DELETE FROM stream_consumers WHERE stream_name = %s "
                "AND expires_at < clock_timestamp() - interval '1 hour'", (self.stream,),
            )
            row = self._conn.execute(
                "SELECT count(*) FROM stream_consumers "
                "WHERE stream_name = %s AND expires_at > clock_timestamp()",
                (self.stream,),
            ).fetchone()
            live = max(1, int(row[0]) if row else 1)
            held = {
                str(r[0]) for r in self._conn.execute(
                    "UPDATE shard_leases SET expires_at = clock_timestamp() + %s::interval "
                    "WHERE stream_name = %s AND owner = %s RETURNING shard_id",
                    (ttl, self.stream, self.worker_id),
                ).fetchall()
            }
            fair = math.ceil(len(shards) / live)
            released = frozenset(sorted(held)[fair:]) if len(held) > fair else frozenset()
            if released:
                self._conn.execute(
                    "UPDATE shard_leases SET owner = NULL, expires_at = clock_timestamp() "
                    "WHERE stream_name = %s AND owner = %s AND shard_id = ANY(%s)",
                    (self.stream, self.worker_id, list(released)),
                )
            acquired: set[str] = set()
            for shard in shards:
                if len(held) - len(released) + len(acquired) >= fair:
                    break
                if shard not in held and self._take(shard, ttl):
                    acquired.add(shard)
        return LeaseChange(held=frozenset((held - released) | acquired), acquired=frozenset(acquired),
                           released=released)

    def _take(self, shard: str, ttl: str) -> bool:
        """Take ``shard`` if nobody holds it (no row, released, or expired)."""
        row = self._conn.execute(
            "INSERT INTO shard_leases (stream_name, shard_id, owner, expires_at) "
            "VALUES (%s, %s, %s, clock_timestamp() + %s::interval) ON CONFLICT (stream_name, shard_id) "
            "DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at, "
            "acquired_at = clock_timestamp() "
            "WHERE shard_leases.owner IS NULL OR shard_leases.expires_at <= clock_timestamp() "
            "RETURNING shard_id",
            (self.stream, shard, self.worker_id, ttl),
        ).fetchone()
        return row is not None

    def release_all(self) -> None:
        """Give every lease back at once (a clean stop: the others need not wait for expiry)."""
        with self._conn.transaction():
            self._conn.execute(
                "UPDATE shard_leases SET owner = NULL, expires_at = clock_timestamp() "
                "WHERE stream_name = %s AND owner = %s", (self.stream, self.worker_id),
            )
            self._conn.execute("DELETE FROM stream_consumers WHERE stream_name = %s AND worker_id = %s",
                               (self.stream, self.worker_id))

    def fence(self, shards: Collection[str]) -> None:
        """Inside the batch's transaction: renew ``shards`` and raise ``LeaseLost`` unless all are ours."""
        if not shards:
            return
        owned = {
            str(r[0]) for r in self._conn.execute(
                "UPDATE shard_leases SET expires_at = clock_timestamp() + %s::interval "
                "WHERE stream_name = %s AND owner = %s AND shard_id = ANY(%s) RETURNING shard_id",
                (f"{self.ttl_s} seconds", self.stream, self.worker_id, list(shards)),
            ).fetchall()
        }
        lost = set(shards) - owned
        if lost:
            raise LeaseLost(f"leases of {', '.join(sorted(lost))} were taken over; re-reading from the "
                            "committed checkpoints")
