"""Read checkov's ``results_json.json`` (one framework → a mapping, several → a list of them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CheckovFinding:
    """One failed check on one resource, as checkov reports it (no code lines: they may hold values)."""

    check_id: str
    check_name: str
    resource: str
    file: str
    details: tuple[str, ...]
    line: int | None = None


@dataclass(frozen=True)
class CheckovOutcome:
    """Counts of one scan and its failures."""

    passed: int
    failed: int
    skipped: int
    parsing_errors: tuple[str, ...]
    findings: tuple[CheckovFinding, ...]


def parse_checkov_json(raw: Any) -> CheckovOutcome:
    """Fold every framework report of a checkov JSON output into one outcome."""
    reports = raw if isinstance(raw, list) else [raw]
    passed = failed = skipped = 0
    errors: list[str] = []
    findings: list[CheckovFinding] = []
    for report in reports:
        if not isinstance(report, dict):
            raise ValueError("checkov JSON output: a report is not a mapping")
        summary = report.get("summary", {})
        passed += int(summary.get("passed", 0))
        failed += int(summary.get("failed", 0))
        skipped += int(summary.get("skipped", 0))
        results = report.get("results", {})
        errors.extend(str(e) for e in results.get("parsing_errors", []))
        findings.extend(
            CheckovFinding(
                check_id=item["check_id"],
                check_name=item.get("check_name", ""),
                resource=item.get("resource", "?"),
                file=item.get("file_abs_path") or item.get("file_path", "?"),
                details=tuple(str(d) for d in item.get("details") or ()),
                line=_first_line(item.get("file_line_range")),
            )
            for item in results.get("failed_checks", [])
        )
    return CheckovOutcome(passed, failed, skipped, tuple(errors), tuple(findings))


def _first_line(line_range: Any) -> int | None:
    """The first line of checkov's ``file_line_range`` ([start, end]), when it has one."""
    if isinstance(line_range, list) and line_range and isinstance(line_range[0], int) and line_range[0] > 0:
        return line_range[0]
    return None
