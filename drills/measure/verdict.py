"""The drill's verdict, computed from its facts alone (pure): status and the reasons it did not pass.

The runner calls it to write the journal; ``htdr drill judge`` calls it on a saved journal to check
the stored verdict. Facts, in order of precedence:
- the drill aborted (``abort_reason``): aborted, whatever else holds;
- an objective failed (recomputed from the measurements and the objectives the drill ran with);
- the key comparison and the checksum diff on the survivor disagree: loss is not proven;
- the loss differs from what a set exposure must cause (``drills.measure.exposure``);
- a store-validation suite failed;
- the target was not healthy again after the rollbacks (steady state not restored).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from contracts.journal import (
    CHECKSUM_PROOF,
    DrillJournal,
    IntegrityResult,
    LossDetail,
    ObjectiveResult,
    Status,
    SteadyState,
)
from contracts.store_validation import VALIDATION_NOTE
from drills.measure.exposure import SET_EXPOSURE
from drills.measure.objectives import Objectives, evaluate

#: Key comparison + checksum diff pairs taken at most before a disagreement is reported as such.
MEASURE_ATTEMPTS = 3
STEADY_STATE_NOTE = "steady state not restored after the rollbacks: "


@dataclass(frozen=True)
class Verdict:
    """``reasons``: why the drill did not pass; ``notes``: those of them the journal's objectives and
    abort reason do not already state (the runner adds them to the journal's notes)."""

    status: Status
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def checksum_agrees(checksum: IntegrityResult, loss: LossDetail) -> bool:
    """The diff's missing/changed counts equal the key comparison's lost/digest-mismatch counts."""
    return (checksum.details.get("missing"), checksum.details.get("changed")) == (
        loss.lost, loss.digest_mismatches)


def judge(
    *, abort_reason: str, objectives: Sequence[ObjectiveResult], loss: LossDetail,
    integrity: Sequence[IntegrityResult], steady_state: SteadyState | None,
) -> Verdict:
    """Status and the reasons (one line each) from the drill's facts."""
    if abort_reason:
        return Verdict(Status.ABORTED, [f"aborted: {abort_reason}"])
    reasons = [f"objective {o.name} not met: {o.note or 'failed'}" for o in objectives if not o.passed]
    notes: list[str] = []
    checksum = next((r for r in integrity if r.name == CHECKSUM_PROOF), None)
    if checksum is not None and loss.measured and not checksum_agrees(checksum, loss):
        notes.append(f"loss not proven: key comparison and checksum diff still disagree after "
                     f"{MEASURE_ATTEMPTS} measurements; the drill cannot pass")
    exposure = next((r for r in integrity if r.name == SET_EXPOSURE), None)
    if exposure is not None and not exposure.passed:
        notes.append(f"loss differs from what the set exposure must cause: {exposure.summary}")
    failed_suites = [r.name for r in integrity if r.details.get("suite") and not r.passed]
    if failed_suites:
        notes.append(f"{VALIDATION_NOTE}failed: {', '.join(failed_suites)}; the drill cannot pass")
    if steady_state is not None and not steady_state.restored:
        unhealthy = steady_state.unhealthy_after() or ["health not readable after the rollbacks"]
        notes.append(STEADY_STATE_NOTE + "; ".join(unhealthy))
    reasons += notes
    return Verdict(Status.FAILED if reasons else Status.PASSED, reasons, notes)


def objectives_of(parameters: dict[str, object]) -> Objectives:
    """The objectives a drill ran with, from its recorded parameters (defaults when absent)."""
    raw = parameters.get("objectives")
    return Objectives.model_validate(raw) if isinstance(raw, dict) else Objectives()


def rejudge(journal: DrillJournal) -> tuple[Verdict, list[ObjectiveResult]]:
    """The verdict recomputed from a saved journal: objectives from its measurements, then ``judge``."""
    objectives = evaluate(journal.measurements, objectives_of(journal.parameters))
    verdict = judge(abort_reason=journal.abort_reason, objectives=objectives,
                    loss=journal.measurements.loss, integrity=journal.integrity,
                    steady_state=journal.steady_state)
    return verdict, objectives


def disagreements(journal: DrillJournal) -> tuple[Verdict, list[str]]:
    """The recomputed verdict and where the saved journal's verdict differs from it (empty: agrees)."""
    verdict, objectives = rejudge(journal)
    out = []
    if verdict.status is not journal.status:
        out.append(f"status: stored {journal.status.value}, recomputed {verdict.status.value}")
    stored = {o.name: o.passed for o in journal.objectives}
    for o in objectives:
        if stored.get(o.name) != o.passed:
            out.append(f"objective {o.name}: stored {_word(stored.get(o.name))}, "
                       f"recomputed {_word(o.passed)}")
    return verdict, out


def _word(passed: bool | None) -> str:
    return "absent" if passed is None else "passed" if passed else "failed"
