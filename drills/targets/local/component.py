"""What ``status`` reports for each sandbox component."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ComponentStatus:
    """One row of ``htdr sandbox status``; ``detail`` never holds credentials."""

    name: str
    kind: str
    region: str
    pid: int | None
    port: int | None
    healthy: bool
    role: str = ""
    detail: str = ""
