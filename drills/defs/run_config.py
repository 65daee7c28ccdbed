"""The drill's Dagster run config: the same parameters as ``DrillConfig``, validated by it.

Dagster checks the types; ``DrillConfig`` checks ranges and coherence before the target is touched,
so an invalid value fails the run at once with one line naming the field.
"""

from __future__ import annotations

from typing import Literal

from dagster import Config
from pydantic import Field

from drills.scenarios.config import DrillConfig, parse_config

_D = DrillConfig()


class DrillRunConfig(Config):
    rate_per_min: int = Field(default=_D.rate_per_min, description="load, events per minute")
    load_s: float = Field(default=_D.load_s, description="how long the load runs in total (s)")
    fault_after_s: float = Field(default=_D.fault_after_s, description="warm-up before the fault (s)")
    link_latency_ms: float = Field(default=_D.link_latency_ms, description="inter-region link latency (ms)")
    replication_mode: Literal["sync", "async"] = Field(default="sync")
    ingest: Literal["single", "dual", "default"] = Field(
        default="default", description="default: dual for sync, single for async")
    partition_s: float = Field(default=_D.partition_s, description="link_partition only")
    detect_failures: int = Field(default=_D.detect_failures, description="consecutive failed probes")
    recovery_timeout_s: float = Field(default=_D.recovery_timeout_s)
    rpo_objective_s: float = Field(default=_D.objectives.rpo_s)
    rto_objective_s: float = Field(default=_D.objectives.rto_s)

    def to_drill_config(self) -> DrillConfig:
        """Validated ``DrillConfig`` or ``DrillConfigError`` (one line)."""
        raw = self.model_dump()
        ingest = raw.pop("ingest")
        objectives = {"rpo_s": raw.pop("rpo_objective_s"), "rto_s": raw.pop("rto_objective_s")}
        return parse_config({**raw, "objectives": objectives, **({} if ingest == "default" else
                                                                  {"ingest": ingest})})
