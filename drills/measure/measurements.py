"""Assemble the journal's ``Measurements`` from a loss result, the lag samples and t0 (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from contracts.journal import LagSample, LossDetail, Measurement, Measurements, TimelineEvent
from drills.measure.lag import MAX_GAP_INTERVALS
from drills.measure.loss import LossResult
from drills.measure.rpo import agree, agreement_tolerance, rpo_data, rpo_metric
from drills.measure.rto import rto


def measurements(
    t0: float | None, loss: LossResult | None, timeline: Sequence[TimelineEvent],
    samples: Sequence[LagSample], metric_sources: Sequence[str], sample_interval_s: float,
    not_measured_reason: str = "", fault_duration_s: float = 0.0, metric_at: float | None = None,
) -> Measurements:
    """All figures of one drill. Anything that could not be taken is None with its reason.

    The lag "at t0" is the newest readable sample before t0, at most ``MAX_GAP_INTERVALS`` sampling
    intervals old, each metric sampled at its rate before t0 (else "not measured"). ``metric_at``
    reads the metric at another instant than t0 (a switchover's exposure is the lag left when the
    writer changes, not when the handover started).
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
    max_age = round(MAX_GAP_INTERVALS * sample_interval_s, 3)
    at = t0 if metric_at is None else metric_at
    metric = rpo_metric(samples, at, metric_sources, max_age, interval_s=sample_interval_s,
                        carry_forward=True)
    tolerance, why = agreement_tolerance(sample_interval_s, len(metric_sources))
    agreed, note = agree(data, metric.measurement, tolerance, why)
    return Measurements(
        rpo_data=data, rpo_metric=metric.measurement, rto=rto(timeline),
        rpo_agreement_tolerance_s=tolerance, rpo_agree=agreed, rpo_agreement_note=note, loss=loss.detail,
    )
