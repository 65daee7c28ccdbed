"""The producer (device simulator) process of one drill, shared by every target.

The target says where each region's ingest API is; a run writes the routing file (one URL for single
ingest, every region's for dual), the ``ProducerConfig`` and starts ``python -m
drills.pipeline.producer`` in its own session through a ``ProcessTable`` (the sandbox's, so ``sandbox
down`` stops it too, or one of the drill's work directory). The producer resolves its AWS credentials
itself from the standard chain of its environment: none is ever put on its command line.
``repoint`` is the DNS/endpoint switch of a failover: the routing file is rewritten, then SIGHUP makes
the producer re-read it before its next POST. ``stop`` waits until the process has exited, i.e. until
every in-flight batch is settled in the ledger.
"""

from __future__ import annotations

import json
import math
import signal
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from drills.pipeline.config import ProducerConfig
from drills.targets.local.process import ProcessTable
from drills.targets.values import IngestMode, LoadSpec, LoadStats, Rollback

PRODUCER = "producer"
#: How often the drill producer posts a batch (see ``batch_size``).
BATCH_INTERVAL_S = 0.05
#: A stopping producer settles its in-flight batches within this; after it, it is killed.
STOP_GRACE_S = 10.0


class ProducerRun:
    """The producer of one drill: ``api_urls`` maps each region name to its ingest API URL, the
    primary region first (single ingest writes to it only). ``env`` makes the producer's environment
    when it starts (None: this process's own); ``cwd`` its working directory (None: this process's, then)."""

    def __init__(self, work_dir: Path, table: ProcessTable, api_urls: Mapping[str, str],
                 env: Callable[[], Mapping[str, str]] | None = None, cwd: Path | None = None) -> None:
        if not api_urls:
            raise ValueError("api_urls: the producer needs at least one region's ingest API URL")
        self._work = work_dir
        self._table = table
        self._api_urls = dict(api_urls)
        self._env = env
        self._cwd = cwd
        self._ledger: Path | None = None
        self._status: Path | None = None

    @property
    def routing_file(self) -> Path:
        return self._work / "routing.json"

    def start(self, load: LoadSpec) -> Rollback:
        """Start the producer; a new ledger unless ``load.resume`` continues the previous one."""
        self._work.mkdir(parents=True, exist_ok=True)
        stamp = f"{time.time():.3f}"
        if not load.resume or self._ledger is None:
            self._ledger = self._work / f"ledger-{stamp}.sqlite"
        self._status = self._work / f"producer-{stamp}.status.json"
        regions = list(self._api_urls)
        self.write_routing(regions[:1] if load.ingest is IngestMode.SINGLE else regions)
        config = ProducerConfig(rate_per_min=load.rate_per_min, devices=load.devices,
                                batch_size=batch_size(load.rate_per_min), routing_file=self.routing_file,
                                ledger_path=self._ledger, status_path=self._status)
        path = self._work / "producer.json"
        path.write_text(config.model_dump_json())
        self._table.spawn(PRODUCER, [sys.executable, "-m", "drills.pipeline.producer", "--config", str(path)],
                          env=None if self._env is None else dict(self._env()), cwd=self._cwd)
        return Rollback("start_load", "stop the producer", self.stop)

    def stop(self) -> None:
        """SIGTERM, then wait until the producer exited (its ledger is complete)."""
        self._table.stop({PRODUCER: signal.SIGTERM}, grace_s=STOP_GRACE_S)

    def running(self) -> bool:
        return self._table.pid(PRODUCER) is not None

    def stats(self) -> LoadStats:
        """Counters from the producer's status file (zeros before any load or when unreadable)."""
        if self._status is None or not self._status.exists():
            return LoadStats()
        try:
            data = json.loads(self._status.read_text())
        except (OSError, ValueError):
            return LoadStats()
        return LoadStats(sent=int(data.get("sent", 0)), acknowledged=int(data.get("acked", 0)),
                         errors=int(data.get("errors", 0)),
                         extra={"rate_per_min": float(data.get("rate_per_min", 0.0))})

    def ledger_path(self) -> Path | None:
        return self._ledger

    def routed_regions(self) -> list[str]:
        """The regions the routing file currently sends to (empty before any load)."""
        try:
            return list(json.loads(self.routing_file.read_text()).get("regions", []))
        except (OSError, ValueError):
            return []

    def repoint(self, region: str) -> None:
        """Route every later POST to ``region`` only and tell a running producer (SIGHUP)."""
        self.write_routing([region])
        self._table.send(PRODUCER, signal.SIGHUP)

    def write_routing(self, regions: list[str]) -> None:
        """Atomic rewrite of the routing file (a producer never reads half of it)."""
        unknown = [r for r in regions if r not in self._api_urls]
        if unknown:
            known = ", ".join(self._api_urls)
            raise ValueError(f"region {unknown[0]!r} has no ingest API: use one of {known}")
        self._work.mkdir(parents=True, exist_ok=True)
        tmp = self.routing_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"api_urls": [self._api_urls[r] for r in regions], "regions": regions}))
        tmp.replace(self.routing_file)

    def forget(self) -> None:
        """Drop the ledger and status of earlier loads (the target was rebuilt)."""
        self._ledger = self._status = None


def batch_size(rate_per_min: int) -> int:
    """Events per POST so that a batch leaves every ``BATCH_INTERVAL_S``: a device fleet posts
    continuously. With 0.2 s bursts (the producer's default) the processor often empties the stream
    between bursts, so whether an async outage loses anything would depend on where in the burst
    cycle the kill lands rather than on the replication and consumer lag being measured."""
    return max(1, min(500, math.ceil(rate_per_min / 60.0 * BATCH_INTERVAL_S)))
