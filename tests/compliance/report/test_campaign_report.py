"""A campaign's report: six drills of five scenarios and two modes, one aborted, printed whole.

The history table holds the longest scenario names, both modes and "not measured" figures; the PDF
must keep every cell inside the page and every failed drill in the failures section.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.evidence_samples import make_journal, write_gate_outputs
from compliance.report.build import build_report
from compliance.report.models import Report
from contracts.journal import DrillJournal, LossDetail, Measurement, Status
from drills.measure.objectives import Objectives, evaluate
from tests.compliance.report.test_pdf import assert_well_printed

CAMPAIGN = (
    ("region_outage", "async", "single", 3),
    ("region_outage", "sync", "dual", 0),
    ("planned_switchover", "sync", "dual", None),  # aborted: nothing measured
    ("link_partition", "sync", "dual", 0),
    ("processor_crash", "sync", "dual", 0),
    ("cache_failover", "sync", "dual", 0),
)
#: Pages of this evidence set (six drills, the recorded checkov/cdk-nag output).
CAMPAIGN_PAGES = 12


def _drill(index: int, scenario: str, mode: str, ingest: str, lost: int | None) -> DrillJournal:
    journal = make_journal(index, lost=lost or 0, rto_s=None if lost is None else 5.0 + index)
    journal = journal.model_copy(update={
        "scenario": scenario, "run_id": f"{scenario[:4]}{index:08d}",
        "parameters": {**journal.parameters, "replication_mode": mode, "ingest": ingest}})
    if lost is None:
        unmeasured = Measurement(value=None, unit="s", note="drill aborted")
        m = journal.measurements.model_copy(update={
            "loss": LossDetail(not_measured="drain timed out"), "rpo_data": unmeasured,
            "rpo_metric": unmeasured, "rpo_agree": None})
        journal = journal.model_copy(update={"measurements": m, "objectives": evaluate(m, Objectives()),
                                             "status": Status.ABORTED})
    return journal


def test_campaign_report_history_and_failed_drills_print_whole(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    journals = [_drill(n, *drill) for n, drill in enumerate(CAMPAIGN, start=1)]
    for journal in journals:
        journal.write(reports / "drills")
    write_gate_outputs(reports)
    out = build_report(reports, tmp_path / "out")
    model = Report.model_validate_json((out / "evidence.json").read_text())
    assert [(h.scenario, h.mode) for h in model.history] == [
        (scenario, f"{mode}/{ingest}") for scenario, mode, ingest, _ in CAMPAIGN]
    assert [h.run_id for h in model.failed_drills] == [journals[2].run_id, journals[0].run_id]
    aborted = model.failed_drills[0]
    assert aborted.status == "aborted" and aborted.lost is None and aborted.rto_s is None
    html = (out / "index.html").read_text()
    assert html.count("not measured / not measured") == 2  # RPO data / metric, lost / in doubt
    assert_well_printed(out / "report.pdf", CAMPAIGN_PAGES)
