"""A clock that moves only when the drill waits: a whole drill runs in milliseconds, in one thread,
the same way every time. Periodic work (lag sampler, session writer, the fake world) runs inside
``wait`` at each instant it falls due, in the order it was registered."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

START = 1_767_225_600.0  # 2026-01-01T00:00:00Z


@dataclass
class _Tick:
    interval_s: float
    tick: Callable[[], None]
    next_at: float
    stopped: bool = False

    def stop(self) -> None:
        self.stopped = True


class ManualClock:
    def __init__(self, start: float = START) -> None:
        self.now = start
        self._ticks: list[_Tick] = []

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now - START

    def every(self, interval_s: float, tick: Callable[[], None], name: str) -> _Tick:
        ticker = _Tick(interval_s, tick, self.now)
        self._ticks.append(ticker)
        tick()
        ticker.next_at = self.now + interval_s
        return ticker

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        self.advance(max(seconds, 1e-3))
        return stop.is_set()

    def advance(self, seconds: float) -> None:
        """Move time forward, running every tick that falls due on the way, earliest first."""
        end = self.now + seconds
        while True:
            live = [t for t in self._ticks if not t.stopped]
            self._ticks = live
            due = min(live, key=lambda t: t.next_at, default=None)
            if due is None or due.next_at > end:
                break
            self.now = max(self.now, due.next_at)
            due.next_at += due.interval_s
            due.tick()
        self.now = end
