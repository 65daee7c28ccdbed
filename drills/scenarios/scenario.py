"""What every scenario module provides: a name, a description, the target roles it needs, its lag
probes and its steps."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

from drills.measure.exposure import SetExposure
from drills.measure.loss import LossResult
from drills.measure.rpo import CONSUMER_LAG, DB_LAG
from drills.scenarios.context import DrillContext
from drills.scenarios.sampler import Probe
from drills.targets.roles import DatabaseReplication, EventStore, LoadAndLedger, PipelineProcessors

#: The roles of a drill that sends events through the pipeline and fails the database over.
EVENT_PIPELINE_ROLES: tuple[type, ...] = (LoadAndLedger, EventStore, DatabaseReplication, PipelineProcessors)


@dataclass(frozen=True)
class Outcome:
    """Where to measure after the scenario: the surviving region's store, and how ingest was wired.

    ``loss`` is set by scenarios that measure something other than the event store (cache sessions);
    otherwise the runner compares the ledger with ``survivor``'s store. ``metric_sources`` are the lags
    that RPO (metric) adds up; None means the region-failover default (``exposure_sources``).
    ``writer`` is the region whose event store is in service at the end, when that is not
    ``survivor`` (a cache failover leaves the database writer where it was). ``metric_at`` is the
    instant RPO (metric) is read when that is not t0 (a switchover: when the writer changed), named
    by ``metric_at_label``.
    ``exposure`` is the set exposure created before the kill, if any; ``region_died`` says the
    primary region was killed (then no acknowledgement may come from it after t0).
    """

    survivor: str
    dual_ingest: bool
    loss: LossResult | None = None
    metric_sources: tuple[str, ...] | None = None
    notes: list[str] = field(default_factory=list)
    writer: str | None = None
    metric_at: float | None = None
    metric_at_label: str = ""
    exposure: SetExposure | None = None
    region_died: bool = False

    @property
    def store_writer(self) -> str:
        return self.writer or self.survivor


class Scenario(ABC):
    name: ClassVar[str]
    description: ClassVar[str]
    #: Target roles (``drills.targets.roles``) the scenario uses; a target lacking one is refused.
    roles: ClassVar[tuple[type, ...]] = EVENT_PIPELINE_ROLES
    #: False for scenarios that run no event load (the journal then omits the load parameters).
    event_load: ClassVar[bool] = True

    def lag_probes(self, ctx: DrillContext) -> dict[str, Probe]:
        """DB replication lag (DR side) and the primary processor's consumer lag, sampled all drill."""
        replication, processors, primary = ctx.replication, ctx.processors, ctx.primary
        return {DB_LAG: replication.replication_lag_s,
                CONSUMER_LAG: lambda: processors.consumer_lag_s(primary)}

    def preconditions(self, ctx: DrillContext) -> list[str]:
        """Reasons to refuse the drill (the target's health was checked already); empty when the DR
        database is replicating."""
        if not ctx.replication.replication_streaming():
            return ["replication: the DR database is not streaming from the primary"]
        return []

    @abstractmethod
    def run(self, ctx: DrillContext) -> Outcome:
        """Inject the fault, drive recovery, and say where to measure. Push every rollback via ctx.act."""
