"""``htdr``: the project's command line. Each sub-command group lives beside what it drives."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, help="HealthTech DR harness")
# Sub-command groups register below, one line each (sandbox, drill, gate, report, ...).
app.add_typer(__import__("drills.targets.local.cli", fromlist=["app"]).app, name="sandbox")
app.add_typer(__import__("compliance.report.cli", fromlist=["app"]).app, name="report")
app.add_typer(__import__("compliance.gate_cli", fromlist=["app"]).app, name="gate")
app.add_typer(__import__("drills.drill_cli", fromlist=["app"]).app)  # demo + drill
