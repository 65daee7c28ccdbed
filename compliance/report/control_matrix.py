"""The control matrix: each catalog citation's controls, judged from the evidence each check left.

Rules, so that nothing reads better than the evidence supports:
- a check whose tool left no readable evidence, or whose evidence does not mention it, is NO EVIDENCE;
- a finding accepted with a reason (checkov skip comment, cdk-nag acknowledgement, catalog exception)
  passes and is listed as an exception; one accepted with an empty reason fails (nobody justified it);
- a control with no automated check is MANUAL; a control and a citation are the worst of their parts.
"""

from __future__ import annotations

from compliance.controls.catalog import Catalog, CheckRef, Control
from compliance.report.acknowledgements import CATALOG_SOURCE, CHECKOV_SOURCE, NAG_SOURCE
from compliance.report.evidence_set import EvidenceSet
from compliance.report.ge_results import latest_per_suite
from compliance.report.models import (
    CheckOutcome,
    CitationRow,
    ControlRow,
    ControlStatus,
    ExceptionNote,
    worst,
)
from compliance.report.nag_results import matching, rule_plugin
from contracts.journal import ObjectiveResult

EVIDENCE_PREFIX = "evidence/"


def control_matrix(catalog: Catalog, evidence: EvidenceSet) -> list[CitationRow]:
    """One row per citation, in catalog order, each with its judged controls."""
    rows: list[CitationRow] = []
    for citation in catalog.citations:
        controls = [_control_row(control, catalog, evidence) for control in citation.controls]
        rows.append(
            CitationRow(
                id=citation.id,
                title=citation.title,
                kind=citation.kind,
                status=worst([c.status for c in controls]),
                controls=controls,
            )
        )
    return rows


def _control_row(control: Control, catalog: Catalog, evidence: EvidenceSet) -> ControlRow:
    if control.is_manual:
        return ControlRow(
            id=control.id,
            title=control.title,
            status=ControlStatus.MANUAL,
            checks=[],
            manual=control.manual or control.description,
        )
    outcomes: list[CheckOutcome] = []
    exceptions: list[ExceptionNote] = []
    for ref in control.checks:
        outcome, found = _judge(ref, catalog, evidence)
        outcomes.append(outcome)
        exceptions.extend(found)
    return ControlRow(
        id=control.id,
        title=control.title,
        status=worst([o.status for o in outcomes]),
        checks=outcomes,
        exceptions=exceptions,
        manual=control.manual,
    )


def _judge(
    ref: CheckRef, catalog: Catalog, evidence: EvidenceSet
) -> tuple[CheckOutcome, list[ExceptionNote]]:
    judges = {
        "checkov": _judge_checkov,
        "cdk-nag": _judge_nag,
        "drill": _judge_drill,
        "great_expectations": _judge_ge,
    }
    outcome, exceptions = judges[ref.tool](ref, evidence)
    declared = [
        ExceptionNote(tool=e.tool, check_id=e.id, resource="*", reason=e.reason, source=CATALOG_SOURCE)
        for e in catalog.exceptions
        if e.tool == ref.tool and e.id == ref.id
    ]
    if declared and outcome.status == ControlStatus.NO_EVIDENCE and outcome.evidence:
        # The gate skipped the check on purpose: the tool ran, the catalog says why it was not applied.
        outcome = outcome.model_copy(update={"status": _accepted(declared), "summary": "skipped by the gate"})
    return outcome, exceptions + declared


def _judge_checkov(ref: CheckRef, evidence: EvidenceSet) -> tuple[CheckOutcome, list[ExceptionNote]]:
    if evidence.checkov is None:
        return _no_evidence(ref, "no checkov results in the gate output"), []
    rel, results = evidence.checkov
    link = [EVIDENCE_PREFIX + rel]
    tally = results.by_check.get(ref.id)
    if tally is None and ref.absent_passes:
        return _outcome(
            ref, ControlStatus.PASS, "no resource of the prohibited kind in the scanned templates", link
        ), []
    if tally is None:
        return _outcome(
            ref, ControlStatus.NO_EVIDENCE, "checkov reported no resource for this check", link
        ), []
    exceptions = [
        ExceptionNote(
            tool=ref.tool, check_id=ref.id, resource=res, reason=comment, source=CHECKOV_SOURCE
        )
        for res, comment in tally.skipped
    ]
    if tally.failed:
        summary = f"{len(tally.failed)} failed, {len(tally.passed)} passed, {len(tally.skipped)} skipped"
        return _outcome(ref, ControlStatus.FAIL, summary, link), exceptions
    status = _accepted(exceptions) if exceptions else ControlStatus.PASS
    return _outcome(
        ref, status, f"{len(tally.passed)} passed, {len(tally.skipped)} skipped", link
    ), exceptions


