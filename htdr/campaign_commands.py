"""``htdr campaign run``: a small DR campaign whose report has a history worth reading.

The compliance gate on the app, then every scenario once on one sandbox (``region_outage`` twice:
async replication with single-region ingest, then sync with dual-write), then ONE auditor report over
all of it. A drill that fails or is refused does not stop the campaign: failed drills are evidence too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from compliance.expectations.drill_validator import suites_validator
from contracts.journal import DrillJournal
from drills.drill_runner import run_drill
from drills.scenarios.context import PreconditionFailed
from drills.scenarios.registry import SCENARIOS
from drills.targets.local.settings import DEFAULT_PORT_BASE
from drills.targets.local_session import local_target, sandbox_settings
from htdr.drill_commands import (
    PortBase,
    ReportsDir,
    StateDir,
    parse_params,
    progress_printer,
    stop_on_signals,
    user_errors,
)
from htdr.evidence_chain import ACCEPTABLE, build_and_judge, closing_lines, run_app_gate
from htdr.journal_summary import history_table

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="A campaign: gate, every scenario once (region_outage async and sync), one report.")
console = Console()

Params = Annotated[list[str] | None, typer.Option(
    "--set", help="drill parameter KEY=VALUE for every drill of the campaign (repeatable)")]


@dataclass(frozen=True)
class CampaignDrill:
    """One drill of the campaign: its scenario and the parameters it sets over the defaults."""

    scenario: str
    overrides: dict[str, object]

    @property
    def label(self) -> str:
        mode = self.overrides.get("replication_mode")
        return f"{self.scenario} ({mode})" if mode else self.scenario


def campaign_plan(only: list[str] | None = None) -> list[CampaignDrill]:
    """region_outage async (the loss an Aurora-global-like setup risks) and sync (zero loss), then
    every other scenario once with its defaults; ``only`` keeps the drills of the scenarios named."""
    unknown = sorted(set(only or ()) - set(SCENARIOS))
    if unknown:
        raise ValueError(f"--only {unknown[0]}: unknown scenario; choose from {', '.join(SCENARIOS)}")
    plan = [CampaignDrill("region_outage", {"replication_mode": "async"}),
            CampaignDrill("region_outage", {"replication_mode": "sync"})]
    plan += [CampaignDrill(name, {}) for name in SCENARIOS if name != "region_outage"]
    return [drill for drill in plan if not only or drill.scenario in only]


@app.callback()
def campaign() -> None:
    """A small DR campaign with one report."""


@app.command("run")
def run(
    state_dir: StateDir = Path(".sandbox"),
    port_base: PortBase = DEFAULT_PORT_BASE,
    reports_dir: ReportsDir = Path("reports"),
    params: Params = None,
    gate: Annotated[bool, typer.Option(help="run the compliance gate on the app first")] = True,
    only: Annotated[list[str] | None, typer.Option(
        "--only", help="run only this scenario's drills (repeatable); default: the whole campaign")] = None,
) -> None:
    """Gate → every scenario once (region_outage async and sync) on one sandbox → one report.

    Exits 0 when the report's overall status is PASS or MANUAL (every automated check passed), else 1.
    """
    with user_errors():
        plan = campaign_plan(only)
        configs = [parse_params(params or [], drill.overrides) for drill in plan]  # all refused up front
        start = time.monotonic()
        gate_line = run_app_gate(reports_dir, console).line if gate else "gate not run (--no-gate)"
        console.print(gate_line, highlight=False, soft_wrap=True)
        progress, stop = progress_printer(), stop_on_signals()
        journals: list[DrillJournal] = []
        refused: list[str] = []
        with local_target(sandbox_settings(state_dir, port_base), manage=True, progress=progress) as target:
            for n, (drill, config) in enumerate(zip(plan, configs, strict=True), start=1):
                if stop.is_set():
                    refused.append(f"{drill.label}: not run (stopped)")
                    continue
                console.rule(f"drill {n}/{len(plan)}: {drill.label}")
                try:
                    result = run_drill(target, drill.scenario, config, reports_dir, progress=progress,
                                       stop=stop, validator=suites_validator(reports_dir))
                except PreconditionFailed as refusal:
                    refused.append(f"{drill.label}: refused: {refusal}")
                    continue
                journals.append(result.journal)
        console.print(history_table(journals, f"campaign: {len(journals)} of {len(plan)} drills run"))
        not_passed = [j for j in journals if j.status.value != "passed"]
        if not_passed:
            console.print(f"[red]{len(not_passed)} of {len(journals)} drills did not pass[/red] "
                          "(listed under the report's failures)", highlight=False, soft_wrap=True)
        for line in refused:
            console.print(f"[red]{line}[/red]", highlight=False, soft_wrap=True)
        report, overall = build_and_judge(reports_dir, console)
        console.print(f"campaign wall time: {time.monotonic() - start:.0f} s", highlight=False)
        console.print(gate_line, highlight=False, soft_wrap=True)
        closing_lines(console, overall, report)
    if overall not in ACCEPTABLE or refused:
        raise typer.Exit(1)
