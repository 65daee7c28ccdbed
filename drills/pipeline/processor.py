"""The processor: the ECS Fargate task's logic, one or more processes per region.

Loop: while the region's database is a standby it idles (polls ``pg_is_in_recovery()`` ~5x/s). Once
writable it creates the schema if missing and balances shard leases with the other processors of the
stream (``shard_leases``: each reads only the shards it holds, a killed one's shards are taken over
when its leases expire). It opens each held shard at its checkpoint (keyed by the stream's ARN, so a
promoted DR store never resumes from the primary's positions; or, without one, at the newest stored
event minus ``replay_margin_s`` — how the DR side recovers dual-written events after a failover), and
per round writes the records, the checkpoints and the lease check in ONE transaction, then updates
device sessions in the cache and publishes metrics. Any lost dependency (database, stream) ends the
round: one log line, backoff, reconnect, resume from the committed checkpoint. SIGTERM finishes the
current batch, gives the leases back and exits 0; SIGKILL loses nothing either, because rows and
positions commit together and re-delivered records are no-ops.

Run: ``python -m drills.pipeline.processor`` with its configuration in the environment
(``contracts.processor_environment``: what the ECS task definition sets, credentials included).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import psycopg
from botocore.exceptions import BotoCoreError, ClientError

from drills.pipeline.config import ConfigError, ProcessorConfig
from drills.pipeline.metrics import MetricsPublisher
from drills.pipeline.sessions import SessionCache
from drills.pipeline.shard_leases import LeaseLost, ShardLeases
from drills.pipeline.store_writer import StoreWriter
from drills.pipeline.stream_reader import StreamBatch, StreamReader

log = logging.getLogger("htdr.processor")

STANDBY_POLL_S = 0.2
PROGRESS_EVERY_S = 10.0
BACKOFF_S = (0.2, 0.5, 1.0, 2.0, 5.0)


class Processor:
    """Consumes one region's stream into that region's store; ``run`` returns when ``stop`` is set."""

    def __init__(self, config: ProcessorConfig) -> None:
        self.config = config
        self.processed = 0
        self.held: frozenset[str] = frozenset()
        self._metrics = MetricsPublisher(config.region, config.endpoint_url, config.metrics_namespace)

    def run(self, stop: threading.Event) -> None:
        failures = 0
        while not stop.is_set():
            try:
                self._serve(stop)
            except psycopg.Error as err:
                failures += 1
                self._log_outage("store", err, failures)
            except (BotoCoreError, ClientError) as err:
                failures += 1
                self._log_outage("stream/AWS API", err, failures)
            except LeaseLost as err:
                failures = 0
                log.warning("%s: %s", self.config.region, err)
                continue
            else:
                break
            stop.wait(BACKOFF_S[min(failures, len(BACKOFF_S)) - 1])
        self._metrics.maybe_flush(force=True)

    def _serve(self, stop: threading.Event) -> None:
        """One connected session: wait for writability, then consume until ``stop`` or an error."""
        cfg = self.config
        store = StoreWriter(psycopg.conninfo.make_conninfo(
            host=cfg.db_host, port=cfg.db_port, dbname=cfg.db_name, user=cfg.db_username,
            password=cfg.db_password.get_secret_value(), sslmode=cfg.db_sslmode,
        ))
        token = cfg.cache_auth_token.get_secret_value() if cfg.cache_auth_token else None
        cache = SessionCache(cfg.cache_host, cfg.cache_port, token, cfg.region, tls=cfg.cache_tls)
        self.held = frozenset()
        try:
            if not self._wait_until_writable(store, stop):
                return
            store.ensure_schema()
            reader = StreamReader(cfg.region, cfg.endpoint_url, cfg.stream_name, cfg.min_read_interval_s)
            shards, stream_key = reader.shard_ids(), reader.stream_arn()
            leases = ShardLeases(store.connection, stream_key, cfg.worker_id, cfg.lease_ttl_s)
            log.info("%s: consuming %s as %s (%d shards, leases of %.0f s)",
                     cfg.region, cfg.stream_name, cfg.worker_id, len(shards), cfg.lease_ttl_s)
            self._consume(store, reader, cache, stop, leases, shards)
            if stop.is_set():
                leases.release_all()
        finally:
            store.close()
            cache.close()

    def _wait_until_writable(self, store: StoreWriter, stop: threading.Event) -> bool:
        if not store.in_recovery():
            return True
        log.info("%s: database is a standby; idling until it is promoted", self.config.region)
        while store.in_recovery():
            if stop.wait(STANDBY_POLL_S):
                return False
        log.info("%s: database promoted; starting to consume", self.config.region)
        return True

    def _rebalance(self, store: StoreWriter, reader: StreamReader, leases: ShardLeases,
                   shards: Sequence[str]) -> None:
        """Balance the leases, open the shards just taken at their checkpoints, drop those given up."""
        change = leases.balance(shards)
        reader.drop(change.released)
        # Held but not open: just taken, or held from before a reconnect (a new reader opens nothing).
        to_open = sorted(change.held - reader.open_shards)
        resumed = 0
        if to_open:
            positions = store.start_positions(leases.stream, to_open, self.config.replay_margin_s)
            reader.seek(positions)
            resumed = sum(p.after_sequence is not None for p in positions.values())
        if to_open or change.released:
            log.info("%s: now reading %s (opened %d, %d from checkpoint; gave up %d)", self.config.region,
                     ", ".join(sorted(change.held)) or "no shard", len(to_open), resumed,
                     len(change.released))
        self.held = change.held

    def _consume(self, store: StoreWriter, reader: StreamReader, cache: SessionCache,
                 stop: threading.Event, leases: ShardLeases, shards: Sequence[str]) -> None:
        """Read round N+1 from the stream while round N is written (a read-ahead of one round).

        Only committed rounds move the checkpoint, so a read-ahead lost to a crash or SIGTERM is
        simply read again from the checkpoint by the next run.
        """
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead") as ahead:
            try:
                self._consume_rounds(store, reader, cache, stop, ahead, leases, shards)
            finally:
                reader.close()

    def _consume_rounds(self, store: StoreWriter, reader: StreamReader, cache: SessionCache,
                        stop: threading.Event, ahead: ThreadPoolExecutor, leases: ShardLeases,
                        shards: Sequence[str]) -> None:
        """Leases are balanced between rounds, never while a read is in flight (the reader's shard
        set changes only here); a read-ahead of a shard given up meanwhile is discarded."""
        cfg = self.config
        last_progress, processed_at_progress = time.monotonic(), self.processed
        self._rebalance(store, reader, leases, shards)
        next_balance = time.monotonic() + leases.balance_every_s
        upcoming: Future[StreamBatch] = ahead.submit(reader.read, cfg.batch_size)
        while not stop.is_set():
            batch = upcoming.result()
            if time.monotonic() >= next_balance:
                self._rebalance(store, reader, leases, shards)
                next_balance = time.monotonic() + leases.balance_every_s
                batch = batch.only(self.held)
            if batch.checkpoints:
                upcoming = ahead.submit(reader.read, cfg.batch_size)
                store.write_batch(leases.stream, batch.events, batch.checkpoints, leases)
                committed = time.time()
                self.processed += len(batch.events)
                self._metrics.record(len(batch.events), ((committed - e.ts) * 1000 for e in batch.events),
                                     batch.millis_behind_latest)
                cache.update(batch.events)
                if batch.malformed:
                    log.warning("%s: skipped %d malformed records", cfg.region, batch.malformed)
            else:
                self._metrics.record(0, (), batch.millis_behind_latest)
                stop.wait(cfg.poll_interval_s)
                upcoming = ahead.submit(reader.read, cfg.batch_size)
            self._metrics.maybe_flush()
            if time.monotonic() - last_progress >= PROGRESS_EVERY_S:
                done = self.processed - processed_at_progress
                log.info("%s: %d events stored (%.0f/s), %d ms behind latest", cfg.region, self.processed,
                         done / (time.monotonic() - last_progress), batch.millis_behind_latest)
                last_progress, processed_at_progress = time.monotonic(), self.processed

    def _log_outage(self, what: str, err: Exception, failures: int) -> None:
        """One line per outage attempt: the dependency and the error class, no connection strings."""
        delay = BACKOFF_S[min(failures, len(BACKOFF_S)) - 1]
        detail = str(err).strip().splitlines()[0][:160] if str(err).strip() else ""
        log.warning("%s: %s unavailable (%s: %s); reconnecting in %.1f s",
                    self.config.region, what, type(err).__name__, detail, delay)


def main(environ: Mapping[str, str] | None = None) -> int:
    """The container's entry point: the one place the processor's environment is read."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    try:
        config = ProcessorConfig.from_environ(os.environ if environ is None else environ)
    except ConfigError as err:
        raise SystemExit(f"processor: {err}") from None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    processor = Processor(config)
    processor.run(stop)
    log.info("%s: stopped after %d events", config.region, processor.processed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
