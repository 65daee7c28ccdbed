"""Building the report folder: its files, the manifest and ``verify``, PHI kept out, nothing half-written."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchmarks.evidence_samples import FIXTURES, make_journal
from compliance.controls.catalog import Catalog, CheckRef, Citation, Control
from compliance.report.build import build_report
from compliance.report.evidence_error import ReportError
from compliance.report.manifest import sha256_file, verify
from compliance.report.models import ControlStatus, Report
from htdr.cli import app
from tests.compliance.report.conftest import PHI_BEARING

PATIENT_REF = re.compile(r"pt-[0-9a-f]{6,}", re.IGNORECASE)
VITAL_WITH_VALUE = re.compile(
    r"(patient_ref|heart_rate|spo2|systolic|diastolic|resp_rate|temp_c)[\"']?\s*[:=]\s*[\"']?[\w.-]",
    re.IGNORECASE,
)


def _copy(report: Path, tmp_path: Path) -> Path:
    """A private copy to tamper with; the session's report stays intact for the other tests."""
    return Path(shutil.copytree(report, tmp_path / report.name))


def test_report_folder_holds_model_renderings_evidence_and_manifest(built_report: Path) -> None:
    assert re.fullmatch(r"report-\d{8}T\d{6}Z", built_report.name)
    model = Report.model_validate_json((built_report / "evidence.json").read_text())
    assert (built_report / "report.pdf").read_bytes().startswith(b"%PDF-")
    manifest = json.loads((built_report / "manifest.json").read_text())["files"]
    on_disk = sorted(p.relative_to(built_report).as_posix() for p in built_report.rglob("*") if p.is_file())
    assert sorted(manifest) == [p for p in on_disk if p != "manifest.json"]
    assert {"evidence.json", "index.html", "report.pdf"} <= set(manifest)
    for entry in model.evidence_files:  # the model's evidence list agrees with the manifest
        assert manifest[entry.path]["sha256"] == entry.sha256 == sha256_file(built_report / entry.path)
    assert len([f for f in model.evidence_files if f.kind == "drill journal"]) == 3
    assert [h.run_id for h in model.history] == ["run0001", "run0002", "run0003"]
    assert model.latest_drill is not None and model.latest_drill.run_id == "run0003"
    assert model.summary.environment.startswith("report-test")
    assert model.summary.gate == "FAILED (1 failed check(s), 0 error(s), run 2026-03-05T08:50:00Z)"


