"""RPO two ways (DESIGN §5): from the data actually lost, and from the lag metrics at t0.

RPO (data) = t0 minus the oldest acknowledgement among lost (or digest-mismatched) events; 0 when
nothing acknowledged was lost.

RPO (metric) = what the monitoring said the exposure was at t0, read from the engines' own views and
never from the producer's ledger. The ingest acknowledgement is stream-level (Kinesis), so with
single-write ingest an event can be lost in two places: acknowledged into the dead region's stream
but not yet committed by its processor (consumer lag: age of the oldest record after the committed
checkpoint, the IteratorAge analogue), or committed into the dead writer but not yet received by the
DR database (replication lag, the AuroraGlobalDBRPOLag analogue). Single-write RPO (metric) is the
sum of both. With dual-write ingest the DR region's own stream holds every acknowledged event and the
DR processor replays it after promotion, so neither lag can turn into loss: the exposure is 0 (both
lags are still sampled and recorded).

Both lags are the age of the oldest exposed item (record or WAL byte), so a sample taken shortly
before t0 is carried forward to t0 (its exposure start, ``t - lag``, is unchanged unless the lag was
0). The agreement tolerance is derived from the sampling only: between the last sample and t0
(``MAX_GAP_INTERVALS`` sampling intervals at most) the processor or the replication may have moved
the exposure start forward, and the position history that turns WAL into seconds has one interval's
granularity inside that bound; so each summed lag is allowed that many intervals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contracts.journal import LagSample, Measurement
from drills.measure.lag import MAX_GAP_INTERVALS, of_source, sampled_before, value_at
from drills.measure.loss import LossResult

DB_LAG = "db_replication_lag"
CONSUMER_LAG = "consumer_lag"



@dataclass(frozen=True)
class MetricRpo:
    measurement: Measurement
    components: dict[str, float | None]


def exposure_sources(dual_ingest: bool) -> tuple[str, ...]:
    """Which lags can turn into loss when the primary region dies (see the module docstring)."""
    return () if dual_ingest else (DB_LAG, CONSUMER_LAG)


def rpo_data(t0: float, loss: LossResult) -> Measurement:
    """t0 - oldest t_ack among lost events; 0 when none was lost."""
    if loss.oldest_lost_ack is None:
        return Measurement(value=0.0, unit="s", note="no acknowledged event lost")
    return Measurement(
        value=round(max(0.0, t0 - loss.oldest_lost_ack), 3), unit="s",
        note=f"oldest lost event acknowledged {t0 - loss.oldest_lost_ack:.3f} s before t0",
    )


def rpo_metric(
    samples: Sequence[LagSample], t0: float, sources: Sequence[str], max_age_s: float,
    interval_s: float | None = None, carry_forward: bool = False,
) -> MetricRpo:
    """Sum of the ``sources`` lags observed at t0 (newest sample no older than ``max_age_s``).

    With ``interval_s``, each source must also have been sampled at its rate before t0
    (``sampled_before``); otherwise the metric is not measured. ``carry_forward`` ages each sample
    to t0 (``at_t0``): right for lags that date the oldest exposed item, as the drills' probes do.
    No sources means no lag exposes data (the writer and its stream survived, or dual ingest
    replays them): the metric is 0.
    """
    components: dict[str, float | None] = {}
    blind: list[str] = []
    for source in sources:
        series = of_source(samples, source)
        if interval_s is not None:
            ok, why = sampled_before(series, t0, interval_s)
            if not ok:
                blind.append(f"{source}: {why}")
        hit = value_at(series, t0, max_age_s)
        if hit is None or hit.lag_s is None:
            components[source] = None
        else:
            components[source] = at_t0(hit.lag_s, hit.t, t0) if carry_forward else hit.lag_s
    if blind:
        return MetricRpo(Measurement(value=None, unit="s", note="not measured: sampler below its rate ("
                                     + "; ".join(blind) + ")"), components)
    missing = [name for name, value in components.items() if value is None]
    if missing:
        return MetricRpo(Measurement(value=None, unit="s", note=f"no {', '.join(missing)} sample within "
                                     f"{max_age_s} s before t0"), components)
    if not sources:
        return MetricRpo(Measurement(value=0.0, unit="s", note="no lag exposes data: writer and stream "
                                     "survived, or dual ingest replays them"), components)
    total = sum(v for v in components.values() if v is not None)
    note = " + ".join(f"{name} {value:.3f} s" for name, value in components.items())
    return MetricRpo(Measurement(value=round(total, 3), unit="s", note=note), components)


def at_t0(lag_s: float, sampled_at: float, t0: float) -> float:
    """A lag sampled at ``sampled_at`` carried forward to t0: the exposed item it dates is still the
    oldest one, so its age grew by the time since; a lag of 0 (nothing exposed) stays 0."""
    return 0.0 if lag_s <= 0 else round(lag_s + max(0.0, t0 - sampled_at), 4)


def agreement_tolerance(sample_interval_s: float, summed_sources: int) -> tuple[float, str]:
    """How far apart RPO (data) and RPO (metric) may be and still agree, in seconds, and why.

    Each summed lag was sampled at most ``MAX_GAP_INTERVALS`` intervals before t0 (an older sample
    makes the metric not measured) and is carried forward to t0; in that window the exposure start
    may have moved by as much, and the position history resolving it has one interval's granularity
    inside that bound. A metric of 0 (nothing summed) gets one such allowance for the data side.
    """
    n = max(1, summed_sources)
    tolerance = round(n * MAX_GAP_INTERVALS * sample_interval_s, 3)
    return tolerance, f"{n} x {MAX_GAP_INTERVALS} sampling intervals of {sample_interval_s:g} s"


def agree(data: Measurement, metric: Measurement, tolerance_s: float, why: str = ""
          ) -> tuple[bool | None, str]:
    """Whether the two RPOs agree; None (with the reason) when either could not be measured."""
    if data.value is None or metric.value is None:
        return None, "not compared: " + (data.note if data.value is None else metric.note)
    diff = abs(data.value - metric.value)
    verdict = "agree" if diff <= tolerance_s else "disagree"
    return diff <= tolerance_s, (
        f"{verdict}: |{data.value:.3f} - {metric.value:.3f}| = {diff:.3f} s, tolerance {tolerance_s:.3f} s"
        + (f" ({why})" if why else "")
    )
