"""A drill that ended before loss could be measured records None with the reason, never 0."""

from contracts.journal import ZERO_LOSS, Phase, TimelineEvent
from drills.measure.measurements import measurements
from drills.measure.objectives import Objectives, evaluate


def test_aborted_drill_has_no_loss_figures_and_fails_zero_loss_as_not_measured() -> None:
    timeline = [TimelineEvent(phase=Phase.FAULT_INJECTED, t=100.0)]
    m = measurements(100.0, None, timeline, [], (), 0.08,
                     not_measured_reason="drill aborted: backlog not drained within 120 s")
    loss = m.loss
    assert (loss.acknowledged, loss.lost, loss.digest_mismatches, loss.in_doubt) == (None, None, None, None)
    assert loss.lost_or_changed is None and not loss.measured
    assert loss.not_measured == "drill aborted: backlog not drained within 120 s"
    zero_loss = {o.name: o for o in evaluate(m, Objectives())}[ZERO_LOSS]
    assert zero_loss.observed is None and not zero_loss.passed
    assert zero_loss.note == "not measured: drill aborted: backlog not drained within 120 s"
