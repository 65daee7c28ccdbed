"""The drill's clock: wall time for the evidence, monotonic time for waits, and periodic work.

Everything in a drill that reads the time, waits or runs something periodically (the lag sampler,
the session writer) goes through a ``Clock``, so a test can run a whole drill on a manual clock in
milliseconds and always in the same order. ``SYSTEM_CLOCK`` is the real one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol


class Ticker(Protocol):
    def stop(self) -> None:
        """Stop calling the tick (and wait for a running one to finish)."""
        ...


class Clock(Protocol):
    def time(self) -> float:
        """Unix epoch seconds (what the journal records)."""
        ...

    def monotonic(self) -> float:
        """Seconds for measuring waits."""
        ...

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """Wait ``seconds`` or until ``stop`` is set; whether it is set."""
        ...

    def every(self, interval_s: float, tick: Callable[[], None], name: str) -> Ticker:
        """Call ``tick`` every ``interval_s`` (first call now) until the returned ticker is stopped."""
        ...


class _ThreadTicker:
    """``tick`` in its own daemon thread at a fixed rate; a late tick does not make the next ones bunch up."""

    def __init__(self, interval_s: float, tick: Callable[[], None], name: str) -> None:
        self._interval, self._tick = interval_s, tick
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            self._tick()
            next_at += self._interval
            delay = next_at - time.monotonic()
            if delay < 0:
                next_at = time.monotonic()
            self._stop.wait(max(0.0, delay))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


class SystemClock:
    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        return stop.wait(max(0.0, seconds))

    def every(self, interval_s: float, tick: Callable[[], None], name: str) -> Ticker:
        return _ThreadTicker(interval_s, tick, name)


SYSTEM_CLOCK: Clock = SystemClock()
