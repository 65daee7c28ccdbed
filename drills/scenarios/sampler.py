"""Background lag sampling at >= 10 Hz for the whole drill (one thread per metric).

One thread per source so a probe stuck on a dying engine cannot starve the other metric; a probe
that raises or times out yields a sample with ``lag_s=None`` (unreadable), never a made-up number.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from contracts.journal import LagSample

Probe = Callable[[], float | None]


class LagSampler:
    """Samples each named probe every ``interval_s`` until ``stop``; ``samples()`` is a snapshot."""

    def __init__(self, probes: dict[str, Probe], interval_s: float) -> None:
        self._probes = probes
        self._interval = interval_s
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._samples: list[LagSample] = []
        self._threads = [threading.Thread(target=self._loop, args=(name, probe), name=f"lag-{name}",
                                          daemon=True) for name, probe in probes.items()]

    def __enter__(self) -> LagSampler:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=10)

    def samples(self) -> list[LagSample]:
        with self._lock:
            return sorted(self._samples, key=lambda s: (s.source, s.t))

    def latest(self, source: str) -> LagSample | None:
        with self._lock:
            for s in reversed(self._samples):
                if s.source == source:
                    return s
        return None

    def _loop(self, name: str, probe: Probe) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            t = time.time()
            try:
                value = probe()
            except Exception:  # a dead engine is an unreadable sample, not a crashed drill
                value = None
            with self._lock:
                self._samples.append(LagSample(t=t, lag_s=value, source=name))
            next_at += self._interval
            delay = next_at - time.monotonic()
            if delay < 0:
                next_at = time.monotonic()
            self._stop.wait(max(0.0, delay))
