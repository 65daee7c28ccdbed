"""``htdr demo`` and ``htdr drill run | recover | judge | list``: DR drills from a terminal.

Options are read once here into ``DrillConfig`` and sandbox settings and passed down. Bad input is one
red line naming the option and the fix; SIGINT/SIGTERM stop the drill gracefully (rollbacks run);
after a SIGKILL, ``htdr drill recover`` restores the sandbox.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError as PydanticValidationError
from rich.console import Console
from rich.table import Table

from compliance.expectations.drill_validator import suites_validator
from contracts.evidence_layout import REPORTS_DIR
from contracts.journal import DrillJournal
from drills.drill_runner import recover as recover_target
from drills.drill_runner import run_drill
from drills.measure.verdict import disagreements
from drills.scenarios.config import DrillConfig, DrillConfigError, parse_config
from drills.scenarios.context import PreconditionFailed
from drills.scenarios.registry import SCENARIOS
from drills.targets.aws.site import pid_alive
from drills.targets.local.errors import SandboxError
from drills.targets.local.settings import DEFAULT_PORT_BASE
from drills.targets.local_session import local_target, sandbox_settings
from drills.targets.local_target import LocalTarget
from htdr import aws_commands as aws_cli
from htdr.evidence_chain import ACCEPTABLE, build_and_judge, closing_lines, run_app_gate
from htdr.journal_summary import journal_summary

app = typer.Typer(add_completion=False)
drill = typer.Typer(no_args_is_help=True, add_completion=False, help="Run, list and recover DR drills.")
app.add_typer(drill, name="drill")
console = Console()
errors = Console(stderr=True)

StateDir = Annotated[Path, typer.Option("--state-dir", envvar="HTDR_SANDBOX_STATE_DIR", help="sandbox state")]
PortBase = Annotated[int, typer.Option("--port-base", envvar="HTDR_SANDBOX_PORT_BASE", help="sandbox ports")]
ReportsDir = Annotated[Path, typer.Option("--reports-dir", help="journals go to <dir>/drills/")]
#: The demo's drill: long enough to measure under load, short enough for one command under 3 minutes.
DEMO_DRILL: dict[str, object] = {"load_s": 35, "fault_after_s": 8}
Params = Annotated[list[str] | None, typer.Option("--set", help="drill parameter KEY=VALUE (repeatable)")]
TargetKind = Annotated[str, typer.Option("--target", help="'local' (sandbox) or 'aws' (deployed)")]
Outputs = Annotated[Path, typer.Option("--outputs", help="aws: flat outputs of the deployed stacks")]
Allow = Annotated[list[str] | None, typer.Option(
    "--allow-suffix", envvar="HTDR_DRILL_ALLOWLIST", help="aws: suffix drills may act on (repeatable)")]
Confirm = Annotated[str | None, typer.Option("--confirm", help="aws: suffix, allows a destructive drill")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="aws: print every AWS call and rollback; exit")]
PollS = Annotated[float, typer.Option("--poll-s", min=0, help="aws: seconds between status polls")]


@contextmanager
def user_errors() -> Iterator[None]:
    """Known user-facing failures become one red line and exit code 1 (no traceback)."""
    try:
        yield
    except (DrillConfigError, PreconditionFailed, SandboxError, ValueError) as err:
        # emoji off: a secret's ARN holds ":secret:", which rich would print as an emoji
        errors.print(f"[red]error:[/red] {err}", highlight=False, soft_wrap=True, emoji=False)
        raise typer.Exit(1) from None


def progress_printer() -> Callable[[str], None]:
    start = time.monotonic()
    return lambda msg: console.print(f"[dim]{time.monotonic() - start:6.1f}s ·[/dim] {msg}", highlight=False)


def stop_on_signals() -> threading.Event:
    """SIGINT/SIGTERM set the stop flag: the drill aborts at its next check and still rolls back."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def parse_params(pairs: list[str], base: dict[str, object]) -> DrillConfig:
    raw = dict(base)
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise DrillConfigError(f"--set {pair!r}: expected KEY=VALUE, e.g. --set rate_per_min=50000")
        raw[key.strip()] = value.strip()
    return parse_config(raw)


@app.command()
def demo(
    state_dir: StateDir = Path(".sandbox"),
    port_base: PortBase = DEFAULT_PORT_BASE,
    reports_dir: ReportsDir = REPORTS_DIR,
    params: Params = None,
) -> None:
    """Gate on the app → sandbox up → region_outage under 100k events/min → report → sandbox down.

    Exits 0 when the report's overall status is PASS or MANUAL (every automated check passed), else 1.
    """
    with user_errors():
        config = parse_params(params or [], DEMO_DRILL)
        gate = run_app_gate(reports_dir, console)
        console.print(gate.line, highlight=False, soft_wrap=True)
        progress, stop = progress_printer(), stop_on_signals()
        settings = sandbox_settings(state_dir, port_base)
        with local_target(settings, manage=True, progress=progress, one_drill=True) as target:
            result = run_drill(target, "region_outage", config, reports_dir, progress=progress, stop=stop,
                               validator=suites_validator(reports_dir))
        console.print(journal_summary(result.journal))
        console.print(f"journal: {result.path}", highlight=False, soft_wrap=True)
        report, overall = build_and_judge(reports_dir, console)
        console.print(gate.line, highlight=False, soft_wrap=True)
        closing_lines(console, overall, report)
    if overall not in ACCEPTABLE:
        raise typer.Exit(1)


