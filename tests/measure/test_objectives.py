"""Objective evaluation: pass, fail and not-measured."""

from contracts.journal import OBJECTIVES, LossDetail, Measurement, Measurements
from drills.measure.objectives import Objectives, evaluate


def _m(rpo: float | None, rto: float | None, lost: int, agree: bool | None) -> Measurements:
    return Measurements(
        rpo_data=Measurement(value=rpo, unit="s", note="" if rpo is not None else "no data"),
        rpo_metric=Measurement(value=rpo, unit="s"),
        rto=Measurement(value=rto, unit="s", note="" if rto is not None else "never readable"),
        rpo_agreement_tolerance_s=0.5, rpo_agree=agree, rpo_agreement_note="n",
        loss=LossDetail(acknowledged=100, lost=lost, digest_mismatches=0, in_doubt=2, method="m"),
    )


def test_all_pass() -> None:
    results = evaluate(_m(0.0, 4.0, 0, True), Objectives())
    assert [r.name for r in results] == list(OBJECTIVES) and all(r.passed for r in results)
    assert results[1].threshold == 3600.0 and results[1].unit == "s"


def test_failures_and_not_measured() -> None:
    results = {r.name: r for r in evaluate(_m(None, 5.0, 3, None), Objectives(rto_s=1.0))}
    assert not results["rpo_within_objective"].passed
    assert results["rpo_within_objective"].note.startswith("not measured")
    assert not results["rto_within_objective"].passed and results["rto_within_objective"].observed == 5.0
    assert not results["zero_acknowledged_loss"].passed and results["zero_acknowledged_loss"].observed == 3
    assert not results["rpo_metric_agrees_with_data"].passed
