"""The producer (device simulator): paced synthetic events into the active region's ingest API.

Per batch: record the events in the ledger with ``t_sent`` (committed), POST them (SigV4-signed) to
every URL of the routing file, then record ``t_ack`` for the events every URL stored: a 200 answer
lists the records the stream rejected (``contracts.ingest``), and exactly those are retried with the
same sequence number. A throttled (429) or failed (5xx, no answer) POST is retried with backoff (the
events stay in doubt meanwhile) after re-reading the routing on SIGHUP — the DNS switch of a
failover; a refused one (other 4xx, or a 200 that does not account for the batch) is left in doubt.
A status JSON (sent, acked, errors, rate) is rewritten every second for drills to watch.

Run: ``python -m drills.pipeline.producer --config PATH`` (``ProducerConfig`` JSON). SIGTERM stops.
"""

from __future__ import annotations

import json
import logging
import math
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

from drills.pipeline.config import ProducerConfig
from drills.pipeline.device_fleet import DeviceFleet, SyntheticEvent
from drills.pipeline.ingest_client import IngestClient, Routing, RoutingError, load_routing
from drills.pipeline.ledger import LedgerEntry, LedgerWriter
from drills.pipeline.process_startup import config_from_cli
from drills.pipeline.request_signing import RequestSigner, SigningError, default_credentials, signing_region

log = logging.getLogger("htdr.producer")

#: Target time a batch accumulates at low rates: small enough for smooth pacing, big enough to batch.
BATCH_WINDOW_S = 0.2
#: After an outage, catch up at most this much backlog (devices do buffer, but not forever).
MAX_DEBT_S = 2.0
RETRY_BACKOFF_S = (0.05, 0.1, 0.2, 0.5, 1.0)
STATUS_EVERY_S = 1.0


@dataclass
class ProducerStatus:
    """What a drill watches: written atomically to the status file."""

    sent: int = 0
    acked: int = 0
    rejected: int = 0
    errors: int = 0
    in_doubt: int = 0
    rate_per_min: float = 0.0
    target_rate_per_min: int = 0
    api_urls: list[str] = field(default_factory=list)
    last_error: str | None = None
    updated_at: float = 0.0
    running: bool = True


@dataclass
class _Delivery:
    """What one batch's sender thread hands back: acknowledgement chunks with their t_ack."""

    acks: list[tuple[list[int], float]] = field(default_factory=list)


