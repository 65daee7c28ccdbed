"""The drill target as a Dagster resource: which deployment drills run against, and where evidence goes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from contracts.evidence_layout import REPORTS_DIR
from drills.targets.local_session import local_target, sandbox_settings
from drills.targets.roles import Target


class DrillTargetResource(ConfigurableResource):
    """``kind: local`` drives the sandbox (started for the drill when ``manage_sandbox`` and not up)."""

    kind: str = Field(default="local", description="the deployment drills run against: 'local' (sandbox)")
    state_dir: str = Field(default=".sandbox", description="sandbox state dir")
    port_base: int = Field(default=15400, description="sandbox port base")
    manage_sandbox: bool = Field(default=True, description="start the sandbox if needed, stop it after")
    reports_dir: str = Field(default=str(REPORTS_DIR), description="journals go to <reports_dir>/drills/")

    @contextmanager
    def open(self, progress: Callable[[str], None]) -> Iterator[Target]:
        """The target for one drill; refuses unknown kinds with one clear line."""
        if self.kind != "local":
            raise ValueError(f"drill target kind {self.kind!r} is unknown: use 'local'")
        settings = sandbox_settings(Path(self.state_dir), self.port_base)
        with local_target(settings, self.manage_sandbox, progress, one_drill=True) as target:
            yield target

    @property
    def reports_path(self) -> Path:
        return Path(self.reports_dir)
