"""Turn a drill journal into Dagster metadata and asset-check results (numbers, units, thresholds)."""

from __future__ import annotations

from typing import Any

from dagster import AssetCheckResult, AssetCheckSeverity, MetadataValue

from drills.journal import DrillJournal, Phase
from drills.measure.lag import plot_series
from drills.measure.objectives import ALL
from drills.measure.rto import phase_offsets, phase_time


def materialization_metadata(journal: DrillJournal, path: str) -> dict[str, Any]:
    """Figures the UI shows (and plots across runs), the lag series and the journal's path."""
    m = journal.measurements
    t0 = phase_time(journal.timeline, Phase.FAULT_INJECTED)
    sources = sorted({s.source for s in journal.lag_samples})
    meta: dict[str, Any] = {
        "status": journal.status.value,
        "journal": MetadataValue.path(path),
        "acknowledged": _num(m.loss.acknowledged),
        "lost": _num(m.loss.lost),
        "digest_mismatches": _num(m.loss.digest_mismatches),
        "in_doubt": _num(m.loss.in_doubt),
        "rpo_data_s": _num(m.rpo_data.value),
        "rpo_metric_s": _num(m.rpo_metric.value),
        "rto_s": _num(m.rto.value),
        "rpo_agreement_tolerance_s": m.rpo_agreement_tolerance_s,
        "phases_s_after_t0": MetadataValue.json(phase_offsets(journal.timeline)),
        "parameters": MetadataValue.json(journal.parameters),
        "notes": MetadataValue.md("\n".join(f"- {n}" for n in journal.notes) or "-"),
    }
    for source in sources:
        series = plot_series([s for s in journal.lag_samples if s.source == source], t0)
        meta[f"lag_series_{source}"] = MetadataValue.json({"unit": "s", "x": "seconds after t0",
                                                           "points": series})
    return meta


def check_results(journal: DrillJournal) -> list[AssetCheckResult]:
    """One result per objective, with observed value, threshold and unit in the metadata."""
    by_name = {o.name: o for o in journal.objectives}
    out = []
    for name in ALL:
        o = by_name[name]
        out.append(AssetCheckResult(
            check_name=name, passed=o.passed, severity=AssetCheckSeverity.ERROR,
            metadata={"observed": _num(o.observed), "threshold": o.threshold, "unit": o.unit,
                      "note": o.note or "-", "run_id": journal.run_id},
        ))
    return out


def _num(value: float | None) -> Any:
    """Dagster metadata has no 'null number': an unmeasured figure is the text 'not measured'."""
    return "not measured" if value is None else float(value)
