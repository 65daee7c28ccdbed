"""Turn a drill journal into Dagster metadata and asset-check results (numbers, units, thresholds)."""

from __future__ import annotations

from typing import Any

from dagster import AssetCheckResult, AssetCheckSeverity, MetadataValue

from compliance.expectations.suite_names import SUITE_NAMES
from contracts.journal import OBJECTIVES, DrillJournal, Phase, Status
from contracts.store_validation import VALIDATION_NOTE
from drills.measure.lag import plot_series
from drills.measure.rto import phase_offsets, phase_time


def materialization_metadata(journal: DrillJournal, path: str) -> dict[str, Any]:
    """Figures the UI shows (and plots across runs), the lag series and the journal's path."""
    m = journal.measurements
    t0 = phase_time(journal.timeline, Phase.FAULT_INJECTED)
    sources = sorted({s.source for s in journal.lag_samples})
    counts = {"acknowledged_events": m.loss.acknowledged, "lost_events": m.loss.lost,
              "digest_mismatch_events": m.loss.digest_mismatches, "in_doubt_events": m.loss.in_doubt,
              "lost_or_changed_events": m.loss.lost_or_changed}
    seconds = {"rpo_data_s": m.rpo_data.value, "rpo_metric_s": m.rpo_metric.value, "rto_s": m.rto.value,
               "rpo_agreement_tolerance_s": m.rpo_agreement_tolerance_s}
    unmeasured = [key for key, value in {**counts, **seconds}.items() if value is None]
    meta: dict[str, Any] = {
        "status": journal.status.value,
        "journal": MetadataValue.path(path),
        **_counts(counts),
        **_floats(seconds),
        "not_measured": ", ".join(unmeasured) or "-",
        "phases_s_after_t0": MetadataValue.json(phase_offsets(journal.timeline)),
        "parameters": MetadataValue.json(journal.parameters),
        "notes": MetadataValue.md("\n".join(f"- {n}" for n in journal.notes) or "-"),
    }
    for source in sources:
        series = plot_series([s for s in journal.lag_samples if s.source == source], t0)
        meta[f"lag_series_{source}"] = MetadataValue.json({"unit": "s", "x": "seconds after t0",
                                                           "points": series})
    return meta


#: The check that mirrors the journal's verdict (objectives, loss proof, set exposure, validation).
DRILL_STATUS = "drill_passed"


def suite_check_name(suite: str) -> str:
    return f"gx_{suite}"


def check_results(journal: DrillJournal) -> list[AssetCheckResult]:
    """One result per objective (observed, threshold, unit), then one per validation suite."""
    return [*_objective_results(journal), _status_result(journal),
            *(_suite_result(journal, suite) for suite in SUITE_NAMES)]


def _status_result(journal: DrillJournal) -> AssetCheckResult:
    """Passed exactly when the journal says passed: the run's status follows the journal's."""
    failed = [r.name for r in journal.integrity if not r.passed]
    failed += [o.name for o in journal.objectives if not o.passed]
    return AssetCheckResult(
        check_name=DRILL_STATUS, passed=journal.status is Status.PASSED, severity=AssetCheckSeverity.ERROR,
        metadata={"status": journal.status.value, "failed": ", ".join(failed) or "-",
                  "run_id": journal.run_id})


def _suite_result(journal: DrillJournal, suite: str) -> AssetCheckResult:
    """The suite's verdict over every store it ran on; not run at all is a warning that says why."""
    runs = [r for r in journal.integrity if r.details.get("suite") == suite]
    not_validated = [n for n in journal.notes if n.startswith(VALIDATION_NOTE)]
    meta: dict[str, Any] = {"run_id": journal.run_id,
                            "notes": MetadataValue.md("\n".join(f"- {n}" for n in not_validated) or "-")}
    if not runs:
        return AssetCheckResult(check_name=suite_check_name(suite), passed=False,
                                severity=AssetCheckSeverity.WARN, metadata={**meta, "result": "not run"})
    for r in runs:
        meta[str(r.details.get("region"))] = r.summary
    if runs[0].details.get("data_docs"):
        meta["data_docs"] = MetadataValue.path(str(runs[0].details["data_docs"]))
    return AssetCheckResult(check_name=suite_check_name(suite), passed=all(r.passed for r in runs),
                            severity=AssetCheckSeverity.ERROR, metadata=meta)


def _objective_results(journal: DrillJournal) -> list[AssetCheckResult]:
    by_name = {o.name: o for o in journal.objectives}
    out = []
    for name in OBJECTIVES:
        o = by_name[name]
        numbers = _floats({f"observed_{o.unit}": o.observed, f"threshold_{o.unit}": o.threshold})
        out.append(AssetCheckResult(
            check_name=name, passed=o.passed, severity=AssetCheckSeverity.ERROR,
            metadata={**numbers, "observed": _text(o.observed, o.unit), "unit": o.unit,
                      "note": o.note or "-", "run_id": journal.run_id},
        ))
    return out


# Numeric metadata is what the UI plots across runs; the unit is in the key. A figure that was not
# measured is left out (Dagster has no null number, and a 0 would plot as a perfect result) and
# ``not_measured`` names it.
def _floats(figures: dict[str, float | None]) -> dict[str, Any]:
    return {key: MetadataValue.float(float(v)) for key, v in figures.items() if v is not None}


def _counts(figures: dict[str, int | None]) -> dict[str, Any]:
    return {key: MetadataValue.int(int(v)) for key, v in figures.items() if v is not None}


def _text(value: float | None, unit: str) -> str:
    return "not measured" if value is None else f"{value:g} {unit}"
