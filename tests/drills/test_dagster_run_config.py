"""The Dagster run config is derived from ``DrillConfig``: every field can be set in the launchpad."""

from __future__ import annotations

from drills.defs.run_config import DEFAULT, DrillRunConfig
from drills.measure.objectives import Objectives
from drills.scenarios.config import DrillConfig


def test_every_drill_config_field_is_a_run_config_field_with_its_default() -> None:
    assert set(DrillRunConfig.model_fields) == set(DrillConfig.model_fields)
    assert DrillRunConfig().to_drill_config() == DrillConfig()
    objectives = DrillRunConfig.model_fields["objectives"].annotation
    assert set(objectives.model_fields) == set(Objectives.model_fields)  # type: ignore[union-attr]


def test_every_field_set_in_the_launchpad_reaches_the_drill() -> None:
    changed = {"rate_per_min": 5000, "load_s": 30.0, "fault_after_s": 4.0, "link_latency_ms": 7.0,
               "replication_mode": "async", "ingest": "dual", "partition_s": 3.0, "detect_failures": 5,
               "probe_interval_s": 0.2, "sample_interval_s": 0.05, "recovery_timeout_s": 60.0,
               "drain_settle_s": 1.0, "abort_lag_s": 100.0, "session_rate_per_s": 50, "devices": 10,
               "exposure": "processor_pause", "exposure_s": 1.5,
               "objectives": {"rpo_s": 60.0, "rto_s": 600.0, "max_acknowledged_loss": 2}}
    assert set(changed) == set(DrillConfig.model_fields)
    drill = DrillRunConfig(**changed).to_drill_config()
    assert drill.model_dump(mode="json") == changed


def test_ingest_left_at_default_follows_the_replication_mode() -> None:
    assert DrillRunConfig().ingest == DEFAULT
    assert DrillRunConfig(replication_mode="async").to_drill_config().ingest_mode.value == "single"