def _judge_nag(ref: CheckRef, evidence: EvidenceSet) -> tuple[CheckOutcome, list[ExceptionNote]]:
    if evidence.nag is None:
        return _no_evidence(ref, "no cdk-nag validation report in the gate output"), []
    rel, results = evidence.nag
    link = [EVIDENCE_PREFIX + rel]
    if rule_plugin(ref.id) not in results.plugins:
        return _outcome(
            ref, ControlStatus.NO_EVIDENCE, f"rule pack {rule_plugin(ref.id)} did not run", link
        ), []
    exceptions = [
        ExceptionNote(
            tool=ref.tool, check_id=ref.id, resource=path, reason=reason, source=NAG_SOURCE
        )
        for path, reason in matching(results.suppressed, ref.id)
    ]
    violating = matching(results.violations, ref.id)
    if violating:
        return _outcome(ref, ControlStatus.FAIL, f"{len(violating)} violating construct(s)", link), exceptions
    status = _accepted(exceptions) if exceptions else ControlStatus.PASS
    return _outcome(ref, status, f"no violation ({len(exceptions)} acknowledged)", link), exceptions


def _judge_drill(ref: CheckRef, evidence: EvidenceSet) -> tuple[CheckOutcome, list[ExceptionNote]]:
    for rel, journal in reversed(evidence.journals):
        for objective in journal.objectives:
            if objective.name == ref.id:
                summary = f"drill {journal.run_id} ({journal.scenario}): " + _objective_text(objective)
                status = ControlStatus.PASS if objective.passed else ControlStatus.FAIL
                return _outcome(ref, status, summary, [EVIDENCE_PREFIX + rel]), []
        for result in journal.integrity:
            if result.name == ref.id:
                status = ControlStatus.PASS if result.passed else ControlStatus.FAIL
                return _outcome(
                    ref, status, f"drill {journal.run_id}: {result.summary}", [EVIDENCE_PREFIX + rel]
                ), []
    return _no_evidence(ref, "no drill journal records this objective"), []


def _judge_ge(ref: CheckRef, evidence: EvidenceSet) -> tuple[CheckOutcome, list[ExceptionNote]]:
    """An expectation type passes when every latest suite result that evaluates it met it."""
    passed = failed = 0
    links: list[str] = []
    for rel, result in latest_per_suite(evidence.ge):
        if ref.id in result.by_type:
            ok, bad = result.by_type[ref.id]
            passed, failed = passed + ok, failed + bad
            links.append(EVIDENCE_PREFIX + rel)
    if links:
        status = ControlStatus.FAIL if failed else ControlStatus.PASS
        return _outcome(ref, status, f"{passed} met, {failed} not met in {len(links)} suite(s)", links), []
    for rel, journal in reversed(evidence.journals):
        for integrity in journal.integrity:
            if integrity.name == ref.id:
                status = ControlStatus.PASS if integrity.passed else ControlStatus.FAIL
                return _outcome(
                    ref, status, f"drill {journal.run_id}: {integrity.summary}", [EVIDENCE_PREFIX + rel]
                ), []
    return _no_evidence(ref, "no Great Expectations result evaluates this expectation"), []


def _accepted(exceptions: list[ExceptionNote]) -> ControlStatus:
    """An accepted finding passes only when every acceptance carries a reason."""
    return ControlStatus.PASS if all(e.reason.strip() for e in exceptions) else ControlStatus.FAIL


def _objective_text(objective: ObjectiveResult) -> str:
    unit = objective.unit
    shown = "not measured" if objective.observed is None else f"{objective.observed:g} {unit}"
    return f"observed {shown}, objective {objective.threshold:g} {unit}"


def _outcome(ref: CheckRef, status: ControlStatus, summary: str, evidence: list[str]) -> CheckOutcome:
    return CheckOutcome(tool=ref.tool, id=ref.id, status=status, summary=summary, evidence=evidence)


def _no_evidence(ref: CheckRef, why: str) -> CheckOutcome:
    return _outcome(ref, ControlStatus.NO_EVIDENCE, why, [])
