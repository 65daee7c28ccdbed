"""Typed run configuration of a drill: the same model is the Dagster run config and the CLI's options.

Validated before anything is touched; a bad value is one line naming the field and the fix.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from drills.measure.objectives import Objectives
from drills.targets.values import IngestMode, LoadSpec, ReplicationMode, TopologySpec


class DrillConfigError(ValueError):
    """Invalid drill parameters; the message is one line for the operator."""


class DrillConfig(BaseModel):
    """Parameters of one drill run. Zero-loss configuration = ``replication_mode: sync`` AND
    ``ingest: dual`` (the default ingest of the sync preset); ``async`` defaults to single-write, the
    Aurora-global-like setup whose RPO is the replication plus consumer lag."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rate_per_min: int = Field(default=100_000, gt=0, le=1_000_000, description="load, events/min")
    load_s: float = Field(default=40.0, gt=0, le=3600, description="how long the load runs in total")
    fault_after_s: float = Field(default=10.0, ge=1, description="load before the fault (warm-up)")
    link_latency_ms: float = Field(
        default=20.0, ge=0, le=1000, description="inter-region link round trip (ms); 0 (loopback) hides loss"
    )
    replication_mode: ReplicationMode = ReplicationMode.SYNC
    ingest: IngestMode | None = Field(default=None, description="default: dual for sync, single for async")
    partition_s: float = Field(default=5.0, gt=0, le=600, description="link_partition: cut before failing")
    detect_failures: int = Field(default=3, ge=1, le=100, description="consecutive failed probes = down")
    probe_interval_s: float = Field(default=0.1, gt=0, le=5)
    sample_interval_s: float = Field(default=0.08, gt=0, le=0.1, description="lag sampling (>= 10 Hz)")
    recovery_timeout_s: float = Field(default=120.0, gt=0, description="abort if recovery takes longer")
    drain_settle_s: float = Field(default=2.0, gt=0, description="store unchanged this long = drained")
    abort_lag_s: float = Field(default=300.0, gt=0, description="abort before the fault if lag exceeds")
    session_rate_per_s: int = Field(default=200, gt=0, le=10_000, description="cache_failover writes/s")
    devices: int = Field(default=2000, gt=0, le=999_999)
    exposure: Literal["none", "processor_pause", "link_cut"] = Field(
        default="none", description="region_outage: a set exposure before the kill (deterministic loss)")
    exposure_s: float = Field(default=2.0, gt=0, le=300, description="how long the set exposure lasts")
    objectives: Objectives = Field(default_factory=Objectives)

    @model_validator(mode="after")
    def _coherent(self) -> DrillConfig:
        if self.load_s < self.fault_after_s + 5:
            raise ValueError(f"load_s ({self.load_s}) must be at least fault_after_s + 5 "
                             f"({self.fault_after_s + 5}) so recovery happens under load")
        return self

    @property
    def ingest_mode(self) -> IngestMode:
        if self.ingest is not None:
            return self.ingest
        return IngestMode.DUAL if self.replication_mode is ReplicationMode.SYNC else IngestMode.SINGLE

    def topology(self) -> TopologySpec:
        return TopologySpec(replication_mode=self.replication_mode, link_latency_ms=self.link_latency_ms)

    def load(self) -> LoadSpec:
        return LoadSpec(rate_per_min=self.rate_per_min, duration_s=self.load_s, ingest=self.ingest_mode,
                        devices=self.devices)

    def parameters(self) -> dict[str, object]:
        """What the journal records (the resolved ingest mode included)."""
        return {**self.model_dump(mode="json"), "ingest": self.ingest_mode.value}


ScenarioName = Literal["region_outage", "planned_switchover", "link_partition", "processor_crash",
                       "cache_failover"]


def parse_config(raw: dict[str, object]) -> DrillConfig:
    """``DrillConfig`` from plain values, or ``DrillConfigError`` with one line: field, problem, fix."""
    try:
        return DrillConfig.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "config"
        raise DrillConfigError(f"drill config {where}: {first['msg']} (got {first.get('input')!r}); "
                               "fix the value or omit it for the default") from None