def test_verify_passes_then_names_the_file_with_one_changed_byte(built_report: Path, tmp_path: Path) -> None:
    report = _copy(built_report, tmp_path)
    assert verify(report).ok
    journal = report / "evidence/drills/drill-primary-kill-run0002.json"
    data = bytearray(journal.read_bytes())
    data[len(data) // 2] ^= 0x01
    journal.write_bytes(bytes(data))
    result = verify(report)
    assert not result.ok
    assert result.altered == ["evidence/drills/drill-primary-kill-run0002.json"]
    assert result.missing == [] and result.unexpected == []


def test_verify_command_exit_codes_and_messages(built_report: Path, tmp_path: Path) -> None:
    report = _copy(built_report, tmp_path)
    runner = CliRunner()
    ok = runner.invoke(app, ["report", "verify", str(report)])
    assert ok.exit_code == 0 and ok.output.startswith("OK: ")
    (report / "report.pdf").unlink()
    with (report / "evidence.json").open("ab") as handle:
        handle.write(b" ")
    (report / "evidence" / "planted.json").write_text("{}")
    bad = runner.invoke(app, ["report", "verify", str(report)])
    assert bad.exit_code == 1
    assert bad.output.splitlines() == [
        "ALTERED: evidence.json",
        "MISSING: report.pdf",
        "NOT IN MANIFEST: evidence/planted.json",
    ]


def test_verify_checks_the_manifest_digest_kept_outside(built_report: Path, tmp_path: Path) -> None:
    report = _copy(built_report, tmp_path)
    digest = sha256_file(report / "manifest.json")
    assert verify(report, digest).ok
    manifest = json.loads((report / "manifest.json").read_text())
    manifest["files"]["index.html"]["bytes"] += 1  # a rewritten manifest still verifies its files...
    (report / "manifest.json").write_text(json.dumps(manifest))
    assert verify(report).ok
    assert verify(report, digest).manifest_mismatch  # ...but not against the digest printed at build


def test_verify_refuses_a_folder_that_is_not_a_report(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["report", "verify", str(tmp_path)])
    assert result.exit_code == 2
    assert "manifest.json: missing" in result.output and "Traceback" not in result.output


def test_no_phi_like_values_anywhere_in_the_report(built_report: Path) -> None:
    model = Report.model_validate_json((built_report / "evidence.json").read_text())
    assert [p.source for p in model.problems] == [PHI_BEARING]
    assert model.problems[0].problem.startswith("withheld: contains PHI-like values")
    assert not (built_report / "evidence" / PHI_BEARING).exists()
    texts = {
        p.relative_to(built_report).as_posix(): p.read_bytes().decode("utf-8", errors="ignore")
        for p in built_report.rglob("*")
        if p.is_file() and p.suffix != ".pdf"
    }
    texts["report.pdf (text)"] = subprocess.run(
        ["pdftotext", str(built_report / "report.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    for name, text in texts.items():
        text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text)
        assert not PATIENT_REF.search(text), name
        assert not VITAL_WITH_VALUE.search(text), name
        assert "unexpected_list" not in text, name


def test_unreadable_journal_is_reported_not_fatal(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    make_journal(1).write(reports / "drills")
    (reports / "drills" / "drill-primary-kill-broken.json").write_text('{"run_id": "broken"}')
    report = build_report(reports, tmp_path / "out")
    model = Report.model_validate_json((report / "evidence.json").read_text())
    assert [p.source for p in model.problems] == ["drills/drill-primary-kill-broken.json"]
    assert "unreadable drill journal" in model.problems[0].problem
    assert [h.run_id for h in model.history] == ["run0001"]
    assert model.summary.sources["checkov"] is False
    assert model.summary.gate == "not run (no gate-summary.json)"
    # The gate never ran, so only drill-evidenced controls can pass; the rest are NO EVIDENCE, not PASS.
    passing_tools = {
        chk.tool
        for c in model.citations
        for ctl in c.controls
        if ctl.status == ControlStatus.PASS
        for chk in ctl.checks
    }
    assert passing_tools == {"drill"}


def test_unfinished_validation_output_is_not_evidence(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    make_journal(1).write(reports / "drills")
    partial = reports / "integrity" / ".run0001.partial"
    partial.mkdir(parents=True)
    shutil.copy(FIXTURES / "ge-validation-result.json", partial / "vitals_store_schema@ca-west-1.json")
    report = build_report(reports, tmp_path / "out")
    model = Report.model_validate_json((report / "evidence.json").read_text())
    assert model.summary.sources["great_expectations"] is False
    assert not [f.path for f in model.evidence_files if "partial" in f.path]


def test_failed_build_leaves_nothing_behind(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    make_journal(1).write(reports / "drills")
    leaky = Catalog(
        citations=[
            Citation(
                id="164.312(b)",
                title="Audit controls",
                kind="standard",
                controls=[
                    Control(
                        id="HT-LEAK",
                        title="mentions pt-0123456789ab",
                        description="test",
                        checks=[CheckRef(tool="drill", id="rto_within_objective")],
                    )
                ],
            )
        ]
    )
    out = tmp_path / "out"
    with pytest.raises(ReportError, match=r"evidence\.json would contain PHI-like values"):
        build_report(reports, out, catalog=leaky)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]


def test_build_refuses_a_non_empty_out_dir_and_a_missing_reports_dir(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    (tmp_path / "reports").mkdir()
    with pytest.raises(ReportError, match="already exists and is not empty"):
        build_report(tmp_path / "reports", tmp_path / "out")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["keep.txt"]
    result = CliRunner().invoke(app, ["report", "build", "--reports-dir", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "reports directory" in result.output and "not found" in result.output
    assert "Traceback" not in result.output
