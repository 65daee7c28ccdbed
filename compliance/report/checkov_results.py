"""Read checkov's ``-o json`` output (``results_json.json``) into per-check tallies.

checkov writes one object per framework, or a list of them when several ran, or a bare summary when
nothing was scanned; all three shapes are evidence, so all three are read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from compliance.report.evidence_error import EvidenceUnreadableError


@dataclass
class CheckTally:
    """What checkov said about one check id across every resource it scanned."""

    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (resource, suppress comment)


@dataclass(frozen=True)
class CheckovFailure:
    """One failed check on one resource, with what the auditor needs to find and fix it."""

    check_id: str
    check_name: str
    resource: str
    file: str
    guideline: str | None
    evaluated_keys: list[str]


@dataclass(frozen=True)
class CheckovResults:
    by_check: dict[str, CheckTally]
    version: str | None
    failures: list[CheckovFailure] = field(default_factory=list)


def parse_checkov(raw: Any) -> CheckovResults:
    """Tally passed / failed / skipped resources per check id from checkov's JSON report."""
    reports = raw if isinstance(raw, list) else [raw]
    if not all(isinstance(r, dict) for r in reports):
        raise EvidenceUnreadableError("not a checkov JSON report (expected an object or a list of objects)")
    by_check: dict[str, CheckTally] = {}
    failures: list[CheckovFailure] = []
    version: str | None = None
    for report in reports:
        version = version or (report.get("summary") or {}).get("checkov_version")
        results = report.get("results") or {}
        for record in results.get("passed_checks", []):
            by_check.setdefault(record["check_id"], CheckTally()).passed.append(record["resource"])
        for record in results.get("failed_checks", []):
            by_check.setdefault(record["check_id"], CheckTally()).failed.append(record["resource"])
            failures.append(_failure(record))
        for record in results.get("skipped_checks", []):
            comment = (record.get("check_result") or {}).get("suppress_comment") or ""
            by_check.setdefault(record["check_id"], CheckTally()).skipped.append(
                (record["resource"], comment)
            )
    return CheckovResults(by_check=by_check, version=version, failures=failures)


def _failure(record: dict[str, Any]) -> CheckovFailure:
    keys = (record.get("check_result") or {}).get("evaluated_keys") or []
    return CheckovFailure(
        check_id=record["check_id"],
        check_name=record.get("check_name") or record["check_id"],
        resource=record["resource"],
        file=record.get("file_abs_path") or record.get("file_path") or "?",
        guideline=record.get("guideline"),
        evaluated_keys=[str(k) for k in keys],
    )
