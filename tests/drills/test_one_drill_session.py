"""A sandbox started for one drill (``./dev drill``, ``drill run --manage-sandbox``, Dagster's
``manage_sandbox``) is built once: the drill sets its topology on the running sandbox, and its
rollback takes the sandbox down instead of rebuilding it just before the session would."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from drills.drill_runner import run_drill
from drills.scenarios.config import parse_config
from drills.targets.local.sandbox import Sandbox
from drills.targets.local_session import local_target, sandbox_settings

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]
PORT_BASE = 18060
#: What the sandbox says once per build.
BUILD = "initialising the PostgreSQL primary"


def test_a_one_drill_session_builds_the_sandbox_once_and_leaves_none_behind() -> None:
    root = Path(tempfile.mkdtemp(prefix="htdr-one-drill-"))
    root.chmod(0o755)
    settings = sandbox_settings(root / "sandbox", PORT_BASE, outputs_path=root / "flat-outputs.json")
    said: list[str] = []
    try:
        with local_target(settings, manage=True, progress=said.append, one_drill=True) as target:
            config = parse_config({"link_latency_ms": 20.0, "rate_per_min": 20000, "load_s": 12.0,
                                   "fault_after_s": 4.0})
            journal = run_drill(target, "region_outage", config, root / "reports",
                                progress=said.append).journal
            assert Sandbox(settings).table.names() == []  # the rollback took it down
        assert said.count(BUILD) == 1, [m for m in said if m == BUILD]
        assert journal.measurements.loss.lost == 0
        assert any("take down the sandbox started for this drill" in r.rollback for r in journal.rollbacks)
        assert journal.steady_state is not None and journal.steady_state.restored
    finally:
        shutil.rmtree(root, ignore_errors=True)
