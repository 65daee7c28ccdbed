"""A local target for the length of a drill: bring the sandbox up if needed, down again afterwards.

Used by ``htdr demo``, the Dagster resource, the tests and the benchmark, so all of them get the same
sandbox handling. Only a sandbox this session started is taken down.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from drills.targets.local.sandbox import Sandbox, SandboxSettings
from drills.targets.local.settings import ReplicationMode
from drills.targets.local_target import LocalTarget


def sandbox_settings(state_dir: Path, port_base: int, outputs_path: Path | None = None) -> SandboxSettings:
    """Settings a drill sandbox starts with: async, no added latency (a drill configures its own)."""
    return SandboxSettings(
        state_dir=state_dir, port_base=port_base, replication_mode=ReplicationMode.ASYNC, link_latency_ms=0.0,
        outputs_path=outputs_path or Path("cfn-outputs/flat-outputs.json"),
    )


@contextmanager
def local_target(
    settings: SandboxSettings, manage: bool = True, progress: Callable[[str], None] = lambda _: None,
    one_drill: bool = False,
) -> Iterator[LocalTarget]:
    """Yield a ``LocalTarget``; with ``manage`` start the sandbox when none runs and stop it after.

    ``one_drill``: the session runs a single drill, so a sandbox it started is taken down by that
    drill's rollback instead of being rebuilt just before the session takes it down anyway.
    """
    sandbox = Sandbox(settings, progress=progress)
    started = False
    if manage:
        started = sandbox.up()
    try:
        yield LocalTarget(settings, disposable=started and one_drill, progress=progress)
    finally:
        if started:
            progress("stopping the sandbox")
            Sandbox(settings).down(force=True)
