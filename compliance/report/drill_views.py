"""Reduce drill journals to what the report shows: the latest drill, the history rows, integrity rows.

Times become offsets from t0 (the fault), because an auditor compares phases and lag against the
fault, not wall-clock instants. Only counts and at most ten ``device:seq`` ids of lost events survive.
"""

from __future__ import annotations

from compliance.report.models import (
    DrillView,
    Figure,
    HistoryRow,
    IntegrityRow,
    LagPoint,
    LossCounts,
    ObjectiveRow,
    PhaseMark,
)
from contracts.journal import DrillJournal, Measurement, Phase

MAX_LOST_IDS = 10


def failed_checks(journal: DrillJournal) -> list[str]:
    """Names of the objectives and integrity checks a drill did not pass (its status if it aborted)."""
    names = [o.name for o in journal.objectives if not o.passed]
    names += [r.name for r in journal.integrity if not r.passed]
    return names or ([journal.status.value] if journal.status.value != "passed" else [])


def t0_of(journal: DrillJournal) -> float:
    """The fault instant; a drill aborted before the fault is measured from its first event."""
    for event in journal.timeline:
        if event.phase == Phase.FAULT_INJECTED:
            return event.t
    if journal.timeline:
        return min(event.t for event in journal.timeline)
    return journal.started_at.timestamp()


def drill_view(journal: DrillJournal, evidence: str) -> DrillView:
    """The latest-drill section's data."""
    t0 = t0_of(journal)
    m = journal.measurements
    return DrillView(
        run_id=journal.run_id,
        scenario=journal.scenario,
        description=journal.description,
        target_kind=journal.target.kind,
        environment=journal.target.environment,
        primary_region=journal.target.primary_region,
        dr_region=journal.target.dr_region,
        status=journal.status.value,
        started_at=journal.started_at,
        finished_at=journal.finished_at,
        rpo_data=_figure(m.rpo_data),
        rpo_metric=_figure(m.rpo_metric),
        rto=_figure(m.rto),
        rpo_agreement_tolerance_s=m.rpo_agreement_tolerance_s,
        rpo_agree=m.rpo_agree,
        rpo_agreement_note=m.rpo_agreement_note,
        objectives=[ObjectiveRow(**o.model_dump()) for o in journal.objectives],
        loss=LossCounts(
            acknowledged=m.loss.acknowledged,
            lost=m.loss.lost,
            digest_mismatches=m.loss.digest_mismatches,
            in_doubt=m.loss.in_doubt,
            first_lost_ids=m.loss.lost_event_ids[:MAX_LOST_IDS],
            method=m.loss.method,
            not_measured=m.loss.not_measured,
        ),
        timeline=[
            PhaseMark(phase=e.phase.value, offset_s=round(e.t - t0, 3), detail=e.detail)
            for e in sorted(journal.timeline, key=lambda e: e.t)
        ],
        lag=[
            LagPoint(offset_s=round(s.t - t0, 3), lag_s=s.lag_s, source=s.source)
            for s in sorted(journal.lag_samples, key=lambda s: s.t)
        ],
        rollbacks_ok=sum(1 for r in journal.rollbacks if r.ok),
        rollbacks_failed=sum(1 for r in journal.rollbacks if not r.ok),
        evidence=evidence,
    )


def history_row(journal: DrillJournal, evidence: str) -> HistoryRow:
    """One drill in the history table and trend charts."""
    m = journal.measurements
    return HistoryRow(
        run_id=journal.run_id,
        scenario=journal.scenario,
        mode=f"{journal.parameters.get('replication_mode', '?')}/{journal.parameters.get('ingest', '?')}",
        started_at=journal.started_at,
        status=journal.status.value,
        failed=failed_checks(journal),
        rpo_data_s=m.rpo_data.value,
        rpo_metric_s=m.rpo_metric.value,
        rto_s=m.rto.value,
        lost=m.loss.lost_or_changed,
        in_doubt=m.loss.in_doubt,
        evidence=evidence,
    )


def integrity_rows(journal: DrillJournal, evidence: str) -> list[IntegrityRow]:
    """The drill's integrity results (checksums, GE suites run inside the drill)."""
    return [
        IntegrityRow(
            source=f"drill {journal.run_id}",
            name=r.name,
            passed=r.passed,
            summary=r.summary,
            evidence=evidence,
        )
        for r in journal.integrity
    ]


def _figure(m: Measurement) -> Figure:
    return Figure(value=m.value, unit=m.unit, note=m.note)