@drill.command("run")
def run(
    scenario: Annotated[str, typer.Argument(help=f"one of: {', '.join(SCENARIOS)}")],
    state_dir: StateDir = Path(".sandbox"),
    port_base: PortBase = DEFAULT_PORT_BASE,
    reports_dir: ReportsDir = REPORTS_DIR,
    params: Params = None,
    manage_sandbox: Annotated[bool, typer.Option(help="start the sandbox if needed, stop it after")] = False,
    target_kind: TargetKind = "local",
    outputs: Outputs = aws_cli.DEFAULT_OUTPUTS,
    allow_suffix: Allow = None,
    confirm: Confirm = None,
    dry_run: DryRun = False,
    poll_s: PollS = 5.0,
) -> None:
    """Run one drill against the local sandbox (or ``--target aws``) and write its journal."""
    with user_errors():
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r}: choose one of {', '.join(SCENARIOS)}")
        aws = _target(target_kind, dry_run) == "aws"
        config = parse_params(params or [], aws_cli.aws_params(params or []) if aws else {})
        progress, stop = progress_printer(), stop_on_signals()
        if aws:
            request = aws_cli.aws_request(outputs, allow_suffix, confirm, reports_dir, poll_s)
            journal = aws_cli.run(scenario, request, config, dry_run, console, progress, stop)
            if journal is not None:
                console.print(journal_summary(journal))
                raise typer.Exit(0 if journal.status.value == "passed" else 2)
            return
        with local_target(sandbox_settings(state_dir, port_base), manage_sandbox, progress,
                          one_drill=True) as target:
            result = run_drill(target, scenario, config, reports_dir, progress=progress, stop=stop,
                               validator=suites_validator(reports_dir))
        console.print(journal_summary(result.journal))
        console.print(f"journal: {result.path}")
        if result.journal.status.value != "passed":
            raise typer.Exit(2)


@drill.command("recover")
def recover(
    state_dir: StateDir = Path(".sandbox"),
    port_base: PortBase = DEFAULT_PORT_BASE,
    reports_dir: ReportsDir = REPORTS_DIR,
    target_kind: TargetKind = "local",
    outputs: Outputs = aws_cli.DEFAULT_OUTPUTS,
    allow_suffix: Allow = None,
    poll_s: PollS = 5.0,
) -> None:
    """Restore the target after a drill process was killed mid-fault (its rollbacks never ran)."""
    with user_errors():
        if _target(target_kind, False) == "aws":
            request = aws_cli.aws_request(outputs, allow_suffix, None, reports_dir, poll_s)
            if not aws_cli.recover(request, console, progress_printer(), _alive):
                raise typer.Exit(1)
            return
        target = LocalTarget(sandbox_settings(state_dir, port_base))
        marker = recover_target(target, reports_dir)
        if marker is None:
            console.print("no interrupted drill: nothing to recover")
            return
        console.print(f"drill {marker.get('run_id')} ({marker.get('scenario')}) was killed: "
                      "[green]sandbox restored to the topology it had before the drill; its journal "
                      "is marked aborted with the phase it reached[/green]")


@drill.command("judge")
def judge(
    journal: Annotated[Path, typer.Argument(help="a drill journal (reports/drills/drill-*.json)")],
) -> None:
    """Re-judge a saved journal from its facts; exit 1 when the stored verdict disagrees."""
    with user_errors():
        try:
            saved = DrillJournal.read(journal)
        except (OSError, PydanticValidationError) as err:
            raise ValueError(f"journal {journal}: not a readable drill journal "
                             f"({type(err).__name__}); pass a file from reports/drills/") from None
        verdict, differences = disagreements(saved)
    for reason in verdict.reasons:
        console.print(f"  {reason}", highlight=False)
    if differences:
        errors.print(f"[red]verdict DISAGREES[/red] with the journal {journal.name}: "
                     + "; ".join(differences), highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    console.print(f"verdict agrees: {verdict.status.value}", highlight=False)


@drill.command("list")
def list_scenarios() -> None:
    """The scenarios and what each does."""
    table = Table("scenario", "description")
    for name, cls in SCENARIOS.items():
        table.add_row(name, cls.description)
    console.print(table)


def _target(kind: str, is_dry_run: bool) -> str:
    if kind not in ("local", "aws"):
        raise ValueError(f"--target {kind!r}: use 'local' (the sandbox) or 'aws' (the deployed stacks)")
    if is_dry_run and kind != "aws":
        raise ValueError("--dry-run prints the AWS calls of a drill: add --target aws")
    return kind


def _alive(pid: int) -> bool:
    return pid_alive(pid)
