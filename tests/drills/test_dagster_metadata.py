"""The drill asset and its objective checks carry numbers Dagster can plot across runs.

Dagster graphs only numeric metadata (``FloatMetadataValue`` / ``IntMetadataValue``); a figure that was
not measured must be absent from the numbers (never a 0 that plots as a perfect drill) and named.
"""

from __future__ import annotations

from dagster import FloatMetadataValue, IntMetadataValue

from benchmarks.evidence_samples import make_journal
from contracts.journal import OBJECTIVES, DrillJournal, LossDetail, Status
from drills.defs.check_results import check_results, materialization_metadata
from drills.measure.objectives import Objectives, evaluate


def _unmeasured() -> DrillJournal:
    """A drill aborted before recovery: no RTO, no loss figures."""
    journal = make_journal(2, rto_s=None)
    m = journal.measurements.model_copy(update={"loss": LossDetail(not_measured="backlog never drained")})
    return journal.model_copy(update={"measurements": m, "objectives": evaluate(m, Objectives()),
                                      "status": Status.ABORTED})


def test_drill_asset_metadata_is_numeric_with_units() -> None:
    journal = make_journal(1, lost=3, rto_s=12.5, rpo_s=0.4)
    meta = materialization_metadata(journal, "/tmp/j.json")
    m = journal.measurements
    floats = {"rpo_data_s": m.rpo_data.value, "rpo_metric_s": m.rpo_metric.value, "rto_s": 12.5}
    for key, expected in floats.items():
        assert isinstance(meta[key], FloatMetadataValue), key
        assert meta[key].value == expected, key
    counts = {"lost_events": 3, "acknowledged_events": m.loss.acknowledged,
              "in_doubt_events": m.loss.in_doubt, "lost_or_changed_events": 3}
    for key, expected in counts.items():
        assert isinstance(meta[key], IntMetadataValue), key
        assert meta[key].value == expected, key
    assert meta["not_measured"] == "-"


def test_every_objective_check_plots_observed_and_threshold() -> None:
    journal = make_journal(1, lost=0, rto_s=12.5)
    results = {r.check_name: r for r in check_results(journal)}
    for objective in journal.objectives:
        meta = results[objective.name].metadata
        observed, threshold = meta[f"observed_{objective.unit}"], meta[f"threshold_{objective.unit}"]
        assert isinstance(observed, FloatMetadataValue) and isinstance(threshold, FloatMetadataValue)
        assert observed.value == objective.observed and threshold.value == objective.threshold
    assert {o.name for o in journal.objectives} == set(OBJECTIVES)
    assert results["rto_within_objective"].metadata["observed_s"].value == 12.5
    assert results["zero_acknowledged_loss"].metadata["observed_events"].value == 0.0


def test_a_figure_not_measured_is_never_plotted_as_zero() -> None:
    journal = _unmeasured()
    meta = materialization_metadata(journal, "/tmp/j.json")
    for key in ("rto_s", "lost_events", "acknowledged_events", "in_doubt_events", "lost_or_changed_events"):
        assert key not in meta, key
        assert key in meta["not_measured"], key
    assert isinstance(meta["rpo_metric_s"], FloatMetadataValue)  # what was measured is still plotted
    results = {r.check_name: r for r in check_results(journal)}
    rto = results["rto_within_objective"].metadata
    assert "observed_s" not in rto and rto["observed"].value == "not measured"
    assert isinstance(rto["threshold_s"], FloatMetadataValue)
    assert "observed_events" not in results["zero_acknowledged_loss"].metadata
