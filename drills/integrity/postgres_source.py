"""A PostgreSQL table as a diff source: the store of one region, a primary or its replica.

Two digest modes (``DigestMode``):

- ``stored`` sums the ``payload_digest`` column written by the processor at insert time: an integer
  sum per range, no hashing at query time (fast). It finds missing, extra and re-keyed rows and rows
  whose digest differs, but NOT a payload changed in place whose stored digest was left alone.
- ``content`` recomputes ``event_digest`` from the row's values inside PostgreSQL (SHA-256 of the
  same canonical encoding as ``drills.pipeline.events.event_digest``): it also finds a payload
  altered behind the digest's back, at the cost of hashing every row it reads.

Only keys and numbers leave the database; row values never do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from drills.integrity.errors import IntegrityError
from drills.integrity.key_range import EMPTY, Checksum, KeyRange


class DigestMode(StrEnum):
    STORED = "stored"
    CONTENT = "content"


#: The canonical encoding of ``event_digest``, in SQL; first 8 bytes of SHA-256 as signed bigint.
CONTENT_DIGEST_SQL = """('x' || left(encode(sha256(convert_to(
    device_id || '|' || seq || '|' || patient_ref || '|' ||
    (extract(epoch FROM ts) * 1000000)::bigint || '|' || heart_rate || '|' || spo2 || '|' ||
    systolic || '|' || diastolic || '|' || resp_rate || '|' || (temp_c * 10)::bigint,
    'UTF8')), 'hex'), 16))::bit(64)::bigint"""

CONTENT_COLUMNS = (
    "device_id", "seq", "patient_ref", "ts", "heart_rate", "spo2", "systolic", "diastolic",
    "resp_rate", "temp_c",
)
_INTEGER_TYPES = {"bigint", "integer", "smallint"}
_RANGES_PER_QUERY = 4096  # keeps planning time (~15 ms per 1,000 ranges) and query text bounded


class PostgresSource:
    """``table`` on one PostgreSQL server, compared by ``key`` with ``digest`` (or recomputed content)."""

    def __init__(
        self,
        conn: str | psycopg.Connection[Any],
        *,
        name: str,
        table: str = "vitals_events",
        key: str = "event_key",
        digest: str = "payload_digest",
        mode: DigestMode = DigestMode.STORED,
    ) -> None:
        self.name = name
        self.table = table
        self.key = key
        self.digest_column = digest
        self.mode = DigestMode(mode)
        self._dsn = conn if isinstance(conn, str) else None
        self._conn: psycopg.Connection[Any] | None = None if isinstance(conn, str) else conn
        self._schema: dict[str, str] = {}

    # -- lifecycle ---------------------------------------------------------------------------
    def open(self) -> None:
        """Connect (if given a DSN) and check the table has the key and digest columns."""
        if self._conn is None:
            self._conn = self._connect()
        self._schema = self._read_schema()
        self._require_columns()

    def close(self) -> None:
        if self._dsn is not None and self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connect(self) -> psycopg.Connection[Any]:
        assert self._dsn is not None
        try:
            return psycopg.connect(self._dsn, autocommit=True)
        except psycopg.Error as err:
            where = _where(self._dsn)
            reason = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
            raise IntegrityError(
                self.name, f"cannot connect to PostgreSQL at {where} ({reason}); check the server is up "
                "and the host/port/dbname are right"
            ) from None

    def _read_schema(self) -> dict[str, str]:
        rows = self._query(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            (self.table,),
        )
        if not rows:
            raise IntegrityError(
                self.name, f"table {self.table!r} does not exist; create it from drills.pipeline.schema "
                "or pass the right table name"
            )
        return {str(name): str(kind) for name, kind in rows}

    def _require_columns(self) -> None:
        if self._schema.get(self.key) not in _INTEGER_TYPES:
            raise IntegrityError(
                self.name, f"table {self.table!r} has no integer key column {self.key!r}; pass key= the "
                "column that identifies a row (event_key in the store)"
            )
        needed = CONTENT_COLUMNS if self.mode is DigestMode.CONTENT else (self.digest_column,)
        absent = [column for column in needed if column not in self._schema]
        if absent:
            raise IntegrityError(
                self.name, f"table {self.table!r} lacks column(s) {', '.join(absent)} needed by "
                f"{self.mode.value} digest mode; use the vitals_events schema or the other mode"
            )

    def schema(self) -> Mapping[str, str] | None:
        return dict(self._schema)

    # -- aggregates --------------------------------------------------------------------------
    def bounds(self, within: KeyRange | None = None) -> KeyRange | None:
        query = "SELECT min({k}), max({k}) FROM {t}"
        params: tuple[int, ...] = ()
        if within is not None:
            query += " WHERE {k} >= %s AND {k} < %s"
            params = (within.lo, within.hi)
        lo, hi = self._query(self._fmt(query), params)[0]
        return None if lo is None else KeyRange(int(lo), int(hi) + 1)

    def bucket_checksums(self, rng: KeyRange, buckets: int) -> dict[int, Checksum]:
        width = rng.bucket_width(buckets)
        query = (
            "SELECT ({k} - %(lo)s) / %(w)s, count(*), sum({d}) FROM {t} "
            "WHERE {k} >= %(lo)s AND {k} < %(hi)s GROUP BY 1"
        )
        if buckets == 1:  # a plain aggregate: no per-row hashing, parallel-friendly
            query = "SELECT 0, count(*), sum({d}) FROM {t} WHERE {k} >= %(lo)s AND {k} < %(hi)s"
        rows = self._query(self._fmt(query), {"lo": rng.lo, "hi": rng.hi, "w": width})
        return {int(b): Checksum(int(c), int(s)) for b, c, s in rows if c}

    def range_checksums(self, ranges: Sequence[KeyRange]) -> list[Checksum]:
        """One bitmap scan over all ranges, grouped by range with ``width_bucket``.

        WHY: rows are stored in arrival order, so one device's newest rows are spread over all the
        newest pages; OR-ing the ranges lets PostgreSQL visit each of those pages once (a bitmap heap
        scan) instead of once per device. Hash aggregation is forced because the planner, expecting a
        handful of rows per narrow range, would otherwise sort the whole result.
        """
        ordered = sorted(set(ranges))
        sums: dict[KeyRange, Checksum] = {}
        for start in range(0, len(ordered), _RANGES_PER_QUERY):
            batch = ordered[start : start + _RANGES_PER_QUERY]
            sums.update(zip(batch, self._batch_checksums(batch), strict=True))
        return [sums[rng] for rng in ranges]

    def _batch_checksums(self, batch: Sequence[KeyRange]) -> list[Checksum]:
        key = sql.Identifier(self.key)
        where = sql.SQL(" OR ").join(
            sql.SQL("({k} >= {lo} AND {k} < {hi})").format(k=key, lo=sql.Literal(r.lo), hi=sql.Literal(r.hi))
            for r in batch
        )
        template = "SELECT width_bucket({k}, %s::bigint[]), count(*), sum({d}) FROM {t} WHERE {w} GROUP BY 1"
        query = sql.SQL(template).format(
            k=key, d=self._digest_sql(), t=self._table_sql(), w=where
        )
        assert self._conn is not None
        with self._conn.transaction():
            self._conn.execute("SET LOCAL enable_sort = off")
            rows = self._query(query, ([r.lo for r in batch],))
        found = {int(i) - 1: Checksum(int(c), int(s)) for i, c, s in rows}
        return [found.get(i, EMPTY) for i in range(len(batch))]

    def digests(self, rng: KeyRange) -> dict[int, int]:
        query = "SELECT {k}, {d} FROM {t} WHERE {k} >= %s AND {k} < %s"
        return {int(k): int(d) for k, d in self._query(self._fmt(query), (rng.lo, rng.hi))}

    def partition_maxima(self, bits: int) -> dict[int, int]:
        query = (
            "WITH RECURSIVE walk(part) AS ("
            " SELECT (SELECT min({k}) FROM {t}) >> %(b)s"
            " UNION ALL"
            " SELECT (SELECT min({k}) FROM {t} WHERE {k} >= (walk.part + 1) << %(b)s) >> %(b)s"
            " FROM walk WHERE walk.part IS NOT NULL)"
            " SELECT part, (SELECT max({k}) FROM {t} WHERE {k} < (part + 1) << %(b)s)"
            " FROM walk WHERE part IS NOT NULL"
        )
        return {int(p): int(m) for p, m in self._query(self._fmt(query), {"b": bits})}

    # -- helpers -----------------------------------------------------------------------------
    def _fmt(self, template: str) -> sql.Composed:
        """Fill ``{k}``, ``{d}``, ``{t}`` with quoted identifiers (or the content-digest expression)."""
        return sql.SQL(template).format(k=sql.Identifier(self.key), d=self._digest_sql(), t=self._table_sql())

    def _digest_sql(self) -> sql.Composable:
        if self.mode is DigestMode.CONTENT:
            return sql.SQL(CONTENT_DIGEST_SQL)
        return sql.Identifier(self.digest_column)

    def _table_sql(self) -> sql.Composable:
        return sql.Identifier(*self.table.split("."))

    def _query(self, query: str | sql.Composable, params: Any = None) -> list[tuple[Any, ...]]:
        if self._conn is None:
            raise IntegrityError(self.name, "source is not open; call open() (diff_sources does)")
        try:
            return self._conn.execute(query, params).fetchall()  # type: ignore[arg-type]
        except psycopg.Error as err:
            reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise IntegrityError(self.name, f"query on {self.table!r} failed: {reason}") from None


def _where(dsn: str) -> str:
    """``host:port/dbname`` of a DSN, never its password."""
    try:
        info = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "an unparsable DSN (expected 'host=... port=... dbname=...' or a postgresql:// URL)"
    return f"{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"
