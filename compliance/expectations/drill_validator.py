"""The drills' store validator: the Great Expectations suites over every store a drill names.

Wired in by the edges (``htdr drill``/``htdr demo`` and the Dagster asset), so a drill's journal
carries the suites' verdicts and ``reports/integrity/<run_id>/`` the GE results and Data Docs.
"""

from __future__ import annotations

from pathlib import Path

from contracts.evidence_layout import integrity_dir
from contracts.journal import IntegrityResult
from contracts.store_validation import Progress, ValidationRequest, Validator


def suites_validator(reports_dir: Path) -> Validator:
    """A ``Validator`` writing under ``reports_dir/integrity/<run_id>/``."""

    def validate(request: ValidationRequest, progress: Progress) -> list[IntegrityResult]:
        from compliance.expectations.suite_runner import run_suites  # GE takes seconds to import

        progress(f"validating {len(request.stores)} store(s) with the Great Expectations suites")
        return run_suites(
            {s.region: s.dsn for s in request.stores}, request.ledger,
            integrity_dir(reports_dir, request.run_id),
            without_ledger={s.region for s in request.stores if not s.role.holds_every_ack},
            progress=progress,
        )

    return validate
