"""Data integrity: prove two copies of the vitals data hold the same events, and name what differs.

Stable API for drills (loss proof) and the CLI::

    from drills.integrity import LedgerSource, PostgresSource, diff_sources

    result = diff_sources(
        LedgerSource(ledger_path, acked_only=True),          # reference: what was acknowledged
        PostgresSource(dsn_or_conn, name="ca-west-1"),       # other: the surviving store
        key_range=None,                                       # or KeyRange(lo, hi), half-open
    )
    result.missing / .extra / .changed    # sorted event_keys; event_ids(keys) -> ["dev-000042:17", ...]
    result.rows_compared, .ranges_queried, .rows_fetched, .seconds, .ok, .summary()
    result.to_integrity_result("ledger-vs-dr-store")           # -> drills.journal.IntegrityResult

- ``missing``: in the reference, absent from the other (acknowledged loss when the reference is the
  ledger); ``extra``: only in the other (in-doubt events: committed, never acknowledged);
  ``changed``: same key, different digest.
- ``PostgresSource(conn, name=, table="vitals_events", key="event_key", digest="payload_digest",
  mode=DigestMode.STORED)``: a DSN is opened and closed by the diff; a psycopg connection is borrowed.
  ``DigestMode.STORED`` sums the digest written at insert time (fast; misses a payload edited behind
  its digest); ``DigestMode.CONTENT`` recomputes the digest from the row in SQL (catches that too).
- ``LedgerSource(path, acked_only=True)``: the producer's SQLite ledger (read-only).
- Cost: equal data costs one plain ``count, sum`` scan per side (both sides concurrently); k
  differences add one pass grouped by ``key >> shift`` (blocks of about half the fetch
  threshold, fitted to the devices' dense key spans, see ``drills.integrity.buckets``) and one
  batched fetch of the differing blocks' rows, one query per side per level (``DiffOptions``);
  when the devices' first or last keys differ between the sides, the count pass is skipped.
- Incremental verification: ``verify_incremental(reference, other, Watermarks.for_pair(state_dir,
  reference.name, other.name))`` compares only each device's keys above its watermark and advances
  it; ``verify_full(...)`` re-checks everything and resets the watermarks; ``Watermarks.full_due(s)``
  says when the periodic full run is due.
- Every failure to compare (unreachable server, missing table or key column, mismatched schemas,
  missing ledger) raises ``IntegrityError`` whose one-line message starts with the side's name.
  Messages and results carry keys (``device:seq``) only, never vitals or patient references.

Great Expectations suites over the stores live in ``compliance.expectations`` (``run_suites``).
"""

from drills.integrity.diff import DiffOptions, DiffResult, diff_ranges, diff_sources, event_ids
from drills.integrity.errors import IntegrityError
from drills.integrity.incremental import verify_full, verify_incremental
from drills.integrity.key_range import Checksum, KeyRange
from drills.integrity.ledger_source import LedgerSource
from drills.integrity.postgres_source import DigestMode, PostgresSource
from drills.integrity.source import Source
from drills.integrity.watermarks import Watermarks

__all__ = [
    "Checksum",
    "DiffOptions",
    "DiffResult",
    "DigestMode",
    "IntegrityError",
    "KeyRange",
    "LedgerSource",
    "PostgresSource",
    "Source",
    "Watermarks",
    "diff_ranges",
    "diff_sources",
    "event_ids",
    "verify_full",
    "verify_incremental",
]