class Producer:
    """Importable device simulator; ``run`` blocks until ``stop`` is set or ``duration_s`` elapses.

    The main thread generates batches and owns the ledger (SQLite is single-writer); up to
    ``in_flight`` sender threads post batches concurrently, each with its own keep-alive connections,
    and hand back acknowledgements for the main thread to record.
    """

    def __init__(self, config: ProducerConfig) -> None:
        self.config = config
        self.status_path = config.status_path or config.ledger_path.with_name(
            config.ledger_path.name + ".status.json"
        )
        self.status = ProducerStatus(target_rate_per_min=config.rate_per_min)
        self._credentials, self._default_region = default_credentials()
        self._routing = load_routing(config.routing_file)
        self._signers = self._signers_for(self._routing)
        self._reroute = threading.Event()
        self._lock = threading.Lock()
        self._local = threading.local()
        self._senders = ThreadPoolExecutor(max_workers=config.in_flight, thread_name_prefix="post")
        self._acked_window: deque[tuple[float, int]] = deque(maxlen=64)
        self._last_status = 0.0

    def request_reroute(self) -> None:
        """Re-read the routing file before the next POST (signal-safe: only sets a flag)."""
        self._reroute.set()

    def run(self, stop: threading.Event) -> ProducerStatus:
        ledger = LedgerWriter(self.config.ledger_path)
        fleet = DeviceFleet(self.config.devices, self.config.seed)
        next_index = ledger.next_global_index(self.config.devices)
        if next_index:
            log.info("resuming after %d events already in the ledger", next_index)
        per_s = self.config.rate_per_min / 60.0
        target = max(1, min(self.config.batch_size, math.ceil(per_s * BATCH_WINDOW_S)))
        started = time.monotonic()
        deadline = started + self.config.duration_s if self.config.duration_s else math.inf

        def pause(delay: float) -> bool:
            return _halted(stop, delay, deadline)

        in_flight: deque[Future[_Delivery]] = deque()
        produced = 0
        log.info("producing %d events/min to %s", self.config.rate_per_min, ", ".join(self._routing.api_urls))
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                while in_flight and in_flight[0].done():
                    self._settle(in_flight.popleft(), ledger)
                now = time.monotonic()
                due = per_s * (now - started)
                if due - produced > per_s * MAX_DEBT_S + target:  # skip backlog older than MAX_DEBT_S
                    produced = int(due - per_s * MAX_DEBT_S)
                if due - produced < target:
                    wait = (produced + target - due) / per_s
                    stop.wait(min(wait, max(0.0, deadline - now), 0.05 if in_flight else 0.25))
                    continue
                if len(in_flight) >= self.config.in_flight:
                    self._settle(in_flight.popleft(), ledger)  # back-pressure: wait for the oldest
                    continue
                wall = time.time()
                batch = [fleet.event(next_index + i, wall) for i in range(target)]
                next_index += target
                produced += target
                ledger.record_sent(
                    [LedgerEntry(e.event_key, e.device_id, e.seq, e.digest) for e in batch],
                    self._routing.label, time.time(),
                )
                with self._lock:
                    self.status.sent += len(batch)
                    self.status.in_doubt += len(batch)
                in_flight.append(self._senders.submit(self._deliver, batch, pause))
                self._maybe_write_status()
        finally:
            while in_flight:
                self._settle(in_flight.popleft(), ledger)
            self._senders.shutdown(wait=True)
            self.status.running = False
            self._write_status()
            ledger.close()
        return self.status

    def _settle(self, future: Future[_Delivery], ledger: LedgerWriter) -> None:
        """Record a finished batch's acknowledgements (main thread: the ledger's only writer)."""
        for keys, t_ack in future.result().acks:
            ledger.record_acked(keys, t_ack)
            with self._lock:
                self.status.acked += len(keys)
                self.status.in_doubt -= len(keys)
                self._acked_window.append((time.monotonic(), self.status.acked))
        self._maybe_write_status()

    def _deliver(self, batch: Sequence[SyntheticEvent], pause: Callable[[float], bool]) -> _Delivery:
        """Post until every event is acknowledged or the producer stops (the rest stays in doubt).

        Runs in a sender thread. ``pause(delay)`` sleeps between retries and says whether to give up.
        """
        delivery = _Delivery()
        pending = list(batch)
        attempt = 0
        while pending:
            if self._reroute.is_set():
                self._apply_routing()
            body = json.dumps({"events": [e.payload for e in pending]}).encode()
            outcomes = [client.post(body, len(pending)) for client in self._thread_clients()]
            failures = [o for o in outcomes if not o.ok]
            if failures:
                with self._lock:
                    self.status.errors += 1
                    self.status.last_error = failures[0].error
                refused = [o for o in failures if not o.retry]
                if refused:
                    log.error("batch refused, left in doubt: %s", refused[0].error)
                    return delivery
                if pause(RETRY_BACKOFF_S[min(attempt, len(RETRY_BACKOFF_S) - 1)]):
                    return delivery
                attempt += 1
                continue
            rejected = frozenset().union(*(o.failed for o in outcomes))
            acked = [e.event_key for i, e in enumerate(pending) if i not in rejected]
            delivery.acks.append((acked, time.time()))
            with self._lock:
                self.status.rejected += len(rejected)
            pending = [pending[i] for i in sorted(rejected)]
            if pending and pause(RETRY_BACKOFF_S[0]):
                return delivery
        return delivery

    def _thread_clients(self) -> list[IngestClient]:
        """This sender thread's connections for the current routing (rebuilt after a reroute)."""
        routing = self._routing
        if getattr(self._local, "routing", None) is not routing:
            for client in getattr(self._local, "clients", []):
                client.close()
            self._local.routing = routing
            timeout = self.config.request_timeout_s
            self._local.clients = [IngestClient(url, timeout, signer)
                                   for url, signer in zip(routing.api_urls, self._signers, strict=True)]
        clients: list[IngestClient] = self._local.clients
        return clients

    def _apply_routing(self) -> None:
        with self._lock:
            if not self._reroute.is_set():
                return  # another sender thread applied it
            self._reroute.clear()
            try:
                routing = load_routing(self.config.routing_file)
                signers = self._signers_for(routing)
            except (RoutingError, SigningError) as err:
                log.error("%s; keeping %s", err, ", ".join(self._routing.api_urls))
                return
            if routing != self._routing:
                self._routing, self._signers = routing, signers
                log.info("rerouted to %s", ", ".join(routing.api_urls))

    def _signers_for(self, routing: Routing) -> list[RequestSigner]:
        """One SigV4 signer per URL of ``routing`` (raises ``SigningError`` without a region)."""
        return [
            RequestSigner(self._credentials, signing_region(url, routing.region_of(i), self._default_region))
            for i, url in enumerate(routing.api_urls)
        ]

    def _maybe_write_status(self) -> None:
        if time.monotonic() - self._last_status >= STATUS_EVERY_S:
            self._write_status()

    def _write_status(self) -> None:
        """Atomic rewrite (temp file + rename) so a reader never sees half a document."""
        self._last_status = time.monotonic()
        with self._lock:
            window = [(t, n) for t, n in self._acked_window if self._last_status - t <= 10.0]
            if len(window) >= 2 and window[-1][0] > window[0][0]:
                (t0, n0), (t1, n1) = window[0], window[-1]
                self.status.rate_per_min = round((n1 - n0) / (t1 - t0) * 60.0, 1)
            self.status.api_urls = list(self._routing.api_urls)
            self.status.updated_at = time.time()
            document = json.dumps(asdict(self.status))
        tmp = self.status_path.with_name(self.status_path.name + ".tmp")
        tmp.write_text(document)
        os.replace(tmp, self.status_path)


def _halted(stop: threading.Event, delay: float, deadline: float) -> bool:
    """Wait up to ``delay`` (never past ``deadline``); True when the producer must stop."""
    remaining = deadline - time.monotonic()
    return stop.wait(max(0.0, min(delay, remaining))) or remaining <= delay


def main(argv: list[str] | None = None) -> int:
    config = config_from_cli(ProducerConfig, "drills.pipeline.producer", __doc__, argv)
    try:
        producer = Producer(config)
    except (RoutingError, SigningError) as err:
        raise SystemExit(str(err)) from None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGHUP, lambda *_: producer.request_reroute())
    status = producer.run(stop)
    log.info("stopped: sent %d, acked %d, in doubt %d, errors %d",
             status.sent, status.acked, status.in_doubt, status.errors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
