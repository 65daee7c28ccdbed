"""RPO two ways (DESIGN §5): from the data actually lost, and from the lag metrics at t0.

RPO (data) = t0 minus the oldest acknowledgement among lost (or digest-mismatched) events; 0 when
nothing acknowledged was lost.

RPO (metric) = what the monitoring said the exposure was at t0. The ingest acknowledgement is
stream-level (Kinesis), so with single-write ingest an event can be lost in two places: acknowledged
into the dead region's stream but not yet processed (consumer lag, the IteratorAge analogue), or
processed into the dead writer but not yet replicated (DB replication lag, the AuroraGlobalDBRPOLag
analogue). Single-write RPO (metric) is therefore the sum of both. With dual-write ingest the DR
region's own stream holds every acknowledged event, so only the DB component can turn into loss and
the metric is the DB lag alone (the consumer lag is still recorded).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contracts.journal import LagSample, Measurement
from drills.measure.lag import of_source, value_at
from drills.measure.loss import LossResult

DB_LAG = "db_replication_lag"
CONSUMER_LAG = "consumer_lag"

#: Lag metrics are a sawtooth at the granularity of processor batches and commits; the loss window
#: is measured on the other side of that sawtooth, so part of the tolerance scales with the value.
RELATIVE_TOLERANCE = 0.25


@dataclass(frozen=True)
class MetricRpo:
    measurement: Measurement
    components: dict[str, float | None]


def exposure_sources(dual_ingest: bool) -> tuple[str, ...]:
    """Which lags can turn into loss when the primary region dies (see the module docstring)."""
    return (DB_LAG,) if dual_ingest else (DB_LAG, CONSUMER_LAG)


def rpo_data(t0: float, loss: LossResult) -> Measurement:
    """t0 - oldest t_ack among lost events; 0 when none was lost."""
    if loss.oldest_lost_ack is None:
        return Measurement(value=0.0, unit="s", note="no acknowledged event lost")
    return Measurement(
        value=round(max(0.0, t0 - loss.oldest_lost_ack), 3), unit="s",
        note=f"oldest lost event acknowledged {t0 - loss.oldest_lost_ack:.3f} s before t0",
    )


def rpo_metric(
    samples: Sequence[LagSample], t0: float, sources: Sequence[str], max_age_s: float
) -> MetricRpo:
    """Sum of the ``sources`` lags observed at t0 (newest sample no older than ``max_age_s``).

    No sources means no lag exposes data (the writer and its stream survived): the metric is 0.
    """
    components: dict[str, float | None] = {}
    for source in sources:
        hit = value_at(of_source(samples, source), t0, max_age_s)
        components[source] = hit.lag_s if hit else None
    missing = [name for name, value in components.items() if value is None]
    if missing:
        return MetricRpo(Measurement(value=None, unit="s", note=f"no {', '.join(missing)} sample within "
                                     f"{max_age_s} s before t0"), components)
    if not sources:
        return MetricRpo(Measurement(value=0.0, unit="s", note="no lag exposes data: writer and stream "
                                     "survived"), components)
    total = sum(v for v in components.values() if v is not None)
    note = " + ".join(f"{name} {value:.3f} s" for name, value in components.items())
    return MetricRpo(Measurement(value=round(total, 3), unit="s", note=note), components)


def agreement_tolerance(
    sample_interval_s: float, ack_latency_p99_s: float | None, data: Measurement, metric: Measurement
) -> float:
    """How far apart RPO (data) and RPO (metric) may be and still agree, in seconds.

    - 3 sampling intervals: the sample "at t0" can be up to one interval old, and each lag probe
      itself is read over a round trip that can take another interval under load;
    - the p99 acknowledgement latency: t_ack is stamped when the producer hears back, which is
      that much later than the commit the lag metric counts from;
    - ``RELATIVE_TOLERANCE`` of the larger value: lag is a sawtooth at batch/commit granularity.
    """
    larger = max(data.value or 0.0, metric.value or 0.0)
    return round(3 * sample_interval_s + (ack_latency_p99_s or 0.0) + RELATIVE_TOLERANCE * larger, 3)


def agree(data: Measurement, metric: Measurement, tolerance_s: float) -> tuple[bool | None, str]:
    """Whether the two RPOs agree; None (with the reason) when either could not be measured."""
    if data.value is None or metric.value is None:
        return None, "not compared: " + (data.note if data.value is None else metric.note)
    diff = abs(data.value - metric.value)
    verdict = "agree" if diff <= tolerance_s else "disagree"
    return diff <= tolerance_s, (
        f"{verdict}: |{data.value:.3f} - {metric.value:.3f}| = {diff:.3f} s, tolerance {tolerance_s:.3f} s"
    )
