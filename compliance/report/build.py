"""Build the auditor report folder from a reports directory: the one entry point of this package.

``reports/report-<UTC timestamp>/`` ends up holding ``evidence/`` (copies of every evidence file used),
``evidence.json`` (the report model), ``index.html`` (self-contained), ``report.pdf`` and
``manifest.json`` (SHA-256 of all of them). The folder is assembled under a temporary name and renamed
into place at the end, so a failed build leaves nothing half-written behind.
"""

from __future__ import annotations

import importlib.metadata
import platform
import re
import shutil
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from compliance.controls.catalog import Catalog, load_catalog
from compliance.report.acknowledgements import acknowledgement_groups
from compliance.report.control_matrix import EVIDENCE_PREFIX, control_matrix
from compliance.report.drill_views import drill_view, history_row, integrity_rows
from compliance.report.evidence_error import ReportError
from compliance.report.evidence_set import EvidenceSet, gather
from compliance.report.failures import failed_drills, failure_groups
from compliance.report.ge_results import latest_per_suite
from compliance.report.manifest import sha256_file, write_manifest
from compliance.report.models import (
    WORST_FIRST,
    CitationRow,
    ControlStatus,
    EvidenceFile,
    FailureGroup,
    IntegrityRow,
    Report,
    Summary,
    worst,
)
from compliance.report.phi_guard import phi_findings
from compliance.report.render_html import render_html
from compliance.report.render_pdf import render_pdf
from compliance.report.signing import ManifestSigner, SigningKey
from contracts.evidence_layout import COMPLIANCE, DRILLS, INTEGRITY

