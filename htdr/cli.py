"""``htdr``: the project's command line, one of the two places (with the Dagster definitions) where
``drills`` and ``compliance`` meet. Each sub-command group lives beside what it drives."""

from __future__ import annotations

import typer

from compliance.gate_cli import app as gate_app
from compliance.report.cli import app as report_app
from drills.targets.local.sandbox_commands import app as sandbox_app
from htdr.campaign_commands import app as campaign_app
from htdr.drill_commands import app as drill_app

app = typer.Typer(no_args_is_help=True, add_completion=False, help="HealthTech DR harness")
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(report_app, name="report")
app.add_typer(gate_app, name="gate")
app.add_typer(drill_app)  # demo + drill
app.add_typer(campaign_app, name="campaign")
