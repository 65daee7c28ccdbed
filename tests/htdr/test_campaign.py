"""``htdr campaign run``: its default plan, and a short campaign on a real sandbox giving ONE report.

The sandbox run keeps to region_outage's two drills (async then sync) with short settings so it stays
near a minute; the plan test checks that the default campaign holds every scenario.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from compliance.report.models import Report
from drills.scenarios.registry import SCENARIOS
from htdr.campaign_commands import campaign_plan
from htdr.cli import app

PORT_BASE = 18060
SHORT = ("load_s=6", "fault_after_s=1", "rate_per_min=6000", "devices=20", "partition_s=1")


def test_default_plan_runs_every_scenario_once_and_region_outage_async_and_sync() -> None:
    plan = campaign_plan()
    assert sorted({d.scenario for d in plan}) == sorted(SCENARIOS)
    assert [d.overrides for d in plan if d.scenario == "region_outage"] == [
        {"replication_mode": "async"}, {"replication_mode": "sync"}]
    assert len(plan) == len(SCENARIOS) + 1
    assert [d.label for d in campaign_plan(["region_outage"])] == [
        "region_outage (async)", "region_outage (sync)"]


def test_unknown_scenario_is_one_line_and_touches_nothing(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["campaign", "run", "--only", "nope", "--no-gate",
                                      "--reports-dir", str(tmp_path / "reports")])
    assert result.exit_code == 1
    assert "--only nope: unknown scenario; choose from region_outage" in result.output
    assert not (tmp_path / "reports").exists()


@pytest.fixture
def root() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="htdr-campaign-test-"))
    path.chmod(0o755)  # PostgreSQL runs as nobody when the tests run as root
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_short_campaign_on_the_sandbox_builds_one_report_with_its_history(root: Path) -> None:
    reports = root / "reports"
    args = ["campaign", "run", "--no-gate", "--only", "region_outage", "--reports-dir", str(reports),
            "--state-dir", str(root / "sandbox"), "--port-base", str(PORT_BASE)]
    for pair in SHORT:
        args += ["--set", pair]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "80"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output

    folders = sorted(reports.glob("report-*"))
    assert len(folders) == 1, result.output
    model = Report.model_validate_json((folders[0] / "evidence.json").read_text())
    assert [(h.scenario, h.mode) for h in model.history] == [
        ("region_outage", "async/single"), ("region_outage", "sync/dual")]
    not_passed = {h.run_id for h in model.history if h.status != "passed"}
    assert {h.run_id for h in model.failed_drills} == not_passed
    assert len(list((reports / "drills").glob("drill-*.json"))) == 2

    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines[-2] == f"overall status: {model.summary.overall.value}"
    assert lines[-1] == f"report: {folders[0]}"
    assert "gate not run (--no-gate)" in result.output
    assert re.search(r"campaign: 2 of 2 drills run", result.output)
    table = result.output[result.output.index("campaign: 2 of 2"):]
    assert "async/single" in table and "sync/dual" in table and "…" not in table
    assert result.exit_code == (0 if model.summary.overall.value in ("PASS", "MANUAL") else 1)
    assert "stopping the sandbox" in result.output  # the campaign took down the sandbox it started
