"""``gate-summary.json``: the gate's verdict, per failed check → control → HIPAA citations, and timings.

The report and CI read this file instead of re-deriving the verdict from raw tool output, so the
mapping from a failure to the citation it endangers is computed once, from the catalog (or, for a
cdk-nag rule the catalog does not map, from the rule's own control ids).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, computed_field

GateTool = Literal["checkov", "cdk-nag", "cfn-lint", "hadolint", "gate"]
CitationSource = Literal["catalog", "rule metadata", "engineering", "none"]


class ControlHit(BaseModel):
    """A catalog control a failed check evidences."""

    control_id: str
    control_title: str
    citations: list[str]


class GateFailure(BaseModel):
    """One failed check on one resource; ``controls`` is empty when the catalog does not map the check.

    ``template`` is the template's path relative to the scanned folder and ``stack`` the stack it
    deploys as, so a logical id repeated across stacks is still one precise resource.
    """

    tool: GateTool
    check_id: str
    check_name: str
    resource: str
    file: str | None = None
    controls: list[ControlHit]
    template: str | None = None
    stack: str | None = None
    logical_id: str | None = None
    line: int | None = None
    detail: str | None = None
    rule_citations: list[str] = []  # the rule's own control ids, used when the catalog maps nothing
    engineering: list[str] = []  # non-HIPAA catalog controls (hygiene, deployability, image hardening)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def citations(self) -> list[str]:
        """Every citation the failure endangers, once each: the catalog's, else the rule's own."""
        from_catalog = list(dict.fromkeys(c for hit in self.controls for c in hit.citations))
        return from_catalog or list(self.rule_citations)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def citation_source(self) -> CitationSource:
        """Where the citations come from, so "(not in catalog)" is only said when nothing maps it."""
        if self.controls:
            return "catalog"
        if self.rule_citations:
            return "rule metadata"
        return "engineering" if self.engineering else "none"


class StepTiming(BaseModel):
    """Wall-clock seconds of one gate step, or None with the reason when the step did not run."""

    step: Literal["synth", "checkov", "cdk-nag", "cfn-lint", "dockerfile", "total"]
    seconds: float | None
    note: str | None = None


class ToolCounts(BaseModel):
    """What one tool evaluated (passed/failed/skipped for checkov; violations/acknowledged for cdk-nag)."""

    passed: int | None = None
    failed: int
    skipped: int | None = None
    acknowledged: int | None = None


class ToolStatus(BaseModel):
    """Whether a tool judged anything: ``not evaluated`` (with why) is never a pass."""

    tool: str
    status: Literal["evaluated", "not evaluated", "error"]
    reason: str | None = None
    counts: ToolCounts | None = None


class GateSummary(BaseModel):
    """The whole verdict; ``passed`` is False as soon as any check failed or a step could not run."""

    passed: bool
    exit_code: int
    environment: str | None
    profile: Literal["production", "non-production"] = "non-production"
    started_at: datetime
    templates: list[str]
    timings: list[StepTiming]
    checkov: ToolCounts | None
    cdk_nag: ToolCounts | None
    cfn_lint: ToolCounts | None = None
    tools: list[ToolStatus] = []
    failures: list[GateFailure]
    errors: list[str]
    outputs: list[str]
