"""The gate step of ``htdr demo`` / ``htdr campaign run`` gives every static check real evidence.

Runs the real gate on the real app (synth with the demo suffix and placeholder secret names, cdk-nag,
checkov and whatever else the gate runs), then builds the report over it and a drill journal: no check
of checkov or cdk-nag may be left without evidence, and the closing lines name status and report.
"""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from benchmarks.evidence_samples import make_journal
from compliance.gate_summary import GateSummary
from compliance.report.models import ControlStatus, Report
from htdr.evidence_chain import DEMO_SUFFIX, build_and_judge, closing_lines, run_app_gate

STATIC_TOOLS = ("checkov", "cdk-nag")


def test_gate_on_the_app_then_report_leaves_no_static_check_without_evidence(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    out = io.StringIO()
    console = Console(file=out, width=80)
    outcome = run_app_gate(reports, console)
    assert outcome.ran, outcome.line
    summary = GateSummary.model_validate_json((reports / "compliance/gate-summary.json").read_text())
    assert summary.environment == DEMO_SUFFIX and summary.templates
    assert outcome.line.startswith(f"gate {'PASSED' if summary.passed else 'FAILED'} in ")

    make_journal(1).write(reports / "drills")
    folder, overall = build_and_judge(reports, console)
    model = Report.model_validate_json((folder / "evidence.json").read_text())
    assert overall == model.summary.overall
    assert model.summary.sources["checkov"] and model.summary.sources["cdk-nag"]
    unproven = [
        (control.id, check.tool, check.id, check.summary)
        for citation in model.citations for control in citation.controls for check in control.checks
        if check.tool in STATIC_TOOLS and check.status is ControlStatus.NO_EVIDENCE
    ]
    assert unproven == []

    closing_lines(console, overall, folder)
    last = [line for line in out.getvalue().splitlines() if line.strip()][-2:]
    assert last == [f"overall status: {overall.value}", f"report: {folder}"]
