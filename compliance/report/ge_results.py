"""Read Great Expectations validation results (``ExpectationSuiteValidationResult`` as JSON).

The catalog names GE checks by expectation type, so results are tallied per type. Only verdicts and
counts are kept: per-expectation results may quote unexpected values, which for this pipeline would be
vitals, so the report never carries them (the PHI guard withholds a results file that quotes any).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class GeResult:
    suite: str  # '<suite>@<data source>' when the result names its data source (a region's store)
    success: bool
    evaluated: int
    successful: int
    by_type: dict[str, tuple[int, int]]  # expectation type -> (passed, failed)
    validated_at: str  # ISO time GE recorded; orders several results of one suite


def parse_ge(raw: Any) -> GeResult | None:
    """The suite's verdicts, or None when the JSON is not a GE validation result (e.g. Data Docs data)."""
    if not isinstance(raw, dict) or "success" not in raw or "statistics" not in raw:
        return None
    meta = raw.get("meta") or {}
    suite = raw.get("suite_name") or meta.get("expectation_suite_name")
    if not suite:
        return None
    store = (meta.get("active_batch_definition") or {}).get("datasource_name")
    if store:  # one suite runs on several stores (regions): each is its own result
        suite = f"{suite}@{store}"
    by_type: dict[str, tuple[int, int]] = {}
    for result in raw.get("results") or []:
        config = result.get("expectation_config") or {}
        kind = config.get("type") or config.get("expectation_type") or "?"
        passed, failed = by_type.get(kind, (0, 0))
        by_type[kind] = (passed + 1, failed) if result.get("success") else (passed, failed + 1)
    stats = raw["statistics"] or {}
    return GeResult(
        suite=str(suite),
        success=bool(raw["success"]),
        evaluated=int(stats.get("evaluated_expectations", 0)),
        successful=int(stats.get("successful_expectations", 0)),
        by_type=by_type,
        validated_at=str(meta.get("validation_time") or ""),
    )


def latest_per_suite(results: list[tuple[str, GeResult]]) -> list[tuple[str, GeResult]]:
    """The newest result of each suite (by GE's validation time), in suite order."""
    latest: dict[str, tuple[str, GeResult]] = {}
    for rel, result in sorted(results, key=lambda item: item[1].validated_at):
        latest[result.suite] = (rel, result)
    return [latest[suite] for suite in sorted(latest)]
