"""``htdr sandbox up | down | status | recover | cut | restore | latency``: the sandbox from a terminal.

Options are read once here (flags or ``HTDR_SANDBOX_*`` variables) into :class:`SandboxSettings`;
commands after ``up`` use the settings saved in the state dir, so ports always match. A
:class:`SandboxError` prints one red line and exits 1, without a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from drills.targets.local.errors import SandboxError
from drills.targets.local.sandbox import CACHE_LINK, DB_LINK, Sandbox
from drills.targets.local.settings import DEFAULT_PORT_BASE, ReplicationMode, SandboxSettings

app = typer.Typer(no_args_is_help=True, add_completion=False, help="The local sandbox (DESIGN §4 'local').")
console = Console()
errors = Console(stderr=True)

StateDir = Annotated[
    Path, typer.Option("--state-dir", envvar="HTDR_SANDBOX_STATE_DIR", help="state directory")
]
PortBase = Annotated[
    int, typer.Option("--port-base", envvar="HTDR_SANDBOX_PORT_BASE", help="first of 10 consecutive ports")
]
Outputs = Annotated[Path, typer.Option("--outputs", help="flat outputs file to write")]
_LINKS = {"db": DB_LINK, "cache": CACHE_LINK}


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn a SandboxError into one line on stderr and exit code 1."""
    try:
        yield
    except SandboxError as err:
        errors.print(f"[red]error:[/red] {err}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def _progress() -> Callable[[str], None]:
    return lambda message: console.print(f"[dim]·[/dim] {message}", highlight=False)


@app.command()
def up(
    state_dir: StateDir = Path(".sandbox"),
    port_base: PortBase = DEFAULT_PORT_BASE,
    outputs: Outputs = Path("cfn-outputs/flat-outputs.json"),
    latency_ms: Annotated[float, typer.Option(help="round-trip latency of the inter-region links")] = 20.0,
    replication_mode: Annotated[
        str, typer.Option(help="async (Aurora-global-like) or sync (zero loss)")
    ] = "async",
    pipeline: Annotated[bool, typer.Option(help="also start the ingest APIs and processors")] = True,
) -> None:
    """Start both regions (idempotent: a healthy sandbox is left as it is)."""
    with _user_errors():
        settings = SandboxSettings(
            state_dir=state_dir,
            outputs_path=outputs,
            port_base=port_base,
            link_latency_ms=latency_ms,
            replication_mode=ReplicationMode.parse(replication_mode),
            with_pipeline=pipeline,
        )
        with console.status("starting the sandbox"):
            started = Sandbox(settings, _progress()).up()
        console.print("sandbox is up" if started else "sandbox was already up")
        console.print(f"outputs: {settings.outputs_path}")


@app.command()
def down(
    state_dir: StateDir = Path(".sandbox"),
    port_base: PortBase = DEFAULT_PORT_BASE,
    outputs: Outputs = Path("cfn-outputs/flat-outputs.json"),
    force: Annotated[bool, typer.Option("--force", help="ignore a corrupt or stale state dir")] = False,
) -> None:
    """Stop every sandbox process and free its ports (keeps the logs under <state-dir>/logs)."""
    with _user_errors():
        try:
            sandbox = Sandbox.attach(state_dir, _progress())
        except SandboxError:
            if not force and (state_dir / "state.json").exists():
                raise
            sandbox = Sandbox(
                SandboxSettings(state_dir=state_dir, outputs_path=outputs, port_base=port_base), _progress()
            )
        busy = sandbox.down(force=force)
        if busy:
            raise SandboxError(
                f"ports {busy} are still in use after stopping the sandbox: another program holds them"
            )
        console.print("sandbox is down")


@app.command()
def status(state_dir: StateDir = Path(".sandbox")) -> None:
    """Every component with its role and health."""
    with _user_errors():
        sandbox = Sandbox.attach(state_dir)
        rows = sandbox.status()
        table = Table(title=f"sandbox {sandbox.settings.state_dir} (DB writer: {sandbox.writer_region()})")
        for column in ("component", "kind", "region", "pid", "port", "health", "role", "detail"):
            table.add_column(column)
        for row in rows:
            health = "[green]healthy[/green]" if row.healthy else "[red]DOWN[/red]"
            table.add_row(
                row.name,
                row.kind,
                row.region,
                str(row.pid or "-"),
                str(row.port or "-"),
                health,
                row.role,
                row.detail,
            )
        console.print(table)
        if not all(r.healthy for r in rows):
            raise typer.Exit(1)


@app.command()
def recover(
    state_dir: StateDir = Path(".sandbox"),
    port_base: PortBase = DEFAULT_PORT_BASE,
    outputs: Outputs = Path("cfn-outputs/flat-outputs.json"),
) -> None:
    """After a killed drill: tear everything down and start the healthy topology again."""
    with _user_errors():
        try:
            settings = Sandbox.attach(state_dir).settings
        except SandboxError:
            settings = SandboxSettings(state_dir=state_dir, outputs_path=outputs, port_base=port_base)
        sandbox = Sandbox(settings, _progress())
        sandbox.reset()
        console.print("sandbox recovered: healthy topology rebuilt")


def _link(which: str) -> str:
    if which not in _LINKS:
        raise SandboxError(f"unknown link {which!r}: use one of {', '.join(_LINKS)}")
    return _LINKS[which]


@app.command()
def cut(
    which: Annotated[str, typer.Argument(help="db or cache")], state_dir: StateDir = Path(".sandbox")
) -> None:
    """Partition an inter-region link (replication stops)."""
    with _user_errors():
        Sandbox.attach(state_dir).cut_link(_link(which))
        console.print(f"link {which} cut")


@app.command()
def restore(
    which: Annotated[str, typer.Argument(help="db or cache")], state_dir: StateDir = Path(".sandbox")
) -> None:
    """Heal a partitioned link (replication resumes)."""
    with _user_errors():
        Sandbox.attach(state_dir).restore_link(_link(which))
        console.print(f"link {which} restored")


@app.command()
def latency(
    round_trip_ms: Annotated[float, typer.Argument(help="new round trip of both links, in ms")],
    state_dir: StateDir = Path(".sandbox"),
) -> None:
    """Change the inter-region latency while running (no rebuild)."""
    with _user_errors():
        Sandbox.attach(state_dir).set_link_latency(round_trip_ms)
        console.print(f"links now {round_trip_ms:g} ms round trip")