EVIDENCE_KINDS = {DRILLS: "drill journal", COMPLIANCE: "compliance gate", INTEGRITY: "integrity"}
VERSIONED_PACKAGES = ("healthtech-dr", "aws-cdk-lib", "cdk-nag", "great-expectations", "dagster")
_DATA_URI = re.compile(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+")

StepCallback = Callable[[str], None]


def build_report(
    reports_dir: Path,
    out_dir: Path | None = None,
    *,
    catalog: Catalog | None = None,
    on_step: StepCallback | None = None,
    signing_key: SigningKey | None = None,
) -> Path:
    """Gather evidence under ``reports_dir``, write the report folder, return its path.

    ``out_dir`` is the report folder to create (default ``reports_dir/report-<UTC timestamp>``); it must
    not exist yet, or be empty. ``on_step`` receives a short label per stage, for progress display.
    With ``signing_key``, the manifest's digest is signed (``manifest.sig.json``) before the folder is
    moved into place: a signing failure leaves no report behind.
    """
    step = on_step or (lambda _label: None)
    if not reports_dir.is_dir():
        raise ReportError(
            f"reports directory {reports_dir}: not found; run a drill or the gate first, "
            "or pass --reports-dir"
        )
    now = datetime.now(UTC).replace(microsecond=0)
    target = out_dir or _free_name(reports_dir, now)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ReportError(f"report folder {target}: already exists and is not empty; choose another --out")
    signer = None
    if signing_key is not None:
        step(f"reaching the signing key {signing_key.key_id}")
        signer = ManifestSigner(signing_key)  # fails here, before any work, when KMS cannot sign
    step("reading the control catalog")
    catalog = catalog or load_catalog()
    step("gathering evidence")
    evidence = gather(reports_dir)
    work = target.with_name(f".{target.name}.partial")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        _assemble(work, evidence, catalog, now, step)
        if signer is not None:
            step(f"signing the manifest with {signer.key.key_id}")
            signer.sign(work)
        if target.exists():
            target.rmdir()
        work.rename(target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return target


def overall_status(report_dir: Path) -> ControlStatus:
    """The overall status of a built report, read back from the model both renderings used."""
    model = Report.model_validate_json((report_dir / "evidence.json").read_text(encoding="utf-8"))
    return model.summary.overall


def manifest_digest(report_dir: Path) -> str:
    """SHA-256 of a built report's manifest: the one value to keep outside the folder."""
    return sha256_file(report_dir / "manifest.json")


def _assemble(work: Path, evidence: EvidenceSet, catalog: Catalog, now: datetime, step: StepCallback) -> None:
    step(f"copying {len(evidence.files)} evidence files")
    files = _copy_evidence(evidence, work)
    step("judging controls")
    report = _report_model(evidence, catalog, files, now)
    data = report.model_dump_json(indent=2)
    _refuse_phi("evidence.json", data)
    (work / "evidence.json").write_text(data + "\n", encoding="utf-8")
    step("rendering HTML and charts")
    html = render_html(report, data_docs=_data_docs(evidence))
    _refuse_phi("index.html", _DATA_URI.sub("", html))
    (work / "index.html").write_text(html, encoding="utf-8")
    step("printing the PDF")
    render_pdf(html, work, work / "report.pdf")
    step("hashing into manifest.json")
    write_manifest(work)


def _copy_evidence(evidence: EvidenceSet, work: Path) -> list[EvidenceFile]:
    files: list[EvidenceFile] = []
    for rel in evidence.files:
        copy = work / EVIDENCE_PREFIX / rel
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(evidence.root / rel, copy)
        files.append(
            EvidenceFile(
                path=EVIDENCE_PREFIX + rel,
                kind=EVIDENCE_KINDS[rel.split("/", 1)[0]],
                sha256=sha256_file(copy),
                bytes=copy.stat().st_size,
            )
        )
    return files


def _report_model(
    evidence: EvidenceSet, catalog: Catalog, files: list[EvidenceFile], now: datetime
) -> Report:
    citations = control_matrix(catalog, evidence)
    statuses = [control.status for citation in citations for control in citation.controls]
    counts = Counter(statuses)
    latest = evidence.journals[-1] if evidence.journals else None
    failures = failure_groups(catalog, evidence)
    summary = Summary(
        environment=_environment(evidence),
        generated_at=now,
        versions=_versions(evidence),
        overall=_overall(citations, failures),
        counts={status.value: counts.get(status, 0) for status in WORST_FIRST},
        sources={
            "drill journals": bool(evidence.journals),
            "gate summary": evidence.gate_summary is not None,
            "checkov": evidence.checkov is not None,
            "cdk-nag": evidence.nag is not None,
            "great_expectations": bool(evidence.ge),
        },
        gate=evidence.gate_summary[1].verdict if evidence.gate_summary else "not run (no gate-summary.json)",
    )
    history = [history_row(journal, EVIDENCE_PREFIX + rel) for rel, journal in evidence.journals]
    return Report(
        summary=summary,
        failures=failures,
        failed_drills=failed_drills(history),
        citations=citations,
        acknowledgements=acknowledgement_groups(catalog, evidence),
        latest_drill=drill_view(latest[1], EVIDENCE_PREFIX + latest[0]) if latest else None,
        integrity=_integrity(evidence),
        history=history,
        evidence_files=files,
        problems=evidence.problems,
    )


def _overall(citations: list[CitationRow], failures: list[FailureGroup]) -> ControlStatus:
    """The worst citation; a failure no control cites (an unmapped rule, a gate step that did not
    complete) fails the report too, so the status never reads better than the failures section."""
    if not citations:
        return ControlStatus.NO_EVIDENCE
    return worst([c.status for c in citations] + ([ControlStatus.FAIL] if failures else []))


def _integrity(evidence: EvidenceSet) -> list[IntegrityRow]:
    """The latest drill's integrity results, then the newest result of every GE suite."""
    rows: list[IntegrityRow] = []
    if evidence.journals:
        rel, journal = evidence.journals[-1]
        rows.extend(integrity_rows(journal, EVIDENCE_PREFIX + rel))
    for rel, result in latest_per_suite(evidence.ge):
        rows.append(
            IntegrityRow(
                source="great_expectations",
                name=result.suite,
                passed=result.success,
                summary=f"{result.successful}/{result.evaluated} expectations met",
                evidence=EVIDENCE_PREFIX + rel,
            )
        )
    return rows


def _environment(evidence: EvidenceSet) -> str:
    if not evidence.journals:
        return "unknown (no drill journal)"
    target = evidence.journals[-1][1].target
    return f"{target.environment} ({target.kind}, {target.primary_region} → {target.dr_region})"


def _versions(evidence: EvidenceSet) -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in VERSIONED_PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            continue
    if evidence.checkov is not None and evidence.checkov[1].version:
        versions["checkov"] = evidence.checkov[1].version
    return versions


def _data_docs(evidence: EvidenceSet) -> list[str]:
    """Links to the GE Data Docs index pages carried in the report."""
    return [
        EVIDENCE_PREFIX + rel
        for rel in evidence.files
        if rel.startswith("integrity/") and rel.endswith("/index.html")
    ]


def _refuse_phi(name: str, text: str) -> None:
    findings = phi_findings(text)
    if findings:
        raise ReportError(
            f"{name} would contain PHI-like values ({', '.join(findings)}); "
            "fix the evidence source that carries them"
        )


def _free_name(reports_dir: Path, now: datetime) -> Path:
    """``report-<timestamp>``, suffixed when a report was already built in the same second."""
    base = reports_dir / f"report-{now.strftime('%Y%m%dT%H%M%SZ')}"
    candidate, n = base, 1
    while candidate.exists() or candidate.with_name(f".{candidate.name}.partial").exists():
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate
