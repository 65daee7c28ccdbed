"""``gate.sarif``: every tool's findings of one gate run as SARIF 2.1.0, one run per tool.

Code-scanning services read SARIF; each run carries an ``invocations`` block saying whether the tool
executed (a tool that was not evaluated says so in a notification, it never appears as a clean run).
Locations are relative: a file inside the repository is relative to ``REPOROOT``; a template outside it
(``--templates`` pointing elsewhere) is relative to ``TEMPLATES``; both bases are declared in
``originalUriBaseIds`` as absolute ``file:`` URIs. CloudFormation findings also carry the resource as a
logical location ``<stack>/<logical id>``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compliance.gate_summary import GateFailure, ToolStatus

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
RUN_ORDER = ("checkov", "checkov-dockerfile", "cdk-nag", "cfn-lint", "hadolint")
DOCKERFILE_CHECK = re.compile(r"^CKV2?_DOCKER_")
INFORMATION_URIS = {
    "checkov": "https://www.checkov.io/",
    "checkov-dockerfile": "https://www.checkov.io/",
    "cdk-nag": "https://github.com/cdklabs/cdk-nag",
    "cfn-lint": "https://github.com/aws-cloudformation/cfn-lint",
    "hadolint": "https://github.com/hadolint/hadolint",
}


@dataclass
class SarifBases:
    """The two URI bases: the repository root and the scanned templates folder."""

    repo_root: Path
    templates_root: Path
    used: set[str] = field(default_factory=set)

    def locate(self, file: str | None) -> dict[str, str] | None:
        """An artifactLocation for ``file`` relative to the repository or the templates folder."""
        if not file:
            return None
        path = Path(file)
        candidates = [path] if path.is_absolute() else [self.templates_root / path, self.repo_root / path]
        for candidate in candidates:
            resolved = candidate.resolve()
            for base_id, base in (("REPOROOT", self.repo_root), ("TEMPLATES", self.templates_root)):
                if resolved.is_relative_to(base.resolve()):
                    self.used.add(base_id)
                    return {"uri": resolved.relative_to(base.resolve()).as_posix(), "uriBaseId": base_id}
        return None

    def declared(self) -> dict[str, dict[str, str]]:
        bases = {"REPOROOT": self.repo_root, "TEMPLATES": self.templates_root}
        return {base_id: {"uri": bases[base_id].resolve().as_uri() + "/"} for base_id in sorted(self.used)}


def _result(failure: GateFailure, bases: SarifBases) -> dict[str, Any]:
    text = f"{failure.check_name} — {failure.resource}"
    if failure.detail:
        text += f": {failure.detail}"
    if failure.citations:
        text += " (HIPAA " + ", ".join(f"§{c}" for c in failure.citations) + ")"
    location: dict[str, Any] = {}
    artifact = bases.locate(failure.file)
    if artifact:
        physical: dict[str, Any] = {"artifactLocation": artifact}
        if failure.line:
            physical["region"] = {"startLine": failure.line}
        location["physicalLocation"] = physical
    if failure.logical_id:
        location["logicalLocations"] = [
            {
                "name": failure.logical_id,
                "fullyQualifiedName": f"{failure.stack or '?'}/{failure.logical_id}",
                "kind": "resource",
            }
        ]
    result: dict[str, Any] = {
        "ruleId": failure.check_id,
        "level": "error",
        "message": {"text": text},
        "properties": {
            "controls": [hit.control_id for hit in failure.controls] + list(failure.engineering),
            "citations": failure.citations,
            "citationSource": failure.citation_source,
            "template": failure.template,
            "stack": failure.stack,
        },
    }
    if location:
        result["locations"] = [location]
    return result


def _run(
    tool: str, status: ToolStatus | None, failures: Sequence[GateFailure], bases: SarifBases
) -> dict[str, Any]:
    rules: dict[str, dict[str, Any]] = {}
    for failure in failures:
        rules.setdefault(
            failure.check_id,
            {
                "id": failure.check_id,
                "shortDescription": {"text": failure.check_name or failure.check_id},
                "properties": {"citations": failure.citations},
            },
        )
    invocation: dict[str, Any] = {"executionSuccessful": status is not None and status.status == "evaluated"}
    if status is not None and status.reason:
        invocation["toolExecutionNotifications"] = [
            {
                "message": {"text": f"{status.status}: {status.reason}"},
                "level": "note" if status.status == "evaluated" else "error",
            }
        ]
    return {
        "tool": {
            "driver": {"name": tool, "informationUri": INFORMATION_URIS[tool], "rules": list(rules.values())}
        },
        "invocations": [invocation],
        "results": [_result(f, bases) for f in failures],
    }


def build_sarif(
    failures: Sequence[GateFailure], statuses: Sequence[ToolStatus], repo_root: Path, templates_root: Path
) -> dict[str, Any]:
    """One SARIF log with a run per tool (in a fixed order), every failure a result."""
    bases = SarifBases(repo_root=repo_root, templates_root=templates_root)
    by_tool = {status.tool: status for status in statuses}
    runs = []
    for tool in RUN_ORDER:
        tool_failures = [f for f in failures if sarif_run_of(f) == tool]
        runs.append(_run(tool, by_tool.get(tool), tool_failures, bases))
    declared = bases.declared()
    for run in runs:
        if declared:
            run["originalUriBaseIds"] = declared
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": runs}


def sarif_run_of(failure: GateFailure) -> str:
    """The run a failure belongs to: checkov's Dockerfile checks have their own (their own invocation)."""
    if failure.tool == "checkov" and DOCKERFILE_CHECK.match(failure.check_id):
        return "checkov-dockerfile"
    return "checkov" if failure.tool == "gate" else failure.tool
