"""``htdr gate run``: the compliance gate from the command line (CI, CodePipeline, people).

Exit status: 0 every control passed, 1 a check failed, 2 bad input or a step could not run (or a tool
evaluated nothing). Failures are printed as a table naming the template and stack, the resource, the
check, the control and the HIPAA citation; evidence is in ``--out``. ``-c production=true`` selects the
production profile whether the gate synthesizes or is given ``--templates``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from compliance.checkov.tool import PROJECT_ROOT, CheckovUnavailable
from compliance.controls.catalog import CatalogError
from compliance.gate import EXIT_ERROR, GateConfig, GateInputError, run_gate
from compliance.gate_summary import GateSummary
from contracts.evidence_layout import REPORTS_DIR, compliance_dir

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="HIPAA compliance gate: cdk-nag + checkov + cfn-lint + Dockerfile checks",
)
TRUE_WORDS = frozenset({"true", "1", "yes"})
DEFAULT_OUT = compliance_dir(PROJECT_ROOT / REPORTS_DIR)


@app.callback()
def gate() -> None:
    """HIPAA compliance gate: cdk-nag, checkov, cfn-lint and Dockerfile checks on the app's templates."""


def _parse_context(pairs: list[str]) -> dict[str, str]:
    """``key=value`` CDK context pairs; a malformed one is bad input."""
    parsed: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise GateInputError(f"--context {pair!r}: expected key=value")
        parsed[key] = value
    return parsed


def _failure_table(summary: GateSummary) -> Table:
    """One row per failed check and resource, with where it is, the control and citation it endangers."""
    table = Table(title=f"{len(summary.failures)} failed check(s) ({summary.profile} profile)")
    for column in ("tool", "check", "template (stack)", "resource", "control", "HIPAA citation"):
        table.add_column(column, overflow="fold")
    for failure in summary.failures:
        controls = [hit.control_id for hit in failure.controls] + failure.engineering
        citations = ", ".join(f"§{c}" for c in failure.citations)
        if failure.citation_source == "rule metadata":
            citations += " (rule's own)"
        elif failure.citation_source == "engineering":
            citations = "none (not a HIPAA control)"
        where = failure.template or "-"
        if failure.stack:
            where += f" ({failure.stack})"
        table.add_row(
            failure.tool,
            failure.check_id,
            where,
            failure.logical_id or failure.resource,
            ", ".join(controls) or "(not in catalog)",
            citations or "-",
        )
    return table


@app.command("run")
def run(
    templates: Annotated[
        Path | None, typer.Option(help="Judge the templates of this cdk.out instead of synthesizing the app")
    ] = None,
    environment_suffix: Annotated[
        str | None, typer.Option("--environment-suffix", "-e", help="environmentSuffix to synthesize with")
    ] = None,
    context: Annotated[
        list[str] | None,
        typer.Option(
            "--context", "-c", help="CDK context key=value (repeatable); production=true: that profile"
        ),
    ] = None,
    out: Annotated[Path, typer.Option(help="Where the evidence files go")] = DEFAULT_OUT,
) -> None:
    """Synthesize (or take --templates), run cdk-nag and checkov, write JSON/SARIF/JUnit and the summary."""
    console = Console(stderr=True)
    try:
        parsed = _parse_context(context or [])
        config = GateConfig(
            out_dir=out,
            templates_dir=templates,
            environment_suffix=environment_suffix,
            context=parsed,
            synth_dir=out.parent / "cdk.out",
            production=parsed.get("production", "").strip().lower() in TRUE_WORDS,
        )
        with console.status("compliance gate") as status:
            summary = run_gate(config, progress=lambda message: status.update(f"gate: {message}"))
    except (GateInputError, CatalogError, CheckovUnavailable) as error:
        console.print(f"[red]gate:[/red] {error}")
        raise typer.Exit(EXIT_ERROR) from None
    if summary.failures:
        Console().print(_failure_table(summary))
    for problem in summary.errors:
        console.print(f"[red]gate error:[/red] {problem}")
    timing = {t.step: t.seconds for t in summary.timings}
    verdict = "[green]PASSED[/green]" if summary.passed else "[red]FAILED[/red]"
    for tool in summary.tools:
        if tool.status != "evaluated":
            console.print(f"[yellow]{tool.tool}: {tool.status}[/yellow] ({tool.reason})")
    steps = ", ".join(f"{step} {timing.get(step)} s" for step in ("synth", "cdk-nag", "checkov", "cfn-lint"))
    console.print(f"gate {verdict} in {timing.get('total')} s ({steps}); evidence in {out}")
    raise typer.Exit(summary.exit_code)
