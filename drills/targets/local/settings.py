"""Typed settings of the local sandbox, built once at the edge (CLI, test fixture) and passed down.

Every port is ``port_base`` plus a fixed offset (:class:`Ports`), so two sandboxes never collide as
long as their bases are at least :data:`PORT_SPAN` apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from drills.targets.local.errors import SandboxError

DEFAULT_PORT_BASE = 15400
#: Number of consecutive ports a sandbox uses from its base.
PORT_SPAN = 10


class ReplicationMode(StrEnum):
    """``async`` behaves like an Aurora global database; ``sync`` is the zero-loss mode."""

    ASYNC = "async"
    SYNC = "sync"

    @classmethod
    def parse(cls, value: str) -> ReplicationMode:
        """Parse user input; an unknown mode is one clear line, not a traceback."""
        try:
            return cls(value.strip().lower())
        except ValueError:
            allowed = ", ".join(m.value for m in cls)
            raise SandboxError(
                f"unknown replication mode {value!r}: use one of {allowed} (--replication-mode)"
            ) from None


@dataclass(frozen=True)
class Ports:
    """Fixed offsets from the port base; the names are what ``status`` and errors print."""

    base: int

    @property
    def pg_primary(self) -> int:
        return self.base

    @property
    def pg_standby(self) -> int:
        return self.base + 1

    @property
    def db_link(self) -> int:
        return self.base + 2

    @property
    def cache_primary(self) -> int:
        return self.base + 3

    @property
    def cache_replica(self) -> int:
        return self.base + 4

    @property
    def cache_link(self) -> int:
        return self.base + 5

    @property
    def moto_primary(self) -> int:
        return self.base + 6

    @property
    def moto_dr(self) -> int:
        return self.base + 7

    @property
    def api_primary(self) -> int:
        return self.base + 8

    @property
    def api_dr(self) -> int:
        return self.base + 9

    def named(self) -> dict[str, int]:
        """Every port by component name (used to check them all before starting anything)."""
        names = (
            "pg_primary",
            "pg_standby",
            "db_link",
            "cache_primary",
            "cache_replica",
            "cache_link",
            "moto_primary",
            "moto_dr",
            "api_primary",
            "api_dr",
        )
        return {name: getattr(self, name) for name in names}


@dataclass(frozen=True)
class SandboxSettings:
    """Everything that shapes one sandbox; frozen so nothing deep inside can change it."""

    state_dir: Path = Path(".sandbox")
    outputs_path: Path = Path("cfn-outputs/flat-outputs.json")
    port_base: int = DEFAULT_PORT_BASE
    link_latency_ms: float = 20.0
    replication_mode: ReplicationMode = ReplicationMode.ASYNC
    primary_region: str = "ca-central-1"
    dr_region: str = "ca-west-1"
    environment_suffix: str = "local"
    db_name: str = "patients"
    stream_shards: int = 2
    with_pipeline: bool = True
    #: Unprivileged account PostgreSQL runs as when the sandbox is started by root.
    pg_os_user: str = "nobody"
    ready_timeout_s: float = 30.0
    ports: Ports = field(init=False)

    def __post_init__(self) -> None:
        if not 1024 <= self.port_base <= 65535 - PORT_SPAN:
            raise SandboxError(
                f"port base {self.port_base} is out of range: use 1024..{65535 - PORT_SPAN} (--port-base)"
            )
        if self.link_latency_ms < 0:
            raise SandboxError(f"link latency {self.link_latency_ms} ms is negative: use >= 0 (--latency-ms)")
        if self.primary_region == self.dr_region:
            raise SandboxError(f"primary and DR region are both {self.primary_region!r}: choose two regions")
        object.__setattr__(self, "state_dir", self.state_dir.absolute())
        object.__setattr__(self, "outputs_path", self.outputs_path.absolute())
        object.__setattr__(self, "ports", Ports(self.port_base))
