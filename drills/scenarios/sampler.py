"""Background lag sampling at >= 10 Hz for the whole drill (one ticker per metric).

One ticker (a thread on the system clock) per source so a probe stuck on a dying engine cannot
starve the other metric; a probe that raises or times out yields a sample with ``lag_s=None``
(unreadable), never a made-up number.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from contracts.journal import LagSample
from drills.clock import SYSTEM_CLOCK, Clock, Ticker

Probe = Callable[[], float | None]


class LagSampler:
    """Samples each named probe every ``interval_s`` while entered; ``samples()`` is a snapshot."""

    def __init__(self, probes: dict[str, Probe], interval_s: float, clock: Clock = SYSTEM_CLOCK) -> None:
        self._probes = probes
        self._interval = interval_s
        self._clock = clock
        self._lock = threading.Lock()
        self._samples: list[LagSample] = []
        self._tickers: list[Ticker] = []

    def __enter__(self) -> LagSampler:
        self._tickers = [self._clock.every(self._interval, self._sampler(name, probe), f"lag-{name}")
                         for name, probe in self._probes.items()]
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stop(self) -> None:
        for ticker in self._tickers:
            ticker.stop()
        self._tickers = []

    def samples(self) -> list[LagSample]:
        with self._lock:
            return sorted(self._samples, key=lambda s: (s.source, s.t))

    def latest(self, source: str) -> LagSample | None:
        with self._lock:
            for s in reversed(self._samples):
                if s.source == source:
                    return s
        return None

    def _sampler(self, name: str, probe: Probe) -> Callable[[], None]:
        def sample() -> None:
            t = self._clock.time()
            try:
                value = probe()
            except Exception:  # a dead engine is an unreadable sample, not a crashed drill
                value = None
            with self._lock:
                self._samples.append(LagSample(t=t, lag_s=value, source=name))
        return sample
