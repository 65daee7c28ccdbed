"""Every scenario passes on its defaults (sync replication, dual ingest, 20 ms link, 100,000 events/min,
the default sampling and tolerances); only the load's length is shortened for the CI budget.

Each test also pins the rule that used to make its scenario fail or pass for the wrong reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.journal import DrillJournal, Phase, Status
from drills.drill_runner import run_drill
from drills.measure.rpo import CONSUMER_LAG, DB_LAG
from drills.scenarios.cache_failover import CACHE_LAG
from drills.scenarios.config import DrillConfig, parse_config
from drills.targets.local.sandbox import SandboxSettings
from drills.targets.local_target import LocalTarget

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]
PORT_BASE = 18080
#: Only the durations differ from the defaults.
SHORT = {"load_s": 14.0, "fault_after_s": 4.0}


def _drill(target: LocalTarget, root: Path, scenario: str, **params: object) -> DrillJournal:
    journal = run_drill(target, scenario, parse_config({**SHORT, **params}), root / scenario).journal
    failed = [(o.name, o.observed, o.note) for o in journal.objectives if not o.passed]
    assert journal.status is Status.PASSED, (failed, journal.notes)
    assert journal.measurements.rpo_agree is True
    assert all(r.ok for r in journal.rollbacks) and target.health().ok
    return journal


def _note(journal: DrillJournal, prefix: str) -> str:
    return next(n for n in journal.notes if n.startswith(prefix))


def test_planned_switchover_drains_on_its_own_stream_and_loses_nothing(
    sandbox: tuple[LocalTarget, SandboxSettings, Path],
) -> None:
    target, _, root = sandbox
    journal = _drill(target, root, "planned_switchover")
    assert journal.measurements.loss.lost == 0
    detected = next(e for e in journal.timeline if e.phase is Phase.DETECTED)
    assert detected.detail.startswith("primary drained")
    # the metric is read when the writer changed: replication and the primary's stream both at 0
    metric = journal.measurements.rpo_metric
    assert metric.value is not None and metric.value <= journal.measurements.rpo_agreement_tolerance_s
    assert _note(journal, "RPO (metric) at promotion").count(DB_LAG) and CONSUMER_LAG in metric.note


def test_link_partition_with_dual_ingest_does_not_count_database_lag_as_exposure(
    sandbox: tuple[LocalTarget, SandboxSettings, Path],
) -> None:
    target, _, root = sandbox
    journal = _drill(target, root, "link_partition", load_s=18.0)
    m = journal.measurements
    assert m.loss.lost == 0 and m.rpo_data.value == 0.0 and m.rpo_metric.value == 0.0
    assert "dual ingest" in m.rpo_metric.note
    # the partition is still visible in the recorded database lag: it is measured, just not exposure
    t0 = next(e.t for e in journal.timeline if e.phase is Phase.FAULT_INJECTED)
    db = [s.lag_s for s in journal.lag_samples if s.source == DB_LAG and s.lag_s is not None and s.t <= t0]
    assert max(db) > DrillConfig().partition_s - 1.0


def test_cache_failover_runs_the_topology_its_journal_records_and_samples_at_10_hz(
    sandbox: tuple[LocalTarget, SandboxSettings, Path],
) -> None:
    target, _, root = sandbox
    journal = _drill(target, root, "cache_failover")
    defaults = DrillConfig()
    assert journal.parameters["applied_topology"] == {
        "replication_mode": defaults.replication_mode.value, "link_latency_ms": defaults.link_latency_ms}
    assert "rate_per_min" not in journal.parameters and "ingest" not in journal.parameters
    assert journal.measurements.loss.lost == 0
    metric = journal.measurements.rpo_metric
    assert metric.value is not None and CACHE_LAG in metric.note
    rate = _note(journal, f"{CACHE_LAG}:")         # the 10 Hz rule held where it decides the metric
    assert "before t0" in rate and "BELOW" not in rate


def test_processor_crash_reads_its_metric_from_the_stream_after_the_drain(
    sandbox: tuple[LocalTarget, SandboxSettings, Path],
) -> None:
    target, _, root = sandbox
    journal = _drill(target, root, "processor_crash")
    m = journal.measurements
    assert m.loss.lost == 0 and m.loss.acknowledged
    assert m.rpo_metric.value is not None and CONSUMER_LAG in m.rpo_metric.note
    assert "at the end of the drain" in _note(journal, "RPO (metric)")
    # the consumer lag at the crash was real and recorded: the stream held it, so it was not loss
    t0 = next(e.t for e in journal.timeline if e.phase is Phase.FAULT_INJECTED)
    after = [s.lag_s for s in journal.lag_samples if s.source == CONSUMER_LAG and s.lag_s is not None
             and s.t > t0]
    assert max(after) > 0.0
