"""The steps around a drill that make its report whole: the static gate before, the report after.

``htdr demo`` and ``htdr campaign run`` both run the compliance gate on the CDK app (synthesized with a
demo suffix and placeholder secret names: synthesis never reads a secret, it only names it), then
their drills, then build one auditor report and close with its overall status and path. The gate is
shown with a live rich progress line; its failures do not stop the drills (the report names them).
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from compliance.checkov.tool import CheckovUnavailable
from compliance.controls.catalog import CatalogError
from compliance.gate import GateConfig, GateInputError, run_gate
from compliance.report.models import ControlStatus
from contracts.evidence_layout import compliance_dir

#: Suffix and secret names the demo synthesizes with; nothing is deployed and no secret is read.
DEMO_SUFFIX = "demo"
DEMO_CONTEXT = {"dbSecret": "htdr/demo/aurora-master", "cacheSecret": "htdr/demo/cache-auth"}
#: Where, under the reports directory, the gate synthesizes the app (not evidence: the report skips it).
SYNTH_DIR = "cdk.out"
#: Overall statuses a run can end on and still exit 0 (MANUAL: every automated check passed).
ACCEPTABLE = (ControlStatus.PASS, ControlStatus.MANUAL)


@dataclass(frozen=True)
class GateOutcome:
    """The gate's verdict in one line, and whether it ran at all."""

    ran: bool
    line: str


def run_app_gate(reports_dir: Path, console: Console) -> GateOutcome:
    """Synthesize the app, run every gate tool on it, write the evidence under ``reports_dir``."""
    out = compliance_dir(reports_dir)
    config = GateConfig(out_dir=out, environment_suffix=DEMO_SUFFIX, context=DEMO_CONTEXT,
                        synth_dir=reports_dir / SYNTH_DIR)
    start = time.monotonic()
    columns = (SpinnerColumn(), TextColumn("[bold]gate[/bold] {task.description}"), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task("starting")
            summary = run_gate(config, progress=lambda message: progress.update(task, description=message))
    except (GateInputError, CatalogError, CheckovUnavailable) as error:
        # Leave no earlier run's gate output for the report to mistake for this run's.
        shutil.rmtree(out, ignore_errors=True)
        return GateOutcome(ran=False, line=f"gate could not run: {error}")
    verdict = "PASSED" if summary.passed else "FAILED"
    details = f"{len(summary.failures)} failed check(s)"
    if summary.errors:
        details += f", {len(summary.errors)} error(s): {summary.errors[0]}"
    return GateOutcome(ran=True, line=f"gate {verdict} in {time.monotonic() - start:.0f} s ({details})")


def build_and_judge(reports_dir: Path, console: Console) -> tuple[Path, ControlStatus]:
    """Build the report from everything under ``reports_dir``; return its folder and overall status."""
    from compliance.report.build import build_report, overall_status  # WeasyPrint is slow to import

    columns = (SpinnerColumn(), TextColumn("[bold]report[/bold] {task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("starting")
        folder = build_report(reports_dir, on_step=lambda label: progress.update(task, description=label))
    return folder, overall_status(folder)


def closing_lines(console: Console, overall: ControlStatus, report: Path) -> None:
    """The last two lines of every run: the report's overall status, then where the report is."""
    colour = "green" if overall in ACCEPTABLE else "red"
    console.print(f"overall status: [{colour}]{overall.value}[/{colour}]", highlight=False)
    console.print(f"report: {report}", highlight=False, soft_wrap=True)
