"""Assemble the journal's ``Measurements`` from a loss result, the lag samples and t0 (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from contracts.journal import LagSample, LossDetail, Measurement, Measurements, TimelineEvent
from drills.measure.loss import LossResult
from drills.measure.rpo import agree, agreement_tolerance, rpo_data, rpo_metric
from drills.measure.rto import rto

#: The sample "at t0" may be this many sampling intervals old (one missed tick is tolerated).
MAX_SAMPLE_AGE_INTERVALS = 3


def measurements(
    t0: float | None, loss: LossResult | None, timeline: Sequence[TimelineEvent],
    samples: Sequence[LagSample], metric_sources: Sequence[str], sample_interval_s: float,
    not_measured_reason: str = "", fault_duration_s: float = 0.0,
) -> Measurements:
    """All figures of one drill. Anything that could not be taken is None with its reason.

    The lag "at t0" is the newest readable sample before t0, at most a few sampling intervals plus
    the fault action's own duration old: while the action runs (killing a region takes a moment),
    the dying side may already be unable to answer a probe.
    """
    if t0 is None or loss is None:
        reason = not_measured_reason or "drill ended before the fault was injected"
        empty = Measurement(value=None, unit="s", note=reason)
        return Measurements(
            rpo_data=empty, rpo_metric=empty, rto=rto(timeline) if t0 is not None else empty,
            rpo_agreement_tolerance_s=0.0, rpo_agree=None, rpo_agreement_note=f"not compared: {reason}",
            loss=LossDetail(method="not measured", not_measured=reason),
        )
    data = rpo_data(t0, loss)
    max_age = MAX_SAMPLE_AGE_INTERVALS * sample_interval_s + max(0.0, fault_duration_s)
    metric = rpo_metric(samples, t0, metric_sources, round(max_age, 3))
    tolerance = agreement_tolerance(sample_interval_s, loss.ack_latency_p99_s, data, metric.measurement)
    agreed, note = agree(data, metric.measurement, tolerance)
    return Measurements(
        rpo_data=data, rpo_metric=metric.measurement, rto=rto(timeline),
        rpo_agreement_tolerance_s=tolerance, rpo_agree=agreed, rpo_agreement_note=note, loss=loss.detail,
    )
