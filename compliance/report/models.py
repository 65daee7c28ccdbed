"""The auditor report's data model: what ``evidence.json`` holds and both renderings (HTML, PDF) read.

Everything an auditor sees is derived from evidence files into these models first, so the JSON is the
single source of truth and a rendering can never show a figure the data does not carry. Values are
counts, durations, statuses and ids of the form ``device:seq`` at most: never patient refs or vitals.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

REPORT_SCHEMA_VERSION = 2


class ControlStatus(StrEnum):
    """Status of a check, control, citation or the whole report (see ``WORST_FIRST`` for ranking)."""

    PASS = "PASS"
    FAIL = "FAIL"
    NO_EVIDENCE = "NO EVIDENCE"
    MANUAL = "MANUAL"


#: Ranking used for "worst of": missing evidence is worse than a manual review, better than a failure.
WORST_FIRST: tuple[ControlStatus, ...] = (
    ControlStatus.FAIL,
    ControlStatus.NO_EVIDENCE,
    ControlStatus.MANUAL,
    ControlStatus.PASS,
)


def worst(statuses: list[ControlStatus]) -> ControlStatus:
    """The worst status of a group; an empty group has no evidence at all."""
    if not statuses:
        return ControlStatus.NO_EVIDENCE
    return min(statuses, key=WORST_FIRST.index)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ExceptionNote(_Model):
    """A finding deliberately accepted, with the reason someone recorded for it."""

    tool: str
    check_id: str
    resource: str = Field(description="Resource or construct it applies to; '*' for the whole check")
    reason: str = Field(description="The acknowledgement reason; empty means nobody justified it")
    source: str = Field(description="Where it was recorded, e.g. 'checkov skip comment'")


class CheckOutcome(_Model):
    """One automated check's result, as read from the evidence of the tool that ran it."""

    tool: str
    id: str
    status: ControlStatus
    summary: str
    evidence: list[str] = Field(default_factory=list, description="Paths inside the report folder")


class ControlRow(_Model):
    id: str
    title: str
    status: ControlStatus
    checks: list[CheckOutcome]
    exceptions: list[ExceptionNote] = Field(default_factory=list)
    manual: str | None = Field(default=None, description="What an auditor reviews by hand (MANUAL)")


class CitationRow(_Model):
    id: str
    title: str
    kind: str
    status: ControlStatus
    controls: list[ControlRow]


class Figure(_Model):
    """A measured figure; ``value`` None means not measured and ``note`` says why."""

    value: float | None
    unit: str
    note: str = ""


class ObjectiveRow(_Model):
    name: str
    observed: float | None
    threshold: float
    unit: str
    passed: bool
    note: str = ""


class PhaseMark(_Model):
    phase: str
    offset_s: float = Field(description="Seconds after t0 (the fault); negative before it")
    detail: str = ""


class LagPoint(_Model):
    offset_s: float
    lag_s: float | None
    source: str


class LossCounts(_Model):
    """Counts are None when the drill did not measure loss (``not_measured`` says why)."""

    acknowledged: int | None
    lost: int | None
    digest_mismatches: int | None
    in_doubt: int | None
    not_measured: str = ""
    first_lost_ids: list[str] = Field(default_factory=list, description="device:seq, at most ten")
    method: str


class DrillView(_Model):
    """The latest drill, reduced to what the report shows and charts."""

    run_id: str
    scenario: str
    description: str
    target_kind: str
    environment: str
    primary_region: str
    dr_region: str
    status: str
    started_at: datetime
    finished_at: datetime
    rpo_data: Figure
    rpo_metric: Figure
    rto: Figure
    rpo_agreement_tolerance_s: float
    rpo_agree: bool | None
    rpo_agreement_note: str
    objectives: list[ObjectiveRow]
    loss: LossCounts
    timeline: list[PhaseMark]
    lag: list[LagPoint]
    rollbacks_ok: int
    rollbacks_failed: int
    evidence: str


class IntegrityRow(_Model):
    source: str = Field(description="'drill <run_id>' or 'great_expectations'")
    name: str
    passed: bool
    summary: str
    evidence: str


class HistoryRow(_Model):
    run_id: str
    scenario: str
    mode: str = Field(description="replication mode / ingest mode the drill ran with")
    started_at: datetime
    status: str
    failed: list[str] = Field(description="Objectives and integrity checks that did not pass")
    rpo_data_s: float | None
    rpo_metric_s: float | None
    rto_s: float | None
    lost: int | None
    in_doubt: int | None
    evidence: str


class EvidenceFile(_Model):
    path: str = Field(description="Relative to the report folder")
    kind: str
    sha256: str
    bytes: int


class EvidenceProblem(_Model):
    """Evidence that exists but was not used: unreadable, or withheld because it looks like PHI."""

    source: str = Field(description="Path relative to the reports directory")
    problem: str


class Summary(_Model):
    environment: str
    generated_at: datetime
    versions: dict[str, str]
    overall: ControlStatus
    counts: dict[str, int] = Field(description="Controls per status")
    sources: dict[str, bool] = Field(description="Which evidence sources were present")
    gate: str = Field(description="The compliance gate's own verdict, as its gate-summary.json states it")


class FailedResource(_Model):
    """One resource a failed check names, with the template (or stack) it is defined in."""

    resource: str
    template: str = Field(description="Template file or stack; for a drill, its journal")


class FailureGroup(_Model):
    """A failed check and every resource it failed on: what an auditor reads first."""

    tool: str
    check_id: str
    check_name: str
    citations: list[str] = Field(description="HIPAA citations the failure endangers; empty: none known")
    citation_source: str = Field(description="'control catalog', the tool's own rule metadata, or why none")
    fix: str = Field(description="How to make the check pass")
    resources: list[FailedResource]
    evidence: list[str] = Field(default_factory=list, description="Paths inside the report folder")


class AcknowledgementGroup(_Model):
    """Accepted findings of one rule with one reason, and every resource they were accepted on."""

    id: str = Field(description="Anchor the control matrix links to, e.g. 'ack-3'")
    tool: str
    check_id: str
    reason: str = Field(description="Empty means nobody justified it (the check then fails)")
    source: str
    resources: list[str]
    controls: list[str] = Field(description="Catalog controls whose checks this acceptance affects")


class Report(_Model):
    schema_version: int = REPORT_SCHEMA_VERSION
    summary: Summary
    failures: list[FailureGroup] = Field(description="Failed checks, worst evidence first")
    failed_drills: list[HistoryRow] = Field(description="Every drill of the history that did not pass")
    citations: list[CitationRow]
    acknowledgements: list[AcknowledgementGroup]
    latest_drill: DrillView | None
    integrity: list[IntegrityRow]
    history: list[HistoryRow]
    evidence_files: list[EvidenceFile]
    problems: list[EvidenceProblem] = Field(default_factory=list)
