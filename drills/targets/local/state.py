"""``<state>/state.json``: what the sandbox is, where it stands, and every action taken on it.

Every fault and recovery action is appended before it returns, so after a killed drill one command
(``htdr sandbox recover``) knows what was done and can rebuild the healthy topology.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from drills.targets.local.errors import SandboxError


class Action(BaseModel):
    """One recorded action (fault, recovery or lifecycle step)."""

    at: float
    action: str
    detail: str = ""


class RegionRecord(BaseModel):
    """Identifiers of one region's seeded AWS resources (no secret values), as ``aws_seed`` returns them."""

    region: str
    endpoint_url: str
    kms_key_arn: str
    stream_name: str
    stream_arn: str
    archive_bucket: str
    db_secret_arn: str
    cache_secret_arn: str


class SandboxState(BaseModel):
    """The persisted state; ``phase`` is ``starting`` until ``up`` finished, then ``up``."""

    model_config = ConfigDict(validate_assignment=True)

    version: Literal[1] = 1
    phase: Literal["starting", "up"] = "starting"
    port_base: int
    link_latency_ms: float
    replication_mode: str
    primary_region: str
    dr_region: str
    outputs_path: str
    environment_suffix: str
    db_name: str
    stream_shards: int
    with_pipeline: bool
    pg_os_user: str
    db_writer_region: str
    cache_writer_region: str
    cut_links: list[str] = Field(default_factory=list)
    regions: dict[str, RegionRecord] = Field(default_factory=dict)
    actions: list[Action] = Field(default_factory=list)

    def record(self, action: str, detail: str = "") -> None:
        """Append an action with its wall-clock time."""
        self.actions.append(Action(at=time.time(), action=action, detail=detail))


def load_state(path: Path) -> SandboxState | None:
    """The saved state; None when there is none; a corrupt file is one line pointing at the fix."""
    if not path.exists():
        return None
    try:
        return SandboxState.model_validate_json(path.read_text())
    except (OSError, ValidationError, ValueError):
        raise SandboxError(
            f"sandbox state file {path} is corrupt or from another version: run 'htdr sandbox down --force'"
        ) from None


def save_state(path: Path, state: SandboxState) -> None:
    """Atomic write (tmp + rename) so a killed process never leaves half a state file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(state.model_dump_json(indent=2))
    tmp.replace(path)
