"""An aborted drill has no loss figures: the report shows "not measured", never a made-up 0."""

from __future__ import annotations

import re
from pathlib import Path

from compliance.report.build import build_report
from compliance.report.models import Report
from contracts.journal import DrillJournal, LossDetail, Status
from drills.measure.objectives import Objectives, evaluate
from tests.compliance.report.conftest import make_journal


def _aborted(index: int) -> DrillJournal:
    """Drill ``index`` aborted before loss was measured (backlog never drained)."""
    journal = make_journal(index)
    reason = "drill aborted: backlog not drained within 120 s"
    m = journal.measurements.model_copy(update={"loss": LossDetail(not_measured=reason)})
    return journal.model_copy(update={"measurements": m, "objectives": evaluate(m, Objectives()),
                                      "status": Status.ABORTED})


def test_unmeasured_loss_renders_not_measured_in_the_drill_table_and_history(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    make_journal(1, lost=2).write(reports / "drills")
    _aborted(2).write(reports / "drills")
    out = build_report(reports, tmp_path / "out")
    model = Report.model_validate_json((out / "evidence.json").read_text())
    latest = model.latest_drill
    assert latest is not None and latest.run_id == "run0002"
    assert latest.loss.lost is None and latest.loss.acknowledged is None
    assert "backlog not drained" in latest.loss.not_measured
    assert [h.lost for h in model.history] == [2, None]
    html = (out / "index.html").read_text()
    for cell in ("acknowledged-count", "lost-count", "mismatch-count", "in-doubt-count"):
        assert re.search(rf'id="{cell}">not measured<', html), cell
    assert "backlog not drained within 120 s" in html
