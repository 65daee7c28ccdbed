"""``gate-summary.json``: the gate's verdict, per failed check → control → HIPAA citations, and timings.

The report and CI read this file instead of re-deriving the verdict from raw tool output, so the
mapping from a failure to the citation it endangers is computed once, from the catalog.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel


class ControlHit(BaseModel):
    """A catalog control a failed check evidences."""

    control_id: str
    control_title: str
    citations: list[str]


class GateFailure(BaseModel):
    """One failed check on one resource; ``controls`` is empty when the catalog does not map the check."""

    tool: Literal["checkov", "cdk-nag", "gate"]
    check_id: str
    check_name: str
    resource: str
    file: str | None = None
    controls: list[ControlHit]

    @property
    def citations(self) -> list[str]:
        """Every citation the failure endangers, once each, in catalog order."""
        return list(dict.fromkeys(c for hit in self.controls for c in hit.citations))


class StepTiming(BaseModel):
    """Wall-clock seconds of one gate step, or None with the reason when the step did not run."""

    step: Literal["synth", "checkov", "cdk-nag", "total"]
    seconds: float | None
    note: str | None = None


class ToolCounts(BaseModel):
    """What one tool evaluated (passed/failed/skipped for checkov; violations/acknowledged for cdk-nag)."""

    passed: int | None = None
    failed: int
    skipped: int | None = None
    acknowledged: int | None = None


class GateSummary(BaseModel):
    """The whole verdict; ``passed`` is False as soon as any check failed or a step could not run."""

    passed: bool
    exit_code: int
    environment: str | None
    started_at: datetime
    templates: list[str]
    timings: list[StepTiming]
    checkov: ToolCounts | None
    cdk_nag: ToolCounts | None
    failures: list[GateFailure]
    errors: list[str]
    outputs: list[str]
