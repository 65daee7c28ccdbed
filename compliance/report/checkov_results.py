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
class CheckovResults:
    by_check: dict[str, CheckTally]
    version: str | None


def parse_checkov(raw: Any) -> CheckovResults:
    """Tally passed / failed / skipped resources per check id from checkov's JSON report."""
    reports = raw if isinstance(raw, list) else [raw]
    if not all(isinstance(r, dict) for r in reports):
        raise EvidenceUnreadableError("not a checkov JSON report (expected an object or a list of objects)")
    by_check: dict[str, CheckTally] = {}
    version: str | None = None
    for report in reports:
        version = version or (report.get("summary") or {}).get("checkov_version")
        results = report.get("results") or {}
        for record in results.get("passed_checks", []):
            by_check.setdefault(record["check_id"], CheckTally()).passed.append(record["resource"])
        for record in results.get("failed_checks", []):
            by_check.setdefault(record["check_id"], CheckTally()).failed.append(record["resource"])
        for record in results.get("skipped_checks", []):
            comment = (record.get("check_result") or {}).get("suppress_comment") or ""
            by_check.setdefault(record["check_id"], CheckTally()).skipped.append(
                (record["resource"], comment)
            )
    return CheckovResults(by_check=by_check, version=version)
