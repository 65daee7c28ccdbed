"""The verdict from the facts alone: precedence and one reason per failed fact."""

from __future__ import annotations

from contracts.journal import (
    CHECKSUM_PROOF,
    ComponentState,
    IntegrityResult,
    LossDetail,
    ObjectiveResult,
    Status,
    SteadyState,
)
from contracts.store_validation import VALIDATION_NOTE
from drills.measure.verdict import STEADY_STATE_NOTE, judge

OK = ObjectiveResult(name="rto_within_objective", observed=5.0, threshold=3600.0, unit="s", passed=True)
LOSS = LossDetail(acknowledged=10, lost=2, digest_mismatches=0, in_doubt=0)
HEALTHY = SteadyState(before=[ComponentState(name="pg", ok=True)], after=[ComponentState(name="pg", ok=True)])


def _proof(missing: int) -> IntegrityResult:
    return IntegrityResult(name=CHECKSUM_PROOF, passed=missing == 0, summary="",
                           details={"missing": missing, "changed": 0})


def test_all_facts_good_passes() -> None:
    verdict = judge(abort_reason="", objectives=[OK], loss=LOSS, integrity=[_proof(2)], steady_state=HEALTHY)
    assert verdict.status is Status.PASSED and verdict.reasons == [] and verdict.notes == []


def test_an_abort_wins_over_every_other_fact() -> None:
    failed = OK.model_copy(update={"passed": False})
    verdict = judge(abort_reason="stopped by the operator", objectives=[failed], loss=LOSS,
                    integrity=[_proof(9)], steady_state=SteadyState(before=[], after=[]))
    assert verdict.status is Status.ABORTED and verdict.reasons == ["aborted: stopped by the operator"]


def test_each_failed_fact_is_one_reason() -> None:
    failed = OK.model_copy(update={"passed": False, "note": "RTO 7200 s"})
    suite = IntegrityResult(name="gx:validity@dr", passed=False, summary="", details={"suite": "validity"})
    sick = SteadyState(before=HEALTHY.before, after=[ComponentState(name="pg", ok=False, detail="down")])
    verdict = judge(abort_reason="", objectives=[failed], loss=LOSS, integrity=[_proof(3), suite],
                    steady_state=sick)
    assert verdict.status is Status.FAILED
    assert verdict.reasons[0] == "objective rto_within_objective not met: RTO 7200 s"
    assert verdict.notes[0].startswith("loss not proven")
    assert verdict.notes[1].startswith(f"{VALIDATION_NOTE}failed: gx:validity@dr")
    assert verdict.notes[2] == f"{STEADY_STATE_NOTE}pg: down"
    assert verdict.reasons[1:] == verdict.notes


def test_health_not_read_after_the_rollbacks_is_not_a_restored_steady_state() -> None:
    verdict = judge(abort_reason="", objectives=[OK], loss=LOSS, integrity=[],
                    steady_state=SteadyState(before=HEALTHY.before, after=[]))
    assert verdict.status is Status.FAILED
    assert verdict.notes == [f"{STEADY_STATE_NOTE}health not readable after the rollbacks"]


def test_a_journal_written_before_steady_state_was_recorded_is_judged_without_it() -> None:
    verdict = judge(abort_reason="", objectives=[OK], loss=LOSS, integrity=[], steady_state=None)
    assert verdict.status is Status.PASSED
