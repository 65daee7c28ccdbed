"""The processor: the ECS Fargate task's logic, run as one local process per region.

Loop: while the region's database is a standby it idles (polls ``pg_is_in_recovery()`` ~5x/s). Once
writable it creates the schema if missing, opens every shard of the region's stream at its checkpoint
(keyed by the stream's ARN, so a promoted DR store never resumes from the primary's positions; or,
without one, at the newest stored event minus ``replay_margin_s`` — how the DR side recovers
dual-written events after a failover), and per round writes the records and the checkpoints in ONE
transaction, then updates device sessions in the cache and publishes metrics. Any lost dependency
(database, stream, Secrets Manager) ends the round: one log line, backoff, reconnect, resume from the
committed checkpoint. SIGTERM finishes the current batch and exits 0; SIGKILL loses nothing either,
because rows and positions commit together and re-delivered records are no-ops.

Run: ``python -m drills.pipeline.processor --config PATH`` (``ProcessorConfig`` JSON).
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

import psycopg
from botocore.exceptions import BotoCoreError, ClientError

from drills.pipeline.config import ProcessorConfig
from drills.pipeline.credentials import SecretFormatError, SecretSource
from drills.pipeline.metrics import MetricsPublisher
from drills.pipeline.process_startup import config_from_cli
from drills.pipeline.sessions import SessionCache
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
        self._secrets = SecretSource(config.region, config.endpoint_url)
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
            else:
                break
            stop.wait(BACKOFF_S[min(failures, len(BACKOFF_S)) - 1])
        self._metrics.maybe_flush(force=True)

    def _serve(self, stop: threading.Event) -> None:
        """One connected session: wait for writability, then consume until ``stop`` or an error."""
        cfg = self.config
        db = self._secrets.db(cfg.db_secret_arn)
        store = StoreWriter(psycopg.conninfo.make_conninfo(
            host=cfg.db_host, port=cfg.db_port, dbname=cfg.db_name, user=db.username, password=db.password,
        ))
        cache = SessionCache(cfg.cache_host, cfg.cache_port,
                             self._secrets.cache(cfg.cache_secret_arn).auth_token, cfg.region)
        try:
            if not self._wait_until_writable(store, stop):
                return
            store.ensure_schema()
            reader = StreamReader(cfg.region, cfg.endpoint_url, cfg.stream_name)
            shards, stream_key = reader.shard_ids(), reader.stream_arn()
            positions = store.start_positions(stream_key, shards, cfg.replay_margin_s)
            reader.seek(positions)
            resumed = sum(p.after_sequence is not None for p in positions.values())
            log.info("%s: consuming %s (%d shards, %d from checkpoint)",
                     cfg.region, cfg.stream_name, len(shards), resumed)
            self._consume(store, reader, cache, stop, stream_key)
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

    def _consume(self, store: StoreWriter, reader: StreamReader, cache: SessionCache,
                 stop: threading.Event, stream_key: str) -> None:
        """Read round N+1 from the stream while round N is written (a read-ahead of one round).

        Only committed rounds move the checkpoint, so a read-ahead lost to a crash or SIGTERM is
        simply read again from the checkpoint by the next run.
        """
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead") as ahead:
            try:
                self._consume_rounds(store, reader, cache, stop, ahead, stream_key)
            finally:
                reader.close()

    def _consume_rounds(self, store: StoreWriter, reader: StreamReader, cache: SessionCache,
                        stop: threading.Event, ahead: ThreadPoolExecutor, stream_key: str) -> None:
        cfg = self.config
        last_progress, processed_at_progress = time.monotonic(), self.processed
        upcoming: Future[StreamBatch] = ahead.submit(reader.read, cfg.batch_size)
        while not stop.is_set():
            batch = upcoming.result()
            if batch.checkpoints:
                upcoming = ahead.submit(reader.read, cfg.batch_size)
                store.write_batch(stream_key, batch.events, batch.checkpoints)
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


def main(argv: list[str] | None = None) -> int:
    config = config_from_cli(ProcessorConfig, "drills.pipeline.processor", __doc__, argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    processor = Processor(config)
    try:
        processor.run(stop)
    except SecretFormatError as err:
        raise SystemExit(f"processor {config.region}: {err}") from None
    log.info("%s: stopped after %d events", config.region, processor.processed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
