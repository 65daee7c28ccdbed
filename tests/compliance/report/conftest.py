"""Evidence for the report tests: the synthetic journals and recorded tool outputs of
``benchmarks.evidence_samples`` (shared with the report benchmark), in a temporary reports directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.evidence_samples import make_journal, write_gate_outputs, write_ge_result


@pytest.fixture
def reports_dir(tmp_path: Path) -> Path:
    """A full reports directory: three drills (the second lost events), gate outputs, a GE result."""
    reports = tmp_path / "reports"
    for index, lost in ((1, 0), (2, 2), (3, 0)):
        make_journal(index, lost=lost, rto_s=10.0 + 2 * index).write(reports / "drills")
    write_gate_outputs(reports)
    write_ge_result(reports)
    return reports


#: A stray evidence file that quotes PHI-like values; the report must withhold it, never carry it.
PHI_BEARING = "integrity/failed_validation_with_values.json"


@pytest.fixture(scope="session")
def built_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One report, built once for the rendering tests (building prints a PDF: seconds, not millis)."""
    from compliance.report.build import build_report

    reports = tmp_path_factory.mktemp("built") / "reports"
    for index, lost in ((1, 0), (2, 2), (3, 0)):
        make_journal(index, lost=lost, rto_s=10.0 + 2 * index).write(reports / "drills")
    write_gate_outputs(reports)
    write_ge_result(reports)
    (reports / PHI_BEARING).write_text(
        '{"success": false, "statistics": {}, "suite_name": "vitals", "results": [{"success": false, '
        '"result": {"partial_unexpected_list": [301, 305]}}], "patient_ref": "pt-0123456789ab"}\n'
    )
    return build_report(reports)
