"""Session-wide fixtures shared across test packages.

``app_gate_run``: the gate step of ``htdr demo`` run ONCE per session on the real app. It synthesizes
the default profile (demo suffix, placeholder secret names) into ``reports/cdk.out`` and judges it.
The htdr evidence-chain test asserts on that run; the compliance gate tests take its cloud assembly
as the app's default-profile templates instead of synthesizing the same app a second time.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console

from htdr.evidence_chain import SYNTH_DIR, GateOutcome, run_app_gate


@dataclass(frozen=True)
class AppGateRun:
    """Where the gate step wrote its evidence (and the synthesized app), and its one-line verdict."""

    reports: Path
    outcome: GateOutcome

    @property
    def assembly(self) -> Path:
        """The cloud assembly the gate step synthesized and judged."""
        return self.reports / SYNTH_DIR


@pytest.fixture(scope="session")
def app_gate_run(tmp_path_factory: pytest.TempPathFactory) -> AppGateRun:
    reports = tmp_path_factory.mktemp("app-gate") / "reports"
    outcome = run_app_gate(reports, Console(file=io.StringIO(), width=80))
    return AppGateRun(reports=reports, outcome=outcome)
