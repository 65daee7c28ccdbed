"""Synthetic evidence for the report: drill journals built from the real models, and real tool output.

Journals are clearly test data (environment ``report-test``) but shaped like a real sandbox drill:
a primary kill at t0, phases over ~40 s, lag sampled every second, tens of thousands of events.
Objectives are evaluated by ``drills.measure.objectives`` so they agree with what drills write.
Shared by the report benchmark and the report tests.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from contracts.journal import (
    DrillJournal,
    IntegrityResult,
    LagSample,
    LossDetail,
    Measurement,
    Measurements,
    Phase,
    RollbackRecord,
    Status,
    TargetInfo,
    TimelineEvent,
)
from drills.measure.objectives import Objectives, evaluate

#: Recorded outputs of checkov, cdk-nag and Great Expectations (see that folder's README.md).
FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "compliance" / "report" / "fixtures"
BASE_TIME = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def make_journal(
    index: int, *, lost: int = 0, rto_s: float | None = 14.5, rpo_s: float = 0.4
) -> DrillJournal:
    """Drill number ``index`` (one a day): ``lost`` acknowledged events missing, RTO ``rto_s``."""
    started = BASE_TIME + timedelta(days=index)
    t0 = started.timestamp() + 30.0
    rto_s_value = rto_s
    measurements = Measurements(
        rpo_data=Measurement(
            value=rpo_s if lost else 0.0,
            unit="s",
            note="t0 minus oldest t_ack among lost" if lost else "no acknowledged event lost",
        ),
        rpo_metric=Measurement(value=round(rpo_s * 0.9, 3), unit="s", note="pg replay lag at t0"),
        rto=Measurement(
            value=rto_s_value,
            unit="s",
            note="first acknowledged write readable" if rto_s_value is not None else "writer never came back",
        ),
        rpo_agreement_tolerance_s=1.0,
        rpo_agree=True,
        rpo_agreement_note="within 1 s",
        loss=LossDetail(
            acknowledged=45_000 + 1_000 * index,
            lost=lost,
            digest_mismatches=0,
            in_doubt=3 + index,
            lost_event_ids=[f"dev-{d:06d}:{1000 + d}" for d in range(lost)],
            method="bucketed checksum diff, bisected",
        ),
    )
    phases = [
        (Phase.LOAD_STARTED, -30.0),
        (Phase.FAULT_INJECTED, 0.0),
        (Phase.DETECTED, 2.1),
        (Phase.PROMOTED, 3.4),
        (Phase.REPOINTED, 4.0),
    ]
    if rto_s_value is not None:
        phases += [(Phase.FIRST_ACK_WRITE_READABLE, rto_s_value), (Phase.BACKLOG_DRAINED, rto_s_value + 20.0)]
    return DrillJournal(
        run_id=f"run{index:04d}",
        scenario="primary-kill",
        description="kill -9 the primary PostgreSQL under load, promote the standby",
        target=TargetInfo(
            kind="local", environment="report-test", primary_region="ca-central-1", dr_region="ca-west-1"
        ),
        parameters={"rate_per_min": 100_000, "link_delay_ms": 20},
        started_at=started,
        finished_at=started + timedelta(seconds=95),
        timeline=[TimelineEvent(phase=p, t=t0 + dt, detail=f"{p.value} (test)") for p, dt in phases],
        lag_samples=[
            LagSample(
                t=t0 + s,
                lag_s=None if s == 1 else round(0.05 + 0.01 * abs(s), 3),
                source="pg_last_xact_replay_timestamp",
            )
            for s in range(-20, 30)
        ],
        measurements=measurements,
        objectives=evaluate(measurements, Objectives()),
        integrity=[
            IntegrityResult(
                name="ledger_vs_store",
                passed=lost == 0,
                summary=f"{lost} acknowledged events missing after 32-bucket diff",
            )
        ],
        rollbacks=[RollbackRecord(action="kill primary", rollback="rebuild old primary as standby", ok=True)],
        status=Status.PASSED if lost == 0 and rto_s_value is not None else Status.FAILED,
    )


#: Shaped like compliance.gate_summary.GateSummary (the fields the report reads, plus a few more).
GATE_SUMMARY = {
    "passed": False,
    "exit_code": 1,
    "environment": "report-test",
    "started_at": "2026-03-05T08:50:00Z",
    "templates": ["S.template.json"],
    "timings": [],
    "checkov": {"passed": 3, "failed": 6, "skipped": 1},
    "cdk_nag": {"failed": 10, "acknowledged": 1},
    "failures": [
        {
            "tool": "checkov",
            "check_id": "CKV_AWS_21",
            "check_name": "Ensure the S3 bucket has versioning",
            "resource": "AWS::S3::Bucket.B08E7C7AF",
            "file": "S.template.json",
            "controls": [],
        }
    ],
    "errors": [],
    "outputs": ["checkov/results_json.json"],
}


def write_gate_outputs(reports: Path) -> None:
    """The gate's outputs as checkov and cdk-nag really write them (see fixtures/README.md)."""
    (reports / "compliance" / "checkov").mkdir(parents=True)
    (reports / "compliance" / "cdk-nag").mkdir(parents=True)
    shutil.copy(FIXTURES / "checkov-results_json.json", reports / "compliance/checkov/results_json.json")
    shutil.copy(
        FIXTURES / "cdk-nag-validation-report.json", reports / "compliance/cdk-nag/validation-report.json"
    )
    (reports / "compliance/gate-summary.json").write_text(json.dumps(GATE_SUMMARY, indent=2))


def write_ge_result(reports: Path) -> None:
    (reports / "integrity").mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / "ge-validation-result.json", reports / "integrity/store_integrity.json")
