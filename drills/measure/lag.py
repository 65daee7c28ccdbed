"""Lag time series: sampling quality, the value observed at an instant, and a plottable series.

Samples are ``contracts.journal.LagSample``; ``source`` names the metric. Pure functions only, so the
figures can be recomputed from a saved journal.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from contracts.journal import LagSample

#: DESIGN §5: replication lag is sampled at >= 10 Hz through the whole drill.
MIN_RATE_HZ = 10.0
#: Oldest the last sample before t0 may be (in sampling intervals; one missed tick): it decides the
#: value at t0, and the agreement tolerance allows for it.
MAX_GAP_INTERVALS = 2
#: Largest gap between two samples inside the window before t0 (in sampling intervals): a busy
#: machine may stall a probe for a moment, but the rate over the window must still hold.
MAX_STALL_INTERVALS = 4
#: The stretch before t0 over which a metric's sampling must hold its rate and gap: the samples
#: that decide the value "at t0" and the LSN/offset history it is read against.
RATE_WINDOW_S = 2.0


@dataclass(frozen=True)
class SamplingQuality:
    count: int
    rate_hz: float | None
    max_gap_s: float | None

    @property
    def meets_minimum(self) -> bool:
        """At least 10 Hz on average. One slow probe (a dying engine) is visible in ``max_gap_s``."""
        return self.rate_hz is not None and self.rate_hz >= MIN_RATE_HZ


def of_source(samples: Sequence[LagSample], source: str) -> list[LagSample]:
    return sorted((s for s in samples if s.source == source), key=lambda s: s.t)


def sampling_quality(samples: Sequence[LagSample]) -> SamplingQuality:
    """Average rate and worst gap over the samples of one source."""
    ts = sorted(s.t for s in samples)
    if len(ts) < 2:
        return SamplingQuality(len(ts), None, None)
    span = ts[-1] - ts[0]
    gaps = [b - a for a, b in itertools.pairwise(ts)]
    rate = (len(ts) - 1) / span if span > 0 else None
    return SamplingQuality(len(ts), rate, max(gaps))


def sampled_before(samples: Sequence[LagSample], t0: float, interval_s: float) -> tuple[bool, str]:
    """Whether one source was sampled well enough before ``t0`` to state its value there.

    Over the ``RATE_WINDOW_S`` before t0 the source must have kept >= ``MIN_RATE_HZ`` readable
    samples, no gap between two of them above ``MAX_STALL_INTERVALS`` intervals, and its last one
    at most ``MAX_GAP_INTERVALS`` intervals before t0. A sampler that stopped, slowed down or read
    nothing is "not measured", never a value.
    """
    ts = sorted(s.t for s in samples if s.lag_s is not None and t0 - RATE_WINDOW_S <= s.t <= t0)
    if len(ts) < 2:
        return False, f"{len(ts)} readable samples in the {RATE_WINDOW_S:g} s before t0"
    rate = len(ts) / RATE_WINDOW_S
    stall = max(b - a for a, b in itertools.pairwise(ts))
    age = t0 - ts[-1]
    if rate < MIN_RATE_HZ:
        return False, f"{rate:.1f} Hz in the {RATE_WINDOW_S:g} s before t0, below {MIN_RATE_HZ:g} Hz"
    if stall > MAX_STALL_INTERVALS * interval_s:
        return False, (f"a {stall:.3f} s gap in the {RATE_WINDOW_S:g} s before t0 (allowed "
                       f"{MAX_STALL_INTERVALS * interval_s:.3f} s)")
    if age > MAX_GAP_INTERVALS * interval_s:
        return False, f"last sample {age:.3f} s before t0 (allowed {MAX_GAP_INTERVALS * interval_s:.3f} s)"
    return True, f"{rate:.1f} Hz, max gap {stall:.3f} s, last sample {age:.3f} s before t0"


def value_at(samples: Sequence[LagSample], t: float, max_age_s: float) -> LagSample | None:
    """The newest readable sample taken at or before ``t`` and at most ``max_age_s`` old.

    After t0 the dead side can no longer report, so only samples up to t0 describe the lag "at t0".
    """
    best: LagSample | None = None
    for s in samples:
        if s.t <= t and s.lag_s is not None and t - s.t <= max_age_s and (best is None or s.t > best.t):
            best = s
    return best


def plot_series(samples: Sequence[LagSample], t0: float | None, max_points: int = 400) -> list[list[float]]:
    """``[[t - t0, lag_s], ...]`` thinned to ``max_points`` (keeping each bucket's maximum, so spikes
    stay visible), for the Dagster UI and the report's chart."""
    readable = [s for s in sorted(samples, key=lambda s: s.t) if s.lag_s is not None]
    if not readable:
        return []
    origin = t0 if t0 is not None else readable[0].t
    step = max(1, -(-len(readable) // max_points))
    out: list[list[float]] = []
    for i in range(0, len(readable), step):
        bucket = readable[i : i + step]
        peak = max(bucket, key=lambda s: s.lag_s or 0.0)
        out.append([round(peak.t - origin, 3), round(peak.lag_s or 0.0, 4)])
    return out
