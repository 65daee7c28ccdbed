"""Region-outage drills on one real sandbox: zero loss in sync/dual mode, through Dagster.

The sync drill runs through Dagster with a deliberately impossible RTO objective, so the same run
proves that the evidence asset's checks carry the measurements, that a failed objective fails its
(blocking) check and the run, and that the report is still built for the failed drill with the same
verdict. Measured loss in async mode, with the GE suites naming the lost events, is in
``test_set_exposure.py`` (a set exposure: the loss does not depend on where the kill lands). Loads are
kept short (the CI budget); the figures come from the run.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import DagsterInstance, build_run_status_sensor_context, materialize

from contracts.journal import DrillJournal, Phase, Status
from drills.defs.assets import DRILL_ASSETS
from drills.defs.resources import DrillTargetResource
from drills.defs.sensors import build_report_after_failed_drill
from drills.drill_runner import read_inflight
from drills.targets.local.sandbox import SandboxSettings
from drills.targets.local_target import LocalTarget

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]
PORT_BASE = 18000


def _only_journal(reports: Path) -> DrillJournal:
    paths = sorted((reports / "drills").glob("drill-*.json"))
    assert len(paths) == 1, paths
    return DrillJournal.read(paths[0])


def test_sync_outage_loses_nothing_and_a_failed_objective_fails_its_check(
    sandbox: tuple[LocalTarget, SandboxSettings, Path],
) -> None:
    _, settings, root = sandbox
    reports = root / "reports-sync"
    resource = DrillTargetResource(state_dir=str(settings.state_dir), port_base=PORT_BASE,
                                   manage_sandbox=False, reports_dir=str(reports))
    config = {"replication_mode": "sync", "link_latency_ms": 20.0, "rate_per_min": 30000,
              "load_s": 12.0, "fault_after_s": 5.0, "objectives": {"rto_s": 0.001}}
    instance = DagsterInstance.ephemeral()
    result = materialize([DRILL_ASSETS[0]], resources={"drill_target": resource}, instance=instance,
                         run_config={"ops": {"region_outage_drill": {"config": config}}},
                         raise_on_error=False)
    journal = _only_journal(reports)
    # run status, journal status and report agree: a failed objective fails the run (blocking check)
    assert not result.success and journal.status is Status.FAILED
    context = build_run_status_sensor_context(
        sensor_name="build_report_after_failed_drill", dagster_event=result.get_run_failure_event(),
        dagster_instance=instance, dagster_run=result.dagster_run, resources={"drill_target": resource})
    build_report_after_failed_drill(context)
    reports_built = sorted(reports.glob("report-*/evidence.json"))
    assert len(reports_built) == 1
    assert f'"{journal.run_id}"' in reports_built[0].read_text()
    assert '"failed"' in reports_built[0].read_text()
    loss = journal.measurements.loss
    assert journal.parameters["ingest"] == "dual"
    assert loss.acknowledged is not None and loss.acknowledged > 1000
    assert loss.lost == 0 and loss.digest_mismatches == 0
    assert journal.measurements.rpo_data.value == 0.0
    assert journal.measurements.rto.value is not None and journal.measurements.rto.value > 0.001
    phases = [e.phase for e in journal.timeline]
    for phase in (Phase.FAULT_INJECTED, Phase.DETECTED, Phase.PROMOTED, Phase.REPOINTED,
                  Phase.FIRST_ACK_WRITE_READABLE, Phase.BACKLOG_DRAINED, Phase.ROLLED_BACK):
        assert phase in phases
    assert all(r.ok for r in journal.rollbacks)
    proofs = {i.name: i for i in journal.integrity}
    assert proofs["ledger_vs_surviving_store"].passed          # the bucketed checksum diff
    assert any("checksum diff confirms" in n for n in journal.notes)
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not checks["rto_within_objective"].passed
    assert checks["rto_within_objective"].metadata["threshold_s"].value == 0.001
    assert checks["rto_within_objective"].metadata["unit"].value == "s"
    assert checks["zero_acknowledged_loss"].passed and checks["rpo_within_objective"].passed
    assert not checks["drill_passed"].passed and checks["drill_passed"].metadata["status"].value == "failed"
    materialization = result.asset_materializations_for_node("region_outage_drill")[0]
    assert materialization.metadata["lost_events"].value == 0
    assert "lag_series_db_replication_lag" in materialization.metadata
    assert read_inflight(reports) is None
    # the GE suites ran on the surviving store before the rollback; the dead primary is named
    for suite in ("vitals_store_schema", "vitals_store_validity", "vitals_store_vs_ledger"):
        assert checks[f"gx_{suite}"].passed, checks[f"gx_{suite}"].metadata
        assert f"gx:{suite}@ca-west-1" in proofs
    notes = str(checks["gx_vitals_store_vs_ledger"].metadata["notes"].value)
    assert "store of ca-central-1 not validated: unreachable" in notes
    assert (reports / "integrity" / journal.run_id / "data_docs" / "index.html").is_file()
