"""RTO and the phase timeline (DESIGN §5): t0 is the instant the fault action completed."""

from __future__ import annotations

from collections.abc import Sequence

from contracts.journal import Measurement, Phase, TimelineEvent


def phase_time(timeline: Sequence[TimelineEvent], phase: Phase) -> float | None:
    """First time ``phase`` was reached, or None."""
    times = [e.t for e in timeline if e.phase == phase]
    return min(times) if times else None


def rto(timeline: Sequence[TimelineEvent]) -> Measurement:
    """t0 → the first event acknowledged after t0 is readable from the new writer."""
    t0 = phase_time(timeline, Phase.FAULT_INJECTED)
    t_ok = phase_time(timeline, Phase.FIRST_ACK_WRITE_READABLE)
    if t0 is None:
        return Measurement(value=None, unit="s", note="no fault was injected")
    if t_ok is None:
        return Measurement(value=None, unit="s", note="no event acknowledged after t0 became readable")
    return Measurement(value=round(t_ok - t0, 3), unit="s")


def phase_offsets(timeline: Sequence[TimelineEvent]) -> dict[str, float]:
    """Seconds from t0 to each phase (negative before t0), first occurrence of each."""
    t0 = phase_time(timeline, Phase.FAULT_INJECTED)
    if t0 is None:
        return {}
    out: dict[str, float] = {}
    for e in sorted(timeline, key=lambda e: e.t):
        out.setdefault(e.phase.value, round(e.t - t0, 3))
    return out
