"""The drill journal: the self-contained evidence of one drill run (DESIGN §6).

Data first: drills write it, the report renders it, and ``drills.measure`` can recompute every figure
and the verdict from it. It lives in ``contracts`` because two packages read it (``drills`` writes,
``compliance`` renders) and it imports nothing of the project. No PHI-like values go in here: event
ids are synthetic device ids + sequence numbers, never patient ids or vitals.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contracts.evidence_layout import journal_name

SCHEMA_VERSION = 1

#: Names of the integrity results every event-store drill records (the control catalog cites them).
KEY_COMPARISON = "acknowledged_events_on_survivor"
CHECKSUM_PROOF = "ledger_vs_surviving_store"
DRILL_INTEGRITY_CHECKS = (KEY_COMPARISON, CHECKSUM_PROOF)

#: Names of the recovery objectives (``ObjectiveResult.name``; Dagster checks and the catalog cite them).
RPO_WITHIN = "rpo_within_objective"
RTO_WITHIN = "rto_within_objective"
ZERO_LOSS = "zero_acknowledged_loss"
RPO_AGREE = "rpo_metric_agrees_with_data"
OBJECTIVES = (RPO_WITHIN, RTO_WITHIN, ZERO_LOSS, RPO_AGREE)


class Phase(StrEnum):
    """Timeline phases of a drill (DESIGN §5); t0 is FAULT_INJECTED."""

    LOAD_STARTED = "load_started"
    FAULT_INJECTED = "fault_injected"
    DETECTED = "detected"
    PROMOTED = "promoted"
    REPOINTED = "repointed"
    FIRST_ACK_WRITE_READABLE = "first_ack_write_readable"
    BACKLOG_DRAINED = "backlog_drained"
    ROLLED_BACK = "rolled_back"


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ABORTED = "aborted"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TargetInfo(_Model):
    kind: str = Field(description="'local' (sandbox) or 'aws'")
    environment: str
    primary_region: str
    dr_region: str


class TimelineEvent(_Model):
    phase: Phase
    t: float = Field(description="Unix epoch seconds")
    detail: str = ""


class LagSample(_Model):
    t: float = Field(description="Unix epoch seconds when sampled")
    lag_s: float | None = Field(description="Replication lag in seconds; None when unreadable")
    source: str = Field(description="Which metric, e.g. 'pg_last_xact_replay_timestamp'")


class Measurement(_Model):
    """One measured figure. ``value`` is None when it could not be measured; ``note`` says why."""

    value: float | None
    unit: str
    note: str = ""


class LossDetail(_Model):
    """Loss counts; each is None when it was not measured (``not_measured`` says why), never a 0."""

    acknowledged: int | None = None
    lost: int | None = None
    digest_mismatches: int | None = None
    in_doubt: int | None = Field(default=None,
                                 description="Committed to the store but never acknowledged to the producer")
    lost_event_ids: list[str] = Field(default_factory=list, description="First ids only (device:seq)")
    method: str = Field(default="not measured",
                        description="How loss was proven, e.g. 'bucketed checksum diff'")
    not_measured: str = Field(default="", description="Why the counts are None; empty when measured")

    @property
    def measured(self) -> bool:
        return self.lost is not None and self.digest_mismatches is not None

    @property
    def lost_or_changed(self) -> int | None:
        """Acknowledged events missing or digest-different; None when not measured."""
        if self.lost is None or self.digest_mismatches is None:
            return None
        return self.lost + self.digest_mismatches


class Measurements(_Model):
    rpo_data: Measurement
    rpo_metric: Measurement
    rto: Measurement
    rpo_agreement_tolerance_s: float
    rpo_agree: bool | None
    rpo_agreement_note: str = ""
    loss: LossDetail


class ObjectiveResult(_Model):
    name: str
    observed: float | None
    threshold: float
    unit: str
    passed: bool
    note: str = ""


class IntegrityResult(_Model):
    name: str
    passed: bool
    summary: str
    details: dict[str, Any] = Field(default_factory=dict)


class RollbackRecord(_Model):
    action: str
    rollback: str
    ok: bool
    error: str = ""


class ComponentState(_Model):
    """One component of the target as a health probe saw it."""

    name: str
    ok: bool
    detail: str = ""


class SteadyState(_Model):
    """The target's health before the fault and again after the rollbacks (the drill's hypothesis).

    ``after`` is empty when it could not be taken (the note says why); a drill passes only when every
    component is healthy after the rollbacks.
    """

    before: list[ComponentState] = Field(default_factory=list)
    after: list[ComponentState] = Field(default_factory=list)

    @property
    def restored(self) -> bool:
        return bool(self.after) and all(c.ok for c in self.after)

    def unhealthy_after(self) -> list[str]:
        return [f"{c.name}: {c.detail or 'unhealthy'}" for c in self.after if not c.ok]


class DrillJournal(_Model):
    schema_version: int = SCHEMA_VERSION
    run_id: str
    scenario: str
    description: str
    target: TargetInfo
    parameters: dict[str, Any]
    started_at: datetime
    finished_at: datetime
    timeline: list[TimelineEvent]
    lag_samples: list[LagSample]
    measurements: Measurements
    objectives: list[ObjectiveResult]
    integrity: list[IntegrityResult] = Field(default_factory=list)
    rollbacks: list[RollbackRecord] = Field(default_factory=list)
    status: Status
    notes: list[str] = Field(default_factory=list)
    abort_reason: str = Field(default="", description="Why the drill aborted; empty when it did not")
    steady_state: SteadyState | None = Field(
        default=None, description="Health before the fault and after the rollbacks")

    def write(self, directory: Path) -> Path:
        """Write as ``<dir>/drill-<scenario>-<run_id>.json`` atomically (no half-written evidence)."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / journal_name(self.scenario, self.run_id)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(self.model_dump_json(indent=2))
        tmp.replace(path)
        return path

    @classmethod
    def read(cls, path: Path) -> DrillJournal:
        return cls.model_validate_json(path.read_text())


def utcnow() -> datetime:
    return datetime.now(UTC)
