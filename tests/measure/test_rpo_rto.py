"""RPO (data / metric), their agreement, RTO and the phase timeline, from hand-made evidence."""

from contracts.events import LedgerRow
from contracts.journal import LagSample, Measurement, Phase, TimelineEvent
from drills.measure.lag import plot_series, sampling_quality, value_at
from drills.measure.loss import measure_loss
from drills.measure.rpo import (
    CONSUMER_LAG,
    DB_LAG,
    agree,
    agreement_tolerance,
    exposure_sources,
    rpo_data,
    rpo_metric,
)
from drills.measure.rto import phase_offsets, rto


def _series(source: str, start: float, n: int, step: float, lag: float) -> list[LagSample]:
    return [LagSample(t=start + i * step, lag_s=lag, source=source) for i in range(n)]


def _metric(samples: list[LagSample], max_age_s: float) -> Measurement:
    return rpo_metric(samples, t0=100.0, sources=(DB_LAG,), max_age_s=max_age_s, interval_s=0.08).measurement


def test_rpo_data_is_t0_minus_oldest_lost_ack() -> None:
    ledger = [LedgerRow(i, 1, 99.0 + i * 0.1, 99.0 + i * 0.1) for i in range(20)]
    store = {r.event_key: 1 for r in ledger[:15]}     # the last 5 (acked 100.5 .. 100.9) are lost
    loss = measure_loss(ledger, store)
    assert rpo_data(101.0, loss).value == 0.5
    assert rpo_data(101.0, measure_loss(ledger[:15], store)).value == 0.0


def test_rpo_metric_sums_both_lags_for_single_write_and_none_for_dual_write() -> None:
    samples = _series(DB_LAG, 90.0, 100, 0.1, 0.2) + _series(CONSUMER_LAG, 90.0, 100, 0.1, 0.3)
    single = rpo_metric(samples, t0=100.0, sources=exposure_sources(False), max_age_s=0.5,
                        carry_forward=True)
    # the last samples before t0 (99.9) are carried forward to t0: each exposure aged 0.1 s more
    assert single.measurement.value == 0.7 and single.components == {DB_LAG: 0.3, CONSUMER_LAG: 0.4}
    # dual-write: the DR stream holds every acknowledged event and is replayed: no lag is exposure
    dual = rpo_metric(samples, t0=100.0, sources=exposure_sources(True), max_age_s=0.5).measurement
    assert exposure_sources(True) == () and dual.value == 0.0 and "dual ingest" in dual.note


def test_a_blinded_sampler_makes_the_metric_not_measured_and_fails_agreement() -> None:
    # sampled at 12.5 Hz until 98.0, then the sampler stopped: t0 at 100.0
    samples = _series(DB_LAG, 90.0, 101, 0.08, 0.0) + _series(CONSUMER_LAG, 90.0, 101, 0.08, 0.0)
    blind = rpo_metric(samples, t0=100.0, sources=exposure_sources(False), max_age_s=0.16, interval_s=0.08)
    assert blind.measurement.value is None and "not measured" in blind.measurement.note
    data = Measurement(value=1.5, unit="s")
    ok, note = agree(data, blind.measurement, agreement_tolerance(0.08, 2)[0])
    assert ok is None and "not measured" in note
    # slowed to 5 Hz right up to t0: below its rate, never a value
    slow = _series(DB_LAG, 90.0, 51, 0.2, 0.0)
    assert _metric(slow, 0.5).value is None
    # the same series sampled at 12.5 Hz up to t0 is measured
    fresh = _series(DB_LAG, 90.0, 126, 0.08, 0.4)      # last sample at 100.0
    assert _metric(fresh, 0.16).value == 0.4


def test_rpo_metric_not_measured_without_fresh_sample() -> None:
    samples = _series(DB_LAG, 90.0, 5, 0.1, 0.2)        # last sample at 90.4, t0 at 100
    m = rpo_metric(samples, t0=100.0, sources=(DB_LAG,), max_age_s=0.5).measurement
    assert m.value is None and f"no {DB_LAG} sample" in m.note


def test_value_at_ignores_samples_after_t0() -> None:
    samples = [LagSample(t=9.95, lag_s=1.0, source=DB_LAG), LagSample(t=10.05, lag_s=50.0, source=DB_LAG)]
    hit = value_at(samples, 10.0, 0.5)
    assert hit is not None and hit.lag_s == 1.0


def test_agreement_tolerance_comes_from_the_sampling_interval_only() -> None:
    tolerance, why = agreement_tolerance(0.08, 2)
    assert tolerance == 0.32 and "2 x 2 sampling intervals of 0.08 s" in why
    assert agreement_tolerance(0.08, 0)[0] == agreement_tolerance(0.08, 1)[0] == 0.16
    data, close, zero = Measurement(value=1.0, unit="s"), Measurement(value=1.2, unit="s"), \
        Measurement(value=0.0, unit="s")
    assert agree(data, close, tolerance)[0] is True
    # a metric of zero cannot agree with a second of lost data (the old tolerance let ~0.4 s pass)
    ok, note = agree(data, zero, tolerance)
    assert ok is False and note.startswith("disagree")
    none, why = agree(data, Measurement(value=None, unit="s", note="probe down"), 1.0)
    assert none is None and "probe down" in why


def test_sampling_quality_and_plot_series() -> None:
    samples = [*_series(DB_LAG, 0.0, 101, 0.1, 0.1), LagSample(t=10.05, lag_s=9.0, source=DB_LAG)]
    q = sampling_quality(samples)
    assert q.meets_minimum and q.rate_hz is not None and q.rate_hz > 10
    slow = sampling_quality(_series(DB_LAG, 0.0, 11, 0.5, 0.1))
    assert not slow.meets_minimum and slow.max_gap_s == 0.5
    plot = plot_series(samples, t0=5.0, max_points=20)
    assert len(plot) <= 20 and plot[0][0] == -5.0
    assert max(p[1] for p in plot) == 9.0                 # the spike survives thinning


def test_rto_and_phase_offsets() -> None:
    tl = [TimelineEvent(phase=Phase.LOAD_STARTED, t=90.0), TimelineEvent(phase=Phase.FAULT_INJECTED, t=100.0),
          TimelineEvent(phase=Phase.DETECTED, t=100.4), TimelineEvent(phase=Phase.FIRST_ACK_WRITE_READABLE,
                                                                       t=103.25)]
    assert rto(tl).value == 3.25
    assert phase_offsets(tl) == {"load_started": -10.0, "fault_injected": 0.0, "detected": 0.4,
                                 "first_ack_write_readable": 3.25}
    assert rto(tl[:3]).value is None and "readable" in rto(tl[:3]).note
    assert rto([]).value is None
