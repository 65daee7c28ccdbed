"""Turn a replication position gap into seconds with the writer's own position history (pure).

A replica's lag in bytes (WAL LSN, cache replication offset) says nothing about time. Sampled at
>= 10 Hz, the writer's position history says when the writer passed any position: the replica's lag
in seconds is how long ago the writer wrote the first byte the replica does not have yet. Between
two samples the position is interpolated (WAL and offsets grow about linearly over one interval), so
the granularity is one sampling interval at worst, which the agreement tolerance allows for.
"""

from __future__ import annotations

import bisect


class PositionClock:
    """The writer's (time, position) history, appended by the sampler; positions never decrease."""

    def __init__(self) -> None:
        self._times: list[float] = []
        self._positions: list[int] = []

    def record(self, t: float, position: int) -> None:
        if self._positions and position < self._positions[-1]:
            self._times.clear()          # a rebuilt writer starts its positions again
            self._positions.clear()
        self._times.append(t)
        self._positions.append(position)

    def lag_s(self, now: float, replica_position: int) -> float:
        """Seconds since the writer passed ``replica_position`` (0 when the replica has everything)."""
        if not self._positions or replica_position >= self._positions[-1]:
            return 0.0
        return round(max(0.0, now - self.passed_at(replica_position)), 4)

    def passed_at(self, position: int) -> float:
        """When the writer wrote the first byte after ``position``: interpolated between the two
        samples that bracket it, or the oldest sample when the history starts after it."""
        i = bisect.bisect_right(self._positions, position)
        if i == 0:
            return self._times[0]
        if i >= len(self._positions):
            return self._times[-1]
        p0, p1 = self._positions[i - 1], self._positions[i]
        t0, t1 = self._times[i - 1], self._times[i]
        return t0 + (position - p0) / (p1 - p0) * (t1 - t0)
