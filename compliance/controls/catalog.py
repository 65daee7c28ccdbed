"""The HIPAA control catalog: citations → controls → check ids, loaded from data (``hipaa.yaml``).

The catalog is data, not code, so an auditor can read it and a change to a mapping is a reviewed diff.
Everything that consumes evidence (the gate, the report) resolves check ids through it, which is why a
citation without any automated check must still appear, as MANUAL, rather than vanish.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from contracts.journal import DRILL_INTEGRITY_CHECKS, OBJECTIVES

#: The packaged catalog; ``load_catalog()`` reads it unless told otherwise.
DEFAULT_CATALOG_PATH = Path(__file__).with_name("hipaa.yaml")

#: What a catalog ``drill`` check may name: a DR objective or an integrity result of the journal.
DRILL_CHECK_NAMES: frozenset[str] = frozenset((*OBJECTIVES, *DRILL_INTEGRITY_CHECKS))

Tool = Literal["checkov", "cdk-nag", "drill", "great_expectations", "cfn-lint", "hadolint"]

#: The gate's profiles: ``-c production=true`` synthesizes (or declares) the production templates.
Profile = Literal["production", "non-production"]


class CatalogError(ValueError):
    """The catalog file is missing or malformed; the message names the file and the fix."""


class CheckRef(BaseModel):
    """One automated check, by the tool that runs it and the id that tool reports.

    ``id`` may end in ``*`` to take every rule of a tool (or an id prefix): cfn-lint and hadolint rules
    are judged as a whole (deployability, image hardening), not one catalog row per rule.
    """

    model_config = ConfigDict(frozen=True)

    tool: Tool
    id: str
    #: A prohibition (the check fails every resource of a kind that must not exist): checkov reporting
    #: no resource for it, after scanning the templates, is its pass rather than missing evidence.
    absent_passes: bool = False

    def matches(self, check_id: str, tool: Tool | None = None) -> bool:
        """This reference covers ``check_id`` reported by ``tool``."""
        if tool is not None and tool != self.tool:
            return False
        if self.id.endswith("*"):
            return check_id.startswith(self.id[:-1])
        return check_id == self.id


class Control(BaseModel):
    """A concrete, testable control that (partly) implements a citation."""

    id: str
    title: str
    description: str
    checks: list[CheckRef]
    manual: str | None = None  # what an auditor must look at when no automated check covers it
    profiles: list[Profile] = ["production", "non-production"]  # where the gate applies its checks

    @property
    def is_manual(self) -> bool:
        """A control no automated check covers: the report shows it as MANUAL."""
        return not self.checks


class Citation(BaseModel):
    """A HIPAA Security Rule paragraph, e.g. ``164.312(a)(2)(iv)``."""

    id: str
    title: str
    kind: Literal["required", "addressable", "standard"]
    controls: list[Control]


class CheckException(BaseModel):
    """A built-in check the gate deliberately skips, with the reason an auditor can judge."""

    tool: Tool
    id: str
    reason: str


class Catalog(BaseModel):
    """The whole catalog; lookups go from a failed check back to the citations it evidences.

    ``engineering`` holds controls the gate enforces that are NOT HIPAA controls (environment hygiene,
    deployability, image hardening): a failure there names its control but cites no HIPAA paragraph.
    """

    citations: list[Citation]
    engineering: list[Control] = []
    exceptions: list[CheckException] = []

    def check_refs(self) -> set[CheckRef]:
        """Every check the catalog maps to a HIPAA citation."""
        return {
            check for citation in self.citations for control in citation.controls for check in control.checks
        }

    def all_check_refs(self) -> set[CheckRef]:
        """Every check the gate runs: the HIPAA ones and the engineering ones."""
        return self.check_refs() | {check for control in self.engineering for check in control.checks}

    def controls_for(self, check_id: str, tool: Tool | None = None) -> list[tuple[Citation, Control]]:
        """The (citation, control) pairs a check evidences; empty when the catalog does not map it."""
        return [
            (citation, control)
            for citation in self.citations
            for control in citation.controls
            if any(c.matches(check_id, tool) for c in control.checks)
        ]

    def engineering_controls_for(self, check_id: str, tool: Tool | None = None) -> list[Control]:
        """The non-HIPAA controls a check enforces."""
        return [
            control for control in self.engineering if any(c.matches(check_id, tool) for c in control.checks)
        ]

    def checks_for_profile(self, tool: Tool, profile: Profile) -> list[str]:
        """Ids of ``tool``'s checks that apply to ``profile`` (a check in any applicable control counts)."""
        controls = [c for citation in self.citations for c in citation.controls] + self.engineering
        return sorted({
            ref.id for control in controls if profile in control.profiles
            for ref in control.checks if ref.tool == tool
        })

    def citations_for(self, check_id: str, tool: Tool | None = None) -> list[Citation]:
        """The citations a check evidences, each once, in catalog order."""
        seen: dict[str, Citation] = {}
        for citation, _control in self.controls_for(check_id, tool):
            seen.setdefault(citation.id, citation)
        return list(seen.values())


def load_catalog(path: Path | None = None) -> Catalog:
    """Read and validate a catalog file (default: the packaged ``hipaa.yaml``)."""
    source = path or DEFAULT_CATALOG_PATH
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        message = f"control catalog {source}: cannot read it ({reason}); pass an existing file"
        raise CatalogError(message) from None
    except yaml.YAMLError as exc:
        raise CatalogError(f"control catalog {source}: not valid YAML ({exc}); fix the syntax") from None
    try:
        return Catalog.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CatalogError(f"control catalog {source}: {where}: {first['msg']}; fix that entry") from None
